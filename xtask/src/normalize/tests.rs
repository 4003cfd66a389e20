//! One test per rule, each on a small hand-written spec fragment. The fragments hold only
//! structure (paths, status codes, schema shapes), never text from HubSpot's specs.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::*;

/// A spec with the given `paths` and component `schemas`.
fn spec(paths: Value, schemas: Value) -> Value {
    json!({
        "openapi": "3.0.1",
        "info": { "title": "t", "version": "v1" },
        "paths": paths,
        "components": { "schemas": schemas },
    })
}

fn schema_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

/// A JSON response whose body is the component schema `name`.
fn json_response(name: &str) -> Value {
    json!({ "description": "", "content": { "application/json": { "schema": schema_ref(name) } } })
}

/// A JSON request body of the component schema `name`.
fn json_body(name: &str) -> Value {
    json!({ "content": { "application/json": { "schema": schema_ref(name) } } })
}

/// An object schema with the named fields, all strings.
fn object(fields: &[&str]) -> Value {
    let properties: Map<String, Value> = fields
        .iter()
        .map(|f| ((*f).to_owned(), json!({ "type": "string" })))
        .collect();
    json!({ "type": "object", "properties": properties })
}

fn methods(entries: &[(&str, &str)]) -> BTreeMap<String, String> {
    entries
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn responses<'a>(spec: &'a Value, path: &str, method: &str) -> &'a Map<String, Value> {
    spec["paths"][path][method]["responses"]
        .as_object()
        .expect("the operation has responses")
}

fn keys(map: &Map<String, Value>) -> Vec<&str> {
    map.keys().map(String::as_str).collect()
}

fn schema<'a>(spec: &'a Value, name: &str) -> &'a Value {
    &spec["components"]["schemas"][name]
}

// Rule 1a ---------------------------------------------------------------------------------

#[test]
fn default_response_becomes_4xx_and_5xx() {
    let error = json!({ "$ref": "#/components/responses/Error" });
    let mut s = spec(
        json!({ "/things": { "get": { "responses": {
            "200": json_response("Thing"),
            "default": error,
        } } } }),
        json!({ "Thing": object(&["id"]) }),
    );
    split_default_response(&mut s);
    let r = responses(&s, "/things", "get");
    assert_eq!(keys(r), ["200", "4XX", "5XX"]);
    assert_eq!(r["4XX"], error);
    assert_eq!(r["5XX"], error);
}

#[test]
fn default_response_does_not_replace_an_explicit_error_range() {
    let mut s = spec(
        json!({ "/things": { "get": { "responses": {
            "4XX": json_response("NotFound"),
            "default": json_response("Error"),
        } } } }),
        json!({ "NotFound": object(&["id"]), "Error": object(&["message"]) }),
    );
    split_default_response(&mut s);
    let r = responses(&s, "/things", "get");
    assert_eq!(r["4XX"], json_response("NotFound"));
    assert_eq!(r["5XX"], json_response("Error"));
    assert!(!r.contains_key("default"));
}

// Rule 1b ---------------------------------------------------------------------------------

/// A batch operation answering 201 (all done) or 207 (some failed, with `errors`), in the
/// given order.
fn batch_spec(codes: [&str; 2]) -> Value {
    let mut responses = Map::new();
    for code in codes {
        let body = if code == "207" {
            "BatchResultWithErrors"
        } else {
            "BatchResult"
        };
        responses.insert(code.into(), json_response(body));
    }
    responses.insert("4XX".into(), json_response("Error"));
    spec(
        json!({ "/things/batch/create": { "post": { "responses": responses } } }),
        json!({
            "BatchResult": object(&["results", "status"]),
            "BatchResultWithErrors": object(&["results", "status", "errors", "numErrors"]),
            "Error": object(&["message"]),
        }),
    )
}

#[test]
fn success_codes_fold_into_one_2xx_with_the_schema_that_has_errors() {
    for codes in [["201", "207"], ["207", "201"], ["200", "207"]] {
        let mut s = batch_spec(codes);
        fold_success_responses(&mut s);
        let r = responses(&s, "/things/batch/create", "post");
        assert_eq!(keys(r), ["2XX", "4XX"], "{codes:?}");
        assert_eq!(
            r["2XX"]["content"]["application/json"]["schema"],
            schema_ref("BatchResultWithErrors"),
            "{codes:?}"
        );
        assert_eq!(r["2XX"]["description"], "");
        assert_eq!(r["4XX"], json_response("Error"));
    }
}

#[test]
fn without_a_superset_the_widest_success_schema_wins() {
    let mut s = spec(
        json!({ "/things": { "post": { "responses": {
            "200": json_response("Narrow"),
            "201": json_response("Wide"),
            "202": json_response("Other"),
        } } } }),
        json!({
            "Narrow": object(&["a"]),
            "Wide": object(&["a", "b", "c"]),
            "Other": object(&["d"]),
        }),
    );
    fold_success_responses(&mut s);
    let r = responses(&s, "/things", "post");
    assert_eq!(keys(r), ["2XX"]);
    assert_eq!(
        r["2XX"]["content"]["application/json"]["schema"],
        schema_ref("Wide")
    );
}

#[test]
fn a_single_success_code_becomes_2xx_first() {
    let mut s = spec(
        json!({ "/things": { "post": { "responses": {
            "4XX": json_response("Error"),
            "201": json_response("Thing"),
        } } } }),
        json!({ "Thing": object(&["id"]), "Error": object(&["message"]) }),
    );
    fold_success_responses(&mut s);
    let r = responses(&s, "/things", "post");
    assert_eq!(keys(r), ["2XX", "4XX"]);
    assert_eq!(r["2XX"], json_response("Thing"));
}

#[test]
fn no_content_204_becomes_a_bodiless_2xx() {
    for no_content in [json!({ "description": "" }), json!({ "content": {} })] {
        let mut s = spec(
            json!({ "/things/{id}": { "delete": { "responses": {
                "204": no_content,
                "4XX": json_response("Error"),
            } } } }),
            json!({ "Error": object(&["message"]) }),
        );
        fold_success_responses(&mut s);
        let r = responses(&s, "/things/{id}", "delete");
        assert_eq!(keys(r), ["2XX", "4XX"]);
        assert_eq!(r["2XX"], json!({ "description": "" }));
    }
}

