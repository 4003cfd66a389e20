//! `cargo xtask specs pull`: fetch every pinned spec and check its sha256.

use std::io::Read;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::Error;
use crate::manifest::Manifest;

/// Where the specs come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Raw-file base address, laid out as `{base}/{commit}/{path}`.
    Http(String),
    /// A local mirror laid out like the upstream repository.
    Dir(PathBuf),
}

/// The largest spec accepted: HubSpot's are well under 1 MiB.
const MAX_SPEC_BYTES: u64 = 32 * 1024 * 1024;

/// Fetches every spec, checks every hash, and only then writes them into `pulled_dir`, each
/// through a temporary file and a rename, so a failure leaves nothing half-written.
pub fn pull(
    manifest: &Manifest,
    source: &Source,
    pulled_dir: &Path,
) -> Result<Vec<PathBuf>, Error> {
    let mut fetched = Vec::with_capacity(manifest.specs.len());
    for spec in &manifest.specs {
        let bytes = match source {
            Source::Http(base) => download(&spec.url(base))?,
            Source::Dir(dir) => {
                let path = dir.join(&spec.path);
                std::fs::read(&path).map_err(|e| Error::io(&path, e))?
            }
        };
        let actual = sha256_hex(&bytes);
        if actual != spec.sha256 {
            return Err(Error::HashMismatch {
                file: spec.path.clone(),
                expected: spec.sha256.clone(),
                actual,
            });
        }
        fetched.push((spec.pulled_path(pulled_dir), bytes));
    }
    for (path, bytes) in &fetched {
        write_atomically(path, bytes)?;
    }
    Ok(fetched.into_iter().map(|(path, _)| path).collect())
}

/// Lowercase hex sha256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn download(url: &str) -> Result<Vec<u8>, Error> {
    let fail = |message: String| Error::Download {
        url: url.to_owned(),
        message,
    };
    let response = ureq::get(url).call().map_err(|e| fail(e.to_string()))?;
    let mut bytes = Vec::new();
    response
        .into_body()
        .into_reader()
        .take(MAX_SPEC_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| fail(e.to_string()))?;
    if bytes.len() as u64 > MAX_SPEC_BYTES {
        return Err(fail(format!("larger than {MAX_SPEC_BYTES} bytes")));
    }
    Ok(bytes)
}

/// Writes `bytes` to `path` via a sibling temporary file, so readers never see a partial file.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let dir = path.parent().expect("written paths have a parent");
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let file_name = path
        .file_name()
        .expect("written paths name a file")
        .to_string_lossy();
    let temp = dir.join(format!(".{file_name}.tmp{}", std::process::id()));
    let result = std::fs::write(&temp, bytes).and_then(|()| std::fs::rename(&temp, path));
    if let Err(e) = result {
        let _ = std::fs::remove_file(&temp);
        return Err(Error::io(path, e));
    }
    Ok(())
}
