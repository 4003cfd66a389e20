//! What ties HubSpot's answers to the inputs of a request: trace ids, record ids and unique
//! values.

use std::collections::HashMap;

use super::BatchItemError;
use crate::error::ValidationError;
use crate::model::{NewRecord, Record, RecordUpdate};

/// What ties an answer to an input.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(super) enum TieKey {
    /// An `objectWriteTraceId`.
    Trace(String),
    /// A record id.
    Id(String),
    /// A unique property's value (see [`unique_key`]).
    Unique { property: String, value: String },
}

pub(super) fn address_key(id: &str, id_property: Option<&str>) -> TieKey {
    match id_property {
        Some(property) => unique_key(property, id),
        None => TieKey::Id(id.to_owned()),
    }
}

/// HubSpot keeps unique values as sent, so `ABC` and `abc` are two records; only email
/// addresses are compared without case (HubSpot stores them in lower case).
pub(super) fn unique_key(property: &str, value: &str) -> TieKey {
    TieKey::Unique {
        property: property.to_owned(),
        value: comparable_unique_value(property, value),
    }
}

/// A unique property's value as HubSpot compares it: as sent, but for email addresses,
/// which HubSpot keeps in lower case.
pub(crate) fn comparable_unique_value(property: &str, value: &str) -> String {
    if property == "email" {
        value.to_lowercase()
    } else {
        value.to_owned()
    }
}

pub(super) fn create_keys(input: &NewRecord) -> Vec<TieKey> {
    input
        .object_write_trace_id
        .iter()
        .map(|trace| TieKey::Trace(trace.clone()))
        .collect()
}

pub(super) fn update_keys(update: &RecordUpdate) -> Vec<TieKey> {
    let mut keys = vec![address_key(&update.id, update.id_property.as_deref())];
    if let Some(trace) = &update.object_write_trace_id {
        keys.push(TieKey::Trace(trace.clone()));
    }
    keys
}

/// Rejects a key already used by an earlier input, naming both positions.
pub(super) fn check_unique(
    seen: &mut HashMap<TieKey, usize>,
    key: TieKey,
    index: usize,
    field: &str,
) -> std::result::Result<(), ValidationError> {
    check_free(seen, &key, index, field)?;
    seen.insert(key, index);
    Ok(())
}

/// Fails when an earlier input took `key`, naming both positions; takes nothing, so that an
/// input failing a later check leaves its keys free.
pub(super) fn check_free(
    seen: &HashMap<TieKey, usize>,
    key: &TieKey,
    index: usize,
    field: &str,
) -> std::result::Result<(), ValidationError> {
    if let Some(first) = seen.get(key) {
        let value = match &key {
            TieKey::Trace(v) | TieKey::Id(v) => v.clone(),
            TieKey::Unique { property, value } => format!("{property}={value}"),
        };
        return Err(ValidationError::new(
            field,
            format!(
                "`{value}` is also item {first}'s; each input must be distinct so that HubSpot's answer can be tied back to it"
            ),
        )
        .at_item(index));
    }
    Ok(())
}

pub(super) fn result_keys(record: &Record, id_properties: &[String]) -> Vec<TieKey> {
    let mut keys = vec![TieKey::Id(record.id.clone())];
    if let Some(trace) = &record.object_write_trace_id {
        keys.push(TieKey::Trace(trace.clone()));
    }
    for property in id_properties {
        if let Some(value) = record.property(property) {
            keys.push(unique_key(property, value));
        }
    }
    keys
}

pub(super) fn error_keys(error: &BatchItemError, id_properties: &[String]) -> Vec<TieKey> {
    let mut keys = Vec::new();
    for trace in error
        .context
        .get("objectWriteTraceId")
        .into_iter()
        .flatten()
    {
        keys.push(TieKey::Trace(trace.clone()));
    }
    for id in error.context.get("ids").into_iter().flatten() {
        keys.push(TieKey::Id(id.clone()));
        for property in id_properties {
            keys.push(unique_key(property, id));
        }
    }
    keys
}
