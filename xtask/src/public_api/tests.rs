//! The listing, on small hand-written fragments of rustdoc's JSON: type rendering, items,
//! impls, re-exports, feature gates, ordering, and comparing listings.

use serde_json::{Map, Value, json};

use super::*;

// Fragments of rustdoc's JSON.

fn item(id: u32, name: Option<&str>, visibility: &str, inner: Value) -> Value {
    json!({
        "id": id, "crate_id": 0, "name": name, "span": null, "visibility": visibility,
        "docs": null, "links": {}, "attrs": [], "deprecation": null, "inner": inner,
    })
}

fn with_attrs(mut item: Value, attrs: Value) -> Value {
    item["attrs"] = attrs;
    item
}

fn module(id: u32, name: &str, items: &[u32]) -> Value {
    item(
        id,
        Some(name),
        "public",
        json!({ "module": { "is_crate": id == 0, "items": items, "is_stripped": false } }),
    )
}

fn path_ty(id: u32, written: &str, args: Value) -> Value {
    json!({ "resolved_path": { "path": written, "id": id, "args": args } })
}

fn angle(args: Value) -> Value {
    json!({ "angle_bracketed": { "args": args, "constraints": [] } })
}

fn generic(name: &str) -> Value {
    json!({ "generic": name })
}

fn prim(name: &str) -> Value {
    json!({ "primitive": name })
}

fn trait_bound(id: u32, written: &str) -> Value {
    json!({ "trait_bound": { "trait": { "path": written, "id": id, "args": null }, "generic_params": [], "modifier": "none" } })
}

fn no_generics() -> Value {
    json!({ "params": [], "where_predicates": [] })
}

fn type_param(name: &str, bounds: Value) -> Value {
    json!({ "name": name, "kind": { "type": { "bounds": bounds, "default": null, "is_synthetic": false } } })
}

fn header() -> Value {
    json!({ "is_const": false, "is_unsafe": false, "is_async": false, "abi": "Rust" })
}

fn function(inputs: Value, output: Value, generics: Value) -> Value {
    json!({ "function": {
        "sig": { "inputs": inputs, "output": output, "is_c_variadic": false },
        "generics": generics, "header": header(), "has_body": true,
    } })
}

fn impl_(trait_: Value, for_: Value, items: &[u32], synthetic: bool, blanket: Value) -> Value {
    json!({ "impl": {
        "is_unsafe": false, "generics": no_generics(), "provided_trait_methods": [],
        "trait": trait_, "for": for_, "items": items, "is_negative": false,
        "is_synthetic": synthetic, "blanket_impl": blanket,
    } })
}

fn summary(crate_id: u32, path: &[&str], kind: &str) -> Value {
    json!({ "crate_id": crate_id, "path": path, "kind": kind })
}

/// Paths of the foreign items the fragments name, by id (90 and up).
fn std_paths() -> Vec<(u32, Value)> {
    vec![
        (90, summary(2, &["core", "option", "Option"], "enum")),
        (
            91,
            summary(
                2,
                &["core", "iter", "traits", "iterator", "Iterator"],
                "trait",
            ),
        ),
        (92, summary(1, &["alloc", "string", "String"], "struct")),
        (93, summary(2, &["core", "ops", "function", "Fn"], "trait")),
        (94, summary(2, &["core", "marker", "Send"], "trait")),
        (95, summary(2, &["core", "marker", "Freeze"], "trait")),
        (96, summary(2, &["core", "clone", "Clone"], "trait")),
        (97, summary(2, &["core", "convert", "From"], "trait")),
        (98, summary(2, &["core", "fmt", "Display"], "trait")),
        (
            99,
            summary(2, &["core", "marker", "StructuralPartialEq"], "trait"),
        ),
        (80, summary(5, &["other", "Thing"], "struct")),
        (81, summary(5, &["other"], "module")),
    ]
}

/// A crate named `demo` whose root module (id 0) holds `root_items`.
fn krate(root_items: &[u32], mut items: Vec<Value>, local_paths: &[(u32, &[&str], &str)]) -> Crate {
    items.push(module(0, "demo", root_items));
    let index: Map<String, Value> = items
        .into_iter()
        .map(|i| (i["id"].to_string(), i))
        .collect();
    let mut paths: Map<String, Value> = std_paths()
        .into_iter()
        .map(|(id, s)| (id.to_string(), s))
        .collect();
    for (id, path, kind) in local_paths {
        paths.insert(id.to_string(), summary(0, path, kind));
    }
    let json = json!({
        "root": 0, "crate_version": null, "includes_private": false, "index": index,
        "paths": paths, "external_crates": {},
        "target": { "triple": "x86_64-unknown-linux-gnu", "target_features": [] },
        "format_version": rustdoc_types::FORMAT_VERSION,
    });
    serde_json::from_value(json).unwrap()
}