#[test]
fn a_success_body_that_is_not_json_is_kept() {
    let text = json!({ "description": "", "content": { "text/plain": { "schema": { "type": "string" } } } });
    let mut s = spec(
        json!({ "/export": { "get": { "responses": { "200": text } } } }),
        json!({}),
    );
    fold_success_responses(&mut s);
    assert_eq!(responses(&s, "/export", "get")["2XX"], text);
}

#[test]
fn operations_without_success_responses_are_left_alone() {
    let mut s = spec(
        json!({ "/things": { "get": { "responses": { "4XX": json_response("Error") } } } }),
        json!({ "Error": object(&["message"]) }),
    );
    let before = s.clone();
    fold_success_responses(&mut s);
    assert_eq!(s, before);
}

// Rule 1c ---------------------------------------------------------------------------------

/// `batch_spec` folded: its `2XX` answers `BatchResultWithErrors`; `BatchResult` is unused.
fn folded_batch_spec() -> Value {
    let mut s = batch_spec(["201", "207"]);
    fold_success_responses(&mut s);
    s
}

fn schema_names(spec: &Value) -> Vec<&str> {
    keys(spec["components"]["schemas"].as_object().unwrap())
}

#[test]
fn an_answer_with_errors_takes_the_base_name_folding_left_unused() {
    let mut s = folded_batch_spec();
    // More references to the wide schema: from another schema and a shared response.
    s["components"]["schemas"]["Envelope"] =
        json!({ "type": "object", "properties": { "batch": schema_ref("BatchResultWithErrors") } });
    s["components"]["responses"] = json!({ "Batch": json_response("BatchResultWithErrors") });
    let wide = schema(&s, "BatchResultWithErrors").clone();
    base_names_for_answers_with_errors(&mut s);
    assert_eq!(schema(&s, "BatchResult"), &wide);
    // The narrow one is gone, the wide one takes its place in the order.
    assert_eq!(schema_names(&s), ["BatchResult", "Error", "Envelope"]);
    let r = responses(&s, "/things/batch/create", "post");
    assert_eq!(
        r["2XX"]["content"]["application/json"]["schema"],
        schema_ref("BatchResult")
    );
    assert_eq!(
        schema(&s, "Envelope")["properties"]["batch"],
        schema_ref("BatchResult")
    );
    assert_eq!(
        s["components"]["responses"]["Batch"],
        json_response("BatchResult")
    );
    assert!(!s.to_string().contains("WithErrors"), "{s}");
}

#[test]
fn a_base_name_still_referred_to_keeps_both_schemas() {
    type Use = fn(&mut Value);
    let uses: [(&str, Use); 4] = [
        ("another operation's answer", |s| {
            s["paths"]["/things/batch/last"] =
                json!({ "get": { "responses": { "2XX": json_response("BatchResult") } } });
        }),
        ("a request body", |s| {
            s["paths"]["/things/batch/create"]["post"]["requestBody"] = json_body("BatchResult");
        }),
        ("another schema", |s| {
            s["components"]["schemas"]["Envelope"] =
                json!({ "type": "object", "properties": { "last": schema_ref("BatchResult") } });
        }),
        ("the wide schema itself", |s| {
            s["components"]["schemas"]["BatchResultWithErrors"] = json!({ "allOf": [
                schema_ref("BatchResult"),
                object(&["errors", "numErrors"]),
            ] });
        }),
    ];
    for (what, use_base) in uses {
        let mut s = folded_batch_spec();
        use_base(&mut s);
        let before = s.clone();
        base_names_for_answers_with_errors(&mut s);
        assert_eq!(s, before, "`BatchResult` used by {what}");
    }
}

#[test]
fn without_a_base_schema_or_outside_success_answers_names_stay() {
    // No `BatchResult` to take the place of.
    let mut s = folded_batch_spec();
    s["components"]["schemas"]
        .as_object_mut()
        .unwrap()
        .shift_remove("BatchResult");
    let before = s.clone();
    base_names_for_answers_with_errors(&mut s);
    assert_eq!(s, before);
    // An error answer is not what folding picks.
    let mut s = spec(
        json!({ "/things": { "get": { "responses": {
            "2XX": json_response("Thing"),
            "4XX": json_response("ProblemWithErrors"),
        } } } }),
        json!({
            "Thing": object(&["id"]),
            "Problem": object(&["message"]),
            "ProblemWithErrors": object(&["message", "errors"]),
        }),
    );
    let before = s.clone();
    base_names_for_answers_with_errors(&mut s);
    assert_eq!(s, before);
}

// Rule 2 ----------------------------------------------------------------------------------

/// `Thing` comes back from `GET /things` (through a collection) and from `GET /things/{id}`
/// (through a shared response); `ThingInput` is only sent.
fn property_map_spec() -> Value {
    let property_maps = |history_items: Value| {
        json!({
            "type": "object",
            "properties": {
                "id": { "type": "string" },
                "properties": { "type": "object", "additionalProperties": { "type": "string" } },
                "propertiesWithHistory": {
                    "type": "object",
                    "additionalProperties": { "type": "array", "items": history_items },
                },
            },
        })
    };
    let mut s = spec(
        json!({
            "/things": {
                "get": { "responses": { "200": json_response("Collection") } },
                "post": {
                    "requestBody": json_body("ThingInput"),
                    "responses": { "201": json_response("Id") },
                },
            },
            "/things/{id}": {
                "get": { "responses": { "200": { "$ref": "#/components/responses/One" } } },
            },
        }),
        json!({
            "Collection": {
                "type": "object",
                "properties": { "results": { "type": "array", "items": schema_ref("Thing") } },
            },
            "Thing": property_maps(schema_ref("Timestamped")),
            "Timestamped": object(&["value", "timestamp"]),
            "Id": object(&["id"]),
            "Detail": {
                "type": "object",
                "properties": { "properties": { "type": "object", "additionalProperties": schema_ref("Timestamped") } },
            },
            "ThingInput": property_maps(schema_ref("Timestamped")),
        }),
    );
    s["components"]["responses"] = json!({ "One": json_response("Detail") });
    s
}

