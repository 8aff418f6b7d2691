//! The life-cycle diagram cannot drift from the code: `docs/life-cycle.svg` must be the drawing
//! of the table as `protection-portal workflow --dot` prints it now.

use std::collections::BTreeMap;
use std::process::Command;

use crate::helpers::crate_dir;

const REDRAW: &str = "redraw it: cargo run -q -- workflow --dot | dot -Tsvg > docs/life-cycle.svg";

fn workflow(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_protection-portal"))
        .arg("workflow")
        .args(args)
        .output()
        .expect("run protection-portal workflow");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

/// Counts of each (from, to) arrow.
fn count(pairs: impl IntoIterator<Item = (String, String)>) -> BTreeMap<(String, String), usize> {
    let mut counts = BTreeMap::new();
    for pair in pairs {
        *counts.entry(pair).or_default() += 1;
    }
    counts
}

#[test]
fn the_checked_in_diagram_is_drawn_from_the_table_as_it_is() {
    let dot = workflow(&["--dot"]);
    let mark = protection_portal::diagram::DIGEST_MARK;
    let digest = dot
        .lines()
        .find_map(|l| l.trim().strip_prefix(&format!("comment=\"{mark}")))
        .and_then(|rest| rest.strip_suffix("\";"))
        .expect("the graph carries its digest")
        .to_owned();
    assert_eq!(digest.len(), 64, "{digest}");

    let svg = std::fs::read_to_string(crate_dir().join("docs/life-cycle.svg"))
        .unwrap_or_else(|e| panic!("docs/life-cycle.svg: {e}; {REDRAW}"));
    assert!(
        svg.contains(&format!("<!-- {mark}{digest} -->")),
        "docs/life-cycle.svg was drawn from another life-cycle table than the code's; {REDRAW}"
    );

    // And the drawing holds every arrow of the graph, once for each time the graph has it.
    let in_dot = count(dot.lines().filter_map(|l| {
        let (from, rest) = l.trim().split_once(" -> ")?;
        let to = rest.split_whitespace().next()?;
        Some((from.to_owned(), to.to_owned()))
    }));
    let in_svg = count(svg.lines().filter_map(|l| {
        let title = l.strip_prefix("<title>")?.strip_suffix("</title>")?;
        let (from, to) = title.split_once("&#45;&gt;")?;
        Some((from.to_owned(), to.to_owned()))
    }));
    assert!(in_dot.len() > 20, "{in_dot:?}");
    assert_eq!(in_svg, in_dot, "{REDRAW}");
    for state in ["draft", "pst_review", "in_effect", "ended"] {
        assert!(svg.contains(&format!("<title>{state}</title>")), "{state}");
    }
    assert!(svg.contains("mission sees: Under assessment"));
}

#[test]
fn the_table_prints_every_step_with_who_takes_it() {
    let table = workflow(&[]);
    let lines: Vec<&str> = table.lines().collect();
    assert!(lines[0].starts_with("action"), "{table}");
    assert!(
        lines
            .iter()
            .any(|l| l.split_whitespace().collect::<Vec<_>>()
                == [
                    "forward_to_police",
                    "in_triage",
                    "police_review",
                    "mfa_officer",
                    "ForwardedToPolice,",
                    "UnderAssessment"
                ]),
        "{table}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("end_measures") && l.contains(" portal ")),
        "{table}"
    );
    assert_eq!(
        lines.len(),
        1 + protection_portal::domain::workflow::RULES.len()
    );
}
