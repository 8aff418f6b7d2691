//! Development only: fills a database with many missions, people and requests spread over
//! every state of the life cycle, with their measures, timelines and messages — for
//! benchmarks and for trying the queues at scale (`protection-portal seed`, hidden from
//! `--help`). It refuses a database that already holds requests it did not make.

use chrono::{Datelike, Duration, NaiveDateTime};
use secrecy::SecretString;

use crate::app::missions::{MissionInput, create_mission};
use crate::app::{Acting, AppError};
use crate::auth::password::HashCost;
use crate::db::search::{Document, NewDocument, Source};
use crate::db::seed::{self, SeedEvent, SeedMeasure, SeedMessage, SeedRequest, SeedStage};
use crate::db::{self, DbConnection};
use crate::domain::deadlines::{self, History, Rules};
use crate::domain::statistics::stage_records;
use crate::domain::time::oslo_date;
use crate::domain::workflow::State;

/// The authenticator key of every seeded account (RFC 6238's well-known test key, base32).
pub const SEEDED_TOTP_SECRET: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

/// What to make.
#[derive(Debug, Clone)]
pub struct Plan {
    pub requests: u64,
    /// Over how many missions (one staff member each).
    pub missions: usize,
    /// Requests per transaction.
    pub batch: u64,
    /// Every request in this state; spread over every state when `None`.
    pub only: Option<State>,
}

/// What was made.
#[derive(Debug, Clone)]
pub struct Seeded {
    pub missions: usize,
    pub people: usize,
    pub requests: u64,
    /// Sign-ins for trying it out: (e-mail, role); every password is `password`, every
    /// authenticator key `SEEDED_TOTP_SECRET`.
    pub sign_ins: Vec<(String, &'static str)>,
}

/// The path each state's requests took, as (action, to-state) after `create` — so that
/// timelines, versions and flags agree with the state.
fn path_to(state: State) -> &'static [(&'static str, State)] {
    use State::*;
    const SUBMIT: (&str, State) = ("submit", Submitted);
    const TAKE: (&str, State) = ("take", InTriage);
    const FORWARD: (&str, State) = ("forward_to_police", PoliceReview);
    const DECIDE: (&str, State) = ("decide", Decided);
    match state {
        Draft => &[],
        Submitted => &[SUBMIT],
        InTriage => &[SUBMIT, TAKE],
        AwaitingMission => &[SUBMIT, TAKE, ("request_information", AwaitingMission)],
        PoliceReview => &[SUBMIT, TAKE, FORWARD],
        PstReview => &[SUBMIT, TAKE, FORWARD, ("refer_to_pst", PstReview)],
        Decided => &[SUBMIT, TAKE, FORWARD, DECIDE],
        Approved => &[
            SUBMIT,
            TAKE,
            FORWARD,
            DECIDE,
            ("communicate_decision", Approved),
        ],
        Declined => &[
            SUBMIT,
            TAKE,
            FORWARD,
            DECIDE,
            ("communicate_decision", Declined),
        ],
        Rejected => &[SUBMIT, TAKE, ("reject", Rejected)],
        Withdrawn => &[SUBMIT, ("withdraw", Withdrawn)],
        InEffect => &[
            SUBMIT,
            TAKE,
            FORWARD,
            DECIDE,
            ("communicate_decision", Approved),
            ("confirm_implementation", InEffect),
        ],
        Ended => &[
            SUBMIT,
            TAKE,
            FORWARD,
            DECIDE,
            ("communicate_decision", Approved),
            ("confirm_implementation", InEffect),
            ("end_measures", Ended),
        ],
    }
}

/// Which role acts each step (for the timeline's actor).
fn actor_for<'a>(action: &str, p: &'a People, mission: usize, i: u64) -> &'a str {
    let pick = |list: &'a [String]| list[(i as usize) % list.len()].as_str();
    match action {
        "submit" | "withdraw" | "provide_information" => p.staff[mission].as_str(),
        "take" | "request_information" | "reject" | "communicate_decision" => pick(&p.mfa),
        "submit_assessment" => pick(&p.pst),
        _ => pick(&p.police),
    }
}

struct People {
    missions: Vec<String>,
    staff: Vec<String>,
    mfa: Vec<String>,
    police: Vec<String>,
    pst: Vec<String>,
}