#[test]
fn property_maps_accept_null_only_in_response_schemas() {
    let mut s = property_map_spec();
    let before = s.clone();
    nullable_property_maps(&mut s);
    let fields = &schema(&s, "Thing")["properties"];
    assert_eq!(
        fields["properties"]["additionalProperties"],
        json!({ "type": "string", "nullable": true })
    );
    assert_eq!(
        fields["propertiesWithHistory"]["additionalProperties"],
        json!({ "type": "array", "items": schema_ref("Timestamped"), "nullable": true })
    );
    assert_eq!(fields["id"], json!({ "type": "string" }));
    // A bare `$ref` cannot carry `nullable`, so it is wrapped.
    assert_eq!(
        schema(&s, "Detail")["properties"]["properties"]["additionalProperties"],
        json!({ "allOf": [schema_ref("Timestamped")], "nullable": true })
    );
    // Request-only schemas are untouched.
    assert_eq!(schema(&s, "ThingInput"), schema(&before, "ThingInput"));
    assert_eq!(schema(&s, "Timestamped"), schema(&before, "Timestamped"));
}

// Rule 3 ----------------------------------------------------------------------------------

#[test]
fn array_query_parameters_become_strings() {
    let array = json!({ "type": "array", "items": { "type": "string" } });
    let mut s = spec(
        json!({ "/things/{ids}": {
            "parameters": [
                { "name": "associations", "in": "query", "schema": array, "style": "form", "explode": true },
            ],
            "get": {
                "parameters": [
                    { "name": "properties", "in": "query", "required": false, "schema": array, "style": "form", "explode": true },
                    { "name": "limit", "in": "query", "schema": { "type": "integer" } },
                    { "name": "ids", "in": "path", "required": true, "schema": array },
                    { "name": "tags", "in": "header", "schema": array },
                ],
                "responses": {},
            },
        } }),
        json!({}),
    );
    comma_separated_query_lists(&mut s);
    let item = &s["paths"]["/things/{ids}"];
    assert_eq!(
        item["parameters"][0],
        json!({ "name": "associations", "in": "query", "schema": { "type": "string" } })
    );
    let params = &item["get"]["parameters"];
    assert_eq!(
        params[0],
        json!({ "name": "properties", "in": "query", "required": false, "schema": { "type": "string" } })
    );
    assert_eq!(params[1]["schema"], json!({ "type": "integer" }));
    assert_eq!(
        params[2]["schema"], array,
        "path parameters are not query lists"
    );
    assert_eq!(
        params[3]["schema"], array,
        "header parameters are not query lists"
    );
}

// Rule 4 ----------------------------------------------------------------------------------

#[test]
fn enums_open_in_response_schemas_and_stay_closed_in_request_only_ones() {
    let closed = json!({ "type": "string", "enum": ["A", "B"] });
    let mut s = spec(
        json!({
            "/things": {
                "get": { "responses": {
                    "200": json_response("Thing"),
                    "4XX": { "$ref": "#/components/responses/Error" },
                } },
                "post": {
                    "requestBody": json_body("ThingInput"),
                    "responses": { "200": { "description": "", "content": { "application/json": {
                        "schema": { "type": "object", "properties": { "state": closed } },
                    } } } },
                },
            },
            "/things/search": { "post": {
                "requestBody": { "content": { "application/json": { "schema": {
                    "type": "object", "properties": { "operator": closed },
                } } } },
                "responses": {},
            } },
        }),
        json!({
            "Thing": {
                "type": "object",
                "properties": {
                    "status": closed,
                    "level": { "type": "integer", "enum": [1, 2] },
                    "spec": schema_ref("Spec"),
                },
            },
            "Spec": { "type": "object", "properties": { "category": closed } },
            "ThingInput": {
                "type": "object",
                "properties": { "operator": closed, "spec": schema_ref("Spec") },
            },
            "InputOnly": { "type": "string", "enum": ["X"] },
            "Error": { "type": "object", "properties": { "kind": closed } },
        }),
    );
    s["components"]["responses"] =
        json!({ "Error": { "content": { "*/*": { "schema": schema_ref("Error") } } } });
    open_enums_in_responses(&mut s);
    let open = json!({ "type": "string" });
    assert_eq!(schema(&s, "Thing")["properties"]["status"], open);
    assert_eq!(
        schema(&s, "Thing")["properties"]["level"],
        json!({ "type": "integer", "enum": [1, 2] }),
        "only string enums open"
    );
    // Reached from a response through a reference: opened, for requests too.
    assert_eq!(schema(&s, "Spec")["properties"]["category"], open);
    // Reached from a shared error response.
    assert_eq!(schema(&s, "Error")["properties"]["kind"], open);
    // An inline response schema.
    assert_eq!(
        s["paths"]["/things"]["post"]["responses"]["200"]["content"]["application/json"]["schema"]
            ["properties"]["state"],
        open
    );
    // Request-only: still closed.
    assert_eq!(schema(&s, "ThingInput")["properties"]["operator"], closed);
    assert_eq!(
        schema(&s, "InputOnly"),
        &json!({ "type": "string", "enum": ["X"] })
    );
    assert_eq!(
        s["paths"]["/things/search"]["post"]["requestBody"]["content"]["application/json"]["schema"]
            ["properties"]["operator"],
        closed
    );
}

// Rule 5 ----------------------------------------------------------------------------------

fn required(spec: &Value, name: &str) -> Option<Vec<String>> {
    schema(spec, name).get("required").map(|r| {
        r.as_array()
            .expect("required is a list")
            .iter()
            .map(|f| f.as_str().expect("field names").to_owned())
            .collect()
    })
}

