//! Project tasks: `cargo xtask specs pull [--from DIR] [--base-url URL]`,
//! `cargo xtask codegen [--check]` and `cargo xtask public-api [--check]`.
//!
//! # Public API
//!
//! `cargo xtask public-api` writes `crates/hubspot-crm/public-api.txt` and
//! `crates/hubspot-sandbox/public-api.txt`: the public API as the `public-api` crate lists it
//! (a sorted line per item: modules, types with their public fields and variants, traits and
//! their items, functions and methods with their signatures, constants, trait and auto-trait
//! impls with their members; blanket impls left out), read from rustdoc's JSON output with
//! all features on. That output is unstable: the task runs `cargo rustdoc` with this binary as
//! rustdoc, which runs the real one with `RUSTC_BOOTSTRAP=1` (for rustdoc alone, so no
//! dependency is rebuilt).
//!
//! `cargo xtask public-api --check` builds the listings again and fails when a committed one
//! differs at all. It diffs with `public_api::diff::PublicApiDiff` against the API of the
//! revision that last committed the listing: removed and changed items are printed as
//! BREAKING, and so are new ones that break callers (a variant of an exhaustive enum, a field
//! of a struct built by a literal, a trait item without a default); other new items as added.
//! Where that revision does not list to the committed file, it compares lines instead (a
//! changed item shows as removed and added). A BREAKING line needs a version bump and an entry
//! in `CHANGELOG.md`; any difference needs `cargo xtask public-api` and the listing committed.

mod generate;
mod manifest;
mod normalize;
mod public_api;
mod pull;
mod shared;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use manifest::Manifest;

/// Everything that can stop a task, each naming the file or operation at fault.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The manifest is malformed.
    #[error("{path}: {message}")]
    Manifest {
        /// The manifest file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A downloaded or copied spec is not the pinned one.
    #[error("{file}: sha256 mismatch: the manifest pins {expected} but the file has {actual}")]
    HashMismatch {
        /// Upstream path of the spec.
        file: String,
        /// Hash in the manifest.
        expected: String,
        /// Hash of the bytes received.
        actual: String,
    },
    /// A download failed.
    #[error("downloading {url}: {message}")]
    Download {
        /// The address.
        url: String,
        /// What failed.
        message: String,
    },
    /// Codegen ran before `specs pull`.
    #[error("{file} has not been pulled: run `cargo xtask specs pull` first")]
    NotPulled {
        /// Upstream path of the spec.
        file: String,
    },
    /// A project spec fragment clashes with upstream.
    #[error("merging {extra}: {message}")]
    Merge {
        /// The fragment.
        extra: String,
        /// What clashed.
        message: String,
    },
    /// Operations without a method name in the manifest.
    #[error(
        "module `{module}`: no method name in specs/manifest.toml for {}",
        operations.join(", ")
    )]
    UnnamedOperations {
        /// The module.
        module: String,
        /// "METHOD /path" of each.
        operations: Vec<String>,
    },
    /// Method-name entries that match no operation.
    #[error(
        "module `{module}`: specs/manifest.toml names operations the spec does not have: {}",
        operations.join(", ")
    )]
    StaleMethodNames {
        /// The module.
        module: String,
        /// "METHOD /path" of each.
        operations: Vec<String>,
    },
    /// Operations whose kind the manifest does not declare.
    #[error(
        "module `{module}`: specs/manifest.toml declares no kind for {}; write \
         `{{ name = \"...\", kind = \"...\" }}` with kind one of read, search, idempotent, create",
        operations.join(", ")
    )]
    UndeclaredKinds {
        /// The module.
        module: String,
        /// "METHOD /path" (`name`) of each.
        operations: Vec<String>,
    },
    /// A spec whose API family or version the manifest does not declare.
    #[error(
        "module `{module}`: specs/manifest.toml declares no `{field}` (the API family the spec \
         is a version of, and which version: e.g. `family = \"objects\"`, `version = \"2026-09\"`)"
    )]
    UndeclaredApi {
        /// The module.
        module: String,
        /// `family` or `version`.
        field: &'static str,
    },
    /// Two operations share a method name.
    #[error("module `{module}`: method name `{name}` is used twice")]
    DuplicateMethodName {
        /// The module.
        module: String,
        /// The name.
        name: String,
    },
    /// The generator failed.
    #[error("generating module `{module}`: {message}")]
    Generate {
        /// The module.
        module: String,
        /// What failed.
        message: String,
    },
    /// Building or reading a public-API listing failed.
    #[error("public API of {package}: {message}")]
    PublicApi {
        /// The package, or `*` for the workspace.
        package: String,
        /// What failed.
        message: String,
    },
    /// Committed public-API listings differ from the code.
    #[error(
        "the public API differs from {}.\n\
         Run `cargo xtask public-api` and commit the listing (additions too).\n\
         A BREAKING line (removed, changed, or added where callers break) is a breaking change: \
         bump the version and add an entry to CHANGELOG.md.",
        files.join(" and ")
    )]
    PublicApiChanged {
        /// The stale listings, relative to the workspace root.
        files: Vec<String>,
    },
    /// Command-line misuse.
    #[error("{0}\n\n{USAGE}")]
    Usage(String),
}

/// The tasks, as `--help` and usage errors print them.
const USAGE: &str = "usage:
  cargo xtask specs pull [--from DIR] [--base-url URL]
      download (or copy from DIR) the pinned HubSpot specs into specs/.pulled
  cargo xtask codegen [--check]
      generate codegen/hubspot-crm-api and codegen/hubspot-crm-mock (--check: compare only)
  cargo xtask public-api [--check]
      write crates/<crate>/public-api.txt with the public-api crate (--check: compare only;
      fails on any difference, printing removed, changed and breaking added items as BREAKING)";

