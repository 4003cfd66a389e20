//! Code generation: on the fixture (always), and on HubSpot's specs from the mirror: no prose
//! gets through, the rules show in the code, output is deterministic and matches `codegen/`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use progenitor_impl::TypeImpl;
use quote::ToTokens;
use serde_json::{Value, json};

use super::{
    args, fixture_root, mirror, mirror_dir, project_manifest, project_manifest_text, snapshot,
    temp_root,
};
use crate::generate::{self, API_CRATE, HEADER, MOCK_CRATE};
use crate::manifest::Kind;
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
    module_items_of(&file.items, name)
}

/// The items of module `name` among `items`.
fn module_items_of<'a>(items: &'a [syn::Item], name: &str) -> &'a [syn::Item] {
    items
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
                Path::new(c).join("README.md"),
                Path::new(c).join("LICENSE-MIT"),
                Path::new(c).join("LICENSE-APACHE"),
            ]
        }))
        // The shared types are the client's; the mocks refer to them there.
        .chain([Path::new(API_CRATE).join("src/shared.rs")])
        .collect();
    assert_eq!(
        generated.files.keys().cloned().collect::<BTreeSet<_>>(),
        expected
    );
    // The licences are copied as they are; everything else says it is generated.
    for (path, text) in generated
        .files
        .iter()
        .filter(|(path, _)| !path.to_string_lossy().contains("LICENSE-"))
    {
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
        let names: BTreeSet<String> = spec.method_names().into_values().collect();
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
    let objects = client(generated, "objects");
    let associations = client(generated, "associations");
    let association_labels = client(generated, "association_labels");
    let properties = client(generated, "properties");

    // Schemas several specs define alike are generated once, in `shared`.
    let api_lib = &generated.files[&Path::new(API_CRATE).join("src/lib.rs")];
    assert!(api_lib.contains("pub mod shared;"), "{api_lib}");
    assert!(
        api_lib.contains("extern crate self as hubspot_crm_api;"),
        "{api_lib}"
    );
    let mock_lib = &generated.files[&Path::new(MOCK_CRATE).join("src/lib.rs")];
    assert!(!mock_lib.contains("pub mod shared;"), "{mock_lib}");
    for spec in &manifest.specs {
        let declaration = format!("pub mod {};", spec.module);
        assert!(api_lib.contains(&declaration), "{api_lib}");
        assert!(mock_lib.contains(&declaration), "{mock_lib}");
    }
    let shared = shared_file(generated);
    let types = &shared.items[..];
    let shared_types = defined_types(types);
    for name in SHARED_CRM_TYPES {
        assert!(shared_types.contains(name), "shared.rs lacks `{name}`");
    }
    // Leads and objects define none of them and use the shared ones.
    for (module, file) in [("leads", &leads), ("objects", &objects)] {
        let local = defined_types(module_items(file, "types"));
        let doubled: Vec<_> = SHARED_CRM_TYPES
            .iter()
            .filter(|name| local.contains(**name))
            .collect();
        assert!(doubled.is_empty(), "`{module}` defines {doubled:?} itself");
        // Batch operations answer with the 207 schema (with `errors`, under the 201's name),
        // deletes with nothing.
        for builder in ["BatchCreate", "BatchRead", "BatchUpdate"] {
            assert_eq!(
                send_output(file, builder),
                "->Result<ResponseValue<::hubspot_crm_api::shared::BatchResponseSimplePublicObject>,Error<ByteStream>>",
                "{module}: {builder}"
            );
        }
        assert_eq!(
            send_output(file, "BatchUpsert"),
            "->Result<ResponseValue<::hubspot_crm_api::shared::BatchResponseSimplePublicUpsertObject>,Error<ByteStream>>",
            "{module}"
        );
        assert_eq!(
            send_output(file, "Create"),
            "->Result<ResponseValue<::hubspot_crm_api::shared::SimplePublicObject>,Error<ByteStream>>",
            "{module}"
        );
        assert_eq!(
            send_output(file, "Archive"),
            "->Result<ResponseValue<()>,Error<ByteStream>>",
            "{module}"
        );
        let builders = module_items(file, "builder");
        for (builder, body) in [
            ("Create", "SimplePublicObjectInputForCreate"),
            ("Update", "SimplePublicObjectInput"),
            (
                "BatchCreate",
                "BatchInputSimplePublicObjectBatchInputForCreate",
            ),
            ("BatchRead", "BatchReadInputSimplePublicObjectId"),
            ("BatchUpdate", "BatchInputSimplePublicObjectBatchInput"),
            (
                "BatchUpsert",
                "BatchInputSimplePublicObjectBatchInputUpsert",
            ),
            ("BatchArchive", "BatchInputSimplePublicObjectId"),
            ("Search", "PublicObjectSearchRequest"),
        ] {
            assert_eq!(
                field_type(builders, builder, "body"),
                format!("Result<::hubspot_crm_api::shared::{body},String>"),
                "{module}: {builder}"
            );
        }
    }
    // Every module takes exactly what sharing gives it, and keeps its own type otherwise.
    let specs: Vec<(String, Value)> = manifest
        .specs
        .iter()
        .map(|s| (s.module.clone(), generated.normalized[&s.module].clone()))
        .collect();
    let found = crate::shared::find(&specs);
    // Each place's types are where shared.rs has them, and nothing else is there.
    for (place, names) in &found.places {
        let here = match place.submodule() {
            Some(sub) => defined_types(module_items(&shared, sub)),
            None => shared_types.clone(),
        };
        let names: BTreeSet<String> = names.keys().cloned().collect();
        assert!(
            names.is_subset(&here),
            "shared.rs lacks some of {names:?} at {place:?}"
        );
    }
    let submodules: BTreeSet<String> = shared
        .items
        .iter()
        .filter_map(|item| match item {
            syn::Item::Mod(m) if m.ident != "builder" && m.ident != "error" => {
                Some(m.ident.to_string())
            }
            _ => None,
        })
        .collect();
    let places: BTreeSet<String> = found
        .places
        .keys()
        .filter_map(|p| p.submodule().map(str::to_owned))
        .collect();
    assert_eq!(submodules, places);
    for name in SHARED_CRM_TYPES {
        for module in ["leads", "objects"] {
            assert_eq!(
                found.place_of(module, name),
                Some(&crate::shared::Place::Root),
                "`{module}` does not use the root's `{name}`"
            );
        }
    }
    for (module, spec) in &specs {
        let file = client(generated, module);
        let local = defined_types(module_items(&file, "types"));
        let reexported = reexports(module_items(&file, "types"));
        let used: BTreeSet<&str> = found.used_by(module).map(|(name, _)| name).collect();
        for name in spec["components"]["schemas"].as_object().unwrap().keys() {
            assert_eq!(
                local.contains(name),
                !used.contains(name.as_str()),
                "`{module}` and `{name}`: defined locally iff not shared with it"
            );
            // `types::Name` names every schema: its own, or the shared one it uses.
            let shared_path = found.place_of(module, name).map(|place| place.path(name));
            assert_eq!(
                reexported.get(name.as_str()),
                shared_path.as_ref(),
                "`{module}::types::{name}`"
            );
        }
        assert_eq!(
            reexported.len(),
            used.len(),
            "`{module}` re-exports {reexported:?}"
        );
    }
    // What is left local twice is a different wire format in each: the schemas differ, or
    // one of them refers to a schema that is not the same type in both.
    for (name, modules) in locally_defined(&specs, &found) {
        for (i, a) in modules.iter().enumerate() {
            for b in &modules[i + 1..] {
                let schema = |m: &str| &generated.normalized[m]["components"]["schemas"][name];
                let mut refs = BTreeSet::new();
                refs_of(schema(a), &mut refs);
                let same_refs = refs.iter().all(|r| {
                    found.place_of(a, r).is_some() && found.place_of(a, r) == found.place_of(b, r)
                });
                assert!(
                    schema(a) != schema(b) || !same_refs,
                    "`{a}` and `{b}` both define `{name}` alike, holding the same types"
                );
            }
        }
    }
    // Nothing of the generator's bookkeeping reaches the code, and no batch answer keeps
    // the `WithErrors` name the 2026-09 specs do not use (rule 1c).
    for (path, code) in &generated.files {
        assert!(!code.contains("SharedAlias"), "{}", path.display());
        assert!(!code.contains("WithErrors"), "{}", path.display());
    }
    for (module, spec) in &specs {
        let names = spec["components"]["schemas"].as_object().unwrap();
        let with_errors: Vec<_> = names.keys().filter(|n| n.ends_with("WithErrors")).collect();
        assert!(with_errors.is_empty(), "`{module}` keeps {with_errors:?}");
    }
    // So a batch answer the v4 and 2026-09 specs define alike is one type ...
    for module in ["associations", "associations_2026_09"] {
        assert_eq!(
            found.place_of(module, "BatchResponseLabelsBetweenObjectPair"),
            Some(&crate::shared::Place::Root),
            "{module}"
        );
    }
    // ... unless what it holds differs: v3's `SimplePublicObject` has `warnings`, v3's
    // `Property` three display fields, v4's `AssociationSpecWithLabel` two type ids, which
    // the 2026-09 ones lack. The answers read alike but keep their own types.
    let schema_of =
        |module: &str, name: &str| &generated.normalized[module]["components"]["schemas"][name];
    for (v3, dated, answer, held) in [
        (
            "objects",
            "objects_2026_09",
            "BatchResponseSimplePublicObject",
            "SimplePublicObject",
        ),
        (
            "properties",
            "properties_2026_09",
            "BatchResponseProperty",
            "Property",
        ),
        (
            "associations",
            "associations_2026_09",
            "BatchResponsePublicAssociationMultiWithLabel",
            "AssociationSpecWithLabel",
        ),
    ] {
        assert!(schema_of(v3, answer).is_object(), "`{v3}` lacks `{answer}`");
        assert_eq!(schema_of(v3, answer), schema_of(dated, answer), "{answer}");
        assert_ne!(schema_of(v3, held), schema_of(dated, held), "{held}");
        assert_eq!(
            found.place_of(dated, answer),
            None,
            "`{dated}` shares `{answer}`"
        );
    }

    // The v4 associations send `AssociationSpec` back, so its category is open text there,
    // while the object specs keep it a closed enum: two shared types of one name. The
    // largest group's is `shared::AssociationSpec`, the associations' own is in
    // `shared::associations`, used by both association modules.
    let associations_2026_09 = client(generated, "associations_2026_09");
    let association_types = module_items(&shared, "associations");
    assert_eq!(
        defined_types(association_types),
        BTreeSet::from(["AssociationSpec".to_owned()])
    );
    assert_eq!(
        field_type(association_types, "AssociationSpec", "association_category"),
        STRING
    );
    assert_eq!(
        field_type(types, "AssociationSpec", "association_category"),
        "AssociationSpecAssociationCategory"
    );
    let submodule_doc = shared_source(generated)
        .lines()
        .find(|line| line.contains("Shared by `associations`"))
        .map(str::to_owned);
    assert_eq!(
        submodule_doc.as_deref(),
        Some(
            "/// Shared by `associations` and `associations_2026_09`, whose definitions differ from the types of the same names in `shared`."
        )
    );
    let in_submodule = crate::shared::Place::Sub("associations".into());
    for (module, file) in [
        ("associations", &associations),
        ("associations_2026_09", &associations_2026_09),
    ] {
        let local = defined_types(module_items(file, "types"));
        assert_eq!(
            found.place_of(module, "AssociationSpec"),
            Some(&in_submodule)
        );
        // What holds the associations' `AssociationSpec` is shared too, at the root.
        for name in [
            "AssociationSpec",
            "PublicAssociationMultiPost",
            "BatchInputPublicAssociationMultiPost",
            "PublicDefaultAssociation",
            "BatchResponsePublicDefaultAssociation",
            "LabelsBetweenObjectPair",
        ] {
            assert!(!local.contains(name), "`{module}` defines its own `{name}`");
        }
        for name in [
            "PublicAssociationMultiPost",
            "BatchInputPublicAssociationMultiPost",
            "PublicDefaultAssociation",
            "BatchResponsePublicDefaultAssociation",
        ] {
            assert_eq!(
                found.place_of(module, name),
                Some(&crate::shared::Place::Root),
                "`{module}`: {name}"
            );
        }
        // `ReportCreationResponse` reads alike in both, but holds a `DateTime` whose value is
        // 64 bits in one and 32 in the other: each keeps its own.
        assert!(
            local.contains("ReportCreationResponse"),
            "`{module}`: {local:?}"
        );
        assert!(local.contains("DateTime"), "`{module}`: {local:?}");
        let client_source =
            &generated.files[&Path::new(API_CRATE).join(format!("src/{module}.rs"))];
        assert!(
            client_source.contains("::hubspot_crm_api::shared::associations::AssociationSpec"),
            "`{module}` does not use the associations' `AssociationSpec`"
        );
    }
    assert_eq!(
        field_type(module_items(&associations, "types"), "DateTime", "value"),
        "i64"
    );
    assert_eq!(
        field_type(
            module_items(&associations_2026_09, "types"),
            "DateTime",
            "value"
        ),
        "i32"
    );
    assert_eq!(
        field_type(types, "PublicAssociationMultiPost", "types"),
        "::std::vec::Vec<::hubspot_crm_api::shared::associations::AssociationSpec>"
    );
    assert_eq!(
        field_type(types, "PublicDefaultAssociation", "association_spec"),
        "::hubspot_crm_api::shared::associations::AssociationSpec"
    );
    // The object specs keep using the closed one.
    for module in ["leads", "objects", "objects_2026_09"] {
        assert_eq!(
            found.place_of(module, "AssociationSpec"),
            Some(&crate::shared::Place::Root),
            "{module}"
        );
    }

    // `AssociationSpecWithLabel`: the v4 associations' lacks a required `typeId`, the label
    // specs' has one; the latter is shared (with the 2026-09 associations), the former stays
    // the v4 associations' own.
    let with_label = |module: &str| &generated.normalized[module]["components"]["schemas"]["AssociationSpecWithLabel"];
    assert!(with_label("associations").is_object());
    assert_ne!(with_label("associations"), with_label("association_labels"));
    assert_eq!(
        found.place_of("associations", "AssociationSpecWithLabel"),
        None
    );
    for module in [
        "association_labels",
        "associations_2026_09",
        "association_labels_2026_09",
    ] {
        assert_eq!(
            found.place_of(module, "AssociationSpecWithLabel"),
            Some(&crate::shared::Place::Root),
            "{module}"
        );
    }
    assert!(
        defined_types(module_items(&associations, "types")).contains("AssociationSpecWithLabel"),
        "`associations` lacks its own `AssociationSpecWithLabel`"
    );
    assert!(
        !defined_types(module_items(&association_labels, "types"))
            .contains("AssociationSpecWithLabel"),
        "`association_labels` defines its own `AssociationSpecWithLabel`"
    );
    assert_eq!(
        field_type(
            module_items(&associations, "types"),
            "AssociationSpecWithLabel",
            "to_object_type_id"
        ),
        option(STRING)
    );
    assert_eq!(
        field_type(types, "AssociationSpecWithLabel", "type_id"),
        "i32"
    );

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

    // List-valued query parameters are one comma-separated string.
    let builders = module_items(&leads, "builder");
    assert_eq!(
        field_type(builders, "List", "properties"),
        format!("Result<Option<{STRING}>,String>")
    );

    // Enums: open in what comes back, closed in what is only sent.
    assert_eq!(field_type(types, "Filter", "operator"), "FilterOperator");
    assert_eq!(
        field_type(types, "BatchResponseSimplePublicObject", "status"),
        STRING
    );
    assert_eq!(
        field_type(association_types, "AssociationSpec", "association_category"),
        STRING
    );

    // Record ids the v4 API sends as numbers read into the crate's `RecordId`.
    for (items, name, field) in [
        (types, "LabelsBetweenObjectPair", "from_object_id"),
        (types, "LabelsBetweenObjectPair", "to_object_id"),
        (
            module_items(&associations, "types"),
            "MultiAssociatedObjectWithLabel",
            "to_object_id",
        ),
    ] {
        assert_eq!(
            field_type(items, name, field),
            "::hubspot_crm_api::RecordId",
            "{name}.{field}"
        );
    }
    let lib = parse(&generated.files[&Path::new(API_CRATE).join("src/lib.rs")]);
    assert!(
        lib.items
            .iter()
            .any(|i| matches!(i, syn::Item::Struct(s) if s.ident == "RecordId")),
        "lib.rs defines RecordId"
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
    let read_input = struct_tokens(types, "BatchReadInputSimplePublicObjectId");
    assert!(read_input.contains("properties") && read_input.contains("default"));

    // The failed items of a 207 are any JSON each; an error answer's list keeps its type.
    let any_list = "::std::vec::Vec<::serde_json::Value>";
    for name in [
        "BatchResponseSimplePublicObject",
        "BatchResponseSimplePublicUpsertObject",
    ] {
        assert_eq!(field_type(types, name, "errors"), any_list, "{name}");
    }
    assert_eq!(
        field_type(
            module_items(&properties, "types"),
            "BatchResponseProperty",
            "errors"
        ),
        any_list
    );
    assert_eq!(
        field_type(types, "Error", "errors"),
        "::std::vec::Vec<ErrorDetail>"
    );

    // A field named `description` is a field, not prose; `description` and `label` of what
    // comes back may be missing or null, while requests keep requiring a label.
    // `Property` is shared: the schemas specs define it as the properties specs do.
    let property_types = module_items(&properties, "types");
    assert!(!defined_types(property_types).contains("Property"));
    assert_eq!(field_type(types, "Property", "description"), option(STRING));
    assert_eq!(field_type(types, "Property", "label"), option(STRING));
    assert_eq!(
        field_type(property_types, "PropertyCreate", "label"),
        STRING
    );
    // Both property specs define the group input alike: it is shared.
    assert!(!defined_types(property_types).contains("PropertyGroupCreate"));
    assert_eq!(field_type(types, "PropertyGroupCreate", "label"), STRING);
}

/// Types the CRM object specs (`leads`, `objects`) define alike, so `shared` holds them.
const SHARED_CRM_TYPES: [&str; 16] = [
    "SimplePublicObject",
    "SimplePublicObjectWithAssociations",
    "Error",
    "ErrorDetail",
    "StandardError",
    "Filter",
    "FilterGroup",
    "PublicObjectSearchRequest",
    "Paging",
    "BatchInputSimplePublicObjectBatchInput",
    "BatchInputSimplePublicObjectBatchInputForCreate",
    "BatchInputSimplePublicObjectBatchInputUpsert",
    "BatchInputSimplePublicObjectId",
    "BatchReadInputSimplePublicObjectId",
    "BatchResponseSimplePublicObject",
    "BatchResponseSimplePublicUpsertObject",
];

/// The generated `shared` module.
fn shared_file(generated: &Generated) -> syn::File {
    parse(shared_source(generated))
}

fn shared_source(generated: &Generated) -> &str {
    &generated.files[&Path::new(API_CRATE).join("src/shared.rs")]
}

/// Names two or more modules define locally, each with those modules in manifest order.
fn locally_defined<'a>(
    specs: &'a [(String, Value)],
    found: &crate::shared::SharedSchemas,
) -> BTreeMap<&'a str, Vec<&'a str>> {
    let mut local: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (module, spec) in specs {
        for name in spec["components"]["schemas"].as_object().unwrap().keys() {
            if found.place_of(module, name).is_none() {
                local.entry(name).or_default().push(module);
            }
        }
    }
    local.retain(|_, modules| modules.len() >= 2);
    local
}