/// Search, batch read, error and ordinary schemas, each with a `required` list.
fn required_spec() -> Value {
    let with_required = |fields: &[&str], required: &[&str]| {
        let mut schema = object(fields);
        schema["required"] = json!(required);
        schema
    };
    let error = json!({ "$ref": "#/components/responses/Error" });
    let mut s = spec(
        json!({
            "/things/search": { "post": {
                "requestBody": json_body("SearchRequest"),
                "responses": { "200": json_response("Collection"), "default": error },
            } },
            "/things/batch/read": { "post": {
                "requestBody": json_body("BatchReadInput"),
                "responses": { "200": json_response("BatchResult"), "207": json_response("BatchResultWithErrors"), "default": error },
            } },
            "/things": { "post": {
                "requestBody": json_body("ThingInput"),
                "responses": { "201": json_response("Thing"), "default": error },
            } },
        }),
        json!({
            "SearchRequest": with_required(&["after", "filterGroups", "limit", "properties", "sorts"], &["after", "filterGroups", "limit", "properties", "sorts"]),
            "BatchReadInput": with_required(&["inputs", "properties", "propertiesWithHistory", "idProperty"], &["inputs", "properties", "propertiesWithHistory"]),
            "ThingInput": with_required(&["properties"], &["properties"]),
            "Thing": with_required(&["id", "properties"], &["id", "properties"]),
            "Collection": with_required(&["results", "total"], &["results", "total"]),
            "BatchResult": with_required(&["results", "status"], &["results", "status"]),
            "BatchResultWithErrors": {
                "type": "object",
                "required": ["results", "status"],
                "properties": {
                    "results": { "type": "array", "items": schema_ref("Thing") },
                    "status": { "type": "string" },
                    "errors": { "type": "array", "items": schema_ref("StandardError") },
                },
            },
            "StandardError": {
                "type": "object",
                "required": ["category", "errors", "message"],
                "properties": {
                    "category": { "type": "string" },
                    "message": { "type": "string" },
                    "errors": { "type": "array", "items": schema_ref("ErrorDetail") },
                },
            },
            "Error": {
                "type": "object",
                "required": ["category", "correlationId", "message"],
                "properties": {
                    "category": { "type": "string" },
                    "correlationId": { "type": "string" },
                    "message": { "type": "string" },
                    "errors": { "type": "array", "items": schema_ref("ErrorDetail") },
                },
            },
            "ErrorDetail": with_required(&["message", "code"], &["message"]),
        }),
    );
    s["components"]["responses"] =
        json!({ "Error": { "content": { "*/*": { "schema": schema_ref("Error") } } } });
    s
}

#[test]
fn search_bodies_lose_required() {
    let mut s = required_spec();
    relax_unenforced_required(&mut s);
    assert_eq!(required(&s, "SearchRequest"), None);
    // The search response is not a search body.
    assert_eq!(
        required(&s, "Collection"),
        Some(vec!["results".into(), "total".into()])
    );
}

#[test]
fn batch_read_bodies_lose_only_the_property_lists_from_required() {
    let mut s = required_spec();
    relax_unenforced_required(&mut s);
    assert_eq!(required(&s, "BatchReadInput"), Some(vec!["inputs".into()]));
    assert_eq!(
        required(&s, "BatchResult"),
        Some(vec!["results".into(), "status".into()])
    );
}

#[test]
fn error_schemas_lose_required() {
    let mut s = required_spec();
    relax_unenforced_required(&mut s);
    // From the error responses, and what they refer to.
    assert_eq!(required(&s, "Error"), None);
    assert_eq!(required(&s, "ErrorDetail"), None);
    // From an `errors` list of a success response.
    assert_eq!(required(&s, "StandardError"), None);
    // The success response holding that list keeps its own.
    assert_eq!(
        required(&s, "BatchResultWithErrors"),
        Some(vec!["results".into(), "status".into()])
    );
}

#[test]
fn other_schemas_keep_required() {
    let mut s = required_spec();
    relax_unenforced_required(&mut s);
    assert_eq!(required(&s, "ThingInput"), Some(vec!["properties".into()]));
    assert_eq!(
        required(&s, "Thing"),
        Some(vec!["id".into(), "properties".into()])
    );
}

#[test]
fn relaxing_works_after_the_response_rules_too() {
    // In `normalize`, `default` has become `4XX`/`5XX` and the success codes one `2XX`.
    let mut s = required_spec();
    split_default_response(&mut s);
    fold_success_responses(&mut s);
    relax_unenforced_required(&mut s);
    for name in ["SearchRequest", "Error", "ErrorDetail", "StandardError"] {
        assert_eq!(required(&s, name), None, "{name}");
    }
    assert_eq!(required(&s, "BatchReadInput"), Some(vec!["inputs".into()]));
    assert_eq!(
        required(&s, "Thing"),
        Some(vec!["id".into(), "properties".into()])
    );
}

#[test]
fn bare_object_fields_of_error_schemas_accept_any_value() {
    let bare = json!({ "type": "object" });
    let shaped = json!({ "type": "object", "properties": { "code": { "type": "string" } } });
    let map = json!({ "type": "object", "additionalProperties": { "type": "string" } });
    let fields = json!({
        "subCategory": bare,
        "links": { "type": "object", "properties": {} },
        "detail": shaped,
        "context": map,
        "message": { "type": "string" },
    });
    let mut s = spec(
        json!({ "/things": { "post": {
            "requestBody": json_body("ThingInput"),
            "responses": { "200": json_response("Thing"), "4XX": json_response("Error") },
        } } }),
        json!({
            "Error": { "type": "object", "properties": fields },
            "Thing": { "type": "object", "properties": fields },
            "ThingInput": { "type": "object", "properties": fields },
        }),
    );
    relax_unenforced_required(&mut s);
    let error = &schema(&s, "Error")["properties"];
    assert_eq!(error["subCategory"], json!({}));
    assert_eq!(error["links"], json!({}));
    assert_eq!(error["detail"], shaped);
    assert_eq!(error["context"], map);
    assert_eq!(error["message"], json!({ "type": "string" }));
    for other in ["Thing", "ThingInput"] {
        assert_eq!(schema(&s, other)["properties"], fields, "{other}");
    }
}

