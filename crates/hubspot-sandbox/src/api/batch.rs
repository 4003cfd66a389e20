//! Batch endpoints of `/crm/v3/objects/{type}/batch/...` and
//! `/crm/objects/2026-09/{type}/batch/...`, answered as hubspot-facts.md, "Batch writes as
//! HubSpot answers them", describes: per input (207) where partial success is opted in,
//! otherwise refused whole with nothing written.

use std::collections::HashSet;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Extension, Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::objects::{create_one, update_one};
use super::{
    AppState, Query, Version, batch_inputs, batch_response, body_json, name_list, now, object_type,
    scalar_string,
};
use crate::error::{ApiError, ApiResult};
use crate::rules::Rules;
use crate::store::{Fields, ObjectsOut, ReadOpts, Snapshot, Store, Undo};
use crate::{PartialSuccess, SandboxConfig, lock, schema};

/// Batch endpoints take at most this many inputs.
pub(crate) const BATCH_LIMIT: usize = 100;

pub(crate) async fn batch(
    State(s): State<AppState>,
    Extension(v): Extension<Version>,
    Path((otype, op)): Path<(String, String)>,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> ApiResult<Response> {
    let otype = object_type(&s, &otype)?;
    let write = match op.as_str() {
        "create" => Some(Write::Create),
        "update" => Some(Write::Update),
        "upsert" => Some(Write::Upsert),
        "read" | "archive" => None,
        _ => {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "OBJECT_NOT_FOUND",
                format!("Unknown batch operation: {op}"),
            ));
        }
    };
    let body = body_json(&body)?;
    let inputs = batch_inputs(&body, BATCH_LIMIT)?;
    let q = Query::parse(q.as_deref());
    let rules = v.rules(&s, &otype);
    let started = now();
    let answer = {
        let mut store = lock(&s.store);
        store.type_store(&otype);
        match write {
            Some(write) => {
                let answering = Answering::of(&s.config, write, inputs);
                let writer = Writer::new(&mut store, &otype, &rules, answering);
                match write {
                    Write::Create => batch_create(writer, inputs)?,
                    Write::Update => batch_update(writer, inputs)?,
                    Write::Upsert => batch_upsert(writer, inputs)?,
                }
            }
            None if op == "read" => {
                let archived = q.flag("archived")?;
                let delay = s.config.index_delay;
                batch_read(&mut store, &otype, &body, inputs, archived, delay)?
            }
            None => {
                batch_archive(&mut store, &otype, inputs);
                return Ok(StatusCode::NO_CONTENT.into_response());
            }
        }
    };
    Ok(batch_response(
        answer.ok_status,
        started,
        ObjectsOut {
            fields: &answer.fields,
            snaps: &answer.results,
        },
        answer.errors,
    ))
}

/// A batch answer copied out of the store, serialized after the lock is released.
struct BatchAnswer {
    /// The status without errors (with errors it is 207).
    ok_status: StatusCode,
    fields: Fields,
    results: Vec<Snapshot>,
    errors: Vec<Value>,
}

/// The batch writes, as [`PartialSuccess`] tells them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Write {
    Create,
    Update,
    Upsert,
}

/// How one batch write answers its refused inputs and the records it names that do not
/// exist.
#[derive(Debug, Clone, Copy)]
struct Answering {
    /// Each refused input gets its own error (207); otherwise the first refuses the batch.
    per_input: bool,
    /// Update inputs naming no record are left out without an error
    /// ([`SandboxConfig::empty_answer_for_missing_ids`]).
    skip_missing: bool,
}

impl Answering {
    fn of(config: &SandboxConfig, write: Write, inputs: &[Value]) -> Self {
        let traced = traces_are_unique(inputs);
        // "Partial success is opt-in" (hubspot-facts.md): documented for traced creates; the
        // other readings are switches.
        let per_input = match config.partial_success {
            PartialSuccess::TracedCreates => traced && write == Write::Create,
            PartialSuccess::TracedWrites => traced,
            PartialSuccess::Never => false,
        };
        Answering {
            per_input,
            // "A 2xx that confirms nothing" (hubspot-facts.md), observed for batch updates.
            skip_missing: config.empty_answer_for_missing_ids && write == Write::Update,
        }
    }
}

/// The `objectWriteTraceId` of a batch input, if it has a non-blank one.
fn trace_id(input: &Value) -> Option<String> {
    input
        .get("objectWriteTraceId")
        .and_then(scalar_string)
        .filter(|t| !t.trim().is_empty())
}

/// Whether every input carries its own `objectWriteTraceId`: HubSpot's condition for
/// answering a batch's failures per input (207) instead of refusing the whole batch.
fn traces_are_unique(inputs: &[Value]) -> bool {
    let mut seen = HashSet::new();
    inputs
        .iter()
        .all(|i| trace_id(i).is_some_and(|t| seen.insert(t)))
}

