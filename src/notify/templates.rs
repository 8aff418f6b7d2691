//! One e-mail per notification kind, in plain text and HTML. They carry the reference, the status
//! as the recipient may see it, what to do next, and a link — never a title, justification,
//! measure, name, message, note or assessment (product.md § 7).

use maud::{DOCTYPE, Markup, html};

use crate::domain::notification::Notice;
use crate::i18n::{Lang, tr_in, tr_text_in};
use serde_json::Value;

/// A rendered e-mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// The words of one kind: what happened, and what the recipient should do now.
fn words(lang: Lang, notice: Notice) -> Option<(&'static str, &'static str)> {
    Some(match notice {
        Notice::RequestSubmitted => (
            tr_in(lang, "A mission has submitted a request."),
            tr_in(lang, "Take it from the New queue to start the triage."),
        ),
        Notice::SubmissionReceipt => (
            tr_in(lang, "We have received your request."),
            tr_in(
                lang,
                "The Ministry of Foreign Affairs will assess it; you can follow it in the portal.",
            ),
        ),
        Notice::RequestAssigned => (
            tr_in(lang, "A request has been assigned to you."),
            tr_in(lang, "Open it to continue the triage."),
        ),
        Notice::InformationRequested => (
            tr_in(
                lang,
                "The Ministry of Foreign Affairs asks for more information about your request.",
            ),
            tr_in(lang, "Open the request to read the question and answer it."),
        ),
        Notice::InformationProvided => (
            tr_in(lang, "The mission has sent the information you asked for."),
            tr_in(lang, "Open the request to continue the triage."),
        ),
        Notice::RequestRejected => (
            tr_in(lang, "Your request was found not admissible."),
            tr_in(lang, "Open the request to read the Ministry's reasons."),
        ),
        Notice::ForwardedToPolice => (
            tr_in(
                lang,
                "A request has been forwarded to Oslo Police District.",
            ),
            tr_in(lang, "It is in your New for police queue."),
        ),
        Notice::UnderAssessment => (
            tr_in(lang, "Your request is being assessed."),
            tr_in(
                lang,
                "Nothing is needed from you now; you will be told when there is news.",
            ),
        ),
        Notice::ReturnedToMfa => (
            tr_in(
                lang,
                "Oslo Police District has returned a request to the Ministry.",
            ),
            tr_in(lang, "Open it to read the police's note."),
        ),
        Notice::ReferredToPst => (
            tr_in(lang, "A request awaits a threat assessment."),
            tr_in(lang, "It is in your Awaiting assessment queue."),
        ),
        Notice::AssessmentSubmitted => (
            tr_in(
                lang,
                "PST has submitted the threat assessment you asked for.",
            ),
            tr_in(lang, "Open the request to continue the police review."),
        ),
        Notice::RequestDecided => (
            tr_in(lang, "Oslo Police District has decided on a request."),
            tr_in(lang, "Send the formal reply to the mission."),
        ),
        Notice::DecisionCommunicated => (
            tr_in(
                lang,
                "The Ministry of Foreign Affairs has replied to your request.",
            ),
            tr_in(
                lang,
                "Open the request to read the reply and the decision on each measure.",
            ),
        ),
        Notice::ImplementationConfirmed => (
            tr_in(
                lang,
                "Oslo Police District has confirmed when the approved measures are in place.",
            ),
            tr_in(lang, "Open the request to see the dates."),
        ),
        Notice::MeasuresEnded => (
            tr_in(lang, "The measures for your request have ended."),
            tr_in(
                lang,
                "Open the request for the details. Submit a new request if protection is needed again.",
            ),
        ),
        Notice::RequestWithdrawn => (
            tr_in(lang, "The mission has withdrawn a request."),
            tr_in(lang, "No further action is needed."),
        ),
        Notice::StageOverdue => (
            tr_in(lang, "A request is past its due date."),
            tr_in(
                lang,
                "Open it to see which stage is overdue, and act on it or tell those who must.",
            ),
        ),
        Notice::ReviewDue => (
            tr_in(lang, "A review of measures in effect is due."),
            tr_in(
                lang,
                "Open the request to keep the measures with a note and set the next review, or to end them.",
            ),
        ),
        Notice::MessageFromMission => (
            tr_in(lang, "The mission has written about a request."),
            tr_in(lang, "Open the request to read the message."),
        ),
        Notice::MessageFromMfa => (
            tr_in(
                lang,
                "The Ministry of Foreign Affairs has written about your request.",
            ),
            tr_in(lang, "Open the request to read the message."),
        ),
        // Account e-mails and the threat level's have their own templates.
        Notice::ThreatLevelChanged
        | Notice::Invitation
        | Notice::PasswordChanged
        | Notice::SecondFactorReset
        | Notice::SignInFailures => return None,
    })
}

