use std::path::Path;

use public_api::PublicApi;
use public_api::diff::PublicApiDiff;
use rustdoc_types::Crate;

use super::rustdoc::parse;
use super::*;

/// The API of a one-file library crate `api` with `source` in `dir`, through rustdoc's JSON
/// as the task reads it.
fn api_of(dir: &Path, source: &str) -> (PublicApi, Crate) {
    let name = "api";
    std::fs::create_dir_all(dir).unwrap();
    let file = dir.join(format!("{name}.rs"));
    std::fs::write(&file, source).unwrap();
    let rustdoc = std::env::var_os("RUSTDOC").unwrap_or_else(|| "rustdoc".into());
    let status = std::process::Command::new(rustdoc)
        .env("RUSTC_BOOTSTRAP", "1")
        .args([
            "--edition",
            "2024",
            "--crate-type",
            "lib",
            "--crate-name",
            name,
        ])
        .args(["-Z", "unstable-options", "--output-format", "json", "-o"])
        .arg(dir)
        .arg(&file)
        .status()
        .unwrap();
    assert!(status.success(), "rustdoc failed on {name}");
    let json = dir.join(format!("{name}.json"));
    let krate = parse(&std::fs::read(&json).unwrap()).unwrap();
    (public_api(&json).unwrap(), krate)
}

const OLD: &str = r#"
pub fn kept(a: u32) -> u32 { a }
pub fn retyped(a: u32) -> u32 { a }
pub fn dropped() {}
pub enum Closed { A }
#[non_exhaustive]
pub enum Open { A }
pub struct Literal { pub a: u32 }
pub struct Sealed { pub a: u32, hidden: u32 }
pub struct Pair(pub u32);
pub trait Implemented { fn required(&self); }
"#;

const NEW: &str = r#"
pub fn kept(a: u32) -> u32 { a }
pub fn retyped(a: u64) -> u64 { a }
pub enum Closed { A, B }
#[non_exhaustive]
pub enum Open { A, B }
pub struct Literal { pub a: u32, pub b: u32 }
pub struct Sealed { pub a: u32, pub b: u32, hidden: u32 }
pub struct Pair(pub u32, pub u32);
pub trait Implemented {
    const LIMIT: u32;
    const DEFAULT: u32 = 1;
    fn required(&self);
    fn also_required(&self);
    fn provided(&self) {}
}
pub enum Fresh { A }
"#;

/// The old and new APIs above, each from a folder of its own in `dir`.
fn old_and_new(dir: &Path) -> (PublicApi, PublicApi, Crate) {
    let (old, _) = api_of(&dir.join("old"), OLD);
    let (new, krate) = api_of(&dir.join("new"), NEW);
    (old, new, krate)
}

/// The added lines that are not about `api::Fresh`, which is new with all its items.
fn added_outside_fresh(classified: &Classified) -> Vec<&str> {
    let fresh = classified
        .added
        .iter()
        .filter(|line| line.contains("api::Fresh"));
    assert!(fresh.clone().any(|l| l == "pub enum api::Fresh"));
    assert!(fresh.clone().any(|l| l == "pub api::Fresh::A"));
    assert!(
        fresh
            .clone()
            .any(|l| l.starts_with("impl core::marker::Send for api::Fresh"))
    );
    classified
        .added
        .iter()
        .filter(|line| !line.contains("api::Fresh"))
        .map(String::as_str)
        .collect()
}

const VARIANT: &str = "a variant of an exhaustive enum breaks matches on it";
const FIELD: &str = "a field of a struct built by a literal breaks the literal";
const TRAIT_ITEM: &str = "a trait item without a default breaks every impl of the trait";

#[test]
fn the_diff_tells_removed_changed_and_breaking_additions_apart() {
    let dir = tempfile::tempdir().unwrap();
    let (old, new, krate) = old_and_new(dir.path());
    let classified = classify(PublicApiDiff::between(old, new), &krate);
    assert_eq!(classified.removed, ["pub fn api::dropped()"]);
    assert_eq!(
        classified.changed,
        [
            (
                "pub struct api::Pair(pub u32)".to_owned(),
                "pub struct api::Pair(pub u32, pub u32)".to_owned()
            ),
            (
                "pub fn api::retyped(u32) -> u32".to_owned(),
                "pub fn api::retyped(u64) -> u64".to_owned()
            ),
        ]
    );
    assert_eq!(
        classified.breaking_added,
        [
            ("pub api::Closed::B".to_owned(), VARIANT),
            ("pub api::Literal::b: u32".to_owned(), FIELD),
            (
                "pub const api::Implemented::LIMIT: u32".to_owned(),
                TRAIT_ITEM
            ),
            (
                "pub fn api::Implemented::also_required(&self)".to_owned(),
                TRAIT_ITEM
            ),
        ]
    );
    assert_eq!(
        added_outside_fresh(&classified),
        [
            "pub api::Open::B",
            "pub api::Sealed::b: u32",
            "pub const api::Implemented::DEFAULT: u32",
            "pub fn api::Implemented::provided(&self)",
        ]
    );
    assert!(classified.is_breaking());
}

