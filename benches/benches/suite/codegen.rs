//! Codegen: how long `cargo xtask codegen` and `cargo xtask codegen --check` take with the
//! xtask already built and the specs pulled from `../shared/hubspot-specs`, run from the
//! workspace root as a developer runs them. Regenerating must leave `codegen/` byte for
//! byte as it was: it runs only after `--check` found nothing to change, and the suite stops
//! at the first change.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use hubspot_crm_benches::{Met, Row, median};

use crate::Figure;

const SPECS: &str = "../shared/hubspot-specs";
const RUNS: usize = 3;

pub fn run(quick: bool) -> Figure {
    let mut figure = Figure::default();
    let regen = "codegen: `cargo xtask codegen` (xtask built)";
    let check = "codegen: `cargo xtask codegen --check` / regenerating";
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace root")
        .to_path_buf();
    if quick {
        println!("   skipped in a quick run");
        for name in [regen, check] {
            figure.rows.push(Row::skipped(name, "skipped (quick run)"));
        }
        return figure;
    }
    if !root.join(SPECS).is_dir() {
        println!("   skipped: {SPECS} is absent");
        for name in [regen, check] {
            figure
                .rows
                .push(Row::skipped(name, format!("skipped ({SPECS} absent)")));
        }
        return figure;
    }

    // Untimed: the xtask built and the specs pulled, as CI does before its check.
    for args in [
        &["build", "--quiet", "-p", "xtask"][..],
        &["xtask", "specs", "pull", "--from", SPECS],
    ] {
        if let Err(e) = cargo(&root, args) {
            figure.failures.push(e);
            return figure;
        }
    }
    let before = snapshot(&root.join("codegen"));
    let status_before = git_status(&root);
    println!("   git status --short codegen/ before: {status_before:?}");

    // Regenerating writes into codegen/: it runs only once `--check` has found nothing it
    // would change.
    let started = Instant::now();
    if let Err(stale) = cargo(&root, &["xtask", "codegen", "--check"]) {
        let check_s = started.elapsed().as_secs_f64();
        println!("   `cargo xtask codegen --check` failed in {check_s:.2} s: {stale}");
        println!("   not regenerating: it would rewrite codegen/");
        figure.rows.push(Row::skipped(
            regen,
            "not run: `--check` fails, regenerating would rewrite codegen/",
        ));
        figure.rows.push(Row {
            figure: check.into(),
            value: format!("{check_s:.2} s (failed: stale)"),
            baseline: "—".into(),
            ratio: None,
            goal: "—".into(),
            met: Met::Skipped,
        });
        return figure;
    }
    let mut times: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    times
        .entry("check")
        .or_default()
        .push(started.elapsed().as_secs_f64());
    for run in 0..RUNS {
        let started = Instant::now();
        let outcome = cargo(&root, &["xtask", "codegen"]);
        times
            .entry("regen")
            .or_default()
            .push(started.elapsed().as_secs_f64());
        if let Err(e) = outcome {
            figure.failures.push(e);
            return figure;
        }
        if let Some(changed) = changes(&before, &snapshot(&root.join("codegen"))) {
            figure.failures.push(format!(
                "`cargo xtask codegen` changed generated files: {changed}"
            ));
            return figure;
        }
        if run + 1 < RUNS {
            let started = Instant::now();
            if let Err(e) = cargo(&root, &["xtask", "codegen", "--check"]) {
                figure.failures.push(e);
                return figure;
            }
            times
                .entry("check")
                .or_default()
                .push(started.elapsed().as_secs_f64());
        }
    }
    let status_after = git_status(&root);
    println!("   git status --short codegen/ after: {status_after:?}");
    if status_after != status_before {
        figure.failures.push(format!(
            "git status of codegen/ went from {status_before:?} to {status_after:?}"
        ));
    }
    let regen_s = median(&times["regen"]);
    let check_s = median(&times["check"]);
    let list = |v: &[f64]| {
        v.iter()
            .map(|s| format!("{s:.2}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    println!(
        "   regen runs {} s; check runs {} s; codegen/ unchanged",
        list(&times["regen"]),
        list(&times["check"])
    );
    figure.rows.push(Row {
        figure: format!("{regen}, median of {RUNS}"),
        value: format!("{regen_s:.2} s"),
        baseline: "—".into(),
        ratio: None,
        goal: "—".into(),
        met: Met::Reported,
    });
    figure.rows.push(Row {
        figure: format!("{check}, median of {RUNS}"),
        value: format!("{check_s:.2} s"),
        baseline: format!("{regen_s:.2} s"),
        ratio: Some(check_s / regen_s),
        goal: "—".into(),
        met: Met::Reported,
    });
    figure
}

/// Runs `cargo ARGS` in `root` (same cargo, same target directory as the suite's).
fn cargo(root: &Path, args: &[&str]) -> Result<(), String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .args(args)
        .current_dir(root)
        .output()
        .map_err(|e| format!("`cargo {}` did not start: {e}", args.join(" ")))?;
    if !output.status.success() {
        return Err(format!(
            "`cargo {}` failed ({}): {}{}",
            args.join(" "),
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Ok(())
}

/// Every file below `dir`, with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if let Ok(bytes) = std::fs::read(&path) {
                files.insert(path, bytes);
            }
        }
    }
    files
}

/// The files added, removed or changed between two snapshots, or `None`.
fn changes(
    before: &BTreeMap<PathBuf, Vec<u8>>,
    after: &BTreeMap<PathBuf, Vec<u8>>,
) -> Option<String> {
    let changed: Vec<String> = before
        .keys()
        .chain(after.keys().filter(|p| !before.contains_key(*p)))
        .filter(|p| before.get(*p) != after.get(*p))
        .map(|p| p.display().to_string())
        .collect();
    (!changed.is_empty()).then(|| changed.join(", "))
}

fn git_status(root: &Path) -> String {
    Command::new("git")
        .args(["status", "--short", "codegen/"])
        .current_dir(root)
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|e| format!("(git status failed: {e})"))
}
