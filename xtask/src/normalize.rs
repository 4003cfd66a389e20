//! Rewrites of HubSpot's specs before generation. Each rule is a small function over the parsed
//! JSON of any HubSpot CRM spec; [`normalize`] applies them in order.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

use crate::Error;

const HTTP_METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Object-valued maps keyed by property name; HubSpot sends `null` for a requested unset one.
const PROPERTY_MAPS: [&str; 2] = ["properties", "propertiesWithHistory"];

/// Applies every rule; `methods` is the manifest's table of method names for this spec.
pub fn normalize(
    module: &str,
    mut spec: Value,
    methods: &BTreeMap<String, String>,
) -> Result<Value, Error> {
    // Prose goes first so no later rule copies it anywhere.
    drop_prose(&mut spec);
    split_default_response(&mut spec);
    fold_success_responses(&mut spec);
    base_names_for_answers_with_errors(&mut spec);
    nullable_property_maps(&mut spec);
    comma_separated_query_lists(&mut spec);
    open_enums_in_responses(&mut spec);
    relax_unenforced_required(&mut spec);
    typed_search_sorts(&mut spec);
    lenient_record_ids(&mut spec);
    lenient_error_lists(&mut spec);
    optional_omitted_fields(&mut spec);
    defaulted_response_flags(&mut spec);
    name_operations(module, &mut spec, methods)?;
    Ok(spec)
}

/// Merges a project-owned spec fragment's paths and components (schemas, responses, ...) into
/// `spec`. Redefining anything upstream defines is an error.
pub fn merge_extra(spec: &mut Value, extra: &Value, extra_name: &str) -> Result<(), Error> {
    let fail = |message: String| Error::Merge {
        extra: extra_name.to_owned(),
        message,
    };
    fn object<'v>(value: &'v Value, what: &str) -> Result<&'v Map<String, Value>, String> {
        value
            .as_object()
            .ok_or_else(|| format!("{what} is not an object"))
    }
    // (section, subsection, entries) to add.
    let mut merges: Vec<(&str, Option<&str>, &Map<String, Value>)> = Vec::new();
    if let Some(paths) = extra.get("paths") {
        merges.push(("paths", None, object(paths, "`paths`").map_err(fail)?));
    }
    if let Some(components) = extra.get("components") {
        for (kind, entries) in object(components, "`components`").map_err(fail)? {
            let entries = object(entries, &format!("`components.{kind}`")).map_err(fail)?;
            merges.push(("components", Some(kind.as_str()), entries));
        }
    }
    let spec = spec.as_object_mut().expect("a spec is an object");
    for (section, kind, entries) in merges {
        let mut target = spec.entry(section).or_insert_with(|| json!({}));
        if let Some(kind) = kind {
            target = target
                .as_object_mut()
                .ok_or_else(|| fail(format!("upstream `{section}` is not an object")))?
                .entry(kind)
                .or_insert_with(|| json!({}));
        }
        let target = target
            .as_object_mut()
            .ok_or_else(|| fail(format!("upstream `{section}` is not an object")))?;
        for (name, value) in entries {
            if target.contains_key(name) {
                return Err(fail(format!("`{name}` is already defined upstream")));
            }
            target.insert(name.clone(), value.clone());
        }
    }
    Ok(())
}

