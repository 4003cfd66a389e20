//! Running rustdoc's JSON backend on the stable toolchain, and reading what it writes.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use rustdoc_types::Crate;

use crate::Error;

/// Set on the `cargo rustdoc` this task runs, whose rustdoc is this binary: the rustdoc to run.
pub const REAL_RUSTDOC: &str = "XTASK_REAL_RUSTDOC";

/// Cargo's target directory for the workspace (honours `CARGO_TARGET_DIR` and config).
pub fn target_dir(root: &Path) -> Result<PathBuf, Error> {
    let failed = |message: String| Error::PublicApi {
        package: "*".into(),
        message,
    };
    let output = cargo(root)
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .output()
        .map_err(|e| failed(format!("running cargo metadata: {e}")))?;
    if !output.status.success() {
        return Err(failed(format!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&output.stderr)
        )));
    }
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout)
        .map_err(|e| failed(format!("cargo metadata printed no JSON: {e}")))?;
    metadata["target_directory"]
        .as_str()
        .map(PathBuf::from)
        .ok_or_else(|| failed("cargo metadata names no target_directory".into()))
}

/// The cargo that runs this task, so the listing comes from the same toolchain.
fn cargo(root: &Path) -> Command {
    let mut command = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    command.current_dir(root);
    command
}

/// Runs `real` (the rustdoc cargo would have run) with the arguments cargo gave this binary,
/// allowing unstable options for it alone.
///
/// rustdoc's JSON backend is unstable, and `RUSTC_BOOTSTRAP` lets the stable toolchain run it.
/// Set for all of cargo, it would also reach the dependencies' build scripts, and every crate
/// whose build script watches it (proc-macro2, serde, ...) would be rebuilt, for this task and
/// again for the next ordinary build.
pub fn wrap_rustdoc(real: OsString) -> ExitCode {
    let status = Command::new(&real)
        .args(std::env::args_os().skip(1))
        .env("RUSTC_BOOTSTRAP", "1")
        .env_remove(REAL_RUSTDOC)
        .status();
    match status {
        Ok(status) => match status.code() {
            Some(0) => ExitCode::SUCCESS,
            Some(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
            None => ExitCode::FAILURE,
        },
        Err(e) => {
            eprintln!("error: running {}: {e}", real.to_string_lossy());
            ExitCode::FAILURE
        }
    }
}

/// rustdoc's JSON for one package, as read right after rustdoc wrote it.
pub struct Built {
    /// Where rustdoc wrote it.
    pub json_path: PathBuf,
    /// The crate it describes.
    pub krate: Crate,
    bytes: Vec<u8>,
}

impl Built {
    /// Writes the JSON back as read. Another workspace documenting the same package into the
    /// same target directory overwrites it while cargo still counts this one's output fresh.
    pub fn restore(&self) -> Result<(), String> {
        std::fs::write(&self.json_path, &self.bytes)
            .map_err(|e| format!("{}: {e}", self.json_path.display()))
    }
}

/// Runs rustdoc's JSON backend on `package` (all features) of the workspace at `root`, and
/// reads what it wrote.
pub fn build(root: &Path, target_dir: &Path, package: &str) -> Result<Built, String> {
    let this = std::env::current_exe().map_err(|e| format!("finding the xtask binary: {e}"))?;
    let real = std::env::var_os("RUSTDOC").unwrap_or_else(|| "rustdoc".into());
    let status = cargo(root)
        .env("RUSTDOC", this)
        .env(REAL_RUSTDOC, real)
        .env("CARGO_TARGET_DIR", target_dir)
        .args(["rustdoc", "-p", package, "--all-features", "--lib", "--"])
        .args(["-Z", "unstable-options", "--output-format", "json"])
        .status()
        .map_err(|e| format!("running cargo rustdoc: {e}"))?;
    if !status.success() {
        return Err(format!("cargo rustdoc failed ({status})"));
    }
    let json_path = super::json_path(target_dir, package);
    let bytes = std::fs::read(&json_path).map_err(|e| format!("{}: {e}", json_path.display()))?;
    let krate = parse(&bytes).map_err(|message| format!("{}: {message}", json_path.display()))?;
    Ok(Built {
        json_path,
        krate,
        bytes,
    })
}

/// Parses rustdoc's JSON after checking its `format_version`.
pub fn parse(bytes: &[u8]) -> Result<Crate, String> {
    #[derive(serde::Deserialize)]
    struct Version {
        format_version: u32,
    }
    let version: Version = serde_json::from_slice(bytes)
        .map_err(|e| format!("not rustdoc JSON (no format_version): {e}"))?;
    if version.format_version != rustdoc_types::FORMAT_VERSION {
        return Err(format!(
            "rustdoc JSON format {} but the xtask reads format {}: move xtask's rustdoc-types \
             and public-api dependencies to versions that read format {}",
            version.format_version,
            rustdoc_types::FORMAT_VERSION,
            version.format_version
        ));
    }
    serde_json::from_slice(bytes).map_err(|e| format!("reading rustdoc JSON: {e}"))
}
