//! The demo's requests, filed and moved on by the demo's own accounts through the life cycle,
//! as people would: a reception with its event, guests, note verbale and site plan, waiting for
//! triage; a visit filed nine days ago that nobody took, so that its triage is overdue; and a
//! consulate's event with the police, due for their decision; and approved measures across the
//! coming weeks, so that the police calendar is not empty — a guard in place since last month
//! without an end date (reviewed every interval), night patrols confirmed ahead, and an escort
//! approved and waiting for the police's confirmation. Dates count from the day the demo starts.

use chrono::{Duration, NaiveDate};

use crate::app::AppError;
use crate::app::requests::{
    self, Context, ImplementedInput, OutcomeInput, Payload, TransitionInput, view,
};
use crate::db::DbConnection;
use crate::db::users::UserRow;
use crate::domain::access::Actor;
use crate::domain::event::{EventInput, PersonInput};
use crate::domain::request::{MeasureInput, RequestInput};
use crate::domain::{Clearance, Role};

fn actor(user: &UserRow) -> Actor {
    Actor {
        user_id: user.id.clone(),
        role: user.role.parse().unwrap_or(Role::MissionStaff),
        mission_id: user.mission_id.clone(),
        clearance: Clearance::parse(&user.clearance).unwrap_or(Clearance::None),
    }
}

fn measure(
    kind: &str,
    on: NaiveDate,
    hours: Option<(&str, &str)>,
    description: &str,
) -> MeasureInput {
    MeasureInput {
        kind: kind.into(),
        location: "other".into(),
        address: "Karl Johans gate 31, 0159 Oslo".into(),
        starts_on: on.to_string(),
        ends_on: on.to_string(),
        from_time: hours.map(|h| h.0.to_owned()).unwrap_or_default(),
        until_time: hours.map(|h| h.1.to_owned()).unwrap_or_default(),
        description: description.into(),
    }
}

fn at(on: NaiveDate, time: &str) -> String {
    format!("{on}T{time}")
}

/// A one-page PDF with a few lines of text (the demo's site plan), its cross-reference table
/// counted from the objects it holds.
fn simple_pdf(lines: &[&str]) -> Vec<u8> {
    let mut text = String::from("BT /F1 14 Tf 72 760 Td 18 TL");
    for line in lines {
        let escaped = line
            .replace('\\', "\\\\")
            .replace('(', "\\(")
            .replace(')', "\\)");
        text.push_str(&format!(" ({escaped}) Tj T*"));
    }
    text.push_str(" ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>".to_owned(),
        format!("<< /Length {} >>\nstream\n{text}\nendstream", text.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_owned(),
    ];
    let mut pdf = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, object) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n{object}\nendobj\n", i + 1).as_bytes());
    }
    let xref = pdf.len();
    pdf.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for offset in offsets {
        pdf.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    pdf.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    pdf
}

/// Attaches `bytes` as `name` to the draft `id`, as `staff` would upload it.
fn attach(
    conn: &mut DbConnection,
    staff: &Actor,
    id: &crate::domain::ids::RequestId,
    name: &str,
    bytes: &[u8],
    ctx: &Context,
) -> Result<(), AppError> {
    use sha2::{Digest, Sha256};
    use std::io::Write;
    let spool = |e: std::io::Error| AppError::Conflict(format!("the demo's file: {e}"));
    let mut file = tempfile::tempfile().map_err(spool)?;
    file.write_all(bytes).map_err(spool)?;
    let upload = requests::Upload {
        file,
        name: name.to_owned(),
        len: bytes.len() as u64,
        sha256: hex::encode(Sha256::digest(bytes)),
        head: bytes.iter().take(8192).copied().collect(),
    };
    let limits = requests::AttachmentLimits {
        max_bytes: 10 * 1024 * 1024,
        max_per_request: 20,
    };
    requests::add_attachment(
        conn,
        staff,
        id,
        upload,
        &requests::UploadChoices::default(),
        limits,
        ctx,
    )?;
    Ok(())
}

/// Files a request as `staff` on `ctx`'s day (with `files` attached to its draft), then takes
/// each step of `steps` as its actor.
fn file(
    conn: &mut DbConnection,
    staff: &Actor,
    input: &RequestInput,
    files: &[(&str, Vec<u8>)],
    steps: &[(&Actor, Payload)],
    ctx: &Context,
) -> Result<(), AppError> {
    let row = requests::create_draft(conn, staff, input, ctx)?;
    for (name, bytes) in files {
        attach(conn, staff, &row.id, name, bytes, ctx)?;
    }
    let mut by_step: Vec<(&Actor, Payload)> = vec![(staff, Payload::Submit)];
    by_step.extend(steps.iter().cloned());
    for (actor, payload) in by_step {
        let version = view(conn, actor, &row.id, ctx)?.version;
        requests::perform(
            conn,
            actor,
            &row.id,
            &TransitionInput {
                version,
                payload: payload.clone(),
            },
            ctx,
        )?;
    }
    Ok(())
}