/// `ty` rendered in a crate whose public struct `demo::Local` (id 10) is defined in the private
/// module `demo::inner`.
fn render(ty: Value) -> String {
    let local = item(
        10,
        Some("Local"),
        "public",
        json!({ "struct": { "kind": "unit", "generics": no_generics(), "impls": [] } }),
    );
    let krate = krate(
        &[10],
        vec![local],
        &[(10, &["demo", "inner", "Local"], "struct")],
    );
    let renderer = Renderer::new(&krate).unwrap();
    renderer.ty(&serde_json::from_value(ty).unwrap())
}

/// The listing without its header.
fn items_of(krate: &Crate) -> Vec<String> {
    listing(krate, "demo")
        .unwrap()
        .lines()
        .filter(|l| is_item_line(l))
        .map(str::to_owned)
        .collect()
}

// Types.

#[test]
fn paths_resolve_to_public_paths_with_generic_args() {
    assert_eq!(
        render(path_ty(10, "inner::Local", Value::Null)),
        "demo::Local"
    );
    assert_eq!(
        render(path_ty(
            90,
            "Option",
            angle(json!([{ "type": path_ty(92, "String", Value::Null) }]))
        )),
        "core::option::Option<alloc::string::String>"
    );
    // A path rustdoc cannot resolve is kept as written, without `$crate`.
    assert_eq!(
        render(path_ty(7, "$crate::fmt::Weird", Value::Null)),
        "fmt::Weird"
    );
    let constrained = json!({ "angle_bracketed": {
        "args": [],
        "constraints": [{ "name": "Item", "args": null, "binding": { "equality": { "type": prim("u8") } } }],
    } });
    assert_eq!(
        render(json!({ "impl_trait": [{ "trait_bound": {
            "trait": { "path": "Iterator", "id": 91, "args": constrained },
            "generic_params": [], "modifier": "none",
        } }] })),
        "impl core::iter::traits::iterator::Iterator<Item = u8>"
    );
}

#[test]
fn primitives_references_and_pointers() {
    assert_eq!(render(prim("u32")), "u32");
    assert_eq!(render(generic("T")), "T");
    assert_eq!(
        render(
            json!({ "borrowed_ref": { "lifetime": null, "is_mutable": false, "type": prim("str") } })
        ),
        "&str"
    );
    assert_eq!(
        render(
            json!({ "borrowed_ref": { "lifetime": "'a", "is_mutable": true, "type": generic("T") } })
        ),
        "&'a mut T"
    );
    assert_eq!(
        render(json!({ "raw_pointer": { "is_mutable": false, "type": prim("u8") } })),
        "*const u8"
    );
    assert_eq!(
        render(json!({ "raw_pointer": { "is_mutable": true, "type": prim("u8") } })),
        "*mut u8"
    );
}

#[test]
fn tuples_slices_and_arrays() {
    assert_eq!(render(json!({ "tuple": [] })), "()");
    assert_eq!(render(json!({ "tuple": [prim("u8")] })), "(u8,)");
    assert_eq!(
        render(json!({ "tuple": [prim("u8"), generic("T")] })),
        "(u8, T)"
    );
    assert_eq!(render(json!({ "slice": prim("u8") })), "[u8]");
    assert_eq!(
        render(json!({ "array": { "type": prim("u8"), "len": "4" } })),
        "[u8; 4]"
    );
    assert_eq!(render("infer".into()), "_");
}

#[test]
fn impl_and_dyn_traits() {
    assert_eq!(
        render(json!({ "impl_trait": [trait_bound(94, "Send"), { "outlives": "'static" }] })),
        "impl core::marker::Send + 'static"
    );
    assert_eq!(
        render(json!({ "impl_trait": [{ "use": [{ "lifetime": "'a" }, { "param": "T" }] }] })),
        "impl use<'a, T>"
    );
    let fn_trait = json!({
        "path": "Fn", "id": 93,
        "args": { "parenthesized": { "inputs": [{ "borrowed_ref": { "lifetime": "'a", "is_mutable": false, "type": prim("str") } }], "output": prim("bool") } },
    });
    assert_eq!(
        render(json!({ "dyn_trait": {
            "traits": [
                { "trait": fn_trait, "generic_params": [{ "name": "'a", "kind": { "lifetime": { "outlives": [] } } }] },
                { "trait": { "path": "Send", "id": 94, "args": null }, "generic_params": [] },
            ],
            "lifetime": "'static",
        } })),
        "dyn for<'a> core::ops::function::Fn(&'a str) -> bool + core::marker::Send + 'static"
    );
}