impl Error {
    fn io(path: &Path, source: std::io::Error) -> Self {
        Error::Io {
            path: path.to_owned(),
            source,
        }
    }
}

/// Workspace root: the parent of this crate.
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives inside the workspace")
        .to_owned()
}

fn main() -> ExitCode {
    if let Some(real) = std::env::var_os(public_api::REAL_RUSTDOC) {
        return public_api::wrap_rustdoc(real);
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&workspace_root(), &args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// A parsed command line.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Task {
    /// `specs pull`: from `source`, or from the manifest's `upstream` when `None`.
    Pull {
        /// Where to fetch the specs from.
        source: Option<pull::Source>,
    },
    /// `codegen`: write the generated crates, or with `check` only compare them.
    Codegen {
        /// `--check`.
        check: bool,
    },
    /// `public-api`: write the public-API listings, or with `check` only compare them.
    PublicApi {
        /// `--check`.
        check: bool,
    },
    /// `--help`.
    Help,
}

/// Reads the command line (without the program name). Needs no file, so misuse is reported
/// as such even where the manifest is missing.
fn parse_args(args: &[String]) -> Result<Task, Error> {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let unexpected =
        |rest: &[&str]| Error::Usage(format!("unexpected arguments: {}", rest.join(" ")));
    match args.as_slice() {
        [] => Err(Error::Usage("no task given".into())),
        ["specs", "pull", rest @ ..] => {
            let source = match rest {
                [] => None,
                ["--from", dir] => Some(pull::Source::Dir(PathBuf::from(dir))),
                ["--base-url", url] => Some(pull::Source::Http((*url).to_owned())),
                _ => return Err(unexpected(rest)),
            };
            Ok(Task::Pull { source })
        }
        ["codegen"] => Ok(Task::Codegen { check: false }),
        ["codegen", "--check"] => Ok(Task::Codegen { check: true }),
        ["codegen", rest @ ..] => Err(unexpected(rest)),
        ["public-api"] => Ok(Task::PublicApi { check: false }),
        ["public-api", "--check"] => Ok(Task::PublicApi { check: true }),
        ["public-api", rest @ ..] => Err(unexpected(rest)),
        ["--help" | "-h" | "help"] => Ok(Task::Help),
        [task, ..] => Err(Error::Usage(format!("unknown task `{task}`"))),
    }
}

/// Runs the task `args` names (the command line without the program name) in the workspace
/// at `root`: the manifest is `root/specs/manifest.toml`, specs are pulled into
/// `root/specs/.pulled` and the crates are generated below `root/codegen`.
fn run(root: &Path, args: &[String]) -> Result<(), Error> {
    let task = parse_args(args)?;
    // These need no manifest.
    match task {
        Task::Help => {
            println!("{USAGE}");
            return Ok(());
        }
        Task::PublicApi { check } => return public_api::run(root, check),
        Task::Pull { .. } | Task::Codegen { .. } => {}
    }
    let specs_dir = root.join("specs");
    let manifest = Manifest::load(&specs_dir.join("manifest.toml"))?;
    let pulled_dir = specs_dir.join(".pulled");
    match task {
        Task::Pull { source } => {
            let source = source.unwrap_or_else(|| pull::Source::Http(manifest.upstream.clone()));
            let written = pull::pull(&manifest, &source, &pulled_dir)?;
            println!(
                "pulled {} specs into {}",
                written.len(),
                pulled_dir.display()
            );
            Ok(())
        }
        Task::Codegen { check } => {
            let inputs = generate::Inputs {
                manifest: &manifest,
                specs_dir: &specs_dir,
                pulled_dir: &pulled_dir,
            };
            let files = generate::generate(&inputs)?;
            if check {
                check_files(root, &files)
            } else {
                write_files(root, &files)
            }
        }
        Task::Help | Task::PublicApi { .. } => unreachable!("handled before the manifest"),
    }
}

fn write_files(
    root: &Path,
    files: &std::collections::BTreeMap<PathBuf, String>,
) -> Result<(), Error> {
    for leftover in generate::leftover_files(root, files) {
        let path = root.join(&leftover);
        std::fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
        println!("removed {}", leftover.display());
    }
    let mut changed = 0;
    for (relative, text) in files {
        let path = root.join(relative);
        if std::fs::read(&path).ok().as_deref() != Some(text.as_bytes()) {
            pull::write_atomically(&path, text.as_bytes())?;
            println!("wrote {}", relative.display());
            changed += 1;
        }
    }
    println!("{} files generated, {changed} changed", files.len());
    Ok(())
}

fn check_files(
    root: &Path,
    files: &std::collections::BTreeMap<PathBuf, String>,
) -> Result<(), Error> {
    let mut stale: Vec<String> = files
        .iter()
        .filter(|(relative, text)| {
            std::fs::read(root.join(relative)).ok().as_deref() != Some(text.as_bytes())
        })
        .map(|(relative, _)| relative.display().to_string())
        .collect();
    stale.extend(
        generate::leftover_files(root, files)
            .into_iter()
            .map(|p| format!("{} (not generated)", p.display())),
    );
    if stale.is_empty() {
        println!("generated code is up to date ({} files)", files.len());
        Ok(())
    } else {
        Err(Error::Generate {
            module: "*".into(),
            message: format!(
                "committed generated code is stale; run `cargo xtask codegen`:\n  {}",
                stale.join("\n  ")
            ),
        })
    }
}