/// The authorities who carry an approved request through: the MFA officer and the police.
struct Approvers<'a> {
    officer: &'a Actor,
    police: &'a Actor,
}

/// Files a request as `staff` on the day of `filed`, and has it approved in full that day: taken
/// and forwarded by the MFA, every measure approved by the police, the reply sent. With
/// `confirmed`, the police confirm the measures in place from their start, on that day.
fn file_approved(
    conn: &mut DbConnection,
    staff: &Actor,
    input: &RequestInput,
    by: &Approvers<'_>,
    filed: &Context,
    confirmed: Option<&Context>,
) -> Result<(), AppError> {
    let row = requests::create_draft(conn, staff, input, filed)?;
    let step = |conn: &mut DbConnection, actor: &Actor, payload: Payload, ctx: &Context| {
        let version = view(conn, actor, &row.id, ctx)?.version;
        requests::perform(
            conn,
            actor,
            &row.id,
            &TransitionInput { version, payload },
            ctx,
        )
    };
    step(conn, staff, Payload::Submit, filed)?;
    step(conn, by.officer, Payload::Take { assignee_id: None }, filed)?;
    step(conn, by.officer, Payload::ForwardToPolice, filed)?;
    let measures = view(conn, by.police, &row.id, filed)?.measures;
    let outcomes = measures
        .iter()
        .map(|m| OutcomeInput {
            measure_id: m.id.to_string(),
            outcome: "approved".into(),
            conditions: None,
            reason: None,
        })
        .collect();
    step(conn, by.police, Payload::Decide { outcomes }, filed)?;
    let reply = "The Norwegian authorities have considered the request. The measures requested are approved as set out below.";
    step(
        conn,
        by.officer,
        Payload::CommunicateDecision {
            reply: Some(reply.into()),
        },
        filed,
    )?;
    if let Some(on) = confirmed {
        let implemented = measures
            .iter()
            .map(|m| ImplementedInput {
                measure_id: m.id.to_string(),
                implemented_on: m.starts_on.unwrap_or_else(|| on.today()).to_string(),
            })
            .collect();
        step(
            conn,
            by.police,
            Payload::ConfirmImplementation { implemented },
            on,
        )?;
    }
    Ok(())
}