#[test]
fn qualified_paths() {
    assert_eq!(
        render(json!({ "qualified_path": {
            "name": "Item", "args": null, "self_type": generic("T"),
            "trait": { "path": "Iterator", "id": 91, "args": null },
        } })),
        "<T as core::iter::traits::iterator::Iterator>::Item"
    );
    // `Self::Err` inside a trait or impl: rustdoc leaves the trait path empty.
    assert_eq!(
        render(json!({ "qualified_path": {
            "name": "Err", "args": null, "self_type": generic("Self"),
            "trait": { "path": "", "id": 91, "args": null },
        } })),
        "Self::Err"
    );
}

#[test]
fn function_pointers() {
    assert_eq!(
        render(json!({ "function_pointer": {
            "sig": { "inputs": [["_", prim("i32")], ["_", { "raw_pointer": { "is_mutable": false, "type": prim("u8") } }]], "output": prim("u8"), "is_c_variadic": true },
            "generic_params": [],
            "header": { "is_const": false, "is_unsafe": true, "is_async": false, "abi": { "C": { "unwind": false } } },
        } })),
        "unsafe extern \"C\" fn(i32, *const u8, ...) -> u8"
    );
    assert_eq!(
        render(json!({ "function_pointer": {
            "sig": { "inputs": [["x", { "borrowed_ref": { "lifetime": "'a", "is_mutable": false, "type": prim("str") } }]], "output": null, "is_c_variadic": false },
            "generic_params": [{ "name": "'a", "kind": { "lifetime": { "outlives": [] } } }],
            "header": header(),
        } })),
        "for<'a> fn(&'a str)"
    );
}

// Items.

/// `pub struct Page<T>` (id 10) with a public and a private field, an inherent method, a
/// derived Clone, a hand-written Display, synthetic Send and Freeze, and a blanket From.
fn struct_crate() -> Crate {
    let page = item(
        10,
        Some("Page"),
        "public",
        json!({ "struct": {
            "kind": { "plain": { "fields": [11], "has_stripped_fields": true } },
            "generics": { "params": [type_param("T", json!([]))], "where_predicates": [] },
            "impls": [12, 14, 15, 16, 17, 18, 30],
        } }),
    );
    let results = item(
        11,
        Some("results"),
        "public",
        json!({ "struct_field": { "resolved_path": { "path": "Vec", "id": 89, "args": angle(json!([{ "type": generic("T") }])) } } }),
    );
    let self_page = path_ty(10, "Page", angle(json!([{ "type": generic("T") }])));
    let mut inherent = impl_(Value::Null, self_page.clone(), &[13], false, Value::Null);
    inherent["impl"]["generics"] = json!({
        "params": [type_param("T", json!([trait_bound(96, "Clone")]))],
        "where_predicates": [],
    });
    let first = item(
        13,
        Some("first"),
        "public",
        function(
            json!([["self", { "borrowed_ref": { "lifetime": null, "is_mutable": false, "type": generic("Self") } }]]),
            path_ty(
                90,
                "Option",
                angle(
                    json!([{ "type": { "borrowed_ref": { "lifetime": null, "is_mutable": false, "type": generic("T") } } }]),
                ),
            ),
            no_generics(),
        ),
    );
    let clone_impl = with_attrs(
        item(
            14,
            None,
            "default",
            impl_(
                json!({ "path": "Clone", "id": 96, "args": null }),
                self_page.clone(),
                &[20],
                false,
                Value::Null,
            ),
        ),
        json!(["automatically_derived"]),
    );
    let clone_fn = item(
        20,
        Some("clone"),
        "default",
        function(json!([]), generic("Self"), no_generics()),
    );
    let display = item(
        15,
        None,
        "default",
        impl_(
            json!({ "path": "Display", "id": 98, "args": null }),
            self_page.clone(),
            &[21],
            false,
            Value::Null,
        ),
    );
    let fmt = item(
        21,
        Some("fmt"),
        "default",
        function(
            json!([["self", { "borrowed_ref": { "lifetime": null, "is_mutable": false, "type": generic("Self") } }]]),
            prim("bool"),
            no_generics(),
        ),
    );
    let send = item(
        16,
        None,
        "default",
        impl_(
            json!({ "path": "Send", "id": 94, "args": null }),
            self_page.clone(),
            &[],
            true,
            Value::Null,
        ),
    );
    let freeze = item(
        17,
        None,
        "default",
        impl_(
            json!({ "path": "Freeze", "id": 95, "args": null }),
            self_page.clone(),
            &[],
            true,
            Value::Null,
        ),
    );
    let blanket = item(
        18,
        None,
        "default",
        impl_(
            json!({ "path": "From", "id": 97, "args": angle(json!([{ "type": generic("T") }])) }),
            generic("T"),
            &[],
            false,
            generic("T"),
        ),
    );
    let structural = item(
        30,
        None,
        "default",
        impl_(
            json!({ "path": "StructuralPartialEq", "id": 99, "args": null }),
            self_page,
            &[],
            false,
            Value::Null,
        ),
    );
    let inherent = item(12, None, "default", inherent);
    let items = vec![
        page, results, inherent, first, clone_impl, clone_fn, display, fmt, send, freeze, blanket,
        structural,
    ];
    krate(&[10], items, &[(10, &["demo", "Page"], "struct")])
}

