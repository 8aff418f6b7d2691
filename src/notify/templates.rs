//! One e-mail per notification kind, in plain text and HTML. They carry the reference, the status
//! as the recipient may see it, what to do next, and a link — never a title, justification,
//! measure, name, message, note or assessment (SPEC § 7).

use maud::{DOCTYPE, Markup, html};
use serde_json::Value;

/// A rendered e-mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// The words of one kind: what happened, and what the recipient should do now.
fn words(kind: &str) -> Option<(&'static str, &'static str)> {
    Some(match kind {
        "request_submitted" => (
            "A mission has submitted a request.",
            "Take it from the New queue to start the triage.",
        ),
        "submission_receipt" => (
            "We have received your request.",
            "The Ministry of Foreign Affairs will assess it; you can follow it in the portal.",
        ),
        "request_assigned" => (
            "A request has been assigned to you.",
            "Open it to continue the triage.",
        ),
        "information_requested" => (
            "The Ministry of Foreign Affairs asks for more information about your request.",
            "Open the request to read the question and answer it.",
        ),
        "information_provided" => (
            "The mission has sent the information you asked for.",
            "Open the request to continue the triage.",
        ),
        "request_rejected" => (
            "Your request was found not admissible.",
            "Open the request to read the Ministry's reasons.",
        ),
        "forwarded_to_police" => (
            "A request has been forwarded to Oslo Police District.",
            "It is in your New for police queue.",
        ),
        "under_assessment" => (
            "Your request is being assessed.",
            "Nothing is needed from you now; you will be told when there is news.",
        ),
        "returned_to_mfa" => (
            "Oslo Police District has returned a request to the Ministry.",
            "Open it to read the police's note.",
        ),
        "referred_to_pst" => (
            "A request awaits a threat assessment.",
            "It is in your Awaiting assessment queue.",
        ),
        "assessment_submitted" => (
            "PST has submitted the threat assessment you asked for.",
            "Open the request to continue the police review.",
        ),
        "request_decided" => (
            "Oslo Police District has decided on a request.",
            "Send the formal reply to the mission.",
        ),
        "decision_communicated" => (
            "The Ministry of Foreign Affairs has replied to your request.",
            "Open the request to read the reply and the decision on each measure.",
        ),
        "implementation_confirmed" => (
            "The approved measures are in place.",
            "Open the request to see them.",
        ),
        "measures_ended" => (
            "The measures for your request have ended.",
            "Open the request for the details. Submit a new request if protection is needed again.",
        ),
        "request_withdrawn" => (
            "The mission has withdrawn a request.",
            "No further action is needed.",
        ),
        "message_from_mission" => (
            "The mission has written about a request.",
            "Open the request to read the message.",
        ),
        "message_from_mfa" => (
            "The Ministry of Foreign Affairs has written about your request.",
            "Open the request to read the message.",
        ),
        _ => return None,
    })
}

fn layout(heading: &str, body: Markup) -> String {
    html! {
        (DOCTYPE)
        html lang="en" {
            head { meta charset="utf-8"; title { (heading) } }
            body style="font-family: sans-serif; line-height: 1.5; color: #1b1f24;" {
                (body)
                hr;
                p style="color: #4a535c; font-size: 0.9em;" {
                    "This e-mail was sent by the protection portal of the Norwegian Ministry of Foreign Affairs. "
                    "Replies to it are not read. Sign in to the portal to see the details."
                }
            }
        }
    }
    .into_string()
}

const FOOTER: &str = "This e-mail was sent by the protection portal of the Norwegian Ministry of Foreign Affairs.\nReplies to it are not read. Sign in to the portal to see the details.\n";

