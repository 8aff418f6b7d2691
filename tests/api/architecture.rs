//! The layout as rules: the arrows between layers point one way, presenters get only what the
//! disclosure module handed them, domain modules import each other without a circle, and no
//! application file outgrows a reader. Read from the source, so a change that breaks one fails.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::helpers::crate_dir;

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).expect("source folder") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            found.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
    found.sort();
    found
}

/// The code of a file without its comments and its unit tests (tests may reach anywhere).
fn code_of(path: &Path) -> String {
    let text = std::fs::read_to_string(path).expect("source file");
    let text = match text.find("#[cfg(test)]") {
        Some(i) => &text[..i],
        None => &text[..],
    };
    text.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn src(folder: &str) -> Vec<PathBuf> {
    rust_files(&crate_dir().join("src").join(folder))
}

fn offenders(files: &[PathBuf], forbidden: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    for f in files {
        let code = code_of(f);
        for word in forbidden {
            if code.contains(word) {
                found.push(format!(
                    "{} uses {word}",
                    f.strip_prefix(crate_dir()).unwrap().display()
                ));
            }
        }
    }
    found
}

#[test]
fn the_arrows_point_from_web_to_app_to_domain_and_db_and_never_back() {
    let mut wrong = offenders(
        &src("domain"),
        &[
            "crate::app",
            "crate::db",
            "crate::web",
            "crate::notify",
            "diesel",
            "actix",
        ],
    );
    wrong.extend(offenders(
        &src("db"),
        &["crate::app", "crate::web", "crate::notify", "actix"],
    ));
    wrong.extend(offenders(&src("app"), &["crate::web", "actix"]));
    assert!(
        wrong.is_empty(),
        "arrows pointing back:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn presenters_render_redacted_views_and_never_stored_rows() {
    // A page, an API answer or an e-mail gets a request only as the application layer's view,
    // which `domain::disclosure` has already redacted for its reader.
    let rows = [
        "RequestRow",
        "MeasureRow",
        "MessageRow",
        "AssessmentRow",
        "EventRow",
        "PersonRow",
    ];
    let mut presenters = src("web");
    presenters.extend(src("notify"));
    let wrong = offenders(&presenters, &rows);
    assert!(
        wrong.is_empty(),
        "presenters reading rows:\n{}",
        wrong.join("\n")
    );
    // And the views carry no stored row: every public field of a view is a redacted value.
    for view in ["view.rs", "list.rs"] {
        let path = crate_dir().join("src/app/requests").join(view);
        let code = code_of(&path);
        for line in code.lines().filter(|l| l.trim_start().starts_with("pub ")) {
            if line.contains(':') && !line.contains("fn ") {
                for row in rows {
                    assert!(
                        !line.contains(row),
                        "{view}: a view field holds a row: {line}"
                    );
                }
            }
        }
    }
}

#[test]
fn domain_modules_import_each_other_without_a_circle() {
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let modules: Vec<String> = src("domain")
        .iter()
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .filter(|m| m != "mod")
        .collect();
    for m in &modules {
        let code = code_of(&crate_dir().join(format!("src/domain/{m}.rs")));
        let used = edges.entry(m.clone()).or_default();
        for other in &modules {
            if other != m
                && (code.contains(&format!("super::{other}::"))
                    || code.contains(&format!("super::{other};"))
                    || code.contains(&format!("crate::domain::{other}")))
            {
                used.insert(other.clone());
            }
        }
    }
    // Depth-first search for a back edge.
    fn visit(
        m: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|p| p == m) {
            let mut circle = path[i..].to_vec();
            circle.push(m.to_owned());
            return Some(circle);
        }
        if done.contains(m) {
            return None;
        }
        path.push(m.to_owned());
        for next in edges.get(m).into_iter().flatten() {
            if let Some(c) = visit(next, edges, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(m.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    for m in &modules {
        if let Some(circle) = visit(m, &edges, &mut Vec::new(), &mut done) {
            panic!("domain modules import in a circle: {}", circle.join(" → "));
        }
    }
    // The check sees imports at all: the workflow table names its notices.
    assert!(edges["workflow"].contains("notification"));
}

#[test]
fn no_application_file_outgrows_a_reader() {
    for f in src("app") {
        let lines = std::fs::read_to_string(&f).unwrap().lines().count();
        assert!(
            lines <= 600,
            "{} has {lines} lines; split it by verb",
            f.strip_prefix(crate_dir()).unwrap().display()
        );
    }
}