#[test]
fn a_struct_lists_its_fields_methods_and_impls() {
    assert_eq!(
        items_of(&struct_crate()),
        [
            "pub mod demo",
            "pub struct demo::Page<T> { /* private fields */ }",
            "pub field demo::Page::results: Vec<T>",
            // The impl's bound goes with each method, which needs it to be callable.
            "pub fn <demo::Page<T>>::first(&self) -> core::option::Option<&T> where T: core::clone::Clone",
            // A derive's members follow from it; a hand-written impl's are listed.
            "impl core::clone::Clone for demo::Page<T>",
            "impl core::fmt::Display for demo::Page<T>",
            "fn <demo::Page<T> as core::fmt::Display>::fmt(&self) -> bool",
            // Auto traits stay, unstable and blanket impls go.
            "impl core::marker::Send for demo::Page<T>",
        ]
    );
}

#[test]
fn ids_do_not_reach_the_listing() {
    // The same crate with every id moved gives the same listing.
    let krate = struct_crate();
    let text = serde_json::to_string(&krate).unwrap();
    let mut value: Value = serde_json::from_str(&text).unwrap();
    fn shift(v: &mut Value) {
        match v {
            Value::Object(map) => {
                let keys: Vec<String> = map.keys().cloned().collect();
                for k in keys {
                    let mut child = map.remove(&k).unwrap();
                    let is_id = matches!(k.as_str(), "id" | "root" | "parent");
                    let is_ids = matches!(
                        k.as_str(),
                        "items" | "impls" | "fields" | "variants" | "implementations"
                    );
                    if is_id {
                        if let Some(n) = child.as_u64() {
                            child = json!(n + 1000);
                        }
                    } else if is_ids && child.is_array() {
                        for id in child.as_array_mut().unwrap() {
                            if let Some(n) = id.as_u64() {
                                *id = json!(n + 1000);
                            }
                        }
                    } else {
                        shift(&mut child);
                    }
                    let key = match k.parse::<u64>() {
                        Ok(n) => (n + 1000).to_string(),
                        Err(_) => k,
                    };
                    map.insert(key, child);
                }
            }
            Value::Array(a) => a.iter_mut().for_each(shift),
            _ => {}
        }
    }
    shift(&mut value);
    // The root is the crate module; only the index and paths are keyed by id.
    let moved: Crate = serde_json::from_value(value).unwrap();
    assert_ne!(moved.root, krate.root);
    assert_eq!(listing(&moved, "demo"), listing(&krate, "demo"));
}

#[test]
fn enums_list_variants_with_their_fields_and_markers() {
    let e = with_attrs(
        item(
            10,
            Some("Shape"),
            "public",
            json!({ "enum": { "generics": no_generics(), "has_stripped_variants": false, "variants": [11, 12, 13, 14], "impls": [] } }),
        ),
        json!(["non_exhaustive", { "repr": { "kind": "rust", "align": null, "packed": null, "int": "u8" } }]),
    );
    let field = item(
        15,
        Some("w"),
        "default",
        json!({ "struct_field": prim("u32") }),
    );
    let tuple_field = item(
        16,
        Some("0"),
        "default",
        json!({ "struct_field": prim("f64") }),
    );
    let items = vec![
        e,
        item(
            11,
            Some("Empty"),
            "default",
            json!({ "variant": { "kind": "plain", "discriminant": { "expr": "3", "value": "3" } } }),
        ),
        item(
            12,
            Some("Circle"),
            "default",
            json!({ "variant": { "kind": { "tuple": [16, null] }, "discriminant": null } }),
        ),
        item(
            13,
            Some("Rect"),
            "default",
            json!({ "variant": { "kind": { "struct": { "fields": [15], "has_stripped_fields": false } }, "discriminant": null } }),
        ),
        with_attrs(
            item(
                14,
                Some("Later"),
                "default",
                json!({ "variant": { "kind": "plain", "discriminant": null } }),
            ),
            json!(["non_exhaustive"]),
        ),
        field,
        tuple_field,
    ];
    assert_eq!(
        items_of(&krate(&[10], items, &[])),
        [
            "pub mod demo",
            "#[non_exhaustive] #[repr(u8)] pub enum demo::Shape",
            "pub variant demo::Shape::Circle(f64, _)",
            "pub variant demo::Shape::Empty = 3",
            "#[non_exhaustive] pub variant demo::Shape::Later",
            "pub variant demo::Shape::Rect { w: u32 }",
        ]
    );
}