/// The context tying a per-input error to its input: its trace id, and for updates and
/// upserts the id it names.
fn input_context(input: &Value, id: Option<&str>) -> Value {
    let mut ctx = json!({});
    if let Some(t) = trace_id(input) {
        ctx["objectWriteTraceId"] = json!([t]);
    }
    if let Some(id) = id {
        ctx["ids"] = json!([id]);
    }
    ctx
}

/// The `id` of an update or upsert input, as given.
fn input_id(input: &Value) -> String {
    input.get("id").and_then(scalar_string).unwrap_or_default()
}

fn not_found_message(otype: &str) -> String {
    format!(
        "Could not get some {} objects, they may be deleted or not exist. Check that ids are valid.",
        schema::upper_singular(otype)
    )
}

/// One batch write under the store lock: what it wrote so far (to take back), and its
/// answer.
struct Writer<'a> {
    store: &'a mut Store,
    otype: &'a str,
    rules: &'a Rules<'a>,
    answering: Answering,
    undo: Undo,
    fields: Fields,
    results: Vec<Snapshot>,
    errors: Vec<Value>,
    /// Inputs left out of the answer without an error.
    skipped: bool,
}

impl<'a> Writer<'a> {
    fn new(
        store: &'a mut Store,
        otype: &'a str,
        rules: &'a Rules<'a>,
        answering: Answering,
    ) -> Self {
        let undo = store.undo_log();
        let fields = store.all_fields(otype);
        Writer {
            store,
            otype,
            rules,
            answering,
            undo,
            fields,
            results: Vec::new(),
            errors: Vec::new(),
            skipped: false,
        }
    }