#[test]
fn without_a_baseline_a_changed_item_shows_as_removed_and_added() {
    let dir = tempfile::tempdir().unwrap();
    let (old, new, krate) = old_and_new(dir.path());
    let classified = Classified::lines(&listing("api", &old), new, &krate);
    assert_eq!(
        classified.removed,
        [
            "pub fn api::dropped()",
            "pub fn api::retyped(u32) -> u32",
            "pub struct api::Pair(pub u32)",
        ]
    );
    assert!(classified.changed.is_empty());
    assert_eq!(classified.breaking_added.len(), 4, "{classified:#?}");
    assert_eq!(
        added_outside_fresh(&classified),
        [
            "pub api::Open::B",
            "pub struct api::Pair(pub u32, pub u32)",
            "pub api::Sealed::b: u32",
            "pub const api::Implemented::DEFAULT: u32",
            "pub fn api::Implemented::provided(&self)",
            "pub fn api::retyped(u64) -> u64",
        ]
    );
}

#[test]
fn an_unchanged_api_diffs_empty_and_its_listing_is_a_line_per_item() {
    let dir = tempfile::tempdir().unwrap();
    let (old, krate) = api_of(&dir.path().join("a"), OLD);
    let (again, _) = api_of(&dir.path().join("b"), OLD);
    let text = listing("api", &old);
    assert!(text.starts_with("// Public API of api (all features), listed by the public-api"));
    assert!(text.ends_with('\n'));
    assert_eq!(text.lines().count(), old.items().count() + 2);
    assert!(text.contains("\npub fn api::kept(u32) -> u32\n"));
    assert_eq!(listing("api", &again), text);
    let classified = classify(PublicApiDiff::between(old, again), &krate);
    assert_eq!(classified, Classified::default());
    assert!(!classified.is_breaking());
}

#[test]
fn the_report_marks_breaking_lines_and_a_missing_file() {
    let classified = Classified {
        removed: vec!["pub fn a::gone()".into()],
        changed: vec![("pub fn a::f(u32)".into(), "pub fn a::f(u64)".into())],
        breaking_added: vec![("pub a::E::B".into(), VARIANT)],
        added: vec!["pub fn a::new()".into()],
    };
    let report = report(Path::new("crates/a/public-api.txt"), true, &classified);
    assert_eq!(
        report,
        "crates/a/public-api.txt does not exist yet\n\
         public API differs from crates/a/public-api.txt: 1 removed, 1 changed, 2 added\n\
         \x20 BREAKING removed: pub fn a::gone()\n\
         \x20 BREAKING changed: pub fn a::f(u32)\n\
         \x20              to: pub fn a::f(u64)\n\
         \x20 BREAKING added: pub a::E::B\n\
         \x20              (a variant of an exhaustive enum breaks matches on it)\n\
         \x20 added: pub fn a::new()\n\
         \x20 => a breaking change\n"
    );
    let added_only = Classified {
        added: vec!["pub fn a::new()".into()],
        ..Classified::default()
    };
    let report = super::report(Path::new("x.txt"), false, &added_only);
    assert_eq!(
        report,
        "public API differs from x.txt: 0 removed, 0 changed, 1 added\n  added: pub fn a::new()\n"
    );
}

/// Runs git in `dir` with an identity of its own, asserting it succeeds.
fn git(dir: &Path, args: &[&str]) {
    let status = std::process::Command::new("git")
        .current_dir(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .status()
        .unwrap();
    assert!(status.success(), "git {args:?}");
}

#[test]
fn a_listing_no_revision_holds_as_it_is_has_no_baseline() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    git(root, &["init", "-q"]);
    std::fs::write(root.join("other.txt"), "x").unwrap();
    git(root, &["add", "other.txt"]);
    git(root, &["commit", "-q", "-m", "first"]);
    let baseline = Baseline {
        root,
        target_dir: &root.join("target"),
        package: "api",
        listing: Path::new("public-api.txt"),
    };
    assert_eq!(
        baseline.api("pub fn a::f()\n").unwrap_err(),
        "no revision has committed the listing"
    );
    std::fs::write(root.join("public-api.txt"), "pub fn a::f()\n").unwrap();
    git(root, &["add", "public-api.txt"]);
    git(root, &["commit", "-q", "-m", "listing"]);
    let err = baseline.api("pub fn a::g()\n").unwrap_err();
    assert!(
        err.starts_with("the listing differs from its last commit "),
        "{err}"
    );
    assert!(!root.join("target").exists(), "nothing was built");
}

#[test]
fn a_baseline_revision_unpacks_as_committed() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    git(root, &["init", "-q"]);
    std::fs::create_dir(root.join("src")).unwrap();
    std::fs::write(root.join("src/lib.rs"), "pub fn old() {}\n").unwrap();
    git(root, &["add", "src/lib.rs"]);
    git(root, &["commit", "-q", "-m", "first"]);
    std::fs::write(root.join("src/lib.rs"), "pub fn new() {}\n").unwrap();
    let baseline = Baseline {
        root,
        target_dir: &root.join("target"),
        package: "api",
        listing: Path::new("public-api.txt"),
    };
    let out = root.join("target").join(BASELINE_DIR);
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("left-over.rs"), "").unwrap();
    baseline.unpack("HEAD", &out).unwrap();
    let read = |p: &str| std::fs::read_to_string(out.join(p)).unwrap();
    assert_eq!(read("src/lib.rs"), "pub fn old() {}\n");
    assert!(!out.join("left-over.rs").exists());
    assert!(!out.join("baseline.tar").exists());
}

#[test]
fn another_format_version_is_refused_by_name() {
    let err = parse(br#"{"format_version": 9999}"#).unwrap_err();
    assert!(err.contains("rustdoc JSON format 9999"), "{err}");
    assert!(
        err.contains(&format!("reads format {}", rustdoc_types::FORMAT_VERSION)),
        "{err}"
    );
    assert!(err.contains("public-api"), "{err}");
    let err = parse(b"[]").unwrap_err();
    assert!(err.contains("not rustdoc JSON"), "{err}");
}
