//! Which schemas are shared, on small hand-written specs holding only component schemas.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use super::*;

/// A spec whose component schemas are `schemas`.
fn spec(schemas: Value) -> Value {
    json!({
        "openapi": "3.0.1",
        "info": { "title": "t", "version": "v1" },
        "paths": {},
        "components": { "schemas": schemas },
    })
}

/// Specs by module, in the given (manifest) order.
fn specs(modules: &[(&str, Value)]) -> Vec<(String, Value)> {
    modules
        .iter()
        .map(|(module, schemas)| ((*module).to_owned(), spec(schemas.clone())))
        .collect()
}

/// An object schema with the named string fields.
fn object(fields: &[&str]) -> Value {
    let properties: serde_json::Map<String, Value> = fields
        .iter()
        .map(|f| ((*f).to_owned(), json!({ "type": "string" })))
        .collect();
    json!({ "type": "object", "properties": properties })
}

/// An object schema whose one field `inner` is the component schema `name`.
fn referring_to(name: &str) -> Value {
    json!({
        "type": "object",
        "properties": { "inner": { "$ref": format!("#/components/schemas/{name}") } },
    })
}

fn used_by(shared: &SharedSchemas, module: &str) -> Vec<String> {
    shared.used_by(module).map(str::to_owned).collect()
}

fn names(shared: &SharedSchemas) -> Vec<&str> {
    shared.schemas.keys().map(String::as_str).collect()
}

#[test]
fn a_schema_two_modules_define_alike_is_one_shared_type_both_use() {
    let paging = object(&["after"]);
    let shared = find(&specs(&[
        (
            "leads",
            json!({ "Paging": paging, "Lead": object(&["id"]) }),
        ),
        (
            "deals",
            json!({ "Paging": paging, "Deal": object(&["amount"]) }),
        ),
    ]));
    assert_eq!(shared.schemas, BTreeMap::from([("Paging".into(), paging)]));
    assert_eq!(used_by(&shared, "leads"), ["Paging"]);
    assert_eq!(used_by(&shared, "deals"), ["Paging"]);
    assert_eq!(
        shared.users,
        BTreeMap::from([
            ("deals".into(), BTreeSet::from(["Paging".into()])),
            ("leads".into(), BTreeSet::from(["Paging".into()])),
        ])
    );
}

#[test]
fn a_name_defined_differently_stays_local_in_both_modules() {
    let shared = find(&specs(&[
        (
            "associations",
            json!({ "Spec": object(&["typeId", "label"]) }),
        ),
        (
            "association_labels",
            json!({ "Spec": object(&["typeId", "label", "toObjectTypeId"]) }),
        ),
    ]));
    assert!(shared.schemas.is_empty(), "{shared:?}");
    assert!(shared.users.is_empty(), "{shared:?}");
    assert_eq!(used_by(&shared, "associations"), Vec::<String>::new());
    assert_eq!(used_by(&shared, "association_labels"), Vec::<String>::new());
}

#[test]
fn of_three_modules_the_two_that_agree_share_and_the_third_keeps_its_own() {
    let alike = object(&["message", "category"]);
    let other = object(&["message"]);
    for order in [["a", "b", "c"], ["c", "a", "b"], ["a", "c", "b"]] {
        let modules: Vec<(&str, Value)> = order
            .iter()
            .map(|m| {
                let error = if *m == "c" { &other } else { &alike };
                (*m, json!({ "Error": error }))
            })
            .collect();
        let shared = find(&specs(&modules));
        assert_eq!(shared.schemas["Error"], alike, "{order:?}");
        assert_eq!(used_by(&shared, "a"), ["Error"], "{order:?}");
        assert_eq!(used_by(&shared, "b"), ["Error"], "{order:?}");
        assert_eq!(used_by(&shared, "c"), Vec::<String>::new(), "{order:?}");
    }
}

#[test]
fn a_schema_referring_to_one_that_differs_is_not_shared_nor_is_the_one_referred_to() {
    // `Wrapper` reads the same in both, but its `Inner` is not the same type.
    let shared = find(&specs(&[
        (
            "a",
            json!({ "Wrapper": referring_to("Inner"), "Inner": object(&["x"]) }),
        ),
        (
            "b",
            json!({ "Wrapper": referring_to("Inner"), "Inner": object(&["y"]) }),
        ),
    ]));
    assert!(shared.schemas.is_empty(), "{shared:?}");
    assert!(shared.users.is_empty(), "{shared:?}");
}

#[test]
fn a_schema_referring_to_one_missing_in_a_module_is_not_shared() {
    // `b` refers to an `Inner` it does not define: its `Wrapper` is not `a`'s.
    let shared = find(&specs(&[
        (
            "a",
            json!({ "Wrapper": referring_to("Inner"), "Inner": object(&["x"]) }),
        ),
        ("b", json!({ "Wrapper": referring_to("Inner") })),
    ]));
    assert!(shared.schemas.is_empty(), "{shared:?}");
}

#[test]
fn the_reference_rule_follows_chains_of_references() {
    // Top -> Middle -> Bottom; only Bottom differs, so nothing above it is shared either.
    let shared = find(&specs(&[
        (
            "a",
            json!({
                "Top": referring_to("Middle"),
                "Middle": referring_to("Bottom"),
                "Bottom": object(&["x"]),
                "Unrelated": object(&["u"]),
            }),
        ),
        (
            "b",
            json!({
                "Top": referring_to("Middle"),
                "Middle": referring_to("Bottom"),
                "Bottom": object(&["y"]),
                "Unrelated": object(&["u"]),
            }),
        ),
    ]));
    assert_eq!(names(&shared), ["Unrelated"]);
}

