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

/// `name` at the root, `sub::name` in a submodule.
fn placed(place: &Place, name: &str) -> String {
    match place.submodule() {
        Some(sub) => format!("{sub}::{name}"),
        None => name.to_owned(),
    }
}

/// The shared names `module` uses, each where it is (see [`placed`]), by name.
fn used_by(shared: &SharedSchemas, module: &str) -> Vec<String> {
    shared
        .used_by(module)
        .map(|(name, place)| placed(place, name))
        .collect()
}

/// Every shared name where it is (see [`placed`]), the root's first.
fn names(shared: &SharedSchemas) -> Vec<String> {
    shared
        .places
        .iter()
        .flat_map(|(place, names)| names.keys().map(move |name| placed(place, name)))
        .collect()
}

/// The root's schema `name`.
fn root_schema<'a>(shared: &'a SharedSchemas, name: &str) -> &'a Value {
    &shared
        .get(&Place::Root, name)
        .unwrap_or_else(|| panic!("no shared `{name}` at the root: {shared:?}"))
        .schema
}

/// The modules of `name` at `place`.
fn modules_of(shared: &SharedSchemas, place: &Place, name: &str) -> Vec<String> {
    shared
        .get(place, name)
        .unwrap_or_else(|| panic!("no `{}`: {shared:?}", placed(place, name)))
        .modules
        .clone()
}

fn sub(module: &str) -> Place {
    Place::Sub(module.to_owned())
}