#[test]
fn traits_list_required_and_provided_items_and_foreign_implementors() {
    let t = item(
        10,
        Some("Source"),
        "public",
        json!({ "trait": {
            "is_auto": false, "is_unsafe": false, "is_dyn_compatible": false,
            "items": [11, 12, 13], "generics": no_generics(),
            "bounds": [trait_bound(94, "Send")], "implementations": [14, 15],
        } }),
    );
    let mut required = function(
        json!([["self", { "borrowed_ref": { "lifetime": null, "is_mutable": true, "type": generic("Self") } }]]),
        path_ty(
            90,
            "Option",
            angle(
                json!([{ "type": { "qualified_path": { "name": "Item", "args": null, "self_type": generic("Self"), "trait": { "path": "", "id": 10, "args": null } } } }]),
            ),
        ),
        no_generics(),
    );
    required["function"]["has_body"] = json!(false);
    let items = vec![
        t,
        item(
            11,
            Some("Item"),
            "default",
            json!({ "assoc_type": { "generics": no_generics(), "bounds": [trait_bound(96, "Clone")], "type": null } }),
        ),
        item(12, Some("next"), "default", required),
        item(
            13,
            Some("LIMIT"),
            "default",
            json!({ "assoc_const": { "type": prim("usize"), "value": "8" } }),
        ),
        // For a foreign type: listed with the trait. For a local one: with the type.
        item(
            14,
            None,
            "default",
            impl_(
                json!({ "path": "Source", "id": 10, "args": null }),
                path_ty(80, "other::Thing", Value::Null),
                &[],
                false,
                Value::Null,
            ),
        ),
        item(
            15,
            None,
            "default",
            impl_(
                json!({ "path": "Source", "id": 10, "args": null }),
                path_ty(16, "Mine", Value::Null),
                &[],
                false,
                Value::Null,
            ),
        ),
    ];
    assert_eq!(
        items_of(&krate(&[10], items, &[(16, &["demo", "Mine"], "struct")])),
        [
            "pub mod demo",
            "pub trait demo::Source: core::marker::Send",
            "const demo::Source::LIMIT: usize = 8",
            "fn demo::Source::next(&mut self) -> core::option::Option<Self::Item>",
            "type demo::Source::Item: core::clone::Clone",
            "impl demo::Source for other::Thing",
        ]
    );
}

#[test]
fn functions_constants_and_aliases_carry_their_signatures() {
    let mut f = function(
        json!([["items", { "impl_trait": [trait_bound(91, "Iterator")] }], ["n", generic("N")]]),
        json!({ "tuple": [] }),
        json!({
            "params": [
                { "name": "'a", "kind": { "lifetime": { "outlives": [] } } },
                type_param("N", json!([trait_bound(96, "Clone")])),
                { "name": "impl Iterator", "kind": { "type": { "bounds": [trait_bound(91, "Iterator")], "default": null, "is_synthetic": true } } },
                { "name": "M", "kind": { "const": { "type": prim("usize"), "default": null } } },
            ],
            "where_predicates": [
                { "bound_predicate": { "type": generic("N"), "bounds": [trait_bound(94, "Send")], "generic_params": [] } },
                { "lifetime_predicate": { "lifetime": "'a", "outlives": ["'static"] } },
            ],
        }),
    );
    f["function"]["header"]["is_async"] = json!(true);
    f["function"]["header"]["is_const"] = json!(true);
    let items = vec![
        item(10, Some("run"), "public", f),
        item(
            11,
            Some("MAX"),
            "public",
            json!({ "constant": { "type": prim("u32"), "const": { "expr": "1_000", "value": "1_000u32", "is_literal": true } } }),
        ),
        item(
            12,
            Some("NAME"),
            "public",
            json!({ "constant": { "type": { "borrowed_ref": { "lifetime": null, "is_mutable": false, "type": prim("str") } }, "const": { "expr": "\"x\"", "value": null, "is_literal": true } } }),
        ),
        item(
            13,
            Some("WAIT"),
            "public",
            json!({ "constant": { "type": prim("u64"), "const": { "expr": "_", "value": null, "is_literal": false } } }),
        ),
        item(
            14,
            Some("Res"),
            "public",
            json!({ "type_alias": {
            "type": path_ty(90, "Option", angle(json!([{ "type": generic("T") }]))),
            "generics": { "params": [{ "name": "T", "kind": { "type": { "bounds": [], "default": prim("u8"), "is_synthetic": false } } }], "where_predicates": [] },
        } }),
        ),
        item(
            15,
            Some("COUNT"),
            "public",
            json!({ "static": { "type": prim("u32"), "is_mutable": true, "expr": "0", "is_unsafe": false } }),
        ),
    ];
    assert_eq!(
        items_of(&krate(&[10, 11, 12, 13, 14, 15], items, &[])),
        [
            "pub mod demo",
            "pub static mut demo::COUNT: u32",
            "pub const demo::MAX: u32 = 1_000u32",
            "pub const demo::NAME: &str = \"x\"",
            "pub type demo::Res<T = u8> = core::option::Option<T>",
            "pub const demo::WAIT: u64",
            "pub const async fn demo::run<'a, N: core::clone::Clone, const M: usize>(items: impl core::iter::traits::iterator::Iterator, n: N) where N: core::marker::Send, 'a: 'static",
        ]
    );
}

