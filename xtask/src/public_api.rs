//! `cargo xtask public-api [--check]`: each library crate's public API as the `public-api`
//! crate lists it from rustdoc's JSON, committed as `crates/<crate>/public-api.txt`.
//!
//! No version is published yet, so the committed listing is the baseline. `--check` fails on
//! any difference from it. To tell breaking changes from additions it diffs with
//! `public_api::diff::PublicApiDiff`, which needs the old API as rustdoc JSON too: that comes
//! from the revision that last committed the listing, built from `git archive` beside the
//! target directory, when its API still renders to the committed text. Otherwise the check
//! reports lines removed and added.

mod breaking;
mod rustdoc;

use std::path::{Path, PathBuf};
use std::process::Command;

use public_api::PublicApi;
use public_api::diff::PublicApiDiff;

use crate::Error;

pub use breaking::{Classified, classify};
pub use rustdoc::{REAL_RUSTDOC, wrap_rustdoc};

/// The crates whose API is listed, with their folders below the workspace root.
pub const CRATES: [(&str, &str); 2] = [
    ("hubspot-crm", "crates/hubspot-crm"),
    ("hubspot-sandbox", "crates/hubspot-sandbox"),
];

/// The listing's file name inside each crate's folder.
pub const LISTING_FILE: &str = "public-api.txt";

/// Where the baseline revision is unpacked, inside the target directory.
const BASELINE_DIR: &str = "public-api-baseline";

/// Writes the listings, or with `check` compares them with the committed files.
pub fn run(root: &Path, check: bool) -> Result<(), Error> {
    let target_dir = rustdoc::target_dir(root)?;
    let mut stale = Vec::new();
    for (package, dir) in CRATES {
        let failed = |message: String| Error::PublicApi {
            package: package.to_owned(),
            message,
        };
        let current = rustdoc::build(root, &target_dir, package).map_err(failed)?;
        let api = public_api(&current.json_path).map_err(failed)?;
        let text = listing(package, &api);
        let relative = Path::new(dir).join(LISTING_FILE);
        let path = root.join(&relative);
        let old = match std::fs::read_to_string(&path) {
            Ok(old) => Some(old),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(Error::io(&path, e)),
        };
        let items = api.items().count();
        if old.as_deref() == Some(text.as_str()) {
            println!(
                "{}: public API unchanged ({items} items)",
                relative.display()
            );
        } else if check {
            let old = old.unwrap_or_default();
            let baseline = Baseline {
                root,
                target_dir: &target_dir,
                package,
                listing: &relative,
            };
            let classified = match baseline.api(&old) {
                Ok(old_api) => classify(PublicApiDiff::between(old_api, api), &current.krate),
                Err(why) => {
                    println!("{}: {why}; comparing lines", relative.display());
                    Classified::lines(&old, api, &current.krate)
                }
            };
            current.restore().map_err(failed)?;
            print!("{}", report(&relative, old.is_empty(), &classified));
            stale.push(relative.display().to_string());
        } else {
            crate::pull::write_atomically(&path, text.as_bytes())?;
            println!("wrote {} ({items} items)", relative.display());
        }
    }
    if stale.is_empty() {
        Ok(())
    } else {
        Err(Error::PublicApiChanged { files: stale })
    }
}

/// Lists the public API in rustdoc's JSON at `path`, blanket impls left out (they say nothing
/// about the crate); auto-trait impls (Send, Sync, ...) stay, as losing one breaks callers.
fn public_api(path: &Path) -> Result<PublicApi, String> {
    public_api::Builder::from_rustdoc_json(path)
        .omit_blanket_impls(true)
        .build()
        .map_err(|e| format!("listing {}: {e}", path.display()))
}

/// The listing file: a header, then a line per item.
pub fn listing(package: &str, api: &PublicApi) -> String {
    format!(
        "// Public API of {package} (all features), listed by the public-api crate.\n\
         // Regenerate: cargo xtask public-api. Check: cargo xtask public-api --check.\n\
         {api}"
    )
}

/// The API of the revision that last committed a listing, to diff the current API against.
struct Baseline<'a> {
    root: &'a Path,
    target_dir: &'a Path,
    package: &'a str,
    /// The listing, relative to `root`.
    listing: &'a Path,
}

