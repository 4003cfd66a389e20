//! `specs pull --from DIR`, and how a changed upstream spec is handled.

use std::path::Path;

use super::{
    LABELS_PATH, THINGS_PATH, args, fixture_root, mirror, project_manifest, project_manifest_text,
    repin, snapshot, spec_path, temp_root, temporaries,
};
use crate::generate::{self, API_CRATE};
use crate::manifest::Manifest;
use crate::pull::sha256_hex;
use crate::{Error, run};

fn pull_from(root: &Path, mirror: &Path) -> Result<(), Error> {
    run(
        root,
        &args(&["specs", "pull", "--from", mirror.to_str().unwrap()]),
    )
}

fn pulled_dir(root: &Path) -> std::path::PathBuf {
    root.join("specs/.pulled")
}

/// Fills the pulled folder with stand-ins, so any write into it shows.
fn seed_pulled(root: &Path, paths: &[&str]) {
    for path in paths {
        let file = pulled_dir(root).join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, format!("previous {path}")).unwrap();
    }
}

/// Checks `err` is the mismatch of `file`, between the pinned `expected` and `actual`.
fn assert_mismatch(err: &Error, file: &str, expected: &str, actual: &str) {
    match err {
        Error::HashMismatch {
            file: f,
            expected: e,
            actual: a,
        } => {
            assert_eq!(
                (f.as_str(), e.as_str(), a.as_str()),
                (file, expected, actual)
            );
        }
        other => panic!("expected a hash mismatch, got {other:?}"),
    }
    let message = err.to_string();
    for part in [file, expected, actual] {
        assert!(message.contains(part), "`{part}` missing from: {message}");
    }
}

#[test]
fn pull_copies_every_spec_from_a_folder() {
    let (root, mirror) = fixture_root();
    seed_pulled(root.path(), &[THINGS_PATH]);
    pull_from(root.path(), &mirror).unwrap();
    assert_eq!(snapshot(&pulled_dir(root.path())), snapshot(&mirror));
    assert!(temporaries(root.path()).is_empty());
}

#[test]
fn a_changed_spec_fails_the_pull_and_writes_nothing() {
    let (root, mirror) = fixture_root();
    let manifest = Manifest::load(&root.path().join("specs/manifest.toml")).unwrap();
    let pinned = manifest.specs[1].sha256.clone();
    // The last spec changes, so a pull that wrote as it went would have written the first.
    let changed = mirror.join(LABELS_PATH);
    let mut bytes = std::fs::read(&changed).unwrap();
    bytes.push(b' ');
    std::fs::write(&changed, &bytes).unwrap();

    // Into an empty folder: nothing is created.
    let err = pull_from(root.path(), &mirror).unwrap_err();
    assert_mismatch(&err, LABELS_PATH, &pinned, &sha256_hex(&bytes));
    assert!(snapshot(&pulled_dir(root.path())).is_empty());

    // Over an earlier pull: it stays as it was.
    seed_pulled(root.path(), &[THINGS_PATH, LABELS_PATH]);
    let before = snapshot(&pulled_dir(root.path()));
    let err = pull_from(root.path(), &mirror).unwrap_err();
    assert_mismatch(&err, LABELS_PATH, &pinned, &sha256_hex(&bytes));
    assert_eq!(snapshot(&pulled_dir(root.path())), before);
    assert!(temporaries(root.path()).is_empty());
}

#[test]
fn a_spec_missing_from_the_folder_is_named() {
    let (root, mirror) = fixture_root();
    std::fs::remove_file(mirror.join(THINGS_PATH)).unwrap();
    let err = pull_from(root.path(), &mirror).unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err:?}");
    assert!(
        err.to_string()
            .contains(&mirror.join(THINGS_PATH).display().to_string()),
        "{err}"
    );
    assert!(snapshot(&pulled_dir(root.path())).is_empty());
}

#[test]
fn codegen_refuses_a_pulled_file_that_is_not_the_pinned_one() {
    let (root, mirror) = fixture_root();
    pull_from(root.path(), &mirror).unwrap();
    let pulled = pulled_dir(root.path()).join(THINGS_PATH);
    let mut bytes = std::fs::read(&pulled).unwrap();
    bytes.extend_from_slice(b"\n");
    std::fs::write(&pulled, &bytes).unwrap();
    let err = run(root.path(), &args(&["codegen", "--check"])).unwrap_err();
    let manifest = Manifest::load(&root.path().join("specs/manifest.toml")).unwrap();
    assert_mismatch(
        &err,
        THINGS_PATH,
        &manifest.specs[0].sha256,
        &sha256_hex(&bytes),
    );
}

const PROBE: &str = "/crm/v3/objects/leads/{leadsId}/xtask-probe";

