//! The life cycle drawn from its table: `protection-portal workflow --dot` prints
//! `domain::workflow::RULES` as a Graphviz graph — one node per state with the status a mission
//! sees beside it, one arrow per step and state it starts from, coloured by who takes it — and
//! `docs/life-cycle.svg` is rendered from that output. The graph carries a digest of itself
//! (`comment`, which Graphviz copies into the SVG), so a test can tell whether the checked-in
//! picture was drawn from the table as it is now.

use std::fmt::Write as _;

use sha2::{Digest, Sha256};

use crate::domain::Role;
use crate::domain::workflow::{By, MissionStatus, RULES, State, Target, discardable};

/// The mark in the graph's comment (and so in the SVG) before the digest.
pub const DIGEST_MARK: &str = "life cycle table sha256:";

/// The colours of who acts, from Okabe and Ito's palette (told apart with every common form of
/// colour blindness), and the portal's own steps grey and dashed.
fn colour(by: By) -> (&'static str, &'static str, &'static str) {
    match by {
        By::Role(Role::MissionStaff) => ("#0072B2", "solid", "mission staff"),
        By::Role(Role::MfaOfficer) => ("#009E73", "solid", "MFA officer"),
        By::Role(Role::PoliceLiaison) => ("#D55E00", "solid", "police liaison"),
        By::Role(Role::PstAnalyst) => ("#CC79A7", "solid", "PST analyst"),
        By::Role(_) => ("#000000", "solid", "other"),
        By::Portal => ("#666666", "dashed", "the portal itself"),
    }
}

/// Who acts, in the order of the legend.
const PERFORMERS: [By; 5] = [
    By::Role(Role::MissionStaff),
    By::Role(Role::MfaOfficer),
    By::Role(Role::PoliceLiaison),
    By::Role(Role::PstAnalyst),
    By::Portal,
];

/// The mission-facing statuses a state shows as ("Approved / Partly approved").
fn mission_sees(state: State) -> String {
    MissionStatus::ALL
        .into_iter()
        .filter(|m| m.states().contains(&state))
        .map(|m| m.label())
        .collect::<Vec<_>>()
        .join(" / ")
}

/// One arrow of the graph: from, to, the step's code, a note, who takes it.
struct Arrow {
    from: String,
    to: String,
    label: String,
    by: By,
}

/// Every arrow the table draws, in the table's order; `create` and `discard`, which are not
/// state changes of the table, are drawn from the start and to the end.
fn arrows() -> Vec<Arrow> {
    let mut out = vec![Arrow {
        from: "start".into(),
        to: State::Draft.code().into(),
        label: "create".into(),
        by: By::Role(Role::MissionStaff),
    }];
    for rule in &RULES {
        for from in rule.from {
            let targets: Vec<(State, &str)> = match rule.to {
                Target::To(to) => vec![(to, "")],
                Target::Same => vec![(*from, "")],
                Target::ApprovedOrDeclined => vec![
                    (State::Approved, "\\n(a measure approved)"),
                    (State::Declined, "\\n(none approved)"),
                ],
            };
            for (to, note) in targets {
                out.push(Arrow {
                    from: from.code().into(),
                    to: to.code().into(),
                    label: format!("{}{note}", rule.action.code()),
                    by: rule.by,
                });
            }
        }
    }
    for state in State::ALL.into_iter().filter(|s| discardable(*s)) {
        out.push(Arrow {
            from: state.code().into(),
            to: "deleted".into(),
            label: "discard".into(),
            by: By::Role(Role::MissionStaff),
        });
    }
    out
}