/// Rule 7: HubSpot's descriptions, summaries and examples are its text; generated docs state
/// the method and path instead.
pub fn drop_prose(spec: &mut Value) {
    fn walk(value: &mut Value, in_property_map: bool) {
        match value {
            Value::Object(map) => {
                if !in_property_map {
                    for key in [
                        "description",
                        "summary",
                        "example",
                        "examples",
                        "externalDocs",
                        "termsOfService",
                    ] {
                        map.remove(key);
                    }
                    map.retain(|key, _| !key.starts_with("x-"));
                }
                for (key, child) in map.iter_mut() {
                    // Inside a schema's `properties` the keys are field names, not keywords.
                    walk(
                        child,
                        !in_property_map && key == "properties" && child.is_object(),
                    );
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|v| walk(v, false)),
            _ => {}
        }
    }
    walk(spec, false);
    if let Some(tags) = spec.get_mut("tags").and_then(Value::as_array_mut) {
        tags.iter_mut().for_each(|tag| {
            if let Some(tag) = tag.as_object_mut() {
                tag.retain(|key, _| key == "name");
            }
        });
    }
    // OAuth scope descriptions are text too; the scope names stay.
    for scheme in spec
        .pointer_mut("/components/securitySchemes")
        .and_then(Value::as_object_mut)
        .into_iter()
        .flat_map(|s| s.values_mut())
    {
        for flow in scheme
            .get_mut("flows")
            .and_then(Value::as_object_mut)
            .into_iter()
            .flat_map(|f| f.values_mut())
        {
            for description in flow
                .get_mut("scopes")
                .and_then(Value::as_object_mut)
                .into_iter()
                .flat_map(|s| s.values_mut())
            {
                *description = json!("");
            }
        }
    }
    // OpenAPI requires a description on every response object.
    for_each_response(spec, |response| {
        if response.get("$ref").is_none() {
            response
                .as_object_mut()
                .map(|r| r.insert("description".into(), json!("")));
        }
    });
    if let Some(responses) = spec
        .pointer_mut("/components/responses")
        .and_then(Value::as_object_mut)
    {
        for response in responses.values_mut() {
            response
                .as_object_mut()
                .map(|r| r.insert("description".into(), json!("")));
        }
    }
}

/// Rule 1a: the generator counts `default` as a success; HubSpot uses it for errors.
pub fn split_default_response(spec: &mut Value) {
    for_each_operation(spec, |_, _, op| {
        let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else {
            return;
        };
        if let Some(default) = responses.remove("default") {
            for range in ["4XX", "5XX"] {
                responses.entry(range).or_insert_with(|| default.clone());
            }
        }
    });
}

/// Rule 1b: all success codes of an operation become one `2XX` with the widest schema (the
/// one with `errors` for batch operations, renamed by rule 1c), so a 200 where the spec says
/// 201 still parses.
pub fn fold_success_responses(spec: &mut Value) {
    let schemas = component_schemas(spec);
    for_each_operation(spec, |_, _, op| {
        let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else {
            return;
        };
        let success: Vec<String> = responses
            .keys()
            .filter(|k| k.starts_with('2'))
            .cloned()
            .collect();
        if success.is_empty() {
            return;
        }
        let candidates: Vec<Value> = success.iter().filter_map(|k| responses.remove(k)).collect();
        let field_names = |response: &Value| -> Option<BTreeSet<String>> {
            let schema = response.pointer("/content/application~1json/schema")?;
            Some(object_fields(schema, &schemas))
        };
        let with_fields: Vec<(usize, BTreeSet<String>)> = candidates
            .iter()
            .enumerate()
            .filter_map(|(i, r)| field_names(r).map(|f| (i, f)))
            .collect();
        let widest = with_fields
            .iter()
            .find(|(_, fields)| with_fields.iter().all(|(_, other)| other.is_subset(fields)))
            .or_else(|| with_fields.iter().max_by_key(|(_, fields)| fields.len()))
            .map(|(i, _)| *i);
        // With no JSON body to compare (a 204, or another media type) the first one is kept,
        // so a body of another type is not lost.
        let mut chosen = candidates[widest.unwrap_or(0)].clone();
        if let Some(chosen) = chosen.as_object_mut() {
            chosen.insert("description".into(), json!(""));
            // A bodiless success (204) keeps no empty content map.
            if chosen
                .get("content")
                .and_then(Value::as_object)
                .is_some_and(|c| c.is_empty())
            {
                chosen.remove("content");
            }
        }
        let mut reordered = Map::new();
        reordered.insert("2XX".into(), chosen);
        reordered.append(responses);
        *responses = reordered;
    });
}

/// Suffix of the batch answer schemas of the v3/v4 specs that hold `errors`/`numErrors`.
const WITH_ERRORS: &str = "WithErrors";

/// Rule 1c: a success answer `<Base>WithErrors` (what folding picks for batch operations)
/// takes the name `<Base>` when the spec defines `<Base>` and, folded away, nothing refers to
/// it any more. The 2026-09 specs give the same shape the base name, so one wire format has
/// one name, and can be shared. While anything still refers to `<Base>`, both stay.
pub fn base_names_for_answers_with_errors(spec: &mut Value) {
    let mut answers = BTreeSet::new();
    for_each_operation(spec, |_, _, op| {
        for (_, response) in op
            .get("responses")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .filter(|(status, _)| status.starts_with('2'))
        {
            if let Some(name) = response
                .pointer("/content/application~1json/schema/$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix(SCHEMA_REF))
                .filter(|name| name.ends_with(WITH_ERRORS))
            {
                answers.insert(name.to_owned());
            }
        }
    });
    for wide in answers {
        let base = wide.strip_suffix(WITH_ERRORS).expect("filtered above");
        let schemas = component_schemas(spec);
        if base.is_empty() || !schemas.contains_key(base) || !schemas.contains_key(&wide) {
            continue;
        }
        // What `<Base>` itself refers to goes with it; any other reference keeps it.
        let mut referenced = BTreeSet::new();
        let mut elsewhere = spec.clone();
        if let Some(schemas) = elsewhere
            .pointer_mut("/components/schemas")
            .and_then(Value::as_object_mut)
        {
            schemas.remove(base);
        }
        refs_in(&elsewhere, &mut referenced);
        if referenced.contains(base) {
            continue;
        }
        let schemas = spec
            .pointer_mut("/components/schemas")
            .and_then(Value::as_object_mut)
            .expect("checked above");
        let widest = schemas.shift_remove(&wide).expect("checked above");
        // In `<Base>`'s place, so the order of the schemas stays.
        schemas.insert(base.to_owned(), widest);
        let (from, to) = (format!("{SCHEMA_REF}{wide}"), format!("{SCHEMA_REF}{base}"));
        rewrite_refs(spec, &from, &to);
    }
}

/// Points every `$ref` equal to `from` at `to`.
fn rewrite_refs(value: &mut Value, from: &str, to: &str) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(reference)) = map.get_mut("$ref")
                && reference == from
            {
                *reference = to.to_owned();
            }
            map.values_mut().for_each(|v| rewrite_refs(v, from, to));
        }
        Value::Array(items) => items.iter_mut().for_each(|v| rewrite_refs(v, from, to)),
        _ => {}
    }
}