/// Names of the component schemas `value` refers to.
fn refs_of(value: &Value, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            if let Some(name) = map
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix("#/components/schemas/"))
            {
                out.insert(name.to_owned());
            }
            map.values().for_each(|v| refs_of(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| refs_of(v, out)),
        _ => {}
    }
}

/// Names of the structs, enums and type aliases among `items`.
fn defined_types(items: &[syn::Item]) -> BTreeSet<String> {
    items
        .iter()
        .filter_map(|item| match item {
            syn::Item::Struct(s) => Some(s.ident.to_string()),
            syn::Item::Enum(e) => Some(e.ident.to_string()),
            syn::Item::Type(t) => Some(t.ident.to_string()),
            _ => None,
        })
        .collect()
}

/// The `pub use` items among `items`: the name each brings in, and its path.
fn reexports(items: &[syn::Item]) -> BTreeMap<String, String> {
    items
        .iter()
        .filter_map(|item| match item {
            syn::Item::Use(u) if matches!(u.vis, syn::Visibility::Public(_)) => {
                let colons = if u.leading_colon.is_some() { "::" } else { "" };
                let path = format!("{colons}{}", tokens(&u.tree));
                let name = path.rsplit("::").next().unwrap_or_default().to_owned();
                Some((name, path))
            }
            _ => None,
        })
        .collect()
}