fn layout(lang: Lang, heading: &str, body: Markup) -> String {
    html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head { meta charset="utf-8"; title { (heading) } }
            body style="font-family: sans-serif; line-height: 1.5; color: #1b1f24;" {
                (body)
                hr;
                p style="color: #4a535c; font-size: 0.9em;" {
                    (tr_in(lang, "This e-mail was sent by the protection portal of the Norwegian Ministry of Foreign Affairs."))
                    " "
                    (tr_in(lang, "Replies to it are not read. Sign in to the portal to see the details."))
                }
            }
        }
    }
    .into_string()
}

fn footer(lang: Lang) -> String {
    format!(
        "{}\n{}\n",
        tr_in(
            lang,
            "This e-mail was sent by the protection portal of the Norwegian Ministry of Foreign Affairs."
        ),
        tr_in(
            lang,
            "Replies to it are not read. Sign in to the portal to see the details."
        )
    )
}

/// Renders an e-mail of `kind` in `lang`. `payload` is the outbox row's (reference and status
/// only, or a link for account e-mails); `request_id` makes the link. `None` for an unknown kind.
pub fn render(
    lang: Lang,
    kind: &str,
    payload: &Value,
    request_id: Option<&str>,
    public_base: &str,
) -> Option<Rendered> {
    let t = |en: &'static str| tr_in(lang, en);
    let text_of = |key: &str| {
        payload
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let footer = footer(lang);
    let notice = Notice::parse(kind)?;
    match notice {
        Notice::Invitation => {
            let link = text_of("link");
            let hours = payload
                .get("valid_hours")
                .and_then(Value::as_i64)
                .unwrap_or(72);
            let subject = t("Your account on the protection portal").to_owned();
            let created = t("An account has been created for you on the protection portal.");
            let within = tr_text_in(lang, &format!("Set your password within {hours} hours:"));
            let first = t(
                "At your first sign-in you will set up an authenticator app for the second factor. If you did not expect this e-mail, ignore it.",
            );
            let text = format!("{created}\n\n{within}\n{link}\n\n{first}\n\n{footer}");
            let html = layout(
                lang,
                &subject,
                html! {
                    p { (created) }
                    p { (within) " " a href=(link) { (t("set your password")) } }
                    p { (first) }
                },
            );
            Some(Rendered {
                subject,
                text,
                html,
            })
        }
        Notice::PasswordChanged | Notice::SecondFactorReset | Notice::SignInFailures => {
            let (subject, what, next) = if notice == Notice::PasswordChanged {
                (
                    t("Your password was changed"),
                    t(
                        "The password of your protection portal account was changed, and every session was signed out.",
                    ),
                    t("If you did not do this, contact the portal's administrators at once."),
                )
            } else if notice == Notice::SignInFailures {
                (
                    t("Repeated failed sign-ins on your account"),
                    t(
                        "Someone has repeatedly tried to sign in to your protection portal account with a wrong password or code. Each address they try from is paused; you can still sign in as usual.",
                    ),
                    t(
                        "If this was not you, tell the portal's administrators, and consider changing your password.",
                    ),
                )
            } else {
                (
                    t("Your second factor was reset"),
                    t(
                        "An administrator reset the second factor of your protection portal account.",
                    ),
                    t(
                        "At your next sign-in, set up your authenticator app again. If you did not ask for this, contact the portal's administrators at once.",
                    ),
                )
            };
            let link = format!("{public_base}/sign-in");
            let sign_in = t("Sign in");
            let text = format!("{what}\n\n{next}\n\n{sign_in}: {link}\n\n{footer}");
            let html = layout(
                lang,
                subject,
                html! { p { (what) } p { (next) } p { a href=(link) { (sign_in) } } },
            );
            Some(Rendered {
                subject: subject.to_owned(),
                text,
                html,
            })
        }
        Notice::ThreatLevelChanged => {
            // Neither the mission nor the level: the e-mail leaves the portal.
            let subject = t("A changed threat level was recorded").to_owned();
            let what = t(
                "PST has recorded a changed threat level for a mission. Every request of that mission in effect is now due for review.",
            );
            let next = t("Open the Review due queue to review them.");
            let link = format!("{public_base}/?queue=review");
            let text = format!("{what}\n\n{next}\n{link}\n\n{footer}");
            let html = layout(
                lang,
                &subject,
                html! { p { (what) } p { (next) } p { a href=(link) { (t("Review due")) } } },
            );
            Some(Rendered {
                subject,
                text,
                html,
            })
        }
        _ => {
            let (what, next) = words(lang, notice)?;
            let reference = Some(text_of("reference"))
                .filter(|r| !r.is_empty())
                .unwrap_or_else(|| t("A request").to_owned());
            let status = tr_text_in(lang, &text_of("status_label"));
            let link = match request_id {
                Some(id) => format!("{public_base}/requests/{id}"),
                None => format!("{public_base}/"),
            };
            let subject = format!("{reference}: {}", what.trim_end_matches('.'));
            let (reference_label, status_label) = (t("Reference"), t("Status"));
            let text = format!(
                "{what}\n\n{reference_label}: {reference}\n{status_label}: {status}\n\n{next}\n{link}\n\n{footer}"
            );
            let html = layout(
                lang,
                &subject,
                html! {
                    p { (what) }
                    table {
                        tr { th align="left" { (reference_label) } td { (reference) } }
                        tr { th align="left" { (status_label) } td { (status) } }
                    }
                    p { (next) }
                    p { a href=(link) { (t("Open the request")) } }
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
    use crate::domain::notification::Notice;
    use serde_json::json;

    fn sample(kind: &str) -> Rendered {
        render_in(Lang::En, kind)
    }

    fn render_in(lang: Lang, kind: &str) -> Rendered {
        let payload = match kind {
            "invitation" => {
                json!({ "link": "https://portal.example.no/invitation?token=REDACTED", "valid_hours": 72 })
            }
            "password_changed" | "second_factor_reset" | "sign_in_failures" => json!({}),
            _ => {
                json!({ "reference": "2026/00042", "status": "under_assessment", "status_label": "Under assessment" })
            }
        };
        render(
            lang,
            kind,
            &payload,
            Some("0190-request-id"),
            "https://portal.example.no",
        )
        .expect("every kind has a template")
    }

    #[test]
    fn every_kind_has_a_template_in_text_and_html() {
        for k in Notice::ALL {
            let r = sample(k.code());
            assert!(
                !r.subject.is_empty() && r.text.contains("Replies to it are not read"),
                "{}",
                k.code()
            );
            assert!(r.html.starts_with("<!DOCTYPE html>"), "{}", k.code());
            if !matches!(
                k.code(),
                "invitation"
                    | "password_changed"
                    | "second_factor_reset"
                    | "sign_in_failures"
                    | "threat_level_changed"
            ) {
                assert!(r.subject.starts_with("2026/00042: "), "{}", k.code());
                assert!(r.text.contains("Status: Under assessment"), "{}", k.code());
                assert!(
                    r.text
                        .contains("https://portal.example.no/requests/0190-request-id"),
                    "{}",
                    k.code()
                );
            }
        }
        assert!(render(Lang::En, "no_such_kind", &json!({}), None, "x").is_none());
    }

    /// Every e-mail exists in Bokmål too, with nothing left in English.
    #[test]
    fn every_kind_is_written_in_bokmal() {
        for k in Notice::ALL {
            let en = render_in(Lang::En, k.code());
            let nb = render_in(Lang::Nb, k.code());
            assert!(nb.html.contains("lang=\"nb\""), "{}", k.code());
            assert!(
                nb.text.contains("Svar på denne e-posten blir ikke lest"),
                "{}",
                k.code()
            );
            assert_ne!(en.subject, nb.subject, "{}", k.code());
            for english in [
                "The ",
                "Open the request",
                "Reference:",
                "Status: Under assessment",
                "Sign in",
            ] {
                assert!(
                    !nb.text.contains(english),
                    "{}: {english:?} in {}",
                    k.code(),
                    nb.text
                );
            }
        }
    }

    /// The text of every template, as recipients read it (reviewed when a template changes).
    #[test]
    fn snapshots() {
        for k in Notice::ALL {
            let r = sample(k.code());
            insta::assert_snapshot!(
                k.code(),
                format!("Subject: {}\n\n{}\n---\n{}", r.subject, r.text, r.html)
            );
        }
    }
}