#[test]
fn re_exports_resolve_and_features_gate() {
    // demo::inner is private; demo re-exports its Widget (behind a feature), globs
    // demo::tools, re-exports a foreign module and item, and re-exports itself.
    let gate = json!([{ "other": "#[attr = CfgTrace([NameValue { name: \"feature\", value: Some(\"extra\"), span: src/lib.rs:3:7: 3:24 (#0) }])]" }]);
    let items = vec![
        module(1, "inner", &[10]),
        item(
            10,
            Some("Widget"),
            "public",
            json!({ "struct": { "kind": "unit", "generics": no_generics(), "impls": [] } }),
        ),
        with_attrs(
            item(
                2,
                None,
                "public",
                json!({ "use": { "source": "inner::Widget", "name": "Widget", "id": 10, "is_glob": false } }),
            ),
            gate,
        ),
        module(3, "tools", &[11, 6]),
        item(
            11,
            Some("tool"),
            "public",
            function(
                json!([["w", path_ty(10, "Widget", Value::Null)]]),
                Value::Null,
                no_generics(),
            ),
        ),
        item(
            4,
            None,
            "public",
            json!({ "use": { "source": "tools", "name": "tools", "id": 3, "is_glob": true } }),
        ),
        item(
            5,
            None,
            "public",
            json!({ "use": { "source": "other", "name": "dep", "id": 81, "is_glob": false } }),
        ),
        item(
            7,
            None,
            "public",
            json!({ "use": { "source": "other::Thing", "name": "Thing", "id": 80, "is_glob": false } }),
        ),
        // A cycle: demo::tools::root is demo again.
        item(
            6,
            None,
            "public",
            json!({ "use": { "source": "crate", "name": "root", "id": 0, "is_glob": false } }),
        ),
        item(
            8,
            None,
            "public",
            json!({ "use": { "source": "gone::Away", "name": "Away", "id": null, "is_glob": false } }),
        ),
    ];
    let krate = krate(
        &[2, 3, 4, 5, 7, 8],
        items,
        &[
            (10, &["demo", "inner", "Widget"], "struct"),
            (3, &["demo", "tools"], "module"),
        ],
    );
    assert_eq!(
        items_of(&krate),
        [
            "pub mod demo",
            "pub use demo::Away = gone::Away",
            "pub use demo::Thing = struct other::Thing",
            "#[cfg(feature = \"extra\")] pub struct demo::Widget;",
            "pub use demo::dep = mod other",
            "pub mod demo::root",
            "pub fn demo::tool(w: demo::Widget)",
            "pub mod demo::tools",
            "pub mod demo::tools::root",
            "pub fn demo::tools::tool(w: demo::Widget)",
        ]
    );
}

#[test]
fn synthesized_impls_lose_parameter_defaults() {
    let s = item(
        10,
        Some("Batch"),
        "public",
        json!({ "struct": {
            "kind": "unit",
            "generics": { "params": [{ "name": "T", "kind": { "type": { "bounds": [], "default": prim("u8"), "is_synthetic": false } } }], "where_predicates": [] },
            "impls": [11],
        } }),
    );
    let mut send = impl_(
        json!({ "path": "Send", "id": 94, "args": null }),
        path_ty(10, "Batch", angle(json!([{ "type": generic("T") }]))),
        &[],
        true,
        Value::Null,
    );
    send["impl"]["is_negative"] = json!(true);
    send["impl"]["generics"] = json!({
        "params": [{ "name": "T", "kind": { "type": { "bounds": [], "default": prim("u8"), "is_synthetic": false } } }],
        "where_predicates": [],
    });
    let items = vec![s, item(11, None, "default", send)];
    assert_eq!(
        items_of(&krate(&[10], items, &[(10, &["demo", "Batch"], "struct")])),
        [
            "pub mod demo",
            "pub struct demo::Batch<T = u8>;",
            "impl<T> !core::marker::Send for demo::Batch<T>",
        ]
    );
}