const SCHEMA_REF: &str = "#/components/schemas/";

/// Rule 2: in schemas HubSpot sends back, property maps accept `null` values.
pub fn nullable_property_maps(spec: &mut Value) {
    let reachable = response_schema_names(spec);
    let make_nullable = |schema: &mut Value| {
        let Some(fields) = schema.get_mut("properties").and_then(Value::as_object_mut) else {
            return;
        };
        for name in PROPERTY_MAPS {
            if let Some(values) = fields
                .get_mut(name)
                .and_then(|f| f.get_mut("additionalProperties"))
            {
                mark_nullable(values);
            }
        }
    };
    for name in &reachable {
        if let Some(schema) =
            spec.pointer_mut(&format!("/components/schemas/{}", escape_pointer(name)))
        {
            make_nullable(schema);
        }
    }
}

/// Rule 3: list-valued query parameters are sent as one comma-separated string, as HubSpot
/// documents them (array query parameters also break the generated mocks).
pub fn comma_separated_query_lists(spec: &mut Value) {
    fn rewrite(parameters: Option<&mut Value>) {
        for param in parameters
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
        {
            let is_query = param.get("in").and_then(Value::as_str) == Some("query");
            let is_array = param.pointer("/schema/type").and_then(Value::as_str) == Some("array");
            if is_query && is_array {
                let param = param.as_object_mut().expect("checked above");
                param.insert("schema".into(), json!({ "type": "string" }));
                param.remove("style");
                param.remove("explode");
            }
        }
    }
    for item in spec
        .get_mut("paths")
        .and_then(Value::as_object_mut)
        .into_iter()
        .flat_map(|p| p.values_mut())
    {
        rewrite(item.get_mut("parameters"));
        for method in HTTP_METHODS {
            if let Some(op) = item.get_mut(method) {
                rewrite(op.get_mut("parameters"));
            }
        }
    }
}

/// Rule 4: string enums in schemas HubSpot sends back become plain strings, so a value added
/// upstream later (associationCategory gained `WORK`) still parses.
pub fn open_enums_in_responses(spec: &mut Value) {
    fn open(value: &mut Value) {
        match value {
            Value::Object(map) => {
                if map.get("type").and_then(Value::as_str) == Some("string") {
                    map.remove("enum");
                }
                map.values_mut().for_each(open);
            }
            Value::Array(items) => items.iter_mut().for_each(open),
            _ => {}
        }
    }
    for name in response_schema_names(spec) {
        if let Some(schema) =
            spec.pointer_mut(&format!("/components/schemas/{}", escape_pointer(&name)))
        {
            open(schema);
        }
    }
    for_each_response(spec, |response| {
        if let Some(content) = response.get_mut("content") {
            open(content);
        }
    });
}

