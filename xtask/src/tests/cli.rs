//! The command line: parsing and usage errors.

use std::path::PathBuf;

use super::{args, fixture_root};
use crate::pull::Source;
use crate::{Error, Task, parse_args, run};

fn usage_error(command: &[&str]) -> String {
    // No manifest here: misuse must be reported as such, before any file is read.
    let empty = tempfile::tempdir().unwrap();
    match run(empty.path(), &args(command)) {
        Err(e @ Error::Usage(_)) => e.to_string(),
        other => panic!("{command:?}: expected a usage error, got {other:?}"),
    }
}

fn assert_usage(message: &str) {
    assert!(message.contains("usage:"), "{message}");
    assert!(
        message.contains("cargo xtask specs pull [--from DIR] [--base-url URL]"),
        "{message}"
    );
    assert!(
        message.contains("cargo xtask codegen [--check]"),
        "{message}"
    );
    assert!(
        message.contains("cargo xtask public-api [--check]"),
        "{message}"
    );
}

#[test]
fn an_unknown_task_prints_usage() {
    let message = usage_error(&["frobnicate"]);
    assert!(
        message.starts_with("unknown task `frobnicate`"),
        "{message}"
    );
    assert_usage(&message);
}

#[test]
fn no_task_prints_usage() {
    let message = usage_error(&[]);
    assert!(message.starts_with("no task given"), "{message}");
    assert_usage(&message);
}

#[test]
fn a_half_task_prints_usage() {
    let message = usage_error(&["specs"]);
    assert!(message.starts_with("unknown task `specs`"), "{message}");
    assert_usage(&message);
}

#[test]
fn unexpected_arguments_print_usage() {
    for (command, rest) in [
        (&["codegen", "--chek"][..], "--chek"),
        (&["codegen", "--check", "extra"][..], "--check extra"),
        (&["specs", "pull", "--from"][..], "--from"),
        (&["specs", "pull", "--base-url"][..], "--base-url"),
        (
            &["specs", "pull", "--from", "a", "--base-url", "b"][..],
            "--from a --base-url b",
        ),
        (&["specs", "pull", "mirror"][..], "mirror"),
        (&["public-api", "--chek"][..], "--chek"),
        (&["public-api", "--check", "extra"][..], "--check extra"),
    ] {
        let message = usage_error(command);
        assert!(
            message.starts_with(&format!("unexpected arguments: {rest}\n")),
            "{command:?}: {message}"
        );
        assert_usage(&message);
    }
}

#[test]
fn tasks_parse() {
    let parse = |command: &[&str]| parse_args(&args(command)).unwrap();
    assert_eq!(parse(&["specs", "pull"]), Task::Pull { source: None });
    assert_eq!(
        parse(&["specs", "pull", "--from", "../mirror"]),
        Task::Pull {
            source: Some(Source::Dir(PathBuf::from("../mirror")))
        }
    );
    assert_eq!(
        parse(&["specs", "pull", "--base-url", "http://127.0.0.1:1/base"]),
        Task::Pull {
            source: Some(Source::Http("http://127.0.0.1:1/base".into()))
        }
    );
    assert_eq!(parse(&["codegen"]), Task::Codegen { check: false });
    assert_eq!(
        parse(&["codegen", "--check"]),
        Task::Codegen { check: true }
    );
    assert_eq!(parse(&["public-api"]), Task::PublicApi { check: false });
    assert_eq!(
        parse(&["public-api", "--check"]),
        Task::PublicApi { check: true }
    );
    for help in ["--help", "-h", "help"] {
        assert_eq!(parse(&[help]), Task::Help);
    }
}

#[test]
fn help_needs_no_manifest() {
    let empty = tempfile::tempdir().unwrap();
    run(empty.path(), &args(&["--help"])).unwrap();
}

#[test]
fn a_missing_manifest_is_named() {
    let empty = tempfile::tempdir().unwrap();
    let err = run(empty.path(), &args(&["codegen", "--check"])).unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err:?}");
    assert!(
        err.to_string().contains(&format!(
            "{}",
            empty.path().join("specs/manifest.toml").display()
        )),
        "{err}"
    );
}

#[test]
fn a_malformed_manifest_is_named() {
    let (root, _) = fixture_root();
    let manifest = root.path().join("specs/manifest.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(
        &manifest,
        text.replace("module = \"things\"", "module = \"Things\""),
    )
    .unwrap();
    let err = run(root.path(), &args(&["codegen"])).unwrap_err();
    let message = err.to_string();
    assert!(message.contains("manifest.toml"), "{message}");
    assert!(
        message.contains("module `Things` is not a Rust identifier"),
        "{message}"
    );
}

#[test]
fn codegen_before_pull_says_to_pull() {
    let (root, _) = fixture_root();
    for command in [&["codegen"][..], &["codegen", "--check"][..]] {
        let err = run(root.path(), &args(command)).unwrap_err();
        assert!(matches!(err, Error::NotPulled { .. }), "{err:?}");
        let message = err.to_string();
        assert!(message.contains(super::THINGS_PATH), "{message}");
        assert!(message.contains("cargo xtask specs pull"), "{message}");
    }
    assert!(!root.path().join("codegen").exists());
}