#[test]
fn search_sorts_become_objects() {
    let strings = json!({ "type": "array", "items": { "type": "string" } });
    let typed = json!({ "type": "array", "items": schema_ref("Sort") });
    let with_sorts = |sorts: &Value| json!({ "type": "object", "properties": { "sorts": sorts } });
    let mut s = spec(
        json!({
            "/things/search": { "post": { "requestBody": json_body("SearchRequest"), "responses": {} } },
            "/others/search": { "post": { "requestBody": json_body("TypedSearch"), "responses": {} } },
            "/things": { "post": { "requestBody": json_body("ListRequest"), "responses": {} } },
        }),
        json!({
            "SearchRequest": with_sorts(&strings),
            "TypedSearch": with_sorts(&typed),
            "ListRequest": with_sorts(&strings),
        }),
    );
    typed_search_sorts(&mut s);
    assert_eq!(
        schema(&s, "SearchRequest")["properties"]["sorts"]["items"],
        json!({
            "type": "object",
            "required": ["propertyName"],
            "properties": {
                "propertyName": { "type": "string" },
                "direction": { "type": "string", "enum": ["ASCENDING", "DESCENDING"] },
            },
        })
    );
    assert_eq!(
        schema(&s, "TypedSearch"),
        &with_sorts(&typed),
        "already typed"
    );
    assert_eq!(
        schema(&s, "ListRequest"),
        &with_sorts(&strings),
        "not a search"
    );
}

// Rule 6 ----------------------------------------------------------------------------------

fn naming_spec() -> Value {
    let ok = json!({ "responses": { "200": json_response("Thing") } });
    let mut named = ok.clone();
    named["operationId"] = json!("get-/things/{id}");
    spec(
        json!({
            "/things": { "get": ok, "post": ok },
            "/things/{id}": { "get": named, "delete": ok },
        }),
        json!({ "Thing": object(&["id"]) }),
    )
}

const ALL_NAMED: [(&str, &str); 4] = [
    ("GET /things", "list"),
    ("POST /things", "create"),
    ("GET /things/{id}", "get"),
    ("DELETE /things/{id}", "archive"),
];

#[test]
fn operations_take_their_names_from_the_manifest() {
    let mut s = naming_spec();
    name_operations("things", &mut s, &methods(&ALL_NAMED)).unwrap();
    for (key, name) in ALL_NAMED {
        let (method, path) = key.split_once(' ').unwrap();
        assert_eq!(
            s["paths"][path][method.to_ascii_lowercase()]["operationId"],
            name,
            "{key}"
        );
    }
}

#[test]
fn an_operation_without_a_name_is_an_error_naming_method_and_path() {
    let mut s = naming_spec();
    let err = name_operations("things", &mut s, &methods(&ALL_NAMED[..3])).unwrap_err();
    match &err {
        Error::UnnamedOperations { module, operations } => {
            assert_eq!(module, "things");
            assert_eq!(operations, &["DELETE /things/{id}"]);
        }
        other => panic!("unexpected error: {other}"),
    }
    let message = err.to_string();
    assert!(message.contains("`things`"), "{message}");
    assert!(message.contains("DELETE /things/{id}"), "{message}");
    assert!(message.contains("specs/manifest.toml"), "{message}");
}

#[test]
fn a_name_for_an_operation_the_spec_lacks_is_an_error() {
    let mut s = naming_spec();
    let mut table = methods(&ALL_NAMED);
    table.insert("PATCH /things/{id}".into(), "update".into());
    let err = name_operations("things", &mut s, &table).unwrap_err();
    match &err {
        Error::StaleMethodNames { module, operations } => {
            assert_eq!(module, "things");
            assert_eq!(operations, &["PATCH /things/{id}"]);
        }
        other => panic!("unexpected error: {other}"),
    }
    assert!(err.to_string().contains("PATCH /things/{id}"), "{err}");
}

#[test]
fn a_name_used_twice_is_an_error() {
    let mut s = naming_spec();
    let mut table = methods(&ALL_NAMED);
    table.insert("DELETE /things/{id}".into(), "list".into());
    let err = name_operations("things", &mut s, &table).unwrap_err();
    match &err {
        Error::DuplicateMethodName { module, name } => {
            assert_eq!(module, "things");
            assert_eq!(name, "list");
        }
        other => panic!("unexpected error: {other}"),
    }
    assert!(err.to_string().contains("`list`"), "{err}");
}

// Rule 7 ----------------------------------------------------------------------------------

/// A spec with text in every place a spec carries it. Every piece of text contains `PROSE`.
fn prose_spec() -> Value {
    json!({
        "openapi": "3.0.1",
        "info": {
            "title": "Things",
            "version": "v3",
            "description": "PROSE info",
            "termsOfService": "PROSE terms",
            "x-vendor-introduction": "PROSE intro",
        },
        "x-vendor-libraries": ["PROSE"],
        "externalDocs": { "url": "https://example.invalid", "description": "PROSE docs" },
        "tags": [{ "name": "Basic", "description": "PROSE tag", "x-vendor-tag": "PROSE" }],
        "paths": {
            "/things": {
                "summary": "PROSE path summary",
                "get": {
                    "tags": ["Basic"],
                    "summary": "PROSE summary",
                    "description": "PROSE description",
                    "externalDocs": { "url": "https://example.invalid" },
                    "x-vendor-rate-limit": "PROSE",
                    "parameters": [{
                        "name": "limit",
                        "in": "query",
                        "description": "PROSE parameter",
                        "example": 10,
                        "schema": { "type": "integer", "description": "PROSE schema" },
                    }],
                    "responses": {
                        "200": {
                            "description": "PROSE response",
                            "content": { "application/json": {
                                "schema": { "$ref": "#/components/schemas/Property" },
                                "example": { "description": "PROSE example" },
                                "examples": { "one": { "summary": "PROSE", "value": {} } },
                            } },
                        },
                        "default": { "$ref": "#/components/responses/Error" },
                    },
                },
            },
        },
        "components": {
            "responses": { "Error": { "description": "PROSE error", "content": {} } },
            "securitySchemes": { "oauth2": { "type": "oauth2", "description": "PROSE", "flows": {
                "authorizationCode": {
                    "authorizationUrl": "https://example.invalid/authorize",
                    "tokenUrl": "https://example.invalid/token",
                    "scopes": { "things.read": "PROSE scope" },
                },
            } } },
            "schemas": {
                "Property": {
                    "type": "object",
                    "description": "PROSE schema description",
                    "example": { "name": "PROSE" },
                    "x-vendor-source": "PROSE",
                    "required": ["name", "description"],
                    "properties": {
                        "name": { "type": "string", "description": "PROSE field", "example": "PROSE" },
                        // Field names, not keywords:
                        "description": { "type": "string", "description": "PROSE field" },
                        "summary": { "type": "string" },
                        "example": { "type": "boolean" },
                        "x-field": { "type": "integer", "x-vendor": "PROSE" },
                        "properties": {
                            "type": "object",
                            "description": "PROSE nested",
                            "properties": {
                                "description": { "type": "string", "summary": "PROSE" },
                            },
                        },
                    },
                },
            },
        },
    })
}