#[test]
fn a_module_whose_referred_schema_differs_drops_out_while_the_others_share() {
    // All three define `Wrapper` alike, but `c`'s `Inner` differs: `a` and `b` share both,
    // `c` keeps its own `Wrapper` and `Inner`.
    let inner = object(&["x"]);
    let shared = find(&specs(&[
        (
            "a",
            json!({ "Wrapper": referring_to("Inner"), "Inner": inner }),
        ),
        (
            "b",
            json!({ "Wrapper": referring_to("Inner"), "Inner": inner }),
        ),
        (
            "c",
            json!({ "Wrapper": referring_to("Inner"), "Inner": object(&["z"]) }),
        ),
    ]));
    assert_eq!(names(&shared), ["Inner", "Wrapper"]);
    assert_eq!(shared.schemas["Inner"], inner);
    assert_eq!(used_by(&shared, "a"), ["Inner", "Wrapper"]);
    assert_eq!(used_by(&shared, "b"), ["Inner", "Wrapper"]);
    assert_eq!(used_by(&shared, "c"), Vec::<String>::new());
}

#[test]
fn a_schema_only_one_module_defines_is_never_shared() {
    let shared = find(&specs(&[
        ("a", json!({ "Lead": object(&["id"]) })),
        ("b", json!({ "Deal": object(&["id"]) })),
        ("c", json!({})),
    ]));
    assert!(shared.schemas.is_empty(), "{shared:?}");
    // Nor with a single spec, nor with none.
    let alone = find(&specs(&[("a", json!({ "Lead": object(&["id"]) }))]));
    assert_eq!(alone, SharedSchemas::default());
    assert_eq!(find(&[]), SharedSchemas::default());
    // A spec without components takes part in nothing.
    let bare = vec![
        ("a".to_owned(), json!({ "openapi": "3.0.1", "paths": {} })),
        ("b".to_owned(), spec(json!({ "Lead": object(&["id"]) }))),
    ];
    assert_eq!(find(&bare), SharedSchemas::default());
}

#[test]
fn ties_between_groups_of_equal_size_go_to_the_one_first_in_manifest_order() {
    let first = object(&["one"]);
    let second = object(&["two"]);
    let define = |modules: &[&str]| -> Vec<(String, Value)> {
        specs(
            &modules
                .iter()
                .map(|m| {
                    let paging = if m.starts_with('x') { &first } else { &second };
                    (*m, json!({ "Paging": paging }))
                })
                .collect::<Vec<_>>(),
        )
    };
    // `x1`, `x2` define `first`; `y1`, `y2` define `second`.
    for (order, winner, users) in [
        (["x1", "x2", "y1", "y2"], &first, ["x1", "x2"]),
        (["y1", "y2", "x1", "x2"], &second, ["y1", "y2"]),
        (["x1", "y1", "y2", "x2"], &first, ["x1", "x2"]),
        (["y2", "x1", "x2", "y1"], &second, ["y1", "y2"]),
    ] {
        let shared = find(&define(&order));
        assert_eq!(&shared.schemas["Paging"], winner, "{order:?}");
        let modules: Vec<&str> = shared.users.keys().map(String::as_str).collect();
        assert_eq!(modules, users, "{order:?}");
    }
}

#[test]
fn the_largest_group_wins_wherever_it_comes_in_manifest_order() {
    let few = object(&["few"]);
    let many = object(&["many"]);
    let shared = find(&specs(&[
        ("a", json!({ "Paging": few })),
        ("b", json!({ "Paging": few })),
        ("c", json!({ "Paging": many })),
        ("d", json!({ "Paging": many })),
        ("e", json!({ "Paging": many })),
    ]));
    assert_eq!(shared.schemas["Paging"], many);
    let modules: Vec<&str> = shared.users.keys().map(String::as_str).collect();
    assert_eq!(modules, ["c", "d", "e"]);
}

#[test]
fn finding_is_deterministic() {
    let modules = || {
        specs(&[
            (
                "a",
                json!({
                    "Wrapper": referring_to("Inner"),
                    "Inner": object(&["x", "y"]),
                    "Paging": object(&["after"]),
                    "Own": object(&["a"]),
                }),
            ),
            (
                "b",
                json!({
                    "Paging": object(&["after"]),
                    // The same schema, its keys in another order.
                    "Inner": { "properties": { "y": { "type": "string" }, "x": { "type": "string" } }, "type": "object" },
                    "Wrapper": referring_to("Inner"),
                    "Own": object(&["b"]),
                }),
            ),
            ("c", json!({ "Paging": object(&["before"]) })),
        ])
    };
    let first = find(&modules());
    assert_eq!(names(&first), ["Inner", "Paging", "Wrapper"]);
    assert_eq!(used_by(&first, "a"), ["Inner", "Paging", "Wrapper"]);
    assert_eq!(used_by(&first, "b"), ["Inner", "Paging", "Wrapper"]);
    assert_eq!(used_by(&first, "c"), Vec::<String>::new());
    for _ in 0..5 {
        let again = find(&modules());
        assert_eq!(again, first);
        assert_eq!(again.as_spec().to_string(), first.as_spec().to_string());
    }
}

#[test]
fn the_shared_spec_holds_exactly_the_shared_schemas_and_is_openapi() {
    let paging = object(&["after"]);
    let shared = find(&specs(&[
        ("a", json!({ "Paging": paging, "Own": object(&["a"]) })),
        ("b", json!({ "Paging": paging, "Own": object(&["b"]) })),
    ]));
    let spec = shared.as_spec();
    assert_eq!(spec["components"]["schemas"], json!({ "Paging": paging }));
    assert_eq!(spec["paths"], json!({}));
    let parsed: openapiv3::OpenAPI = serde_json::from_value(spec).expect("valid OpenAPI 3");
    assert_eq!(parsed.components.unwrap().schemas.len(), 1);
}
