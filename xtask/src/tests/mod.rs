//! End-to-end tests of the tasks: the command line, `specs pull` from a folder and over HTTP,
//! and code generation.
//!
//! Tests marked "mirror" read HubSpot's specs from `../shared/hubspot-specs` (next to the
//! workspace) and skip, saying so, where that folder is missing. The others run on small
//! fact-only fixtures built here.

mod cli;
mod generate;
mod http;
mod pull;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::manifest::Manifest;
use crate::pull::sha256_hex;

/// The offline copy of HubSpot's specs, laid out like the upstream repository.
fn mirror_dir() -> PathBuf {
    crate::workspace_root().join("../shared/hubspot-specs")
}

/// The mirror, or `None` after printing why `test` is skipped.
fn mirror(test: &str) -> Option<PathBuf> {
    let dir = mirror_dir();
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "skipping {test}: no spec mirror at {} (HubSpot's specs are not in the repository)",
            dir.display()
        );
        None
    }
}

fn args(args: &[&str]) -> Vec<String> {
    args.iter().map(|a| (*a).to_owned()).collect()
}

/// The project's manifest.
fn project_manifest() -> Manifest {
    Manifest::load(&crate::workspace_root().join("specs/manifest.toml")).unwrap()
}

fn project_manifest_text() -> String {
    std::fs::read_to_string(crate::workspace_root().join("specs/manifest.toml")).unwrap()
}

/// A scratch workspace root holding `specs/manifest.toml` with `manifest` and a copy of the
/// project's own spec fragments (`specs/local`).
fn temp_root(manifest: &str) -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    let specs = root.path().join("specs");
    std::fs::create_dir_all(&specs).unwrap();
    std::fs::write(specs.join("manifest.toml"), manifest).unwrap();
    copy_dir(
        &crate::workspace_root().join("specs/local"),
        &specs.join("local"),
    );
    root
}

/// Copies the files of `from` into `to`, recursively.
fn copy_dir(from: &Path, to: &Path) {
    for (relative, bytes) in snapshot(from) {
        let path = to.join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
}

/// Every file below `dir` (relative path to content); empty when `dir` does not exist.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(base, &path, out);
            } else {
                let bytes = std::fs::read(&path).unwrap();
                out.insert(path.strip_prefix(base).unwrap().to_owned(), bytes);
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// Files a writer left behind: temporaries of `write_atomically`.
fn temporaries(dir: &Path) -> Vec<PathBuf> {
    snapshot(dir)
        .into_keys()
        .filter(|p| p.to_string_lossy().contains(".tmp"))
        .collect()
}

/// The upstream path of `module` in `manifest`.
fn spec_path<'a>(manifest: &'a Manifest, module: &str) -> &'a str {
    &manifest
        .specs
        .iter()
        .find(|s| s.module == module)
        .unwrap_or_else(|| panic!("no module `{module}`"))
        .path
}

/// Replaces the sha256 the manifest text pins for `path`.
fn repin(manifest: &str, path: &str, sha256: &str) -> String {
    let parsed: toml::Value = toml::from_str(manifest).unwrap();
    let old = parsed["spec"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["path"].as_str() == Some(path))
        .unwrap_or_else(|| panic!("{path} is not in the manifest"))["sha256"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(manifest.matches(&old).count(), 1);
    manifest.replace(&old, sha256)
}

// Fixture: two tiny specs with only structure in them, pinned by a manifest.

const FIXTURE_COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";
const THINGS_PATH: &str = "Specs/Things/v3/things.json";
/// A space in the path, as in HubSpot's "Associations Schema".
const LABELS_PATH: &str = "Specs/Thing Labels/v4/labels.json";

fn fixture_spec(title: &str, paths: Value) -> Vec<u8> {
    let spec = json!({
        "openapi": "3.0.1",
        "info": { "title": title, "version": "v3" },
        "paths": paths,
        "components": {
            "schemas": {
                "Thing": {
                    "type": "object",
                    "required": ["id"],
                    "properties": {
                        "id": { "type": "string" },
                        "properties": { "type": "object", "additionalProperties": { "type": "string" } },
                    },
                },
                "Error": {
                    "type": "object",
                    "required": ["message"],
                    "properties": { "message": { "type": "string" } },
                },
            },
            "responses": {
                "Error": { "description": "", "content": { "*/*": { "schema": { "$ref": "#/components/schemas/Error" } } } },
            },
        },
    });
    serde_json::to_vec_pretty(&spec).unwrap()
}

fn fixture_things() -> Vec<u8> {
    let thing = json!({ "description": "", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Thing" } } } });
    let error = json!({ "$ref": "#/components/responses/Error" });
    fixture_spec(
        "Things",
        json!({
            "/things/{thingId}": { "get": {
                "parameters": [
                    { "name": "thingId", "in": "path", "required": true, "schema": { "type": "string" } },
                    { "name": "properties", "in": "query", "schema": { "type": "array", "items": { "type": "string" } } },
                ],
                "responses": { "200": thing, "default": error },
            } },
        }),
    )
}

fn fixture_labels() -> Vec<u8> {
    let error = json!({ "$ref": "#/components/responses/Error" });
    fixture_spec(
        "Labels",
        json!({
            "/labels/{labelId}": { "delete": {
                "parameters": [{ "name": "labelId", "in": "path", "required": true, "schema": { "type": "string" } }],
                "responses": { "204": { "description": "" }, "default": error },
            } },
        }),
    )
}

/// Writes the fixture specs into `mirror` (laid out like upstream) and returns a manifest
/// pinning them.
fn fixture_mirror(mirror: &Path) -> String {
    let mut manifest = String::from("upstream = \"http://127.0.0.1:9/unused\"\n");
    for (module, path, bytes, method) in [
        (
            "things",
            THINGS_PATH,
            fixture_things(),
            "\"GET /things/{thingId}\" = { name = \"get\", kind = \"read\" }",
        ),
        (
            "labels",
            LABELS_PATH,
            fixture_labels(),
            "\"DELETE /labels/{labelId}\" = { name = \"delete\", kind = \"idempotent\" }",
        ),
    ] {
        let file = mirror.join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, &bytes).unwrap();
        manifest.push_str(&format!(
            "\n[[spec]]\nmodule = \"{module}\"\nfamily = \"{module}\"\nversion = \"v3\"\n\
             path = \"{path}\"\ncommit = \"{FIXTURE_COMMIT}\"\n\
             sha256 = \"{}\"\n\n[spec.methods]\n{method}\n",
            sha256_hex(&bytes)
        ));
    }
    manifest
}

/// A scratch root with the fixture manifest, and the fixture mirror at `root/mirror`.
fn fixture_root() -> (tempfile::TempDir, PathBuf) {
    let scratch = tempfile::tempdir().unwrap();
    let mirror = scratch.path().join("mirror");
    let manifest = fixture_mirror(&mirror);
    let specs = scratch.path().join("specs");
    std::fs::create_dir_all(&specs).unwrap();
    std::fs::write(specs.join("manifest.toml"), manifest).unwrap();
    (scratch, mirror)
}

#[test]
fn the_fixture_manifest_is_valid() {
    let (root, _) = fixture_root();
    let manifest = Manifest::load(&root.path().join("specs/manifest.toml")).unwrap();
    assert_eq!(manifest.specs.len(), 2);
}