/// What every outcome of `find` holds to: the places and the users say the same; each shared
/// schema has two modules or more, all resolving each name it refers to to one place; the
/// root's is the largest group of its name, and a submodule's types are all used by the
/// module it is named after.
fn assert_consistent(shared: &SharedSchemas) {
    for (place, names) in &shared.places {
        assert!(!names.is_empty(), "{place:?} is empty: {shared:?}");
        for (name, placement) in names {
            assert!(
                placement.modules.len() >= 2,
                "{name} at {place:?}: {shared:?}"
            );
            for module in &placement.modules {
                assert_eq!(
                    shared.place_of(module, name),
                    Some(place),
                    "{module} {name}"
                );
            }
            if let Some(sub) = place.submodule() {
                assert!(placement.modules.iter().any(|m| m == sub), "{sub}::{name}");
                let root = shared.get(&Place::Root, name).expect("a root group");
                assert!(root.modules.len() >= placement.modules.len(), "{name}");
            }
            let mut refs = BTreeSet::new();
            schema_refs(&placement.schema, &mut refs);
            for r in &refs {
                let places: BTreeSet<_> = placement
                    .modules
                    .iter()
                    .map(|m| shared.place_of(m, r))
                    .collect();
                assert_eq!(
                    places.len(),
                    1,
                    "{name} at {place:?} refers to {r}: {places:?}"
                );
                assert!(
                    places.iter().all(Option::is_some),
                    "{name} refers to local {r}"
                );
            }
        }
    }
    for (module, names) in &shared.users {
        for (name, place) in names {
            let placement = shared.get(place, name).expect("a placement per use");
            assert!(placement.modules.contains(module), "{module} {name}");
        }
    }
    // A schema shared once per place and name, and every place's spec is OpenAPI.
    for place in shared.places.keys() {
        let spec = shared.spec_for(place).spec;
        serde_json::from_value::<openapiv3::OpenAPI>(spec).expect("valid OpenAPI 3");
    }
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
    assert_consistent(&shared);
    assert_eq!(
        shared.places,
        BTreeMap::from([(
            Place::Root,
            BTreeMap::from([(
                "Paging".into(),
                Placement {
                    schema: paging,
                    modules: vec!["leads".into(), "deals".into()],
                }
            )])
        )])
    );
    assert_eq!(used_by(&shared, "leads"), ["Paging"]);
    assert_eq!(used_by(&shared, "deals"), ["Paging"]);
    assert_eq!(
        shared.users,
        BTreeMap::from([
            (
                "deals".into(),
                BTreeMap::from([("Paging".into(), Place::Root)])
            ),
            (
                "leads".into(),
                BTreeMap::from([("Paging".into(), Place::Root)])
            ),
        ])
    );
    assert_eq!(shared.modules, ["leads", "deals"]);
    assert_eq!(shared.modules_of(&Place::Root), ["leads", "deals"]);
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
    assert!(shared.places.is_empty(), "{shared:?}");
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
        assert_consistent(&shared);
        assert_eq!(root_schema(&shared, "Error"), &alike, "{order:?}");
        assert_eq!(names(&shared), ["Error"], "{order:?}");
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
    assert!(shared.places.is_empty(), "{shared:?}");
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
    assert!(shared.places.is_empty(), "{shared:?}");
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
    assert_consistent(&shared);
    assert_eq!(names(&shared), ["Inner", "Wrapper"]);
    assert_eq!(root_schema(&shared, "Inner"), &inner);
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
    assert!(shared.places.is_empty(), "{shared:?}");
    assert!(shared.users.is_empty(), "{shared:?}");
    // Nor with a single spec, nor with none.
    let alone = find(&specs(&[("a", json!({ "Lead": object(&["id"]) }))]));
    let nothing_among = |modules: &[&str]| SharedSchemas {
        modules: modules.iter().map(|m| (*m).to_owned()).collect(),
        ..SharedSchemas::default()
    };
    assert_eq!(alone, nothing_among(&["a"]));
    assert_eq!(find(&[]), SharedSchemas::default());
    // A spec without components takes part in nothing.
    let bare = vec![
        ("a".to_owned(), json!({ "openapi": "3.0.1", "paths": {} })),
        ("b".to_owned(), spec(json!({ "Lead": object(&["id"]) }))),
    ];
    assert_eq!(find(&bare), nothing_among(&["a", "b"]));
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
    // `x1`, `x2` define `first`; `y1`, `y2` define `second`. Both are shared: the group first
    // in manifest order at the root, the other in the submodule of its first module.
    for (order, winner, root_users, other, sub_name, sub_users) in [
        (
            ["x1", "x2", "y1", "y2"],
            &first,
            ["x1", "x2"],
            &second,
            "y1",
            ["y1", "y2"],
        ),
        (
            ["y1", "y2", "x1", "x2"],
            &second,
            ["y1", "y2"],
            &first,
            "x1",
            ["x1", "x2"],
        ),
        (
            ["x1", "y1", "y2", "x2"],
            &first,
            ["x1", "x2"],
            &second,
            "y1",
            ["y1", "y2"],
        ),
        (
            ["y2", "x1", "x2", "y1"],
            &second,
            ["y2", "y1"],
            &first,
            "x1",
            ["x1", "x2"],
        ),
    ] {
        let shared = find(&define(&order));
        assert_consistent(&shared);
        assert_eq!(root_schema(&shared, "Paging"), winner, "{order:?}");
        assert_eq!(
            modules_of(&shared, &Place::Root, "Paging"),
            root_users,
            "{order:?}"
        );
        let place = sub(sub_name);
        assert_eq!(
            &shared.get(&place, "Paging").unwrap().schema,
            other,
            "{order:?}"
        );
        assert_eq!(
            modules_of(&shared, &place, "Paging"),
            sub_users,
            "{order:?}"
        );
        assert_eq!(
            names(&shared),
            ["Paging", &format!("{sub_name}::Paging")],
            "{order:?}"
        );
        for module in root_users {
            assert_eq!(used_by(&shared, module), ["Paging"], "{order:?}");
        }
        for module in sub_users {
            assert_eq!(
                used_by(&shared, module),
                [format!("{sub_name}::Paging")],
                "{order:?}"
            );
        }
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
    assert_consistent(&shared);
    assert_eq!(root_schema(&shared, "Paging"), &many);
    assert_eq!(modules_of(&shared, &Place::Root, "Paging"), ["c", "d", "e"]);
    // The smaller group is shared too, in the submodule of its first module.
    assert_eq!(shared.get(&sub("a"), "Paging").unwrap().schema, few);
    assert_eq!(modules_of(&shared, &sub("a"), "Paging"), ["a", "b"]);
    assert_eq!(used_by(&shared, "b"), ["a::Paging"]);
    assert_eq!(used_by(&shared, "e"), ["Paging"]);
    assert_eq!(shared.modules_of(&sub("a")), ["a", "b"]);
    assert_eq!(shared.modules_of(&Place::Root), ["c", "d", "e"]);
}

/// The object specs keep an enum closed that the association specs, which get it back, open:
/// one name, two wire formats, each generated once.
fn association_like_specs() -> Vec<(String, Value)> {
    let closed = json!({
        "type": "object",
        "properties": {
            "associationCategory": { "type": "string", "enum": ["HUBSPOT_DEFINED", "USER_DEFINED"] },
            "associationTypeId": { "type": "integer" },
        },
    });
    let open = json!({
        "type": "object",
        "properties": {
            "associationCategory": { "type": "string" },
            "associationTypeId": { "type": "integer" },
        },
    });
    let multi_post = json!({
        "type": "object",
        "properties": {
            "types": { "type": "array", "items": { "$ref": "#/components/schemas/AssociationSpec" } },
        },
    });
    let batch = json!({
        "type": "object",
        "properties": {
            "inputs": { "type": "array", "items": { "$ref": "#/components/schemas/PublicAssociationMultiPost" } },
        },
    });
    let paging = object(&["after"]);
    specs(&[
        (
            "leads",
            json!({ "AssociationSpec": closed, "Paging": paging }),
        ),
        (
            "associations",
            json!({
                "AssociationSpec": open,
                "PublicAssociationMultiPost": multi_post,
                "BatchInputPublicAssociationMultiPost": batch,
                "Paging": paging,
            }),
        ),
        (
            "objects",
            json!({ "AssociationSpec": closed, "Paging": paging }),
        ),
        (
            "objects_2026_09",
            json!({ "AssociationSpec": closed, "Paging": paging }),
        ),
        (
            "associations_2026_09",
            json!({
                "AssociationSpec": open,
                "PublicAssociationMultiPost": multi_post,
                "BatchInputPublicAssociationMultiPost": batch,
                "Paging": paging,
            }),
        ),
    ])
}

#[test]
fn every_group_of_a_name_is_shared_the_largest_at_the_root_the_others_in_submodules() {
    let specs = association_like_specs();
    let shared = find(&specs);
    assert_consistent(&shared);
    assert_eq!(
        names(&shared),
        [
            "AssociationSpec",
            "BatchInputPublicAssociationMultiPost",
            "Paging",
            "PublicAssociationMultiPost",
            "associations::AssociationSpec",
        ]
    );
    assert_eq!(
        modules_of(&shared, &Place::Root, "AssociationSpec"),
        ["leads", "objects", "objects_2026_09"]
    );
    assert_eq!(
        root_schema(&shared, "AssociationSpec"),
        &specs[0].1["components"]["schemas"]["AssociationSpec"]
    );
    let associations = sub("associations");
    assert_eq!(
        modules_of(&shared, &associations, "AssociationSpec"),
        ["associations", "associations_2026_09"]
    );
    assert_eq!(
        shared.get(&associations, "AssociationSpec").unwrap().schema,
        specs[1].1["components"]["schemas"]["AssociationSpec"]
    );
    // What refers to the open `AssociationSpec` is shared too: at the root, as its only group.
    for module in ["associations", "associations_2026_09"] {
        assert_eq!(
            used_by(&shared, module),
            [
                "associations::AssociationSpec",
                "BatchInputPublicAssociationMultiPost",
                "Paging",
                "PublicAssociationMultiPost",
            ],
            "{module}"
        );
    }
    for module in ["leads", "objects", "objects_2026_09"] {
        assert_eq!(
            used_by(&shared, module),
            ["AssociationSpec", "Paging"],
            "{module}"
        );
    }
    assert_eq!(
        shared.modules_of(&associations),
        ["associations", "associations_2026_09"]
    );
    assert_eq!(
        shared.modules_of(&Place::Root),
        [
            "leads",
            "associations",
            "objects",
            "objects_2026_09",
            "associations_2026_09"
        ]
    );
}

#[test]
fn a_submodule_is_named_after_its_groups_first_module_in_manifest_order() {
    let one = object(&["one"]);
    let two = object(&["two"]);
    let three = object(&["three"]);
    let shared = find(&specs(&[
        ("zeta", json!({ "Paging": two })),
        ("alpha", json!({ "Paging": one })),
        ("mid", json!({ "Paging": one })),
        ("omega", json!({ "Paging": three })),
        ("beta", json!({ "Paging": two })),
        ("gamma", json!({ "Paging": one })),
        ("delta", json!({ "Paging": three })),
    ]));
    assert_consistent(&shared);
    assert_eq!(names(&shared), ["Paging", "omega::Paging", "zeta::Paging"]);
    assert_eq!(root_schema(&shared, "Paging"), &one);
    assert_eq!(
        modules_of(&shared, &sub("zeta"), "Paging"),
        ["zeta", "beta"]
    );
    assert_eq!(
        modules_of(&shared, &sub("omega"), "Paging"),
        ["omega", "delta"]
    );
}

#[test]
fn a_root_schema_may_refer_to_a_submodule_one_and_a_submodule_one_to_the_root() {
    // `Spec` has two groups; `Multi` (one group) refers to the submodule's `Spec`, which
    // refers to the root's `Paging`.
    let closed = object(&["closed"]);
    let open = json!({
        "type": "object",
        "properties": { "paging": { "$ref": "#/components/schemas/Paging" } },
    });
    let paging = object(&["after"]);
    let shared = find(&specs(&[
        ("a", json!({ "Spec": closed, "Paging": paging })),
        ("b", json!({ "Spec": closed, "Paging": paging })),
        ("c", json!({ "Spec": closed, "Paging": paging })),
        (
            "d",
            json!({ "Spec": open, "Multi": referring_to("Spec"), "Paging": paging }),
        ),
        (
            "e",
            json!({ "Spec": open, "Multi": referring_to("Spec"), "Paging": paging }),
        ),
    ]));
    assert_consistent(&shared);
    assert_eq!(names(&shared), ["Multi", "Paging", "Spec", "d::Spec"]);
    assert_eq!(used_by(&shared, "d"), ["Multi", "Paging", "d::Spec"]);
    assert_eq!(used_by(&shared, "a"), ["Paging", "Spec"]);

    // The root's spec holds `Spec` as the root's, and the submodule's under an alias for
    // `Multi`; the alias's own reference to `Paging` is the root's `Paging` itself.
    let root = shared.spec_for(&Place::Root);
    assert_eq!(
        root.aliases,
        BTreeMap::from([("SharedAliasA".into(), (sub("d"), "Spec".into()))])
    );
    let schemas = &root.spec["components"]["schemas"];
    assert_eq!(
        schemas.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["Multi", "Paging", "Spec", "SharedAliasA"]
    );
    assert_eq!(schemas["Spec"], closed);
    assert_eq!(schemas["Multi"], referring_to("SharedAliasA"));
    assert_eq!(schemas["SharedAliasA"], open);
    // The submodule's spec refers to the root's `Paging` under an alias.
    let d = shared.spec_for(&sub("d"));
    assert_eq!(
        d.aliases,
        BTreeMap::from([("SharedAliasA".into(), (Place::Root, "Paging".into()))])
    );
    let schemas = &d.spec["components"]["schemas"];
    assert_eq!(
        schemas["Spec"]["properties"]["paging"]["$ref"],
        "#/components/schemas/SharedAliasA"
    );
    assert_eq!(schemas["SharedAliasA"], paging);
    assert_eq!(schemas.as_object().unwrap().len(), 2);
}

#[test]
fn a_group_whose_modules_resolve_a_reference_differently_splits_by_how_they_do() {
    // All five define `Wrapper` alike, but `Inner` three ways: `a`, `b` one way, `c`, `d`
    // another, `e` its own. `Wrapper` is two types then, shared like the `Inner` each holds;
    // `e` keeps its own `Wrapper` around its own `Inner`.
    let shared = find(&specs(&[
        (
            "a",
            json!({ "Wrapper": referring_to("Inner"), "Inner": object(&["x"]) }),
        ),
        (
            "b",
            json!({ "Wrapper": referring_to("Inner"), "Inner": object(&["x"]) }),
        ),
        (
            "c",
            json!({ "Wrapper": referring_to("Inner"), "Inner": object(&["y"]) }),
        ),
        (
            "d",
            json!({ "Wrapper": referring_to("Inner"), "Inner": object(&["y"]) }),
        ),
        (
            "e",
            json!({ "Wrapper": referring_to("Inner"), "Inner": object(&["z"]) }),
        ),
    ]));
    assert_consistent(&shared);
    assert_eq!(
        names(&shared),
        ["Inner", "Wrapper", "c::Inner", "c::Wrapper"]
    );
    assert_eq!(used_by(&shared, "a"), ["Inner", "Wrapper"]);
    assert_eq!(used_by(&shared, "b"), ["Inner", "Wrapper"]);
    assert_eq!(used_by(&shared, "c"), ["c::Inner", "c::Wrapper"]);
    assert_eq!(used_by(&shared, "d"), ["c::Inner", "c::Wrapper"]);
    assert_eq!(used_by(&shared, "e"), Vec::<String>::new());
    // Each `Wrapper` holds its own place's `Inner`: no alias needed.
    for place in [Place::Root, sub("c")] {
        assert!(shared.spec_for(&place).aliases.is_empty(), "{place:?}");
    }
}

#[test]
fn after_a_split_the_largest_part_takes_the_root() {
    // `Wrapper` is one group of five, but three of them hold one `Inner` and two another.
    let shared = find(&specs(&[
        (
            "a",
            json!({ "Wrapper": referring_to("Inner"), "Inner": object(&["x"]) }),
        ),
        (
            "b",
            json!({ "Wrapper": referring_to("Inner"), "Inner": object(&["x"]) }),
        ),
        (
            "c",
            json!({ "Wrapper": referring_to("Inner"), "Inner": object(&["y"]) }),
        ),
        (
            "d",
            json!({ "Wrapper": referring_to("Inner"), "Inner": object(&["y"]) }),
        ),
        (
            "e",
            json!({ "Wrapper": referring_to("Inner"), "Inner": object(&["y"]) }),
        ),
    ]));
    assert_consistent(&shared);
    assert_eq!(
        names(&shared),
        ["Inner", "Wrapper", "a::Inner", "a::Wrapper"]
    );
    assert_eq!(
        modules_of(&shared, &Place::Root, "Wrapper"),
        ["c", "d", "e"]
    );
    assert_eq!(modules_of(&shared, &sub("a"), "Wrapper"), ["a", "b"]);
}

#[test]
fn a_part_of_a_split_below_two_modules_is_not_shared() {
    // `c` holds the `Inner` it shares with `d`, who has no `Wrapper`: `c` alone is left
    // with its `Wrapper` and keeps its own, around the shared `c::Inner`.
    let shared = find(&specs(&[
        (
            "a",
            json!({ "Wrapper": referring_to("Inner"), "Inner": object(&["x"]) }),
        ),
        (
            "b",
            json!({ "Wrapper": referring_to("Inner"), "Inner": object(&["x"]) }),
        ),
        (
            "c",
            json!({ "Wrapper": referring_to("Inner"), "Inner": object(&["y"]) }),
        ),
        ("d", json!({ "Inner": object(&["y"]) })),
    ]));
    assert_consistent(&shared);
    assert_eq!(names(&shared), ["Inner", "Wrapper", "c::Inner"]);
    assert_eq!(modules_of(&shared, &Place::Root, "Wrapper"), ["a", "b"]);
    assert_eq!(used_by(&shared, "c"), ["c::Inner"]);
    assert_eq!(used_by(&shared, "d"), ["c::Inner"]);
}

#[test]
fn splits_follow_chains_of_references_across_places() {
    // Top -> Middle -> Bottom everywhere; Bottom is one thing in `a`, `b`, `c` and another in
    // `d`, `e`: each level is two types, the second in `d`.
    let modules: Vec<(&str, Value)> = ["a", "b", "c", "d", "e"]
        .into_iter()
        .map(|m| {
            let bottom = if m < "d" {
                object(&["x"])
            } else {
                object(&["y"])
            };
            (
                m,
                json!({
                    "Top": referring_to("Middle"),
                    "Middle": referring_to("Bottom"),
                    "Bottom": bottom,
                }),
            )
        })
        .collect();
    let shared = find(&specs(&modules));
    assert_consistent(&shared);
    assert_eq!(
        names(&shared),
        [
            "Bottom",
            "Middle",
            "Top",
            "d::Bottom",
            "d::Middle",
            "d::Top"
        ]
    );
    assert_eq!(used_by(&shared, "e"), ["d::Bottom", "d::Middle", "d::Top"]);
    assert_eq!(used_by(&shared, "c"), ["Bottom", "Middle", "Top"]);
}

#[test]
fn a_schema_referring_to_itself_is_shared() {
    let node = json!({
        "type": "object",
        "properties": {
            "children": { "type": "array", "items": { "$ref": "#/components/schemas/Node" } },
        },
    });
    let shared = find(&specs(&[
        ("a", json!({ "Node": node })),
        ("b", json!({ "Node": node })),
    ]));
    assert_consistent(&shared);
    assert_eq!(names(&shared), ["Node"]);
    assert!(shared.spec_for(&Place::Root).aliases.is_empty());
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
    assert_consistent(&first);
    assert_eq!(names(&first), ["Inner", "Paging", "Wrapper"]);
    assert_eq!(used_by(&first, "a"), ["Inner", "Paging", "Wrapper"]);
    assert_eq!(used_by(&first, "b"), ["Inner", "Paging", "Wrapper"]);
    assert_eq!(used_by(&first, "c"), Vec::<String>::new());
    let mixed = find(&association_like_specs());
    for _ in 0..5 {
        let again = find(&modules());
        assert_eq!(again, first);
        let spec = |s: &SharedSchemas| s.spec_for(&Place::Root).spec.to_string();
        assert_eq!(spec(&again), spec(&first));
        let again = find(&association_like_specs());
        assert_eq!(again, mixed);
        for place in mixed.places.keys() {
            assert_eq!(again.spec_for(place), mixed.spec_for(place), "{place:?}");
        }
    }
}

#[test]
fn the_shared_spec_holds_exactly_the_shared_schemas_and_is_openapi() {
    let paging = object(&["after"]);
    let shared = find(&specs(&[
        ("a", json!({ "Paging": paging, "Own": object(&["a"]) })),
        ("b", json!({ "Paging": paging, "Own": object(&["b"]) })),
    ]));
    let place = shared.spec_for(&Place::Root);
    assert!(place.aliases.is_empty());
    let spec = place.spec;
    assert_eq!(spec["components"]["schemas"], json!({ "Paging": paging }));
    assert_eq!(spec["paths"], json!({}));
    let parsed: openapiv3::OpenAPI = serde_json::from_value(spec).expect("valid OpenAPI 3");
    assert_eq!(parsed.components.unwrap().schemas.len(), 1);
    // A place nothing is shared in has an empty spec.
    let none = SharedSchemas::default().spec_for(&Place::Root);
    assert_eq!(none.spec["components"]["schemas"], json!({}));
}

#[test]
fn aliases_are_unlike_every_name_of_the_place() {
    // The root holds a schema whose name starts like an alias would.
    let taken = object(&["taken"]);
    let open = object(&["open"]);
    let shared = find(&specs(&[
        (
            "a",
            json!({ "Spec": object(&["closed"]), "SharedAliasA": taken }),
        ),
        (
            "b",
            json!({ "Spec": object(&["closed"]), "SharedAliasA": taken }),
        ),
        ("c", json!({ "Spec": object(&["closed"]) })),
        ("d", json!({ "Spec": open, "Multi": referring_to("Spec") })),
        ("e", json!({ "Spec": open, "Multi": referring_to("Spec") })),
    ]));
    assert_consistent(&shared);
    let root = shared.spec_for(&Place::Root);
    assert_eq!(
        root.aliases,
        BTreeMap::from([("SharedAliasAliasA".into(), (sub("d"), "Spec".into()))])
    );
    assert_eq!(root.spec["components"]["schemas"]["SharedAliasA"], taken);
    assert_eq!(
        root.spec["components"]["schemas"]["Multi"],
        referring_to("SharedAliasAliasA")
    );
}

#[test]
fn alias_words_are_letters_only_and_distinct() {
    assert_eq!(letters(0), "A");
    assert_eq!(letters(25), "Z");
    assert_eq!(letters(26), "Ba");
    assert_eq!(letters(27), "Bb");
    let words: BTreeSet<String> = (0..2000).map(letters).collect();
    assert_eq!(words.len(), 2000);
    for word in &words {
        let mut chars = word.chars();
        assert!(chars.next().unwrap().is_ascii_uppercase(), "{word}");
        assert!(chars.all(|c| c.is_ascii_lowercase()), "{word}");
    }
}
