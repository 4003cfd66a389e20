//! Code generation: on the fixture (always), and on HubSpot's specs from the mirror: no prose
//! gets through, the rules show in the code, output is deterministic and matches `codegen/`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use quote::ToTokens;
use serde_json::Value;

use super::{
    args, fixture_root, mirror, mirror_dir, project_manifest, project_manifest_text, snapshot,
    temp_root,
};
use crate::generate::{self, API_CRATE, HEADER, MOCK_CRATE};
use crate::pull::{self, Source};
use crate::{Error, check_files, run};

/// One generation of the whole client from the mirror, shared by the tests that read it.
struct Generated {
    /// Generated files by path relative to the workspace root.
    files: BTreeMap<PathBuf, String>,
    /// Each module's spec after normalization.
    normalized: BTreeMap<String, Value>,
}

fn generate_from(mirror: &Path) -> Result<Generated, Error> {
    let manifest = project_manifest();
    let pulled = tempfile::tempdir().map_err(|e| Error::io(Path::new("tempdir"), e))?;
    pull::pull(&manifest, &Source::Dir(mirror.to_owned()), pulled.path())?;
    let specs_dir = crate::workspace_root().join("specs");
    let inputs = generate::Inputs {
        manifest: &manifest,
        specs_dir: &specs_dir,
        pulled_dir: pulled.path(),
    };
    let mut normalized = BTreeMap::new();
    for entry in &manifest.specs {
        normalized.insert(
            entry.module.clone(),
            generate::load_normalized(entry, &inputs)?,
        );
    }
    let files = generate::generate(&inputs)?;
    Ok(Generated { files, normalized })
}

/// The shared generation, or `None` (after saying why) without the mirror.
fn generated(test: &str) -> Option<&'static Generated> {
    static GENERATED: OnceLock<Result<Generated, String>> = OnceLock::new();
    mirror(test)?;
    let generated =
        GENERATED.get_or_init(|| generate_from(&mirror_dir()).map_err(|e| e.to_string()));
    Some(
        generated
            .as_ref()
            .unwrap_or_else(|e| panic!("generation from the mirror failed: {e}")),
    )
}

fn client(generated: &Generated, module: &str) -> syn::File {
    parse(&generated.files[&Path::new(API_CRATE).join(format!("src/{module}.rs"))])
}

// Reading generated code -------------------------------------------------------------------

fn parse(code: &str) -> syn::File {
    syn::parse_file(code).expect("generated code parses")
}

/// Tokens without spaces or trailing commas: `::std::option::Option<::std::string::String>`.
fn tokens(t: &impl ToTokens) -> String {
    t.to_token_stream()
        .to_string()
        .replace(' ', "")
        .replace(",>", ">")
        .replace(",)", ")")
}