#[test]
fn a_feature_gate_does_not_move_a_line() {
    let gate = json!([{ "other": "#[attr = CfgTrace([NameValue { name: \"feature\", value: Some(\"x\"), span: a.rs:1:1: 1:2 (#0) }])]" }]);
    let items = vec![
        item(
            10,
            Some("b"),
            "public",
            function(json!([]), Value::Null, no_generics()),
        ),
        with_attrs(
            item(
                11,
                Some("c"),
                "public",
                function(json!([]), Value::Null, no_generics()),
            ),
            gate,
        ),
        item(
            12,
            Some("a"),
            "public",
            function(json!([]), Value::Null, no_generics()),
        ),
    ];
    assert_eq!(
        items_of(&krate(&[10, 11, 12], items, &[])),
        [
            "pub mod demo",
            "pub fn demo::a()",
            "pub fn demo::b()",
            "#[cfg(feature = \"x\")] pub fn demo::c()",
        ]
    );
}

#[test]
fn the_listing_has_a_header_and_ends_with_a_newline() {
    let text = listing(&krate(&[], vec![], &[]), "demo").unwrap();
    assert!(
        text.starts_with("// Public API of demo (all features)"),
        "{text}"
    );
    assert!(text.contains("cargo xtask public-api"), "{text}");
    assert!(text.ends_with("pub mod demo\n"), "{text}");
}

// Feature gates.

#[test]
fn cfg_attributes_read_without_spans() {
    let read = |text: &str| parse_cfg_attr(text).unwrap();
    assert_eq!(
        read(
            "#[attr = CfgTrace([NameValue { name: \"feature\", value: Some(\"redis\"), span: crates/a/src/lib.rs:49:7: 49:24 (#0) }])]"
        ),
        ["feature = \"redis\""]
    );
    assert_eq!(
        read(
            "#[attr = CfgTrace([All([NameValue { name: \"feature\", value: Some(\"a\"), span: x.rs:1:1: 1:2 (#0) }, Not(NameValue { name: \"unix\", value: None, span: x.rs:1:1: 1:2 (#0) }, x.rs:1:1: 1:2 (#0))], x.rs:1:1: 1:2 (#0)), Any([Bool(true, x.rs:1:1: 1:2 (#0))], x.rs:1:1: 1:2 (#0))])]"
        ),
        ["all(feature = \"a\", not(unix))", "any(true)"]
    );
    assert_eq!(read("#[cfg(feature = \"b\")]"), ["feature = \"b\""]);
    assert!(read("#[attr = Inline(Hint)]").is_empty());
    assert!(read("#[serde(untagged)]").is_empty());
    let err = parse_cfg_attr("#[attr = CfgTrace([Version(None, x)])]").unwrap_err();
    assert!(err.contains("unknown cfg predicate `Version`"), "{err}");
}

// Comparing listings.

#[test]
fn a_diff_tells_removed_changed_and_added_lines() {
    let old = "// header\npub fn a::f(x: u8)\npub fn a::gone()\npub field a::S::x: u8\nimpl core::marker::Send for a::S\n";
    let new = "// another header\npub fn a::f(x: u16)\npub field a::S::x: u8\npub fn a::new()\n";
    assert_eq!(
        diff(old, new),
        Diff {
            removed: vec![
                "impl core::marker::Send for a::S".into(),
                "pub fn a::gone()".into()
            ],
            changed: vec![("pub fn a::f(x: u8)".into(), "pub fn a::f(x: u16)".into())],
            breaking_added: vec![],
            added: vec!["pub fn a::new()".into()],
        }
    );
    assert!(diff(old, new).is_breaking());
    let additions = diff(new, &format!("{new}pub fn a::more()\n"));
    assert!(!additions.is_breaking());
    assert_eq!(additions.added, ["pub fn a::more()"]);
    assert_eq!(diff(old, old), Diff::default());
}

