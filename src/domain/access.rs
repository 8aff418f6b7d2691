//! The one authorisation policy: may this person do this? Every handler asks here; whatever is
//! not allowed explicitly is refused (deny by default).

use super::{Clearance, Role};

/// The person acting, as the session or token established them. The mission comes from here,
/// never from what a request says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: String,
    pub role: Role,
    pub mission_id: Option<String>,
    pub clearance: Clearance,
}

/// Things a person can ask to do that do not concern one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Capability {
    /// Their own account: password, recovery codes, sessions.
    ManageOwnAccount,
    /// Their role's start page (queues).
    ViewOwnHome,
    /// Register, rename, deactivate missions.
    AdministerMissions,
    /// Invite, deactivate, reactivate accounts; reset a second factor.
    AdministerUsers,
}

impl Capability {
    pub const ALL: [Capability; 4] = [
        Self::ManageOwnAccount,
        Self::ViewOwnHome,
        Self::AdministerMissions,
        Self::AdministerUsers,
    ];
}

/// Why something was refused, which decides what the person is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The thing exists and they may know it, but may not do this: 403.
    Forbidden,
    /// They may not know the thing exists: answered exactly as for something that does not: 404.
    NotFound,
}

/// Decides whether `actor` may use `capability`.
pub fn authorise(actor: &Actor, capability: Capability) -> Result<(), Refusal> {
    let allowed = match capability {
        Capability::ManageOwnAccount | Capability::ViewOwnHome => true,
        Capability::AdministerMissions | Capability::AdministerUsers => actor.role == Role::Admin,
    };
    if allowed {
        Ok(())
    } else {
        // Administration pages are no secret; being refused them says nothing about any case.
        Err(Refusal::Forbidden)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(role: Role) -> Actor {
        Actor {
            user_id: "u".into(),
            role,
            mission_id: role.belongs_to_mission().then(|| "m".into()),
            clearance: Clearance::None,
        }
    }

    #[test]
    fn every_role_against_every_capability() {
        for role in Role::ALL {
            for cap in Capability::ALL {
                let expected = match cap {
                    Capability::ManageOwnAccount | Capability::ViewOwnHome => Ok(()),
                    Capability::AdministerMissions | Capability::AdministerUsers => {
                        if role == Role::Admin {
                            Ok(())
                        } else {
                            Err(Refusal::Forbidden)
                        }
                    }
                };
                assert_eq!(authorise(&actor(role), cap), expected, "{role} {cap:?}");
            }
        }
    }
}