/// The graph's body, without its digest.
fn body() -> String {
    let mut g = String::new();
    let _ = writeln!(g, "  rankdir=TB;");
    let _ = writeln!(g, "  nodesep=0.5; ranksep=0.55;");
    let _ = writeln!(
        g,
        "  node [shape=box, style=\"rounded\", fontname=\"DejaVu Sans\", fontsize=11];"
    );
    let _ = writeln!(g, "  edge [fontname=\"DejaVu Sans\", fontsize=9];");
    let _ = writeln!(
        g,
        "  start [shape=circle, label=\"\", width=0.2, style=filled, fillcolor=black];"
    );
    let _ = writeln!(
        g,
        "  deleted [shape=doublecircle, label=\"\", width=0.15, style=filled, fillcolor=black];"
    );
    for state in State::ALL {
        let border = if state.is_final() {
            ", peripheries=2"
        } else {
            ""
        };
        let _ = writeln!(
            g,
            "  {} [label=\"{}\\n({})\\nmission sees: {}\"{border}];",
            state.code(),
            state.label(),
            state.code(),
            mission_sees(state)
        );
    }
    for arrow in arrows() {
        let (colour, style, _) = colour(arrow.by);
        let _ = writeln!(
            g,
            "  {} -> {} [label=\"{}\", color=\"{colour}\", fontcolor=\"{colour}\", style={style}];",
            arrow.from, arrow.to, arrow.label
        );
    }
    let mut legend = String::new();
    for by in PERFORMERS {
        let (colour, style, who) = colour(by);
        let line = if style == "dashed" {
            "- - - -"
        } else {
            "———"
        };
        let _ = write!(
            legend,
            "<tr><td align=\"left\"><font color=\"{colour}\">{line} {who}</font></td></tr>"
        );
    }
    let _ = writeln!(
        g,
        "  legend [shape=plaintext, label=<<table border=\"0\" cellborder=\"0\"><tr><td align=\"left\"><b>Who takes the step</b></td></tr>{legend}</table>>];"
    );
    g
}

/// The digest of the graph's body: what the checked-in SVG must carry.
pub fn digest() -> String {
    Sha256::digest(body().as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The life cycle as a Graphviz graph (`dot -Tsvg` draws it).
pub fn dot() -> String {
    format!(
        "// The life cycle of a request, drawn from its table (protection-portal workflow --dot).\n\
         digraph life_cycle {{\n  comment=\"{DIGEST_MARK}{}\";\n{}}}\n",
        digest(),
        body()
    )
}

/// The life cycle as a text table: each step, the states it starts from, where it leads, who
/// takes it and whom it tells.
pub fn table() -> String {
    let mut rows = vec![[
        "action".to_owned(),
        "from".to_owned(),
        "to".to_owned(),
        "who".to_owned(),
        "tells".to_owned(),
    ]];
    for rule in &RULES {
        let from: Vec<&str> = rule.from.iter().map(|s| s.code()).collect();
        let to = match rule.to {
            Target::To(state) => state.code().to_owned(),
            Target::Same => "(same)".to_owned(),
            Target::ApprovedOrDeclined => "approved | declined".to_owned(),
        };
        let who = match rule.by {
            By::Role(role) => role.code().to_owned(),
            By::Portal => "portal".to_owned(),
        };
        let tells: Vec<String> = rule.notices.iter().map(|n| format!("{n:?}")).collect();
        rows.push([
            rule.action.code().to_owned(),
            from.join(", "),
            to,
            who,
            tells.join(", "),
        ]);
    }
    let widths: Vec<usize> = (0..5)
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for row in rows {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        let _ = writeln!(out, "{}", cells.join("  ").trim_end());
    }
    out
}

/// The arrows as (from, to) pairs of state codes, for checking a drawing against the table.
pub fn edges() -> Vec<(String, String)> {
    arrows().into_iter().map(|a| (a.from, a.to)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_and_step_of_the_table_is_drawn() {
        let dot = dot();
        for state in State::ALL {
            assert!(
                dot.contains(&format!("  {} [label=", state.code())),
                "{state:?}"
            );
        }
        for rule in &RULES {
            assert!(
                dot.contains(&format!("label=\"{}", rule.action.code())),
                "{:?}",
                rule.action
            );
        }
        // Withdrawing starts from six states; each is an arrow of its own.
        assert_eq!(dot.matches("label=\"withdraw\"").count(), 6);
        assert!(dot.contains("in_effect [label=\"In effect\\n(in_effect)\\nmission sees: Measures scheduled / Measures in place\""));
        assert!(dot.contains(&format!("comment=\"{DIGEST_MARK}{}\"", digest())));
    }
}