/// Seeds `plan.requests` requests (all in state `plan.only`, when given, or spread over every
/// state) over `plan.missions` missions (one staff member each) and five MFA
/// officers, three police liaisons and three PST analysts, in batches of `batch` requests per
/// transaction. Requests are spread over the years before `now`, so that references stay
/// within five digits a year.
/// Every seeded measure's description.
const MEASURE_DESCRIPTION: &str = "Around the clock during the visit";

/// What prompts seeded request `i`: one of a few common texts; four requests (the same four at
/// every size of ten thousand or more) name a person nobody else does, a rare word for measuring
/// search whose matches do not grow with the database; and one request in ten thousand names
/// another, an uncommon word whose matches do.
fn justification_of(i: u64) -> &'static str {
    const COMMON: [&str; 6] = [
        "Threats against the chancery were received this week by e-mail.",
        "A demonstration outside the residence is announced for Saturday.",
        "The minister of foreign affairs visits Oslo for talks at the Storting.",
        "Leaflets against the embassy were found near the main entrance.",
        "A reception for the national day is held at the residence with 300 guests.",
        "The delegation from Reykjavik arrives at Gardermoen late in the evening.",
    ];
    if i < 10_000 && i % 2_500 == 7 {
        "A letter threatening Guðrún Sigurðardóttir, the first secretary, was delivered by hand."
    } else if i % 10_000 == 9 {
        "Þórhallur Þórhallsson, the defence attaché, reports being followed from the residence."
    } else {
        COMMON[(i % COMMON.len() as u64) as usize]
    }
}