/// Renders an e-mail of `kind`. `payload` is the outbox row's (reference and status only, or a
/// link for account e-mails); `request_id` makes the link. `None` for an unknown kind.
pub fn render(
    kind: &str,
    payload: &Value,
    request_id: Option<&str>,
    public_base: &str,
) -> Option<Rendered> {
    let text_of = |key: &str| {
        payload
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    match kind {
        "invitation" => {
            let link = text_of("link");
            let hours = payload
                .get("valid_hours")
                .and_then(Value::as_i64)
                .unwrap_or(72);
            let subject = "Your account on the protection portal".to_owned();
            let text = format!(
                "An account has been created for you on the protection portal.\n\nSet your password within {hours} hours at:\n{link}\n\nAt your first sign-in you will set up an authenticator app for the second factor.\nIf you did not expect this e-mail, ignore it.\n\n{FOOTER}"
            );
            let html = layout(
                &subject,
                html! {
                    p { "An account has been created for you on the protection portal." }
                    p { "Set your password within " (hours) " hours: " a href=(link) { "set your password" } }
                    p { "At your first sign-in you will set up an authenticator app for the second factor. If you did not expect this e-mail, ignore it." }
                },
            );
            Some(Rendered {
                subject,
                text,
                html,
            })
        }
        "password_changed" | "second_factor_reset" => {
            let (subject, what, next) = if kind == "password_changed" {
                (
                    "Your password was changed",
                    "The password of your protection portal account was changed, and every session was signed out.",
                    "If you did not do this, contact the portal's administrators at once.",
                )
            } else {
                (
                    "Your second factor was reset",
                    "An administrator reset the second factor of your protection portal account.",
                    "At your next sign-in, set up your authenticator app again. If you did not ask for this, contact the portal's administrators at once.",
                )
            };
            let link = format!("{public_base}/sign-in");
            let text = format!("{what}\n\n{next}\n\nSign in: {link}\n\n{FOOTER}");
            let html = layout(
                subject,
                html! { p { (what) } p { (next) } p { a href=(link) { "Sign in" } } },
            );
            Some(Rendered {
                subject: subject.to_owned(),
                text,
                html,
            })
        }
        _ => {
            let (what, next) = words(kind)?;
            let reference = Some(text_of("reference"))
                .filter(|r| !r.is_empty())
                .unwrap_or_else(|| "A request".to_owned());
            let status = text_of("status_label");
            let link = match request_id {
                Some(id) => format!("{public_base}/requests/{id}"),
                None => format!("{public_base}/"),
            };
            let subject = format!("{reference}: {}", what.trim_end_matches('.'));
            let text = format!(
                "{what}\n\nReference: {reference}\nStatus: {status}\n\n{next}\n{link}\n\n{FOOTER}"
            );
            let html = layout(
                &subject,
                html! {
                    p { (what) }
                    table {
                        tr { th align="left" { "Reference" } td { (reference) } }
                        tr { th align="left" { "Status" } td { (status) } }
                    }
                    p { (next) }
                    p { a href=(link) { "Open the request" } }
                },
            );
            Some(Rendered {
                subject,
                text,
                html,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::notification::KINDS;
    use serde_json::json;

    fn sample(kind: &str) -> Rendered {
        let payload = match kind {
            "invitation" => {
                json!({ "link": "https://portal.example.no/invitation?token=REDACTED", "valid_hours": 72 })
            }
            "password_changed" | "second_factor_reset" => json!({}),
            _ => {
                json!({ "reference": "2026/00042", "status": "under_assessment", "status_label": "Under assessment" })
            }
        };
        render(
            kind,
            &payload,
            Some("0190-request-id"),
            "https://portal.example.no",
        )
        .expect("every kind has a template")
    }

    #[test]
    fn every_kind_has_a_template_in_text_and_html() {
        for k in KINDS {
            let r = sample(k.code);
            assert!(
                !r.subject.is_empty() && r.text.contains("Replies to it are not read"),
                "{}",
                k.code
            );
            assert!(r.html.starts_with("<!DOCTYPE html>"), "{}", k.code);
            if !matches!(
                k.code,
                "invitation" | "password_changed" | "second_factor_reset"
            ) {
                assert!(r.subject.starts_with("2026/00042: "), "{}", k.code);
                assert!(r.text.contains("Status: Under assessment"), "{}", k.code);
                assert!(
                    r.text
                        .contains("https://portal.example.no/requests/0190-request-id"),
                    "{}",
                    k.code
                );
            }
        }
        assert!(render("no_such_kind", &json!({}), None, "x").is_none());
    }

    /// The text of every template, as recipients read it (reviewed when a template changes).
    #[test]
    fn snapshots() {
        for k in KINDS {
            let r = sample(k.code);
            insta::assert_snapshot!(
                k.code,
                format!("Subject: {}\n\n{}\n---\n{}", r.subject, r.text, r.html)
            );
        }
    }
}