#[test]
fn additions_that_break_callers_are_breaking() {
    let old = "\
pub enum a::Open
pub variant a::Open::A
#[non_exhaustive] pub enum a::Closed
pub variant a::Closed::A
pub struct a::Literal
pub field a::Literal::x: u8
pub struct a::Sealed { /* private fields */ }
#[non_exhaustive] pub struct a::Later
pub trait a::T
fn a::T::f(&self)
";
    let added = "\
pub variant a::Open::B(u8)
pub variant a::Closed::B
pub field a::Literal::y: u8
pub field a::Sealed::y: u8
pub field a::Later::y: u8
fn a::T::g(&self)
fn a::T::h(&self) { .. }
type a::T::Item: core::clone::Clone
const a::T::N: usize = 3
fn <a::Literal as a::T>::f(&self)
pub enum a::New
pub variant a::New::A
";
    let d = diff(old, &format!("{old}{added}"));
    let breaking: Vec<&str> = d.breaking_added.iter().map(|(l, _)| l.as_str()).collect();
    assert_eq!(
        breaking,
        [
            "fn a::T::g(&self)",
            "pub field a::Literal::y: u8",
            "pub variant a::Open::B(u8)",
            "type a::T::Item: core::clone::Clone",
        ]
    );
    assert_eq!(d.added.len(), 8, "{:?}", d.added);
    assert!(d.is_breaking());
    let text = report(Path::new("p.txt"), false, &d);
    assert!(
        text.contains("BREAKING added: pub variant a::Open::B(u8)\n               (a variant of an exhaustive enum"),
        "{text}"
    );
}

#[test]
fn item_paths_leave_out_generics_and_types() {
    assert_eq!(item_path("pub struct a::P<T> where T: X"), Some("a::P"));
    assert_eq!(
        item_path("#[cfg(feature = \"x\")] pub field a::S::x: u8"),
        Some("a::S::x")
    );
    assert_eq!(
        item_path("pub trait a::T: core::marker::Send"),
        Some("a::T")
    );
    assert_eq!(item_path("pub variant a::E::V { x: u8 }"), Some("a::E::V"));
    assert_eq!(item_path("pub variant a::E::V(u8)"), Some("a::E::V"));
    assert_eq!(item_path("fn <a::S as a::T>::f(&self)"), None);
}

#[test]
fn lines_pair_by_item_name() {
    assert_eq!(
        line_key("pub fn a::f<T: Clone>(x: T) -> T"),
        "pub fn a::f<T"
    );
    assert_eq!(
        line_key("#[cfg(feature = \"x\")] pub field a::S::x: u8"),
        "pub field a::S::x"
    );
    assert_eq!(line_key("pub const a::N: usize = 3"), "pub const a::N");
    assert_eq!(line_key("pub struct a::S;"), "pub struct a::S");
    assert_eq!(
        line_key("pub variant a::E::V { x: u8 }"),
        "pub variant a::E::V"
    );
    assert_eq!(
        line_key("impl<T: Clone> core::clone::Clone for a::S<T>"),
        "impl<T: Clone> core::clone::Clone for a::S<T>"
    );
    // Two impls never pair, nor do two lines with one name (overloads by feature).
    let d = diff(
        "impl core::marker::Send for a::S\n",
        "impl core::marker::Sync for a::S\n",
    );
    assert_eq!(d.removed.len(), 1);
    assert_eq!(d.added.len(), 1);
    let d = diff(
        "pub fn a::f(x: u8)\npub fn a::f(x: u16)\n",
        "pub fn a::f(x: u32)\n",
    );
    assert_eq!(d.removed.len(), 2);
    assert!(d.changed.is_empty());
}

#[test]
fn the_report_marks_breaking_lines_and_the_missing_file() {
    let d = diff(
        "pub fn a::f(x: u8)\npub fn a::g()\n",
        "pub fn a::f(x: u16)\npub fn a::h()\n",
    );
    let text = report(Path::new("crates/a/public-api.txt"), false, &d);
    assert!(text.contains("BREAKING removed: pub fn a::g()"), "{text}");
    assert!(
        text.contains("BREAKING changed: pub fn a::f(x: u8)"),
        "{text}"
    );
    assert!(text.contains("to: pub fn a::f(x: u16)"), "{text}");
    assert!(text.contains("added: pub fn a::h()"), "{text}");
    assert!(text.contains("a breaking change"), "{text}");
    let text = report(
        Path::new("crates/a/public-api.txt"),
        true,
        &diff("", "pub fn a::h()\n"),
    );
    assert!(
        text.contains("crates/a/public-api.txt does not exist yet"),
        "{text}"
    );
    assert!(!text.contains("BREAKING"), "{text}");
}

// Reading rustdoc's output.

#[test]
fn another_format_version_is_refused_by_name() {
    let err = parse(br#"{"format_version": 9999}"#).unwrap_err();
    assert!(err.contains("rustdoc JSON format 9999"), "{err}");
    assert!(
        err.contains(&format!("reads format {}", rustdoc_types::FORMAT_VERSION)),
        "{err}"
    );
    assert!(err.contains("rustdoc-types"), "{err}");
    let err = parse(b"[]").unwrap_err();
    assert!(err.contains("not rustdoc JSON"), "{err}");
}

#[test]
fn the_right_format_version_parses() {
    let krate = krate(&[], vec![], &[]);
    let bytes = serde_json::to_vec(&krate).unwrap();
    assert_eq!(parse(&bytes).unwrap().root, krate.root);
}