#[test]
fn prose_is_dropped() {
    let mut s = prose_spec();
    drop_prose(&mut s);
    let text = s.to_string();
    assert!(!text.contains("PROSE"), "prose survives in {s:#}");
    assert!(!text.contains("\"x-vendor"), "extensions survive in {s:#}");
    assert!(!text.contains("externalDocs"), "{s:#}");
    assert!(!text.contains("termsOfService"), "{s:#}");
    assert!(!text.contains("\"examples\""), "{s:#}");
    assert_eq!(s["info"], json!({ "title": "Things", "version": "v3" }));
    assert_eq!(s["tags"], json!([{ "name": "Basic" }]));
    let op = &s["paths"]["/things"]["get"];
    assert_eq!(op["tags"], json!(["Basic"]));
    assert_eq!(
        op["parameters"][0],
        json!({ "name": "limit", "in": "query", "schema": { "type": "integer" } })
    );
    // OpenAPI requires a description on a response: it stays, empty.
    assert_eq!(op["responses"]["200"]["description"], "");
    assert_eq!(
        op["responses"]["200"]["content"],
        json!({ "application/json": { "schema": { "$ref": "#/components/schemas/Property" } } })
    );
    assert_eq!(
        op["responses"]["default"],
        json!({ "$ref": "#/components/responses/Error" })
    );
    assert_eq!(
        s["components"]["responses"]["Error"],
        json!({ "description": "", "content": {} })
    );
    // Scope names stay, so `security` requirements still resolve.
    assert_eq!(
        s.pointer("/components/securitySchemes/oauth2/flows/authorizationCode/scopes"),
        Some(&json!({ "things.read": "" }))
    );
}

#[test]
fn fields_named_like_prose_keywords_survive() {
    let mut s = prose_spec();
    drop_prose(&mut s);
    let property = schema(&s, "Property");
    assert_eq!(
        property,
        &json!({
            "type": "object",
            "required": ["name", "description"],
            "properties": {
                "name": { "type": "string" },
                "description": { "type": "string" },
                "summary": { "type": "string" },
                "example": { "type": "boolean" },
                "x-field": { "type": "integer" },
                "properties": {
                    "type": "object",
                    "properties": { "description": { "type": "string" } },
                },
            },
        })
    );
}

// Merging project fragments ---------------------------------------------------------------

fn upstream() -> Value {
    spec(
        json!({ "/things": { "get": { "responses": { "200": json_response("Thing") } } } }),
        json!({ "Thing": object(&["id"]) }),
    )
}

#[test]
fn merge_extra_adds_paths_and_components() {
    let mut s = upstream();
    let extra = json!({
        "openapi": "3.0.1",
        "info": { "title": "extra", "version": "v1" },
        "paths": { "/things/{id}/links": { "put": { "responses": { "200": json_response("Link") } } } },
        "components": {
            "schemas": { "Link": object(&["from", "to"]) },
            "parameters": { "Id": { "name": "id", "in": "path", "required": true, "schema": { "type": "string" } } },
        },
    });
    merge_extra(&mut s, &extra, "local/links.json").unwrap();
    assert_eq!(
        keys(s["paths"].as_object().unwrap()),
        ["/things", "/things/{id}/links"]
    );
    assert_eq!(schema(&s, "Link"), &object(&["from", "to"]));
    assert_eq!(schema(&s, "Thing"), &object(&["id"]));
    assert_eq!(s["components"]["parameters"]["Id"]["name"], "id");
    assert_eq!(
        s["info"]["title"], "t",
        "only paths and components are merged"
    );
}

#[test]
fn merge_extra_into_a_spec_without_components() {
    let mut s =
        json!({ "openapi": "3.0.1", "info": { "title": "t", "version": "v1" }, "paths": {} });
    let extra = json!({ "components": { "schemas": { "Link": object(&["to"]) } } });
    merge_extra(&mut s, &extra, "local/links.json").unwrap();
    assert_eq!(schema(&s, "Link"), &object(&["to"]));
}

#[test]
fn merge_extra_refuses_to_redefine_upstream_paths_and_schemas() {
    let path_clash = json!({ "paths": { "/things": { "post": { "responses": {} } } } });
    let schema_clash = json!({ "components": { "schemas": { "Thing": object(&["other"]) } } });
    for (extra, what) in [(path_clash, "`/things`"), (schema_clash, "`Thing`")] {
        let mut s = upstream();
        let err = merge_extra(&mut s, &extra, "local/clash.json").unwrap_err();
        match &err {
            Error::Merge { extra, message } => {
                assert_eq!(extra, "local/clash.json");
                assert!(message.contains(what), "{message}");
            }
            other => panic!("unexpected error: {other}"),
        }
        let message = err.to_string();
        assert!(message.contains("local/clash.json"), "{message}");
        assert!(message.contains("already defined upstream"), "{message}");
    }
}

// Lenient error lists ---------------------------------------------------------------------