/// Rule 5: fields HubSpot marks required but does not enforce stay optional: every field of a
/// search request, `properties`/`propertiesWithHistory` of a batch read, every field of an
/// error body.
pub fn relax_unenforced_required(spec: &mut Value) {
    let mut search_bodies = BTreeSet::new();
    let mut batch_read_bodies = BTreeSet::new();
    for_each_operation(spec, |path, _, op| {
        let Some(name) = op
            .pointer("/requestBody/content/application~1json/schema/$ref")
            .and_then(ref_name)
        else {
            return;
        };
        if path.ends_with("/search") {
            search_bodies.insert(name.to_owned());
        } else if path.ends_with("/batch/read") {
            batch_read_bodies.insert(name.to_owned());
        }
    });
    let error_schemas = error_schema_names(spec);
    let Some(schemas) = spec
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    for (name, schema) in schemas.iter_mut() {
        let Some(schema) = schema.as_object_mut() else {
            continue;
        };
        if error_schemas.contains(name) {
            schema.remove("required");
            // HubSpot's specs type e.g. `subCategory` as an object, but it sends strings too.
            for field in schema
                .get_mut("properties")
                .and_then(Value::as_object_mut)
                .into_iter()
                .flat_map(|p| p.values_mut())
            {
                if is_shapeless_object(field) {
                    *field = json!({});
                }
            }
        } else if search_bodies.contains(name) {
            schema.remove("required");
        } else if batch_read_bodies.contains(name)
            && let Some(required) = schema.get_mut("required").and_then(Value::as_array_mut)
        {
            required.retain(|field| !PROPERTY_MAPS.contains(&field.as_str().unwrap_or_default()));
        }
    }
}

/// An object schema that says nothing about its fields.
fn is_shapeless_object(schema: &Value) -> bool {
    schema.get("type").and_then(Value::as_str) == Some("object")
        && schema
            .get("properties")
            .and_then(Value::as_object)
            .is_none_or(Map::is_empty)
        && schema.get("additionalProperties").is_none()
}

/// Search sorts are `{propertyName, direction}` objects, as HubSpot documents and accepts;
/// the specs type them as plain strings.
pub fn typed_search_sorts(spec: &mut Value) {
    let mut bodies = BTreeSet::new();
    for_each_operation(spec, |path, _, op| {
        if path.ends_with("/search")
            && let Some(name) = op
                .pointer("/requestBody/content/application~1json/schema/$ref")
                .and_then(ref_name)
        {
            bodies.insert(name.to_owned());
        }
    });
    for name in bodies {
        let pointer = format!(
            "/components/schemas/{}/properties/sorts/items",
            escape_pointer(&name)
        );
        if let Some(items) = spec.pointer_mut(&pointer)
            && items.get("type").and_then(Value::as_str) == Some("string")
        {
            *items = json!({
                "type": "object",
                "required": ["propertyName"],
                "properties": {
                    "propertyName": { "type": "string" },
                    "direction": { "type": "string", "enum": ["ASCENDING", "DESCENDING"] }
                }
            });
        }
    }
}

/// The format marking a record id that HubSpot may send as a number; generation maps it to
/// `hubspot_crm_api::RecordId`, which reads both.
pub const RECORD_ID_FORMAT: &str = "hubspot-record-id";

/// Record ids in responses (`fromObjectId`, `toObjectId`): the v4 specs type them as strings
/// but HubSpot sends numbers, so they become [`RECORD_ID_FORMAT`] strings, read either way.
pub fn lenient_record_ids(spec: &mut Value) {
    for name in response_schema_names(spec) {
        let pointer = format!("/components/schemas/{}/properties", escape_pointer(&name));
        let Some(fields) = spec.pointer_mut(&pointer).and_then(Value::as_object_mut) else {
            continue;
        };
        for (field, schema) in fields.iter_mut() {
            let is_string = schema.get("type").and_then(Value::as_str) == Some("string");
            if field.ends_with("ObjectId") && is_string {
                *schema = json!({ "type": "string", "format": RECORD_ID_FORMAT });
            }
        }
    }
}

/// Fields HubSpot's specs mark required in answers that HubSpot omits or sends as `null`
/// (a property without `description`, a default association type with `label: null`).
const OMITTED_IN_RESPONSES: [&str; 2] = ["description", "label"];