/// `leads.json` with one more operation, `GET {PROBE}`.
fn leads_with_probe(original: &[u8]) -> Vec<u8> {
    let mut spec: serde_json::Value = serde_json::from_slice(original).unwrap();
    let paths = spec["paths"].as_object_mut().unwrap();
    assert!(!paths.contains_key(PROBE));
    paths.insert(
        PROBE.into(),
        serde_json::json!({ "get": {
            "parameters": [{ "name": "leadsId", "in": "path", "required": true, "schema": { "type": "string" } }],
            "responses": {
                "200": { "description": "", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/SimplePublicObject" } } } },
                "default": { "$ref": "#/components/responses/Error" },
            },
        } }),
    );
    serde_json::to_vec_pretty(&spec).unwrap()
}

/// Mirror: an upstream change is refused until the manifest pins it, and then a new
/// operation needs a method name before the client generates.
#[test]
fn an_upstream_change_is_refused_until_pinned_and_named() {
    let Some(shared) = mirror("an_upstream_change_is_refused_until_pinned_and_named") else {
        return;
    };
    let manifest = project_manifest();
    let root = temp_root(&project_manifest_text());
    let upstream = root.path().join("upstream");
    for spec in &manifest.specs {
        let to = upstream.join(&spec.path);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(shared.join(&spec.path), to).unwrap();
    }
    pull_from(root.path(), &upstream).unwrap();
    let pulled = snapshot(&pulled_dir(root.path()));
    assert_eq!(pulled.len(), manifest.specs.len());

    // A trivial change to the last spec: refused, nothing written.
    let last = manifest.specs.last().unwrap();
    let last_file = upstream.join(&last.path);
    let original_last = std::fs::read(&last_file).unwrap();
    let mut changed = original_last.clone();
    changed.push(b' ');
    std::fs::write(&last_file, &changed).unwrap();
    let err = pull_from(root.path(), &upstream).unwrap_err();
    assert_mismatch(&err, &last.path, &last.sha256, &sha256_hex(&changed));
    assert_eq!(snapshot(&pulled_dir(root.path())), pulled);
    assert!(temporaries(root.path()).is_empty());
    std::fs::write(&last_file, &original_last).unwrap();

    // HubSpot adds an operation to leads.
    let leads_path = spec_path(&manifest, "leads");
    let leads_file = upstream.join(leads_path);
    let leads = leads_with_probe(&std::fs::read(&leads_file).unwrap());
    std::fs::write(&leads_file, &leads).unwrap();
    let pinned = &manifest
        .specs
        .iter()
        .find(|s| s.module == "leads")
        .unwrap()
        .sha256;
    let err = pull_from(root.path(), &upstream).unwrap_err();
    assert_mismatch(&err, leads_path, pinned, &sha256_hex(&leads));
    assert_eq!(snapshot(&pulled_dir(root.path())), pulled);

    // Pinning the new hash lets the pull through.
    let manifest_file = root.path().join("specs/manifest.toml");
    let repinned = repin(&project_manifest_text(), leads_path, &sha256_hex(&leads));
    std::fs::write(&manifest_file, &repinned).unwrap();
    pull_from(root.path(), &upstream).unwrap();
    assert_eq!(
        std::fs::read(pulled_dir(root.path()).join(leads_path)).unwrap(),
        leads
    );
    assert!(temporaries(root.path()).is_empty());

    // Code generation names the operation that has no method name (leads comes first, so
    // this fails before generating anything).
    let err = run(root.path(), &args(&["codegen", "--check"])).unwrap_err();
    let probe = format!("GET {PROBE}");
    match &err {
        Error::UnnamedOperations { module, operations } => {
            assert_eq!(module, "leads");
            assert_eq!(operations, std::slice::from_ref(&probe));
        }
        other => panic!("expected unnamed operations, got {other:?}"),
    }
    assert!(err.to_string().contains(&probe), "{err}");

    // Naming it without a kind is not enough; naming it with one generates the method.
    let list = "\"GET /crm/v3/objects/leads\" = { name = \"list\", kind = \"read\" }\n";
    assert_eq!(repinned.matches(list).count(), 1);
    let generate_leads = |entry: &str| {
        let named = repinned.replace(list, &format!("{list}\"{probe}\" = {entry}\n"));
        std::fs::write(&manifest_file, named).unwrap();
        let mut manifest = Manifest::load(&manifest_file).unwrap();
        manifest.specs.retain(|s| s.module == "leads");
        let specs_dir = root.path().join("specs");
        generate::generate(&generate::Inputs {
            manifest: &manifest,
            specs_dir: &specs_dir,
            pulled_dir: &pulled_dir(root.path()),
        })
    };
    match generate_leads("\"probe\"").unwrap_err() {
        Error::UndeclaredKinds { module, operations } => {
            assert_eq!(module, "leads");
            assert_eq!(operations, [format!("`{probe}` (`probe`)")]);
        }
        other => panic!("expected an undeclared kind, got {other:?}"),
    }
    let files = generate_leads("{ name = \"probe\", kind = \"read\" }").unwrap();
    let client = &files[&Path::new(API_CRATE).join("src/leads.rs")];
    assert!(client.contains("pub fn probe(&self) -> builder::Probe<'_>"));
    assert!(client.contains(&format!("`{PROBE}`")));
    assert!(client.contains("pub fn create(&self) -> builder::Create<'_>"));
}