pub fn seed(
    conn: &mut DbConnection,
    plan: &Plan,
    cost: HashCost,
    now: NaiveDateTime,
    progress: &mut dyn FnMut(u64),
) -> Result<Seeded, AppError> {
    let Plan {
        requests,
        missions,
        batch,
        only,
    } = *plan;
    let existing = db::requests::count_all(conn)?;
    let seeded_before = seed::seeded_before(conn)?;
    if existing > 0 && !seeded_before {
        return Err(AppError::Conflict(
            "this database holds requests that were not seeded; seed an empty one".into(),
        ));
    }
    let run = uuid::Uuid::new_v4().simple().to_string()[..6].to_owned();
    let acting = Acting::command_line();
    let password = SecretString::from("password".to_owned());
    let mut people = People {
        missions: Vec::new(),
        staff: Vec::new(),
        mfa: Vec::new(),
        police: Vec::new(),
        pst: Vec::new(),
    };
    let mut sign_ins = Vec::new();
    // One hash for every seeded account (the password is "password", which the common-password
    // list refuses for real accounts: these are inserted directly, not through the rules).
    let hash = crate::auth::password::hash(&password, cost);
    let mut add_user = |conn: &mut DbConnection,
                        role: &'static str,
                        mission: Option<&str>,
                        n: usize|
     -> Result<String, AppError> {
        let id = db::new_id();
        let email = format!("{}.{n}.{run}@seed.example", role.replace('_', "-"));
        let name = format!("Seeded {} {n}", role.replace('_', " "));
        db::users::insert(
            conn,
            &db::users::NewUser {
                id: &id,
                email: &email,
                name: &name,
                role,
                mission_id: mission,
                clearance: if role == "mission_staff" {
                    "none"
                } else {
                    "secret"
                },
                password_hash: Some(&hash),
                password_changed_at: Some(now),
                active: true,
                created_at: now,
                updated_at: now,
            },
        )?;
        // The second factor is set up with a published key, so that benchmarks can sign in
        // without enrolling: another reason these accounts are for development only.
        let sealed = crate::auth::keys::current()
            .seal(&crate::auth::keys::totp_context(&id), SEEDED_TOTP_SECRET);
        db::users::confirm_totp(conn, &id, &sealed, 0, now)?;
        sign_ins.push((email, role));
        Ok(id)
    };
    let mut mission_names = Vec::with_capacity(missions);
    for m in 0..missions {
        mission_names.push(format!("Seeded mission {} ({run})", m + 1));
        let mission = create_mission(
            conn,
            &acting,
            &MissionInput {
                name: mission_names[m].clone(),
                country: "IS".into(),
                kind: "embassy".into(),
            },
            now,
        )?;
        people
            .staff
            .push(add_user(conn, "mission_staff", Some(&mission.id), m + 1)?);
        people.missions.push(mission.id);
    }
    for n in 1..=5 {
        people.mfa.push(add_user(conn, "mfa_officer", None, n)?);
    }
    for n in 1..=3 {
        people
            .police
            .push(add_user(conn, "police_liaison", None, n)?);
        people.pst.push(add_user(conn, "pst_analyst", None, n)?);
    }

    // Spread over two to twelve years back, at most 90,000 a year: at least the longest period
    // the statistics show (24 months), so that every size fills the period it is measured on.
    let years = requests.div_ceil(90_000).clamp(2, 12) as i64;
    let span_minutes = years * 365 * 24 * 60;
    let mut counters: std::collections::BTreeMap<i32, i32> = std::collections::BTreeMap::new();
    let mut done = 0u64;
    while done < requests {
        let n = batch.min(requests - done);
        let mut rows = Vec::with_capacity(n as usize);
        let mut measures = Vec::with_capacity(2 * n as usize);
        let mut events = Vec::new();
        let mut messages = Vec::new();
        let mut documents = Vec::with_capacity(n as usize);
        let mut stages = Vec::with_capacity(2 * n as usize);
        for k in 0..n {
            let i = done + k;
            let state = only.unwrap_or(State::ALL[(i % State::ALL.len() as u64) as usize]);
            let mission = (i as usize) % missions;
            let created = now
                - Duration::minutes(span_minutes * (requests - i) as i64 / requests as i64)
                - Duration::days(1);
            let id = db::new_id();
            let steps = path_to(state);
            let year = created.year();
            let reference = if state == State::Draft {
                None
            } else {
                let seq = match counters.entry(year) {
                    std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
                    std::collections::btree_map::Entry::Vacant(e) => {
                        e.insert(seed::reference_counter(conn, year)?)
                    }
                };
                *seq += 1;
                Some(format!("{year}/{:05}", *seq))
            };
            // Steps an hour apart, or — for requests older than a month — up to 53 hours
            // apart, so that stages take from none to several working days.
            let spread = if now - created > Duration::days(30) {
                1 + (i * 7 % 53) as i64
            } else {
                1
            };
            let at = |step: usize| created + Duration::hours(step as i64 * spread);
            events.push(SeedEvent {
                id: db::new_id(),
                request_id: id.clone(),
                at: created,
                actor_id: Some(people.staff[mission].clone()),
                action: "create",
                from_state: None,
                to_state: State::Draft.code(),
                mission_visible: true,
            });
            let mut from: Option<&'static str> = Some(State::Draft.code());
            for (s, (action, to)) in steps.iter().enumerate() {
                events.push(SeedEvent {
                    id: db::new_id(),
                    request_id: id.clone(),
                    at: at(s + 1),
                    actor_id: Some(actor_for(action, &people, mission, i).to_owned()),
                    action,
                    from_state: from,
                    to_state: to.code(),
                    mission_visible: from
                        .and_then(|f| f.parse::<State>().ok())
                        .is_none_or(|f| f.mission_status() != to.mission_status()),
                });
                from = Some(to.code());
            }
            let went = |a: &str| steps.iter().any(|(x, _)| *x == a);
            let justification = justification_of(i);
            let title = format!("Seeded request {i} — guard during the visit");
            let document = Document::of(&Source {
                reference: reference.as_deref(),
                title: &title,
                mission_name: &mission_names[mission],
                mission_id: &people.missions[mission],
                justification,
                event: None,
                descriptions: &[
                    MEASURE_DESCRIPTION.to_owned(),
                    MEASURE_DESCRIPTION.to_owned(),
                ],
                submitted: state != State::Draft,
                reached_police: went("forward_to_police"),
                referred_to_pst: went("refer_to_pst"),
            });
            documents.push(NewDocument {
                request_id: id.clone(),
                mission_id: people.missions[mission].clone(),
                heading: document.heading,
                body: document.body,
                scope: document.scope,
            });
            let decided = went("decide");
            let approved = matches!(state, State::Approved | State::InEffect | State::Ended);
            rows.push(SeedRequest {
                id: id.clone(),
                mission_id: people.missions[mission].clone(),
                reference,
                state: state.code(),
                version: 1 + steps.len() as i32,
                title,
                justification,
                urgency: if i % 5 == 0 { "urgent" } else { "routine" },
                contact_name: "Guðrún Jónsdóttir",
                contact_phone: "+354 555 0100",
                contact_email: "contact@seed.example",
                created_by: people.staff[mission].clone(),
                assigned_officer_id: went("take")
                    .then(|| people.mfa[(i as usize) % people.mfa.len()].clone()),
                reached_police: went("forward_to_police"),
                referred_to_pst: went("refer_to_pst"),
                referred_by: went("refer_to_pst")
                    .then(|| people.police[(i as usize) % people.police.len()].clone()),
                reply: went("communicate_decision")
                    .then_some("The Ministry confirms the measures."),
                created_at: created,
                updated_at: at(steps.len()),
                submitted_at: went("submit").then(|| at(1)),
                decided_at: decided.then(|| at(4)),
                closed_at: state.is_final().then(|| at(steps.len())),
            });
            let day = created.date() + Duration::days(2);
            // The stage records every step would have written, counted from this path.
            let on_step = |names: &[&str]| {
                steps
                    .iter()
                    .position(|(a, _)| names.contains(a))
                    .map(|s| oslo_date(at(s + 1)))
            };
            if let Some(submitted_on) = on_step(&["submit"]) {
                let h = History {
                    needed_by: day,
                    urgent: i % 5 == 0,
                    submitted_on,
                    triaged_on: on_step(&["forward_to_police", "request_information", "reject"]),
                    forwarded_on: on_step(&["forward_to_police"]),
                    referred_on: on_step(&["refer_to_pst"]),
                    pst_due_on: None,
                    assessed_on: None,
                    decided_on: on_step(&["decide"]),
                    replied_on: on_step(&["communicate_decision"]),
                    waits: on_step(&["request_information"])
                        .map(|from| vec![(from, None)])
                        .unwrap_or_default(),
                };
                let list = deadlines::deadlines(&h, &Rules::default(), oslo_date(now));
                for r in stage_records(&h, &list, state) {
                    stages.push(SeedStage {
                        request_id: id.clone(),
                        stage: r.stage.code(),
                        began_on: r.began_on,
                        due_on: r.due_on,
                        ended_on: r.ended_on,
                        working_days: r.working_days.map(|d| d as i32),
                        reached_police: went("forward_to_police"),
                    });
                }
            }
            for (position, (kind, location)) in [
                ("static_guard", "chancery"),
                ("increased_patrols", "residence"),
            ]
            .into_iter()
            .enumerate()
            {
                measures.push(SeedMeasure {
                    id: db::new_id(),
                    request_id: id.clone(),
                    position: position as i32,
                    kind: Some(kind),
                    location: Some(location),
                    starts_on: Some(day),
                    ends_on: Some(day + Duration::days(30)),
                    description: MEASURE_DESCRIPTION,
                    outcome: decided.then_some(if state == State::Declined {
                        "declined"
                    } else {
                        "approved"
                    }),
                    implemented_on: (approved && state != State::Approved).then_some(day),
                    calendar_until: approved.then_some(day + Duration::days(30)),
                });
            }
            if went("take") {
                messages.push(SeedMessage {
                    id: db::new_id(),
                    request_id: id.clone(),
                    author_id: people.staff[mission].clone(),
                    visibility: "external",
                    classification: "unclassified",
                    body: "The visit has been confirmed for next week.",
                    created_at: at(2),
                });
            }
        }
        db::write(conn, |conn| {
            seed::insert_requests(conn, &rows)?;
            seed::insert_measures(conn, &measures)?;
            seed::insert_events(conn, &events)?;
            seed::insert_messages(conn, &messages)?;
            seed::insert_documents(conn, &documents)?;
            seed::insert_stages(conn, &stages)?;
            Ok::<_, AppError>(())
        })?;
        done += n;
        progress(done);
    }
    db::write(conn, |conn| {
        for (year, last) in &counters {
            seed::advance_reference_counter(conn, *year, *last)?;
        }
        Ok::<_, AppError>(())
    })?;
    // The requests, measures and stages went in by the engines' own bulk loads: the
    // statistics' sums are made from them once.
    db::write(conn, |conn| {
        crate::db::statistics::recount(conn).map_err(AppError::from)
    })?;
    crate::db::search::analyze(conn)?;
    crate::db::statistics::analyze(conn)?;
    Ok(Seeded {
        missions,
        people: people.staff.len() + people.mfa.len() + people.police.len() + people.pst.len(),
        requests,
        sign_ins,
    })
}