/// `errors` lists in success answers (a 207's failed items) accept any JSON per item: one odd
/// field (a single-string `context`, a number where the spec says string) must not make the
/// whole answer, and the records it confirms, unreadable. Clients read each item leniently.
pub fn lenient_error_lists(spec: &mut Value) {
    let success = responses_matching(spec, |status| status.starts_with('2'));
    for name in success {
        let pointer = format!(
            "/components/schemas/{}/properties/errors",
            escape_pointer(&name)
        );
        if let Some(errors) = spec.pointer_mut(&pointer)
            && errors.get("type").and_then(Value::as_str) == Some("array")
        {
            errors
                .as_object_mut()
                .expect("checked above")
                .insert("items".into(), json!({}));
        }
    }
}

/// The fields of [`OMITTED_IN_RESPONSES`] are optional, and accept `null`, in schemas HubSpot
/// sends back.
pub fn optional_omitted_fields(spec: &mut Value) {
    for name in response_schema_names(spec) {
        let Some(schema) = spec
            .pointer_mut(&format!("/components/schemas/{}", escape_pointer(&name)))
            .and_then(Value::as_object_mut)
        else {
            continue;
        };
        if let Some(required) = schema.get_mut("required").and_then(Value::as_array_mut) {
            required.retain(|f| !OMITTED_IN_RESPONSES.contains(&f.as_str().unwrap_or_default()));
        }
        for field in OMITTED_IN_RESPONSES {
            if let Some(field) = schema
                .get_mut("properties")
                .and_then(|p| p.get_mut(field))
                .filter(|f| f.get("type").and_then(Value::as_str) == Some("string"))
            {
                mark_nullable(field);
            }
        }
    }
}

/// Boolean flags HubSpot sends back are `false` when absent: HubSpot leaves out flags that
/// are off (`modificationMetadata` often carries only `readOnlyValue`), though its specs mark
/// them required. They keep their `bool` type with a default of `false`.
pub fn defaulted_response_flags(spec: &mut Value) {
    for name in response_schema_names(spec) {
        let Some(schema) = spec
            .pointer_mut(&format!("/components/schemas/{}", escape_pointer(&name)))
            .and_then(Value::as_object_mut)
        else {
            continue;
        };
        let flags: BTreeSet<String> = schema
            .get("properties")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .filter(|(_, field)| field.get("type").and_then(Value::as_str) == Some("boolean"))
            .map(|(field, _)| field.clone())
            .collect();
        if let Some(required) = schema.get_mut("required").and_then(Value::as_array_mut) {
            required.retain(|f| !flags.contains(f.as_str().unwrap_or_default()));
        }
        for flag in &flags {
            if let Some(field) = schema
                .get_mut("properties")
                .and_then(|p| p.get_mut(flag))
                .and_then(Value::as_object_mut)
            {
                field.entry("default").or_insert(json!(false));
            }
        }
    }
}

/// Rule 6: each operation gets its readable method name from the manifest's table. An
/// operation missing from the table, or a table entry matching nothing, is an error.
pub fn name_operations(
    module: &str,
    spec: &mut Value,
    methods: &BTreeMap<String, String>,
) -> Result<(), Error> {
    let mut unnamed = Vec::new();
    let mut used = BTreeSet::new();
    for_each_operation(spec, |path, method, op| {
        let key = format!("{} {path}", method.to_ascii_uppercase());
        match methods.get(&key) {
            Some(name) => {
                op.as_object_mut()
                    .expect("operations are objects")
                    .insert("operationId".into(), json!(name));
                used.insert(key);
            }
            None => unnamed.push(key),
        }
    });
    if !unnamed.is_empty() {
        return Err(Error::UnnamedOperations {
            module: module.to_owned(),
            operations: unnamed,
        });
    }
    let stale: Vec<String> = methods
        .keys()
        .filter(|k| !used.contains(*k))
        .cloned()
        .collect();
    if !stale.is_empty() {
        return Err(Error::StaleMethodNames {
            module: module.to_owned(),
            operations: stale,
        });
    }
    let mut seen = BTreeSet::new();
    if let Some(name) = methods.values().find(|name| !seen.insert(name.as_str())) {
        return Err(Error::DuplicateMethodName {
            module: module.to_owned(),
            name: name.clone(),
        });
    }
    Ok(())
}

