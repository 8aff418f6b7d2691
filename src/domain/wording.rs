//! Error messages in plain language. A rule is written where it is checked as a short fragment
//! ("is required", "must be at most 200 characters (is 231)"); people read it as what to do
//! ("Enter a title", "Shorten the title to 200 characters or fewer"), on pages and in the API
//! alike. `FieldError::new` passes every message through `sentence`, so no page, API answer or
//! command shows a rule in code words. A message already written as a sentence (it starts with a
//! capital letter) is kept as it is.

/// How a field is named inside a sentence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Noun {
    /// "a title": after "Enter" or "Choose".
    some: &'static str,
    /// "the title": after "Shorten" or "from", and (capitalised) at the start of a sentence.
    the: &'static str,
    /// Chosen from a list rather than typed.
    chosen: bool,
}

const fn typed(some: &'static str, the: &'static str) -> Noun {
    Noun {
        some,
        the,
        chosen: false,
    }
}

const fn chosen(some: &'static str, the: &'static str) -> Noun {
    Noun {
        some,
        the,
        chosen: true,
    }
}

/// The fields people fill in, by their name in forms and the API. A field inside a list
/// (`measures[2].kind`) is named by its last part.
fn noun(field: &str) -> Option<Noun> {
    let in_list = field.rsplit_once("].").map(|(_, rest)| rest);
    let last = in_list.unwrap_or(field);
    Some(match last {
        // Outside the list of measures, a kind is a mission's.
        "kind" if in_list.is_none() => chosen("a kind of mission", "the kind of mission"),
        "title" => typed("a title", "the title"),
        "justification" => typed("a justification", "the justification"),
        "urgency" => chosen("the urgency", "the urgency"),
        "contact.name" => typed("the contact person's name", "the contact person's name"),
        "contact.phone" => typed(
            "the contact person's phone number",
            "the contact person's phone number",
        ),
        "contact.email" => typed(
            "the contact person's e-mail address",
            "the contact person's e-mail address",
        ),
        "measures" => chosen("at least one measure", "the list of measures"),
        "kind" => chosen("a kind of measure", "the kind of measure"),
        "location" => chosen("a location", "the location"),
        "address" => typed("the address", "the address"),
        "starts_on" => typed("the start date", "the start date"),
        "ends_on" => typed("the end date", "the end date"),
        "description" => typed("a description", "the description"),
        "from_time" => typed("the daily start time", "the daily start time"),
        "pst_due_on" => typed("the due date for PST", "the due date for PST"),
        "next_review_on" => typed("the date of the next review", "the date of the next review"),
        "level" => chosen("a threat level", "the threat level"),
        "note" => typed("the note", "the note"),
        "from" => typed("the first day", "the first day"),
        "to" => typed("the last day", "the last day"),
        "until_time" => typed("the daily end time", "the daily end time"),
        "event.name" => typed("the name of the event", "the name of the event"),
        "event.venue" => typed("the venue", "the venue"),
        "event.address" => typed("the address of the venue", "the address of the venue"),
        "event.starts_at" => typed("when the event starts", "the start of the event"),
        "event.ends_at" => typed("when the event ends", "the end of the event"),
        "event.expected_attendance" => typed("the expected attendance", "the expected attendance"),
        "position" => typed("the person's position", "the person's position"),
        "arrives_at" => typed("the arrival", "the arrival"),
        "leaves_at" => typed("the departure", "the departure"),
        "note_verbale.number" => typed(
            "the number of the note verbale",
            "the number of the note verbale",
        ),
        "note_verbale.dated_on" => typed(
            "the date of the note verbale",
            "the date of the note verbale",
        ),
        "message" | "body" => typed("a message", "the message"),
        "reason" => typed("a reason", "the reason"),
        "reply" => typed("the formal reply", "the formal reply"),
        "note.body" => typed("the note", "the note"),
        "assessment.summary" => typed("a summary", "the summary"),
        "assessment.threat_level" => chosen("a threat level", "the threat level"),
        "note.classification" | "assessment.classification" | "classification" => {
            chosen("a classification", "the classification")
        }
        "note.declassify_on" | "assessment.declassify_on" | "declassify_on" => {
            typed("the declassification date", "the declassification date")
        }
        "outcome" => chosen("a decision", "the decision"),
        "conditions" => typed("the conditions", "the conditions"),
        "decline_reason" => typed("the reason for declining", "the reason for declining"),
        "implemented_on" => typed(
            "the date the measure is in place",
            "the date the measure is in place",
        ),
        "assignee_id" => chosen("whom to assign", "the person assigned"),
        "visibility" => chosen("who sees it", "who sees it"),
        "email" => typed("an e-mail address", "the e-mail address"),
        "name" => typed("a name", "the name"),
        "role" => chosen("a role", "the role"),
        "mission" => chosen("a mission", "the mission"),
        "clearance" => chosen("a clearance", "the clearance"),
        "country" => typed("a country code", "the country code"),
        "password" | "new_password" => typed("a password", "the password"),
        "current_password" => typed("your current password", "your current password"),
        "token_name" => typed("a name for the token", "the token's name"),
        _ => return None,
    })
}