/// A batch answering 207 with `errors`, reached directly and through a shared response;
/// an error answer with its own `errors`; a request-only schema with an `errors` list.
fn error_list_spec() -> Value {
    let errors_of = |item: &str| json!({ "type": "array", "items": schema_ref(item) });
    let mut s = spec(
        json!({
            "/things/batch/create": { "post": {
                "requestBody": json_body("BatchInput"),
                "responses": {
                    "207": json_response("BatchResultWithErrors"),
                    "4XX": { "$ref": "#/components/responses/Error" },
                },
            } },
            "/things/batch/read": { "post": {
                "responses": { "2XX": { "$ref": "#/components/responses/Batch" } },
            } },
            "/things/{id}": { "get": {
                "responses": { "200": json_response("Envelope"), "4XX": json_response("Error") },
            } },
        }),
        json!({
            "BatchResultWithErrors": {
                "type": "object",
                "properties": {
                    "results": { "type": "array", "items": schema_ref("Thing") },
                    "errors": errors_of("StandardError"),
                    "numErrors": { "type": "integer" },
                },
            },
            "OtherBatch": {
                "type": "object",
                "properties": { "errors": errors_of("StandardError") },
            },
            // A success answer that refers to a batch and to `Thing`, whose `errors` is a count.
            "Envelope": {
                "type": "object",
                "properties": {
                    "batch": schema_ref("OtherBatch"),
                    "thing": schema_ref("Thing"),
                },
            },
            "Thing": {
                "type": "object",
                "properties": { "id": { "type": "string" }, "errors": { "type": "integer" } },
            },
            "StandardError": object(&["message", "category"]),
            "Error": {
                "type": "object",
                "properties": {
                    "message": { "type": "string" },
                    "errors": errors_of("ErrorDetail"),
                },
            },
            "ErrorDetail": object(&["message", "code"]),
            "BatchInput": {
                "type": "object",
                "properties": { "inputs": { "type": "array", "items": schema_ref("Thing") }, "errors": errors_of("ErrorDetail") },
            },
        }),
    );
    s["components"]["responses"] = json!({
        "Error": { "description": "", "content": { "application/json": { "schema": schema_ref("Error") } } },
        "Batch": json_response("OtherBatch"),
    });
    s
}

#[test]
fn error_lists_of_success_answers_accept_any_item() {
    let mut s = error_list_spec();
    lenient_error_lists(&mut s);
    let any_items = json!({ "type": "array", "items": {} });
    // Directly in a 207's schema.
    assert_eq!(
        schema(&s, "BatchResultWithErrors")["properties"]["errors"],
        any_items
    );
    // Through a shared success response, and through a reference from a success schema.
    assert_eq!(schema(&s, "OtherBatch")["properties"]["errors"], any_items);
    // The rest of the schema is as it was.
    assert_eq!(
        schema(&s, "BatchResultWithErrors")["properties"]["results"],
        json!({ "type": "array", "items": schema_ref("Thing") })
    );
    assert_eq!(
        schema(&s, "BatchResultWithErrors")["properties"]["numErrors"],
        json!({ "type": "integer" })
    );
}

#[test]
fn error_lists_of_error_answers_keep_their_item_type() {
    let mut s = error_list_spec();
    let before = s.clone();
    lenient_error_lists(&mut s);
    // `Error` is only the body of 4XX answers (inline and through a shared response).
    assert_eq!(schema(&s, "Error"), schema(&before, "Error"));
    assert_eq!(
        schema(&s, "Error")["properties"]["errors"]["items"],
        schema_ref("ErrorDetail")
    );
}

#[test]
fn error_lists_of_requests_and_errors_that_are_not_lists_are_left_alone() {
    let mut s = error_list_spec();
    let before = s.clone();
    lenient_error_lists(&mut s);
    assert_eq!(schema(&s, "BatchInput"), schema(&before, "BatchInput"));
    // `errors` as a count, in a schema that does come back.
    assert_eq!(schema(&s, "Thing"), schema(&before, "Thing"));
    assert_eq!(s["paths"], before["paths"]);
}

#[test]
fn error_lists_stay_typed_in_error_answers_after_all_rules() {
    // In `normalize`, `default` has become `4XX`/`5XX` and 200/207 one `2XX`.
    let table = methods(&[
        ("POST /things/search", "search"),
        ("POST /things/batch/read", "batch_read"),
        ("POST /things", "create"),
    ]);
    let s = normalize("things", required_spec(), &table).unwrap();
    // The 207's schema, named `BatchResult` by rule 1c.
    assert_eq!(
        schema(&s, "BatchResult")["properties"]["errors"],
        json!({ "type": "array", "items": {} })
    );
    assert_eq!(
        schema(&s, "Error")["properties"]["errors"],
        json!({ "type": "array", "items": schema_ref("ErrorDetail") })
    );
}

// Fields omitted in responses -------------------------------------------------------------

/// `Property` comes back (directly and inside a collection), `PropertyCreate` is only sent;
/// both require `name`, `label` and `description`.
fn omitted_fields_spec() -> Value {
    let with_required = |extra: Value| {
        let mut schema = object(&["name", "label", "description"]);
        schema["required"] = json!(["name", "label", "description"]);
        if let Some(extra) = extra.as_object() {
            for (field, value) in extra {
                schema["properties"][field] = value.clone();
            }
        }
        schema
    };
    spec(
        json!({
            "/properties": {
                "get": { "responses": { "2XX": json_response("Collection") } },
                "post": {
                    "requestBody": json_body("PropertyCreate"),
                    "responses": { "2XX": json_response("Property"), "4XX": json_response("Error") },
                },
            },
        }),
        json!({
            "Collection": {
                "type": "object",
                "required": ["results"],
                "properties": { "results": { "type": "array", "items": schema_ref("Item") } },
            },
            "Property": with_required(json!({})),
            // Reached through the collection; its `label` is an object, not a string.
            "Item": with_required(json!({ "label": schema_ref("Label") })),
            "Label": object(&["text"]),
            "PropertyCreate": with_required(json!({})),
            "Error": { "type": "object", "required": ["message"], "properties": { "message": { "type": "string" } } },
        }),
    )
}

#[test]
fn description_and_label_of_response_schemas_are_optional_and_nullable() {
    let mut s = omitted_fields_spec();
    optional_omitted_fields(&mut s);
    assert_eq!(required(&s, "Property"), Some(vec!["name".into()]));
    let nullable = json!({ "type": "string", "nullable": true });
    assert_eq!(schema(&s, "Property")["properties"]["label"], nullable);
    assert_eq!(
        schema(&s, "Property")["properties"]["description"],
        nullable
    );
    // Other fields stay as they were.
    assert_eq!(
        schema(&s, "Property")["properties"]["name"],
        json!({ "type": "string" })
    );
    assert_eq!(required(&s, "Collection"), Some(vec!["results".into()]));
    assert_eq!(required(&s, "Error"), Some(vec!["message".into()]));
}

#[test]
fn omitted_fields_are_relaxed_through_references_and_only_strings_become_nullable() {
    let mut s = omitted_fields_spec();
    optional_omitted_fields(&mut s);
    assert_eq!(required(&s, "Item"), Some(vec!["name".into()]));
    assert_eq!(
        schema(&s, "Item")["properties"]["description"],
        json!({ "type": "string", "nullable": true })
    );
    // Not a string: optional now, but the reference is left as it is.
    assert_eq!(
        schema(&s, "Item")["properties"]["label"],
        schema_ref("Label")
    );
}