fn for_each_operation(spec: &mut Value, mut visit: impl FnMut(&str, &str, &mut Value)) {
    let Some(paths) = spec.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        for method in HTTP_METHODS {
            if let Some(op) = item.get_mut(method) {
                visit(path, method, op);
            }
        }
    }
}

fn for_each_response(spec: &mut Value, mut visit: impl FnMut(&mut Value)) {
    for_each_operation(spec, |_, _, op| {
        for response in op
            .get_mut("responses")
            .and_then(Value::as_object_mut)
            .into_iter()
            .flat_map(|r| r.values_mut())
        {
            visit(response);
        }
    });
}

fn component_schemas(spec: &Value) -> Map<String, Value> {
    spec.pointer("/components/schemas")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default()
}

fn ref_name(reference: &Value) -> Option<&str> {
    let reference = reference.as_str()?;
    reference
        .strip_prefix("#/components/schemas/")
        .or_else(|| reference.strip_prefix("#/components/responses/"))
}

fn escape_pointer(name: &str) -> String {
    name.replace('~', "~0").replace('/', "~1")
}

/// Field names of an object schema, following one `$ref`.
fn object_fields(schema: &Value, schemas: &Map<String, Value>) -> BTreeSet<String> {
    let resolved = schema
        .get("$ref")
        .and_then(ref_name)
        .and_then(|n| schemas.get(n))
        .unwrap_or(schema);
    resolved
        .get("properties")
        .and_then(Value::as_object)
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default()
}

/// Marks a schema nullable; a bare `$ref` is wrapped, since siblings of `$ref` are ignored.
fn mark_nullable(schema: &mut Value) {
    let Some(map) = schema.as_object_mut() else {
        return;
    };
    if let Some(reference) = map.remove("$ref") {
        map.insert("allOf".into(), json!([{ "$ref": reference }]));
    }
    map.insert("nullable".into(), json!(true));
}

/// Every `$ref`'d schema name inside `value`.
fn refs_in(value: &Value, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            if let Some(name) = map
                .get("$ref")
                .and_then(|r| r.as_str())
                .and_then(|r| r.strip_prefix("#/components/schemas/"))
            {
                out.insert(name.to_owned());
            }
            map.values().for_each(|v| refs_in(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| refs_in(v, out)),
        _ => {}
    }
}

/// Closes a set of schema names over the references their schemas make.
fn reachable_from(mut pending: BTreeSet<String>, spec: &Value) -> BTreeSet<String> {
    let schemas = component_schemas(spec);
    let mut seen = BTreeSet::new();
    while let Some(name) = pending.pop_first() {
        if !seen.insert(name.clone()) {
            continue;
        }
        let mut found = BTreeSet::new();
        if let Some(schema) = schemas.get(&name) {
            refs_in(schema, &mut found);
        }
        pending.extend(found.into_iter().filter(|n| !seen.contains(n)));
    }
    seen
}

/// Resolves a response (following a `#/components/responses` reference) to its value.
fn resolve_response<'a>(response: &'a Value, spec: &'a Value) -> &'a Value {
    match response
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix("#/components/responses/"))
    {
        Some(name) => spec
            .pointer(&format!("/components/responses/{}", escape_pointer(name)))
            .unwrap_or(response),
        None => response,
    }
}

fn responses_matching(spec: &Value, keep: impl Fn(&str) -> bool) -> BTreeSet<String> {
    let mut roots = BTreeSet::new();
    for item in spec
        .get("paths")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|p| p.values())
    {
        for op in HTTP_METHODS.iter().filter_map(|m| item.get(*m)) {
            for (status, response) in op
                .get("responses")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                if keep(status) {
                    refs_in(resolve_response(response, spec), &mut roots);
                }
            }
        }
    }
    reachable_from(roots, spec)
}

/// Schemas that appear in any response HubSpot sends back.
fn response_schema_names(spec: &Value) -> BTreeSet<String> {
    responses_matching(spec, |_| true)
}

/// Schemas of error bodies: those of non-success responses and of `errors` lists.
fn error_schema_names(spec: &Value) -> BTreeSet<String> {
    let mut roots = responses_matching(spec, |status| !status.starts_with('2'));
    for schema in component_schemas(spec).values() {
        if let Some(errors) = schema.pointer("/properties/errors") {
            refs_in(errors, &mut roots);
        }
    }
    reachable_from(roots, spec)
}

#[cfg(test)]
mod tests;