/// The noun as the first words of a sentence: "The title".
fn capitalised(words: &str) -> String {
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// `rule`, broken by `field`, as a sentence saying what to do. Unknown fields and rules already
/// written as sentences are kept as they are.
pub fn sentence(field: &str, rule: &str) -> String {
    if rule.chars().next().is_none_or(char::is_uppercase) {
        return rule.to_owned();
    }
    let Some(n) = noun(field) else {
        return rule.to_owned();
    };
    let verb = if n.chosen { "Choose" } else { "Enter" };
    if rule == "is required" {
        return format!("{verb} {}", n.some);
    }
    if let Some(rest) = rule.strip_prefix("must be at least ")
        && let Some((count, _)) = rest.split_once(" characters")
    {
        return format!("Enter {} of at least {count} characters", n.some);
    }
    if let Some(rest) = rule.strip_prefix("must be at most ")
        && let Some((count, _)) = rest.split_once(" characters")
    {
        return format!("Shorten {} to {count} characters or fewer", n.the);
    }
    if let Some(rest) = rule.strip_prefix("must not contain control characters") {
        return match rest
            .strip_prefix(" (found U+")
            .and_then(|r| r.strip_suffix(')'))
        {
            Some(code) => format!("Remove the control character U+{code} from {}", n.the),
            None => format!("Remove the control characters from {}", n.the),
        };
    }
    if rule.starts_with("must contain visible characters") {
        return format!(
            "Enter {} in visible characters, not only invisible or direction-control characters",
            n.some
        );
    }
    // A rule that continues the field's name ("must …", "is …") follows it; one that is a
    // statement of its own ("a mission with this name already exists") becomes a sentence.
    const CONTINUES: [&str; 11] = [
        "must ", "may ", "is ", "are ", "was ", "cannot ", "can ", "has ", "does ", "names ",
        "reaches ",
    ];
    if CONTINUES.iter().any(|verb| rule.starts_with(verb)) {
        format!("{} {rule}", capitalised(n.the))
    } else {
        capitalised(rule)
    }
}

/// Every sentence start `sentence` can write for a rule it does not rephrase ("The title {}"),
/// and every noun: the catalogue translates each (tested in `i18n`).
pub fn every_noun_phrase() -> Vec<String> {
    let fields = [
        "measures[0].kind",
        "title",
        "justification",
        "urgency",
        "contact.name",
        "contact.phone",
        "contact.email",
        "measures",
        "kind",
        "location",
        "address",
        "starts_on",
        "ends_on",
        "description",
        "message",
        "reason",
        "reply",
        "note.body",
        "assessment.summary",
        "assessment.threat_level",
        "next_review_on",
        "level",
        "note",
        "from",
        "to",
        "classification",
        "declassify_on",
        "outcome",
        "conditions",
        "decline_reason",
        "implemented_on",
        "assignee_id",
        "visibility",
        "email",
        "name",
        "role",
        "mission",
        "clearance",
        "country",
        "password",
        "current_password",
        "token_name",
    ];
    let mut out = Vec::new();
    for f in fields {
        let n = noun(f).expect("a listed field has a noun");
        out.push(n.some.to_owned());
        out.push(n.the.to_owned());
        out.push(format!("{} {{}}", capitalised(n.the)));
    }
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_become_what_to_do() {
        assert_eq!(sentence("title", "is required"), "Enter a title");
        assert_eq!(
            sentence("measures[0].kind", "is required"),
            "Choose a kind of measure"
        );
        assert_eq!(
            sentence("title", "must be at least 5 characters (is 3)"),
            "Enter a title of at least 5 characters"
        );
        assert_eq!(
            sentence("title", "must be at most 200 characters (is 231)"),
            "Shorten the title to 200 characters or fewer"
        );
        assert_eq!(
            sentence("contact.phone", "must start with + and the country code"),
            "The contact person's phone number must start with + and the country code"
        );
        assert_eq!(
            sentence(
                "justification",
                "must not contain control characters (found U+0007)"
            ),
            "Remove the control character U+0007 from the justification"
        );
    }

    #[test]
    fn a_statement_of_its_own_is_not_joined_to_the_name() {
        assert_eq!(
            sentence("name", "a mission with this name already exists"),
            "A mission with this name already exists"
        );
    }

    #[test]
    fn sentences_and_unknown_fields_are_kept() {
        assert_eq!(
            sentence("title", "The title is taken"),
            "The title is taken"
        );
        assert_eq!(
            sentence("per_page", "must be between 1 and 100"),
            "must be between 1 and 100"
        );
    }

    #[test]
    fn no_message_shows_a_field_key() {
        for phrase in every_noun_phrase() {
            assert!(!phrase.contains('_') && !phrase.contains('['), "{phrase}");
        }
    }
}