/// The tokens of struct `name` among `items`, without spaces.
fn struct_tokens(items: &[syn::Item], name: &str) -> String {
    items
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
            "hubspot-crm-api/LICENSE-APACHE",
            "hubspot-crm-api/LICENSE-MIT",
            "hubspot-crm-api/README.md",
            "hubspot-crm-api/src/labels.rs",
            "hubspot-crm-api/src/lib.rs",
            "hubspot-crm-api/src/shared.rs",
            "hubspot-crm-api/src/things.rs",
            "hubspot-crm-mock/Cargo.toml",
            "hubspot-crm-mock/LICENSE-APACHE",
            "hubspot-crm-mock/LICENSE-MIT",
            "hubspot-crm-mock/README.md",
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
    assert!(lib.contains("pub mod shared;"), "{lib}");
    // Both specs define `Error` alike: it is shared. `Thing` comes back from `things` only,
    // so normalization makes the two differ and each module keeps its own.
    let shared =
        parse(std::str::from_utf8(&written[Path::new("hubspot-crm-api/src/shared.rs")]).unwrap());
    let shared_types = defined_types(&shared.items);
    assert!(shared_types.contains("Error"), "{shared_types:?}");
    assert!(!shared_types.contains("Thing"), "{shared_types:?}");
    for file in [&things, &labels] {
        let local = defined_types(module_items(file, "types"));
        assert!(
            local.contains("Thing") && !local.contains("Error"),
            "{local:?}"
        );
    }
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

/// Each module carries its family, version and the kind of each operation, as declared.
#[test]
fn codegen_writes_each_operations_declared_facts() {
    let (root, mirror) = fixture_root();
    let root = root.path();
    let pull = args(&["specs", "pull", "--from", mirror.to_str().unwrap()]);
    run(root, &pull).unwrap();
    run(root, &args(&["codegen"])).unwrap();
    let read = |module: &str| {
        parse(&std::fs::read_to_string(root.join(format!("{API_CRATE}/src/{module}.rs"))).unwrap())
    };
    for (module, name, kind) in [
        ("things", "get", "Read"),
        ("labels", "delete", "Idempotent"),
    ] {
        let file = read(module);
        assert_eq!(const_value(&file, "FAMILY"), format!("\"{module}\""));
        assert_eq!(const_value(&file, "VERSION"), "\"v3\"");
        let facts = file
            .items
            .iter()
            .find_map(|item| match item {
                syn::Item::Fn(f) if f.sig.ident == "facts" => Some(tokens(&f.block)),
                _ => None,
            })
            .unwrap_or_else(|| panic!("{module} has no `facts`"));
        assert!(
            facts.contains(&format!("\"{name}\"=>crate::OperationKind::{kind},")),
            "{module}: {facts}"
        );
        assert!(facts.contains("_=>returnNone"), "{module}: {facts}");
    }
}

/// The value of the module-level `const NAME`.
fn const_value(file: &syn::File, name: &str) -> String {
    file.items
        .iter()
        .find_map(|item| match item {
            syn::Item::Const(c) if c.ident == name => Some(tokens(&c.expr)),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no const {name}"))
}

/// Codegen on the fixture after `edit` of its manifest: the error, and nothing written.
fn codegen_error_after(edit: impl Fn(&str) -> String) -> String {
    let (root, mirror) = fixture_root();
    let root = root.path();
    let manifest = root.join("specs/manifest.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    let edited = edit(&text);
    assert_ne!(edited, text, "the edit changes the manifest");
    std::fs::write(&manifest, edited).unwrap();
    let pull = args(&["specs", "pull", "--from", mirror.to_str().unwrap()]);
    run(root, &pull).unwrap();
    let message = run(root, &args(&["codegen"])).unwrap_err().to_string();
    assert!(snapshot(&root.join("codegen")).is_empty(), "{message}");
    message
}

#[test]
fn codegen_fails_naming_an_operation_without_a_declared_kind() {
    let message =
        codegen_error_after(|text| text.replace("{ name = \"get\", kind = \"read\" }", "\"get\""));
    assert!(
        message.contains("module `things`")
            && message.contains("declares no kind for `GET /things/{thingId}` (`get`)"),
        "{message}"
    );
    assert!(!message.contains("labels"), "{message}");
    // A table without `kind` is the same omission.
    let message = codegen_error_after(|text| {
        text.replace(
            "{ name = \"delete\", kind = \"idempotent\" }",
            "{ name = \"delete\" }",
        )
    });
    assert!(
        message.contains("module `labels`")
            && message.contains("declares no kind for `DELETE /labels/{labelId}` (`delete`)"),
        "{message}"
    );
}

#[test]
fn codegen_fails_for_a_spec_without_a_family_or_version() {
    for field in ["family = \"labels\"\n", "version = \"v3\"\n"] {
        let name = field.split(' ').next().unwrap();
        let message = codegen_error_after(|text| {
            let at = text.find("module = \"labels\"").unwrap();
            let (before, after) = text.split_at(at);
            format!("{before}{}", after.replacen(field, "", 1))
        });
        assert!(
            message.contains(&format!(
                "module `labels`: specs/manifest.toml declares no `{name}`"
            )),
            "{message}"
        );
    }
}

#[test]
fn a_manifest_kind_that_is_none_of_the_kinds_is_refused() {
    let (root, _) = fixture_root();
    let manifest = root.path().join("specs/manifest.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(
        &manifest,
        text.replace("kind = \"read\"", "kind = \"reads\""),
    )
    .unwrap();
    let message = crate::manifest::Manifest::load(&manifest)
        .unwrap_err()
        .to_string();
    assert!(
        message.contains(
            "operation `GET /things/{thingId}` (`get`) has kind `reads`, which is none of read, \
             search, idempotent, create"
        ),
        "{message}"
    );
}

// Shared types, end to end on fragments ----------------------------------------------------

/// A normalized-looking spec: `GET /{module}/thing` answers `Thing` (which refers to
/// `Paging`), `GET /{module}/label` answers `Label`, defined as given.
fn sharing_spec(module: &str, label: Value) -> Value {
    let answer = |name: &str| {
        json!({ "2XX": { "description": "", "content": { "application/json": {
            "schema": { "$ref": format!("#/components/schemas/{name}") },
        } } } })
    };
    json!({
        "openapi": "3.0.1",
        "info": { "title": module, "version": "v1" },
        "paths": {
            format!("/{module}/thing"): { "get": { "operationId": "get_thing", "responses": answer("Thing") } },
            format!("/{module}/label"): { "get": { "operationId": "get_label", "responses": answer("Label") } },
        },
        "components": { "schemas": {
            "Thing": {
                "type": "object",
                "required": ["id"],
                "properties": {
                    "id": { "type": "string" },
                    "paging": { "$ref": "#/components/schemas/Paging" },
                },
            },
            "Paging": { "type": "object", "properties": { "after": { "type": "string" } } },
            "Label": label,
        } },
    })
}

/// Client and mock source of `module`, generated with the replacements sharing gives it, as
/// `generate::generate` does.
fn generate_sharing(
    module: &str,
    spec: &Value,
    shared: &crate::shared::SharedSchemas,
    replacements: &[generate::Replacement],
) -> (String, String) {
    let used: Vec<&generate::Replacement> = shared
        .used_by(module)
        .map(|(name, place)| {
            replacements
                .iter()
                .find(|r| r.name == name && r.place == *place)
                .unwrap_or_else(|| panic!("no replacement for `{name}` at {place:?}"))
        })
        .collect();
    let openapi: openapiv3::OpenAPI = serde_json::from_value(spec.clone()).unwrap();
    generate::generate_module(module, &openapi, &used, &reads(&openapi)).unwrap()
}

/// Facts declaring every operation of `spec` a read.
fn reads(spec: &openapiv3::OpenAPI) -> generate::ModuleFacts {
    generate::ModuleFacts {
        family: "things".into(),
        version: "v3".into(),
        kinds: spec
            .operations()
            .map(|(_, _, op)| (op.operation_id.clone().unwrap(), Kind::Read))
            .collect(),
    }
}

#[test]
fn a_module_refers_to_shared_types_and_does_not_define_them() {
    let label = |fields: Value| json!({ "type": "object", "properties": fields });
    let specs = vec![
        (
            "alpha".to_owned(),
            sharing_spec("alpha", label(json!({ "name": { "type": "string" } }))),
        ),
        (
            "beta".to_owned(),
            sharing_spec(
                "beta",
                label(json!({ "name": { "type": "string" }, "color": { "type": "string" } })),
            ),
        ),
    ];
    let shared = crate::shared::find(&specs);
    let root = &shared.places[&crate::shared::Place::Root];
    assert_eq!(root.keys().collect::<Vec<_>>(), ["Paging", "Thing"]);
    assert_eq!(shared.places.len(), 1, "{shared:?}");
    let (shared_source, replacements) = generate::generate_shared(&shared).unwrap();
    assert!(shared_source.starts_with(HEADER), "{shared_source}");
    let shared_file = parse(&shared_source);
    let shared_types = defined_types(&shared_file.items);
    assert!(
        shared_types.contains("Thing") && shared_types.contains("Paging"),
        "{shared_types:?}"
    );
    assert!(!shared_types.contains("Label"), "{shared_types:?}");
    // Shared types refer to each other directly, within `shared`.
    assert_eq!(
        field_type(&shared_file.items, "Thing", "paging"),
        option("Paging")
    );
    assert_eq!(
        replacements.iter().map(|r| r.path()).collect::<Vec<_>>(),
        [
            "::hubspot_crm_api::shared::Paging",
            "::hubspot_crm_api::shared::Thing"
        ]
    );

    for (module, spec) in &specs {
        let (client_source, mock_source) = generate_sharing(module, spec, &shared, &replacements);
        let file = parse(&client_source);
        let local = defined_types(module_items(&file, "types"));
        assert!(
            !local.contains("Thing") && !local.contains("Paging"),
            "`{module}` defines {local:?}"
        );
        assert!(local.contains("Label"), "`{module}` defines {local:?}");
        let thing = send_output(&file, "GetThing");
        assert!(
            thing.starts_with("->Result<ResponseValue<::hubspot_crm_api::shared::Thing>,"),
            "`{module}`: {thing}"
        );
        // `types` names the shared types too: `types::Thing` is `shared::Thing`, the very
        // type the method answers with.
        assert_eq!(
            reexports(module_items(&file, "types")),
            BTreeMap::from([
                (
                    "Paging".to_owned(),
                    "::hubspot_crm_api::shared::Paging".to_owned()
                ),
                (
                    "Thing".to_owned(),
                    "::hubspot_crm_api::shared::Thing".to_owned()
                ),
            ]),
            "`{module}`"
        );
        assert!(
            client_source.contains("pub mod types {\n    pub use ::hubspot_crm_api::shared::Paging;\n    pub use ::hubspot_crm_api::shared::Thing;\n"),
            "`{module}`: {client_source}"
        );
        let label = send_output(&file, "GetLabel");
        assert!(
            label.starts_with("->Result<ResponseValue<types::Label>,"),
            "`{module}`: {label}"
        );
        assert!(
            mock_source.contains("hubspot_crm_api::shared::Thing"),
            "the `{module}` mock does not answer with the shared `Thing`"
        );
    }
    // The two `Label`s stay what each spec says.
    let (beta, _) = generate_sharing("beta", &specs[1].1, &shared, &replacements);
    assert_eq!(
        field_type(module_items(&parse(&beta), "types"), "Label", "color"),
        option(STRING)
    );
}

#[test]
fn with_nothing_shared_the_shared_module_is_empty_and_modules_keep_their_types() {
    let shared = crate::shared::SharedSchemas::default();
    let (source, replacements) = generate::generate_shared(&shared).unwrap();
    assert!(replacements.is_empty());
    assert!(defined_types(&parse(&source).items).is_empty(), "{source}");
    let spec = sharing_spec(
        "alpha",
        json!({ "type": "object", "properties": { "name": { "type": "string" } } }),
    );
    let (client_source, _) = generate_sharing("alpha", &spec, &shared, &replacements);
    let file = parse(&client_source);
    assert!(!client_source.contains("hubspot_crm_api::shared"));
    assert!(reexports(module_items(&file, "types")).is_empty());
    let local = defined_types(module_items(&file, "types"));
    for name in ["Thing", "Paging", "Label"] {
        assert!(local.contains(name), "{local:?}");
    }
    assert!(send_output(&file, "GetThing").starts_with("->Result<ResponseValue<types::Thing>,"));
}

/// A spec whose `GET /{module}/{path}` answers schema `name`, one per `(path, name)`, with
/// the component schemas `schemas`.
fn answering_spec(module: &str, answers: &[(&str, &str)], schemas: Value) -> Value {
    let paths: serde_json::Map<String, Value> = answers
        .iter()
        .map(|(path, name)| {
            let operation = json!({ "get": {
                "operationId": format!("get_{path}"),
                "responses": { "2XX": { "description": "", "content": { "application/json": {
                    "schema": { "$ref": format!("#/components/schemas/{name}") },
                } } } },
            } });
            (format!("/{module}/{path}"), operation)
        })
        .collect();
    json!({
        "openapi": "3.0.1",
        "info": { "title": module, "version": "v1" },
        "paths": paths,
        "components": { "schemas": schemas },
    })
}

/// `alpha`, `beta` and `gamma` define `Spec` and its `Category` one way, `delta` and `epsilon`
/// another (their `Spec` also holds a `Paging`), and only these two a `Multi` of `Spec`s. All
/// five define `Paging` alike.
fn two_wire_formats() -> Vec<(String, Value)> {
    let paging = json!({ "type": "object", "properties": { "after": { "type": "string" } } });
    let closed = json!({
        "Category": { "type": "string", "enum": ["HUBSPOT_DEFINED", "USER_DEFINED"] },
        "Spec": {
            "type": "object",
            "required": ["category"],
            "properties": { "category": { "$ref": "#/components/schemas/Category" } },
        },
        "Paging": paging,
    });
    let other = json!({
        "Category": { "type": "string", "enum": ["HUBSPOT_DEFINED", "USER_DEFINED", "INTEGRATOR_DEFINED"] },
        "Spec": {
            "type": "object",
            "required": ["category"],
            "properties": {
                "category": { "$ref": "#/components/schemas/Category" },
                "paging": { "$ref": "#/components/schemas/Paging" },
            },
        },
        "Multi": {
            "type": "object",
            "required": ["types"],
            "properties": {
                "types": { "type": "array", "items": { "$ref": "#/components/schemas/Spec" } },
            },
        },
        "Paging": paging,
    });
    let mut specs = Vec::new();
    for module in ["alpha", "beta", "gamma"] {
        let spec = answering_spec(module, &[("spec", "Spec")], closed.clone());
        specs.push((module.to_owned(), spec));
    }
    for module in ["delta", "epsilon"] {
        let spec = answering_spec(
            module,
            &[("spec", "Spec"), ("multi", "Multi")],
            other.clone(),
        );
        specs.push((module.to_owned(), spec));
    }
    specs
}

#[test]
fn two_shared_types_of_one_name_are_each_generated_once_and_used_where_they_belong() {
    use crate::shared::Place;
    let specs = two_wire_formats();
    let shared = crate::shared::find(&specs);
    let delta = Place::Sub("delta".into());
    let names = |place: &Place| shared.places[place].keys().cloned().collect::<Vec<_>>();
    assert_eq!(names(&Place::Root), ["Category", "Multi", "Paging", "Spec"]);
    assert_eq!(names(&delta), ["Category", "Spec"]);
    assert_eq!(shared.places.len(), 2, "{shared:?}");

    let (shared_source, replacements) = generate::generate_shared(&shared).unwrap();
    assert!(shared_source.starts_with(HEADER), "{shared_source}");
    assert!(!shared_source.contains("SharedAlias"), "{shared_source}");
    let shared_file = parse(&shared_source);
    let root = &shared_file.items[..];
    assert_eq!(
        defined_types(root),
        BTreeSet::from(["Category", "Multi", "Paging", "Spec"].map(str::to_owned))
    );
    // The submodule holds the other group's types, with the generator's own modules inside:
    // their `super::` paths lead to the submodule's types.
    let sub = module_items(&shared_file, "delta");
    assert_eq!(
        defined_types(sub),
        BTreeSet::from(["Category", "Spec"].map(str::to_owned))
    );
    let builder: String = module_items_of(sub, "builder").iter().map(tokens).collect();
    assert!(
        builder.contains("impl::std::convert::TryFrom<Spec>forsuper::Spec"),
        "{builder}"
    );
    module_items_of(sub, "error");
    assert!(
        shared_source.contains(
            "/// Shared by `delta` and `epsilon`, whose definitions differ from the types of the same names in `shared`.\npub mod delta {"
        ),
        "{shared_source}"
    );
    // Each `Spec` holds its own group's `Category`; the submodule's refers to the root's
    // `Paging`, and the root's `Multi` to the submodule's `Spec`.
    assert_eq!(field_type(root, "Spec", "category"), "Category");
    assert_eq!(field_type(sub, "Spec", "category"), "Category");
    assert_eq!(
        field_type(sub, "Spec", "paging"),
        option("::hubspot_crm_api::shared::Paging")
    );
    assert_eq!(
        field_type(root, "Multi", "types"),
        "::std::vec::Vec<::hubspot_crm_api::shared::delta::Spec>"
    );
    let variants = |items: &[syn::Item]| {
        items
            .iter()
            .find_map(|item| match item {
                syn::Item::Enum(e) if e.ident == "Category" => Some(e.variants.len()),
                _ => None,
            })
            .unwrap()
    };
    assert_eq!((variants(root), variants(sub)), (2, 3));

    assert_eq!(
        replacements.iter().map(|r| r.path()).collect::<Vec<_>>(),
        [
            "::hubspot_crm_api::shared::Category",
            "::hubspot_crm_api::shared::Multi",
            "::hubspot_crm_api::shared::Paging",
            "::hubspot_crm_api::shared::Spec",
            "::hubspot_crm_api::shared::delta::Category",
            "::hubspot_crm_api::shared::delta::Spec",
        ]
    );
    // Both enums parse from and print as text, wherever they are.
    for replacement in replacements.iter().filter(|r| r.name == "Category") {
        for trait_ in [TypeImpl::FromStr, TypeImpl::Display] {
            assert!(replacement.impls.contains(&trait_), "{replacement:?}");
        }
    }

    for (module, spec) in &specs {
        let (client_source, mock_source) = generate_sharing(module, spec, &shared, &replacements);
        assert!(!client_source.contains("SharedAlias"), "{client_source}");
        let file = parse(&client_source);
        let local = defined_types(module_items(&file, "types"));
        assert!(local.is_empty(), "`{module}` defines {local:?}");
        let (spec_path, multi) = if module == "delta" || module == "epsilon" {
            ("::hubspot_crm_api::shared::delta::Spec", true)
        } else {
            ("::hubspot_crm_api::shared::Spec", false)
        };
        let answer = send_output(&file, "GetSpec");
        assert!(
            answer.starts_with(&format!("->Result<ResponseValue<{spec_path}>,")),
            "`{module}`: {answer}"
        );
        // `types::Spec` is the group's own, from the submodule or the root.
        let types = reexports(module_items(&file, "types"));
        assert_eq!(types["Spec"], spec_path, "`{module}`");
        assert_eq!(
            types["Paging"], "::hubspot_crm_api::shared::Paging",
            "`{module}`"
        );
        assert!(
            mock_source.contains(spec_path.trim_start_matches("::")),
            "`{module}` mock"
        );
        if multi {
            let answer = send_output(&file, "GetMulti");
            assert!(
                answer.starts_with("->Result<ResponseValue<::hubspot_crm_api::shared::Multi>,"),
                "`{module}`: {answer}"
            );
        }
    }
}

#[test]
fn a_submodule_that_would_clash_with_the_generators_own_modules_is_refused() {
    // Manifest validation keeps such module names out; generation refuses them all the same.
    let specs: Vec<(String, Value)> = two_wire_formats()
        .into_iter()
        .map(|(module, spec)| match module.as_str() {
            "delta" => ("builder".to_owned(), spec),
            _ => (module, spec),
        })
        .collect();
    let shared = crate::shared::find(&specs);
    assert!(
        shared
            .places
            .contains_key(&crate::shared::Place::Sub("builder".into()))
    );
    let message = generate::generate_shared(&shared).unwrap_err().to_string();
    assert!(
        message.contains("submodule `builder` would clash"),
        "{message}"
    );
}

#[test]
fn a_local_type_of_a_shared_types_name_is_refused() {
    // The generator names `Thing`'s inline enum `ThingKind`; a shared `ThingKind` would be
    // re-exported beside it.
    let spec = answering_spec(
        "alpha",
        &[("thing", "Thing")],
        json!({ "Thing": { "type": "object", "properties": {
            "kind": { "type": "string", "enum": ["A", "B"] },
        } } }),
    );
    let openapi: openapiv3::OpenAPI = serde_json::from_value(spec).unwrap();
    let clashing = generate::Replacement {
        name: "ThingKind".into(),
        place: crate::shared::Place::Root,
        impls: Vec::new(),
    };
    let message = generate::generate_module("alpha", &openapi, &[&clashing], &reads(&openapi))
        .unwrap_err()
        .to_string();
    assert!(
        message.contains(
            "`types::ThingKind` is both the module's own type and the shared `::hubspot_crm_api::shared::ThingKind`"
        ),
        "{message}"
    );
}