    /// Takes an input's outcome: the record written (with a field to add to its answer), or
    /// its refusal, which is an error of its own when answering per input and otherwise
    /// handed back to refuse the batch ([`Writer::refused`]).
    fn take(
        &mut self,
        outcome: ApiResult<(u64, Option<(&'static str, Value)>)>,
        context: Value,
    ) -> ApiResult<()> {
        match outcome {
            Ok((id, extra)) => {
                if let Some(snap) = self.store.snapshot_of(&self.fields, id) {
                    self.results.push(match extra {
                        Some((key, value)) => snap.with(key, value),
                        None => snap,
                    });
                }
                Ok(())
            }
            Err(e) if self.answering.per_input => {
                self.errors.push(e.to_batch_error(context));
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    /// An input naming a record that does not exist: its own `OBJECT_NOT_FOUND`, or, for
    /// updates with [`SandboxConfig::empty_answer_for_missing_ids`], nothing at all.
    fn missing(&mut self, context: Value) {
        if self.answering.skip_missing {
            self.skipped = true;
        } else {
            let e = ApiError::not_found(not_found_message(self.otype));
            self.errors.push(e.to_batch_error(context));
        }
    }

    /// The whole batch refused for `e`, met at one input: everything it wrote is taken back
    /// ("Otherwise one bad input rejects the whole batch", hubspot-facts.md).
    fn refused(self, e: ApiError) -> ApiError {
        self.store.undo(self.undo);
        e.refusing_batch()
    }

    /// The answer: `ok_status` when every input was answered, 207 when some were left out
    /// or failed.
    fn answer(self, ok_status: StatusCode) -> BatchAnswer {
        BatchAnswer {
            ok_status: if self.skipped {
                StatusCode::MULTI_STATUS
            } else {
                ok_status
            },
            fields: self.fields,
            results: self.results,
            errors: self.errors,
        }
    }
}

/// Creates each input in turn; each result echoes its input's trace id.
fn batch_create(mut w: Writer, inputs: &[Value]) -> ApiResult<BatchAnswer> {
    w.store.repeated_unique(w.otype, inputs)?;
    for input in inputs {
        let outcome = create_one(w.store, w.otype, input, None, w.rules).map(|id| {
            (
                id,
                trace_id(input).map(|t| ("objectWriteTraceId", json!(t))),
            )
        });
        if let Err(e) = w.take(outcome, input_context(input, None)) {
            return Err(w.refused(e));
        }
    }
    Ok(w.answer(StatusCode::CREATED))
}

/// Refuses a batch update naming one record twice, as HubSpot does.
fn check_distinct_ids(inputs: &[Value]) -> ApiResult<()> {
    let mut ids = HashSet::new();
    for input in inputs {
        if !ids.insert(input_id(input)) {
            return Err(ApiError::validation("Duplicate IDs found in batch input"));
        }
    }
    Ok(())
}

/// Updates each input's record in turn.
fn batch_update(mut w: Writer, inputs: &[Value]) -> ApiResult<BatchAnswer> {
    check_distinct_ids(inputs)?;
    w.store.repeated_unique(w.otype, inputs)?;
    for input in inputs {
        let raw = input_id(input);
        let context = input_context(input, Some(&raw));
        let id_property = input.get("idProperty").and_then(Value::as_str);
        let outcome = match w.store.resolve(w.otype, &raw, id_property, false) {
            Ok(None) => {
                w.missing(context);
                continue;
            }
            Ok(Some(id)) => {
                w.store.remember(&mut w.undo, w.otype, id);
                update_one(w.store, w.otype, id, input, w.rules).map(|()| (id, None))
            }
            Err(e) => Err(e),
        };
        if let Err(e) = w.take(outcome, context) {
            return Err(w.refused(e));
        }
    }
    Ok(w.answer(StatusCode::OK))
}

/// Updates the record each input names by its `idProperty` value, or creates it with that
/// value; each result says whether it is `new`.
fn batch_upsert(mut w: Writer, inputs: &[Value]) -> ApiResult<BatchAnswer> {
    w.store.repeated_unique(w.otype, inputs)?;
    for input in inputs {
        let raw = input_id(input);
        let context = input_context(input, Some(&raw));
        let outcome = match upsert_one(&mut w, input, &raw) {
            Ok(None) => {
                w.missing(context);
                continue;
            }
            Ok(Some((id, new))) => Ok((id, Some(("new", Value::Bool(new))))),
            Err(e) => Err(e),
        };
        if let Err(e) = w.take(outcome, context) {
            return Err(w.refused(e));
        }
    }
    Ok(w.answer(StatusCode::OK))
}

/// One upsert input: the record's id and whether it was created; `None` when it names a
/// record id (no `idProperty`) that does not exist.
fn upsert_one(w: &mut Writer, input: &Value, raw: &str) -> ApiResult<Option<(u64, bool)>> {
    let id_property = input
        .get("idProperty")
        .and_then(Value::as_str)
        .unwrap_or("hs_object_id");
    match w.store.resolve(w.otype, raw, Some(id_property), false)? {
        Some(id) => {
            w.store.remember(&mut w.undo, w.otype, id);
            update_one(w.store, w.otype, id, input, w.rules)?;
            Ok(Some((id, false)))
        }
        None if id_property == "hs_object_id" => Ok(None),
        None => {
            let unique_value = (id_property.to_string(), raw.to_string());
            let id = create_one(w.store, w.otype, input, Some(unique_value), w.rules)?;
            Ok(Some((id, true)))
        }
    }
}

/// Archives each input's record; ids that name nothing are no failure.
fn batch_archive(store: &mut Store, otype: &str, inputs: &[Value]) {
    for input in inputs {
        if let Ok(Some(id)) = store.resolve(otype, &input_id(input), None, false) {
            store.archive(otype, id);
        }
    }
}

fn batch_read(
    store: &mut Store,
    otype: &str,
    body: &Value,
    inputs: &[Value],
    archived: bool,
    index_delay: Option<Duration>,
) -> ApiResult<BatchAnswer> {
    let id_property = body.get("idProperty").and_then(Value::as_str);
    // Reads by a unique property go through the search index, which lags behind writes.
    let by_index = id_property.is_some_and(|p| !p.is_empty() && p != "hs_object_id");
    let now = chrono::Utc::now();
    let opts = ReadOpts {
        properties: name_list(body.get("properties")).filter(|p| !p.is_empty()),
        history: name_list(body.get("propertiesWithHistory")).unwrap_or_default(),
        associations: Vec::new(),
    };
    let mut seen = HashSet::new();
    let mut found = Vec::new();
    let mut missing = Vec::new();
    for input in inputs {
        let raw = input_id(input);
        let resolved = store
            .resolve(otype, &raw, id_property, archived)?
            .filter(|id| {
                !by_index
                    || store
                        .get(otype, *id)
                        .is_some_and(|o| crate::store::indexed(o, index_delay, now))
            });
        match resolved {
            Some(id) => {
                if seen.insert(id) {
                    found.push(id);
                }
            }
            None => missing.push(raw),
        }
    }
    let fields = store.fields(otype, &opts);
    let results = found
        .iter()
        .filter_map(|id| store.snapshot_of(&fields, *id))
        .collect();
    let errors = if missing.is_empty() {
        Vec::new()
    } else {
        vec![ApiError::not_found(not_found_message(otype)).to_batch_error(json!({"ids": missing}))]
    };
    Ok(BatchAnswer {
        ok_status: StatusCode::OK,
        fields,
        results,
        errors,
    })
}
