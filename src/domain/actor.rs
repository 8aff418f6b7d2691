//! Who acts: a signed-in person as the session or token established them, or the portal itself.

use super::{Clearance, Role};

/// The person acting. The mission comes from here, never from what a request says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: String,
    pub role: Role,
    pub mission_id: Option<String>,
    pub clearance: Clearance,
}

/// Who takes a step of the life cycle: a person, or the portal by itself (ending measures whose
/// time has run out, and the steps it will take on deadlines).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Performer<'a> {
    Person(&'a Actor),
    Portal,
}

impl<'a> From<&'a Actor> for Performer<'a> {
    fn from(actor: &'a Actor) -> Self {
        Performer::Person(actor)
    }
}

impl Performer<'_> {
    /// The acting person's user id; none for the portal.
    pub fn user_id(&self) -> Option<&str> {
        match self {
            Performer::Person(a) => Some(&a.user_id),
            Performer::Portal => None,
        }
    }

    /// The organisation as the security log names it.
    pub fn organisation(&self) -> &'static str {
        match self {
            Performer::Person(a) => a.role.organisation(),
            Performer::Portal => "portal",
        }
    }
}