#[test]
fn description_and_label_of_request_only_schemas_stay_required() {
    let mut s = omitted_fields_spec();
    let before = s.clone();
    optional_omitted_fields(&mut s);
    assert_eq!(
        required(&s, "PropertyCreate"),
        Some(vec!["name".into(), "label".into(), "description".into()])
    );
    assert_eq!(
        schema(&s, "PropertyCreate"),
        schema(&before, "PropertyCreate")
    );
}

#[test]
fn omitted_fields_survive_prose_dropping_in_normalize() {
    // `description` is a field name here: dropping prose must not take it, and the rule
    // must still find it.
    let table = methods(&[("GET /properties", "list"), ("POST /properties", "create")]);
    let s = normalize("properties", omitted_fields_spec(), &table).unwrap();
    assert_eq!(required(&s, "Property"), Some(vec!["name".into()]));
    assert_eq!(
        schema(&s, "Property")["properties"]["description"],
        json!({ "type": "string", "nullable": true })
    );
    assert_eq!(
        required(&s, "PropertyCreate"),
        Some(vec!["name".into(), "label".into(), "description".into()])
    );
    assert_eq!(
        schema(&s, "PropertyCreate")["properties"]["description"],
        json!({ "type": "string" })
    );
}

// All rules together ----------------------------------------------------------------------

#[test]
fn normalize_applies_every_rule_and_yields_openapi() {
    let mut s = required_spec();
    s["paths"]["/things/search"]["post"]["description"] = json!("PROSE");
    let table = methods(&[
        ("POST /things/search", "search"),
        ("POST /things/batch/read", "batch_read"),
        ("POST /things", "create"),
    ]);
    let s = normalize("things", s, &table).unwrap();
    assert!(!s.to_string().contains("PROSE"));
    let r = responses(&s, "/things/batch/read", "post");
    let mut codes = keys(r);
    assert_eq!(codes[0], "2XX");
    codes.sort();
    assert_eq!(codes, ["2XX", "4XX", "5XX"]);
    // Rule 1c: the 207's schema takes the name of the 200's, which nothing uses any more.
    assert_eq!(
        r["2XX"]["content"]["application/json"]["schema"],
        schema_ref("BatchResult")
    );
    assert!(schema(&s, "BatchResultWithErrors").is_null());
    assert!(schema(&s, "BatchResult")["properties"]["errors"].is_object());
    assert_eq!(
        s["paths"]["/things/search"]["post"]["operationId"],
        "search"
    );
    assert_eq!(required(&s, "Error"), None);
    let parsed: openapiv3::OpenAPI = serde_json::from_value(s).expect("valid OpenAPI 3");
    assert_eq!(parsed.paths.paths.len(), 3);
}

#[test]
fn response_record_ids_accept_numbers() {
    let mut spec = serde_json::json!({
        "paths": {"/a": {"get": {"responses": {"2XX": {"description": "", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Out"}}}}}},
                          "post": {"requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/In"}}}}, "responses": {}}}},
        "components": {"schemas": {
            "Out": {"type": "object", "properties": {"toObjectId": {"type": "string"}, "name": {"type": "string"}}},
            "In": {"type": "object", "properties": {"toObjectId": {"type": "string"}}}
        }}
    });
    super::lenient_record_ids(&mut spec);
    assert_eq!(
        spec.pointer("/components/schemas/Out/properties/toObjectId")
            .unwrap(),
        &serde_json::json!({ "type": "string", "format": RECORD_ID_FORMAT })
    );
    assert_eq!(
        spec.pointer("/components/schemas/Out/properties/name/type")
            .unwrap(),
        "string"
    );
    assert_eq!(
        spec.pointer("/components/schemas/In/properties/toObjectId/type")
            .unwrap(),
        "string"
    );
}

/// `Meta` is sent back (inside `Record`); `Input` is only sent.
fn flags_spec() -> Value {
    spec(
        json!({
            "/records": {
                "post": {
                    "requestBody": json_body("Input"),
                    "responses": { "200": json_response("Record") }
                }
            }
        }),
        json!({
            "Record": {
                "type": "object",
                "required": ["id", "archived", "meta"],
                "properties": {
                    "id": { "type": "string" },
                    "archived": { "type": "boolean" },
                    "meta": schema_ref("Meta")
                }
            },
            "Meta": {
                "type": "object",
                "required": ["readOnlyValue", "archivable"],
                "properties": {
                    "readOnlyValue": { "type": "boolean" },
                    "archivable": { "type": "boolean", "default": true },
                    "hidden": { "type": "boolean" }
                }
            },
            "Input": {
                "type": "object",
                "required": ["enabled"],
                "properties": { "enabled": { "type": "boolean" } }
            }
        }),
    )
}

#[test]
fn flags_of_response_schemas_default_to_false_when_absent() {
    let mut s = flags_spec();
    defaulted_response_flags(&mut s);
    assert_eq!(
        required(&s, "Record"),
        Some(vec!["id".into(), "meta".into()])
    );
    assert_eq!(
        schema(&s, "Record")["properties"]["archived"],
        json!({ "type": "boolean", "default": false })
    );
    // Through the reference, optional flags too; a default of HubSpot's own is kept.
    assert_eq!(required(&s, "Meta"), Some(vec![]));
    assert_eq!(
        schema(&s, "Meta")["properties"]["hidden"],
        json!({ "type": "boolean", "default": false })
    );
    assert_eq!(
        schema(&s, "Meta")["properties"]["archivable"],
        json!({ "type": "boolean", "default": true })
    );
    // Other fields are left alone.
    assert_eq!(
        schema(&s, "Record")["properties"]["id"],
        json!({ "type": "string" })
    );
}

#[test]
fn flags_of_request_only_schemas_stay_required() {
    let mut s = flags_spec();
    defaulted_response_flags(&mut s);
    assert_eq!(required(&s, "Input"), Some(vec!["enabled".into()]));
    assert_eq!(
        schema(&s, "Input")["properties"]["enabled"],
        json!({ "type": "boolean" })
    );
}