fn module_items<'a>(file: &'a syn::File, name: &str) -> &'a [syn::Item] {
    file.items
        .iter()
        .find_map(|item| match item {
            syn::Item::Mod(m) if m.ident == name => m.content.as_ref().map(|(_, i)| &i[..]),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no module `{name}`"))
}

/// The type of `field` in struct `name` among `items`.
fn field_type(items: &[syn::Item], name: &str, field: &str) -> String {
    let fields = items
        .iter()
        .find_map(|item| match item {
            syn::Item::Struct(s) if s.ident == name => Some(&s.fields),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no struct `{name}`"));
    fields
        .iter()
        .find(|f| f.ident.as_ref().is_some_and(|i| i == field))
        .map(|f| tokens(&f.ty))
        .unwrap_or_else(|| panic!("no field `{name}.{field}`"))
}

/// Functions of the inherent impls of `self_ty` among `items`.
fn inherent_fns<'a>(items: &'a [syn::Item], self_ty: &str) -> Vec<&'a syn::ImplItemFn> {
    items
        .iter()
        .filter_map(|item| match item {
            syn::Item::Impl(i) if i.trait_.is_none() => Some(i),
            _ => None,
        })
        .filter(|i| {
            let ty = tokens(&i.self_ty);
            ty == self_ty || ty.starts_with(&format!("{self_ty}<"))
        })
        .flat_map(|i| &i.items)
        .filter_map(|item| match item {
            syn::ImplItem::Fn(f) => Some(f),
            _ => None,
        })
        .collect()
}

/// The operation methods of `Client`: those returning a request builder.
fn client_methods(file: &syn::File) -> BTreeSet<String> {
    inherent_fns(&file.items, "Client")
        .iter()
        .filter(|f| tokens(&f.sig.output).starts_with("->builder::"))
        .map(|f| f.sig.ident.to_string())
        .collect()
}

/// What the `send` of the request builder `builder` returns.
fn send_output(file: &syn::File, builder: &str) -> String {
    inherent_fns(module_items(file, "builder"), builder)
        .iter()
        .find(|f| f.sig.ident == "send")
        .map(|f| tokens(&f.sig.output))
        .unwrap_or_else(|| panic!("no `{builder}::send`"))
}

const STRING: &str = "::std::string::String";

fn option(ty: &str) -> String {
    format!("::std::option::Option<{ty}>")
}

fn string_map(value: &str) -> String {
    format!("::std::collections::BTreeMap<{STRING},{value}>")
}

// Prose ------------------------------------------------------------------------------------

/// Every text of an upstream spec: `description` and `summary` values, OAuth scope
/// descriptions and the strings inside `x-` extensions.
fn upstream_prose(value: &Value, out: &mut BTreeSet<String>) {
    fn strings(value: &Value, out: &mut BTreeSet<String>) {
        match value {
            Value::String(s) => {
                out.insert(s.clone());
            }
            Value::Array(items) => items.iter().for_each(|v| strings(v, out)),
            Value::Object(map) => map.values().for_each(|v| strings(v, out)),
            _ => {}
        }
    }
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                match key.as_str() {
                    "description" | "summary" if child.is_string() => strings(child, out),
                    "scopes" => strings(child, out),
                    k if k.starts_with("x-") => strings(child, out),
                    _ => upstream_prose(child, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| upstream_prose(v, out)),
        _ => {}
    }
}

/// The lines of `texts` long enough that finding one elsewhere is no coincidence.
fn long_lines(texts: &BTreeSet<String>) -> BTreeSet<String> {
    texts
        .iter()
        .flat_map(|t| t.lines())
        .map(str::trim)
        .filter(|line| line.chars().count() >= 40)
        .map(str::to_owned)
        .collect()
}

/// Keys `description`/`summary` whose value is text, anywhere in `value`.
fn text_keywords(value: &Value, path: &str, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let here = format!("{path}/{key}");
                if matches!(key.as_str(), "description" | "summary")
                    && child.as_str().is_some_and(|s| !s.is_empty())
                {
                    out.push(here.clone());
                }
                text_keywords(child, &here, out);
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                text_keywords(item, &format!("{path}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// Mirror: no text of HubSpot's specs reaches the normalized specs or the generated code.
#[test]
fn no_upstream_prose_survives() {
    let Some(generated) = generated("no_upstream_prose_survives") else {
        return;
    };
    let mirror = mirror_dir();
    let mut prose = BTreeSet::new();
    for entry in &project_manifest().specs {
        let upstream: Value =
            serde_json::from_slice(&std::fs::read(mirror.join(&entry.path)).unwrap()).unwrap();
        upstream_prose(&upstream, &mut prose);
    }
    let lines = long_lines(&prose);
    assert!(
        lines.len() > 50,
        "only {} long lines of prose found upstream: is the mirror right?",
        lines.len()
    );

    for (module, spec) in &generated.normalized {
        let mut found = Vec::new();
        text_keywords(spec, "", &mut found);
        assert!(found.is_empty(), "`{module}` keeps text at {found:?}");
        let text = spec.to_string();
        let kept: Vec<_> = lines.iter().filter(|l| text.contains(l.as_str())).collect();
        assert!(kept.is_empty(), "normalized `{module}` keeps {kept:#?}");
    }
    for (path, code) in &generated.files {
        let kept: Vec<_> = lines.iter().filter(|l| code.contains(l.as_str())).collect();
        assert!(kept.is_empty(), "{} contains {kept:#?}", path.display());
    }
}

// The rules, as seen in the generated code ------------------------------------------------

/// Mirror: every operation gets its manifest name, and the normalization rules show.
#[test]
fn generated_code_reflects_the_rules() {
    let Some(generated) = generated("generated_code_reflects_the_rules") else {
        return;
    };
    let manifest = project_manifest();
    let expected: BTreeSet<PathBuf> = manifest
        .specs
        .iter()
        .flat_map(|s| {
            [API_CRATE, MOCK_CRATE].map(|c| Path::new(c).join(format!("src/{}.rs", s.module)))
        })
        .chain([API_CRATE, MOCK_CRATE].into_iter().flat_map(|c| {
            [
                Path::new(c).join("src/lib.rs"),
                Path::new(c).join("Cargo.toml"),
            ]
        }))
        .collect();
    assert_eq!(
        generated.files.keys().cloned().collect::<BTreeSet<_>>(),
        expected
    );
    for (path, text) in &generated.files {
        let first = text.lines().next().unwrap_or_default();
        let marker = HEADER.trim_start_matches("// ").trim_end();
        assert!(
            first.contains(marker),
            "{} starts with {first}",
            path.display()
        );
    }

    // Method names are the manifest's, all of them (with the extra fragment's for leads).
    for spec in &manifest.specs {
        let file = client(generated, &spec.module);
        let names: BTreeSet<String> = spec.methods.values().cloned().collect();
        assert_eq!(client_methods(&file), names, "module `{}`", spec.module);
    }
    let leads = client(generated, "leads");
    let methods = client_methods(&leads);
    for name in [
        "create",
        "list",
        "get",
        "batch_create",
        "associate",
        "remove_association",
    ] {
        assert!(methods.contains(name), "leads lacks `{name}`");
    }
    let types = module_items(&leads, "types");

    // Property maps of objects sent back accept null; those of inputs do not.
    assert_eq!(
        field_type(types, "SimplePublicObject", "properties"),
        string_map(&option(STRING))
    );
    assert_eq!(
        field_type(types, "SimplePublicObjectWithAssociations", "properties"),
        string_map(&option(STRING))
    );
    assert_eq!(
        field_type(types, "SimplePublicObjectInputForCreate", "properties"),
        string_map(STRING)
    );
    assert_eq!(
        field_type(types, "SimplePublicObjectInput", "properties"),
        string_map(STRING)
    );

    // Batch operations answer with the 207 schema (with `errors`), deletes with nothing.
    for builder in ["BatchCreate", "BatchRead", "BatchUpdate"] {
        assert_eq!(
            send_output(&leads, builder),
            "->Result<ResponseValue<types::BatchResponseSimplePublicObjectWithErrors>,Error<ByteStream>>",
            "{builder}"
        );
    }
    assert_eq!(
        send_output(&leads, "Create"),
        "->Result<ResponseValue<types::SimplePublicObject>,Error<ByteStream>>"
    );
    assert_eq!(
        send_output(&leads, "Archive"),
        "->Result<ResponseValue<()>,Error<ByteStream>>"
    );

    // List-valued query parameters are one comma-separated string.
    let builders = module_items(&leads, "builder");
    assert_eq!(
        field_type(builders, "List", "properties"),
        format!("Result<Option<{STRING}>,String>")
    );

    // Enums: open in what comes back, closed in what is only sent.
    assert_eq!(field_type(types, "Filter", "operator"), "FilterOperator");
    assert_eq!(
        field_type(types, "BatchResponseSimplePublicObjectWithErrors", "status"),
        STRING
    );
    let associations = client(generated, "associations");
    assert_eq!(
        field_type(
            module_items(&associations, "types"),
            "AssociationSpec",
            "association_category"
        ),
        STRING
    );

    // Required relaxed: search bodies, batch-read property lists, errors; kept elsewhere.
    assert_eq!(
        field_type(types, "PublicObjectSearchRequest", "after"),
        option(STRING)
    );
    assert_eq!(field_type(types, "Error", "category"), option(STRING));
    assert_eq!(field_type(types, "Error", "message"), option(STRING));
    assert_eq!(field_type(types, "ErrorDetail", "message"), option(STRING));
    assert_eq!(field_type(types, "SimplePublicObject", "id"), STRING);
    // Bare-object fields of errors take any value.
    assert_eq!(
        field_type(types, "StandardError", "sub_category"),
        option("::serde_json::Value")
    );
    // Search sorts are objects.
    assert_eq!(
        field_type(types, "PublicObjectSearchRequest", "sorts"),
        "::std::vec::Vec<PublicObjectSearchRequestSortsItem>"
    );
    let read_input = leads_struct_serde(&leads, "BatchReadInputSimplePublicObjectId");
    assert!(read_input.contains("properties") && read_input.contains("default"));

    // A field named `description` is a field, not prose.
    let properties = client(generated, "properties");
    assert_eq!(
        field_type(
            module_items(&properties, "types"),
            "Property",
            "description"
        ),
        STRING
    );
}

/// The tokens of struct `name` in the `types` module, without spaces.
fn leads_struct_serde(file: &syn::File, name: &str) -> String {
    module_items(file, "types")
        .iter()
        .find_map(|item| match item {
            syn::Item::Struct(s) if s.ident == name => Some(tokens(s)),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no struct `{name}`"))
}

// Determinism and the committed code -------------------------------------------------------

/// Mirror: a second generation, through `specs pull` and `codegen` in a scratch workspace,
/// writes exactly the same bytes.
#[test]
fn generation_is_deterministic() {
    let Some(first) = generated("generation_is_deterministic") else {
        return;
    };
    let root = temp_root(&project_manifest_text());
    let mirror = mirror_dir();
    run(
        root.path(),
        &args(&["specs", "pull", "--from", mirror.to_str().unwrap()]),
    )
    .unwrap();
    run(root.path(), &args(&["codegen"])).unwrap();
    let written: BTreeMap<PathBuf, String> = snapshot(&root.path().join("codegen"))
        .into_iter()
        .map(|(path, bytes)| {
            (
                Path::new("codegen").join(path),
                String::from_utf8(bytes).unwrap(),
            )
        })
        .collect();
    assert_eq!(
        written.keys().collect::<Vec<_>>(),
        first.files.keys().collect::<Vec<_>>()
    );
    for (path, text) in &first.files {
        if written[path] != *text {
            let line = text
                .lines()
                .zip(written[path].lines())
                .position(|(a, b)| a != b)
                .map_or(0, |i| i + 1);
            panic!(
                "{} differs between two generations, from line {line}",
                path.display()
            );
        }
    }
    run(root.path(), &args(&["codegen", "--check"])).unwrap();
}

/// Mirror: the code in `codegen/` is what generation produces (`cargo xtask codegen --check`).
#[test]
fn committed_code_is_up_to_date() {
    let Some(generated) = generated("committed_code_is_up_to_date") else {
        return;
    };
    if let Err(e) = check_files(&crate::workspace_root(), &generated.files) {
        panic!("{e}");
    }
}

// The fixture, end to end ------------------------------------------------------------------

/// `codegen` writes the crates, `--check` accepts them, notices an edit and a stray file,
/// and `codegen` again repairs both.
#[test]
fn codegen_writes_checks_and_cleans_up() {
    let (root, mirror) = fixture_root();
    let root = root.path();
    run(
        root,
        &args(&["specs", "pull", "--from", mirror.to_str().unwrap()]),
    )
    .unwrap();
    run(root, &args(&["codegen"])).unwrap();
    let written = snapshot(&root.join("codegen"));
    let names: Vec<String> = written.keys().map(|p| p.display().to_string()).collect();
    assert_eq!(
        names,
        [
            "hubspot-crm-api/Cargo.toml",
            "hubspot-crm-api/src/labels.rs",
            "hubspot-crm-api/src/lib.rs",
            "hubspot-crm-api/src/things.rs",
            "hubspot-crm-mock/Cargo.toml",
            "hubspot-crm-mock/src/labels.rs",
            "hubspot-crm-mock/src/lib.rs",
            "hubspot-crm-mock/src/things.rs",
        ]
    );
    let things =
        parse(std::str::from_utf8(&written[Path::new("hubspot-crm-api/src/things.rs")]).unwrap());
    assert_eq!(client_methods(&things), BTreeSet::from(["get".to_owned()]));
    assert_eq!(
        field_type(module_items(&things, "types"), "Thing", "properties"),
        string_map(&option(STRING))
    );
    let labels =
        parse(std::str::from_utf8(&written[Path::new("hubspot-crm-api/src/labels.rs")]).unwrap());
    assert_eq!(
        send_output(&labels, "Delete"),
        "->Result<ResponseValue<()>,Error<ByteStream>>"
    );
    let lib = std::str::from_utf8(&written[Path::new("hubspot-crm-api/src/lib.rs")]).unwrap();
    assert!(lib.contains("pub mod things;") && lib.contains("pub mod labels;"));
    run(root, &args(&["codegen", "--check"])).unwrap();

    // A hand edit and a file generation would not write.
    let edited = root.join("codegen/hubspot-crm-api/src/things.rs");
    let mut text = std::fs::read_to_string(&edited).unwrap();
    text.push_str("// edited\n");
    std::fs::write(&edited, text).unwrap();
    let stray = root.join("codegen/hubspot-crm-mock/src/gone.rs");
    std::fs::write(&stray, "// from a module since removed\n").unwrap();
    let err = run(root, &args(&["codegen", "--check"])).unwrap_err();
    let message = err.to_string();
    assert!(message.contains("stale"), "{message}");
    assert!(
        message.contains("codegen/hubspot-crm-api/src/things.rs"),
        "{message}"
    );
    assert!(
        message.contains("codegen/hubspot-crm-mock/src/gone.rs (not generated)"),
        "{message}"
    );
    assert!(!message.contains("labels.rs"), "{message}");

    run(root, &args(&["codegen"])).unwrap();
    assert_eq!(snapshot(&root.join("codegen")), written);
    run(root, &args(&["codegen", "--check"])).unwrap();
}