/// Files the demo's requests; `users` are the demo's accounts, in the order `demo` makes them.
pub fn file_all(conn: &mut DbConnection, users: &[UserRow], ctx: &Context) -> Result<(), AppError> {
    let find = |role: &str, n: usize| {
        users
            .iter()
            .filter(|u| u.role == role)
            .nth(n)
            .map(actor)
            .ok_or_else(|| AppError::Conflict(format!("the demo has no {role}")))
    };
    let (iceland, brazil) = (find("mission_staff", 0)?, find("mission_staff", 1)?);
    let officer = find("mfa_officer", 0)?;
    let today = ctx.today();
    let contact = |name: &str, email: &str| RequestInput {
        contact_name: name.into(),
        contact_phone: "+47 22 00 00 00".into(),
        contact_email: email.into(),
        ..RequestInput::default()
    };

    let reception_day = today + Duration::days(16);
    file(
        conn,
        &iceland,
        &RequestInput {
            title: "Guard at the national day reception".into(),
            justification: "The Minister for Foreign Affairs attends the reception with 300 guests. Threats against the delegation were posted online last week.".into(),
            urgency: "routine".into(),
            measures: vec![
                measure("static_guard", reception_day, Some(("17:00", "22:30")), "At the hotel entrance during the reception."),
                measure("traffic_restriction", reception_day, Some(("17:30", "18:30")), "Keep the hotel's drive clear for the arrival of the minister."),
            ],
            event: EventInput {
                name: "National day reception".into(),
                venue: "Grand Hotel".into(),
                address: "Karl Johans gate 31, 0159 Oslo".into(),
                starts_at: at(reception_day, "18:00"),
                ends_at: at(reception_day, "22:30"),
                expected_attendance: "300".into(),
            },
            protected_persons: vec![
                PersonInput {
                    name: "Þórdís Kolbrún Reykfjörð Gylfadóttir".into(),
                    position: "Minister for Foreign Affairs of Iceland".into(),
                    arrives_at: at(reception_day, "18:15"),
                    leaves_at: at(reception_day, "21:00"),
                },
                PersonInput {
                    name: "Högni Kristjánsson".into(),
                    position: "Ambassador of Iceland".into(),
                    ..PersonInput::default()
                },
            ],
            note_verbale_number: "IS-OSL 41/2026".into(),
            note_verbale_dated_on: today.to_string(),
            ..contact("Guðrún Jónsdóttir", "staff@iceland-embassy.example")
        },
        &[(
            "Site plan - Grand Hotel.pdf",
            simple_pdf(&[
                "Site plan: Grand Hotel, Karl Johans gate 31",
                "Main entrance (guests): Karl Johans gate",
                "Arrival of the minister: the hotel's drive, Rosenkrantz' gate",
                "Service entrance: closed during the reception",
            ]),
        )],
        &[],
        ctx,
    )?;

    // Filed nine days ago and never taken: its triage is overdue, and the portal escalates it.
    let nine_days_ago = Context {
        now: ctx.now - Duration::days(9),
        ..*ctx
    };
    let visit_day = today + Duration::days(12);
    file(
        conn,
        &iceland,
        &RequestInput {
            title: "Patrols during the Prime Minister's visit".into(),
            justification: "The Prime Minister of Iceland visits Oslo for two days; demonstrations have been announced outside the chancery.".into(),
            urgency: "routine".into(),
            measures: vec![MeasureInput {
                location: "chancery".into(),
                address: String::new(),
                ends_on: (visit_day + Duration::days(1)).to_string(),
                ..measure("increased_patrols", visit_day, None, "Patrols around the chancery during the visit.")
            }],
            ..contact("Guðrún Jónsdóttir", "staff@iceland-embassy.example")
        },
        &[],
        &[],
        &nine_days_ago,
    )?;

    let festival_day = today + Duration::days(8);
    file(
        conn,
        &brazil,
        &RequestInput {
            title: "Security for the independence day concert".into(),
            justification: "An open-air concert for the community, with about 2,000 people expected in the square in front of the consulate.".into(),
            urgency: "routine".into(),
            measures: vec![MeasureInput {
                address: "Christiania torv, 0158 Oslo".into(),
                ..measure("event_security", festival_day, Some(("14:00", "20:00")), "Presence at the square during the concert.")
            }],
            event: EventInput {
                name: "Independence day concert".into(),
                venue: "Christiania torv".into(),
                address: "Christiania torv, 0158 Oslo".into(),
                starts_at: at(festival_day, "15:00"),
                ends_at: at(festival_day, "19:30"),
                expected_attendance: "2000".into(),
            },
            ..contact("João Silva", "staff@brazil-consulate.example")
        },
        &[],
        &[
            (&officer, Payload::Take { assignee_id: None }),
            (&officer, Payload::ForwardToPolice),
        ],
        ctx,
    )?;

    // Approved measures across the coming weeks, for the police calendar.
    let police = find("police_liaison", 0)?;
    let by = Approvers {
        officer: &officer,
        police: &police,
    };
    let days_ago = |n: i64| Context {
        now: ctx.now - Duration::days(n),
        ..*ctx
    };
    let guard_from = today - Duration::days(20);
    file_approved(
        conn,
        &iceland,
        &RequestInput {
            title: "Static guard at the chancery".into(),
            justification: "Repeated threats against the embassy since the summer; a guard is needed until the situation is reassessed.".into(),
            urgency: "urgent".into(),
            measures: vec![MeasureInput {
                location: "chancery".into(),
                address: String::new(),
                ends_on: String::new(),
                ..measure("static_guard", guard_from, None, "A guard at the chancery's entrance, day and night.")
            }],
            ..contact("Guðrún Jónsdóttir", "staff@iceland-embassy.example")
        },
        &by,
        &days_ago(24),
        Some(&days_ago(20)),
    )?;
    let patrols_from = today + Duration::days(3);
    file_approved(
        conn,
        &brazil,
        &RequestInput {
            title: "Night patrols during the trade delegation".into(),
            justification: "A trade delegation of 40 stays at the consul general's residence; the street has seen break-ins at night.".into(),
            urgency: "routine".into(),
            measures: vec![MeasureInput {
                location: "residence".into(),
                address: String::new(),
                ends_on: (patrols_from + Duration::days(7)).to_string(),
                ..measure("increased_patrols", patrols_from, Some(("22:00", "06:00")), "Patrols past the residence through the night.")
            }],
            ..contact("João Silva", "staff@brazil-consulate.example")
        },
        &by,
        &days_ago(14),
        Some(&days_ago(2)),
    )?;
    let visit_from = today + Duration::days(20);
    file_approved(
        conn,
        &iceland,
        &RequestInput {
            title: "Escort for the Speaker of the Althing".into(),
            justification: "The Speaker of the Althing visits the Storting for three days.".into(),
            urgency: "routine".into(),
            measures: vec![MeasureInput {
                ends_on: (visit_from + Duration::days(2)).to_string(),
                address: "Karl Johans gate 22, 0026 Oslo".into(),
                ..measure(
                    "personal_protection",
                    visit_from,
                    Some(("07:30", "23:00")),
                    "Escort between the hotel and the Storting.",
                )
            }],
            ..contact("Guðrún Jónsdóttir", "staff@iceland-embassy.example")
        },
        &by,
        &days_ago(1),
        None,
    )?;
    Ok(())
}