impl Baseline<'_> {
    /// Builds the API of the revision that last committed the listing, if `on_disk` (the
    /// listing as it is now) is that revision's and its API renders to it; otherwise says why.
    fn api(&self, on_disk: &str) -> Result<PublicApi, String> {
        let path = self.listing.to_string_lossy();
        let revision = self.git(&["log", "-1", "--format=%H", "--", &path])?;
        let revision = revision.trim();
        if revision.is_empty() {
            return Err("no revision has committed the listing".into());
        }
        let committed = self.git(&["show", &format!("{revision}:{path}")])?;
        if committed != on_disk {
            return Err(format!(
                "the listing differs from its last commit {revision}"
            ));
        }
        let dir = self.target_dir.join(BASELINE_DIR);
        let api = self.unpack(revision, &dir).and_then(|()| {
            let baseline = rustdoc::build(&dir, self.target_dir, self.package)?;
            public_api(&baseline.json_path)
        });
        let _ = std::fs::remove_dir_all(&dir);
        let api = api?;
        if listing(self.package, &api) != committed {
            return Err(format!(
                "the code of {revision}, the listing's last commit, lists another API"
            ));
        }
        Ok(api)
    }

    /// Writes the files of `revision` into `dir` (emptied first) with `git archive`, so no
    /// worktree is registered and every file is newer than anything built from it before.
    fn unpack(&self, revision: &str, dir: &Path) -> Result<(), String> {
        let _ = std::fs::remove_dir_all(dir);
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let archive = dir.join("baseline.tar");
        let archive_arg = archive.to_string_lossy().into_owned();
        self.git(&["archive", "--format=tar", "-o", &archive_arg, revision])?;
        let status = Command::new("tar")
            .arg("-xf")
            .arg(&archive)
            .arg("-C")
            .arg(dir)
            .status()
            .map_err(|e| format!("running tar: {e}"))?;
        if !status.success() {
            return Err(format!("unpacking {revision} failed ({status})"));
        }
        std::fs::remove_file(&archive).map_err(|e| format!("{}: {e}", archive.display()))
    }

    /// Runs git in the workspace and returns what it printed.
    fn git(&self, args: &[&str]) -> Result<String, String> {
        let output = Command::new("git")
            .current_dir(self.root)
            .args(args)
            .output()
            .map_err(|e| format!("running git: {e}"))?;
        if !output.status.success() {
            return Err(format!(
                "git {} failed: {}",
                args.join(" "),
                String::from_utf8_lossy(&output.stderr).trim()
            ));
        }
        String::from_utf8(output.stdout).map_err(|e| format!("git printed no text: {e}"))
    }
}

/// What `--check` prints for one stale listing.
pub fn report(file: &Path, missing: bool, diff: &Classified) -> String {
    let mut out = String::new();
    if missing {
        out.push_str(&format!("{} does not exist yet\n", file.display()));
    }
    out.push_str(&format!(
        "public API differs from {}: {} removed, {} changed, {} added\n",
        file.display(),
        diff.removed.len(),
        diff.changed.len(),
        diff.breaking_added.len() + diff.added.len()
    ));
    for line in &diff.removed {
        out.push_str(&format!("  BREAKING removed: {line}\n"));
    }
    for (old, new) in &diff.changed {
        out.push_str(&format!("  BREAKING changed: {old}\n"));
        out.push_str(&format!("               to: {new}\n"));
    }
    for (line, why) in &diff.breaking_added {
        out.push_str(&format!("  BREAKING added: {line}\n"));
        out.push_str(&format!("               ({why})\n"));
    }
    for line in &diff.added {
        out.push_str(&format!("  added: {line}\n"));
    }
    if diff.is_breaking() {
        out.push_str("  => a breaking change\n");
    }
    out
}

/// The path of rustdoc's JSON for `package` below `target_dir`.
fn json_path(target_dir: &Path, package: &str) -> PathBuf {
    target_dir
        .join("doc")
        .join(format!("{}.json", package.replace('-', "_")))
}

#[cfg(test)]
mod tests;
