//! Typed records: a record's properties read into the caller's own `serde` type, and
//! written from it.
//!
//! HubSpot sends and takes every property value as a string. Reading, each field gets what
//! its type asks for, parsed from the string:
//!
//! | field type | HubSpot's value |
//! |---|---|
//! | `String`, `&str`-like | as it is |
//! | integers, `f64`, `f32` | `"1200"`, `"1200.5"` (a value out of range, or not finite, is an error) |
//! | `bool` | `"true"` / `"false"` (any case) |
//! | `chrono::DateTime<Utc>` (or `FixedOffset`), `NaiveDateTime` | ISO 8601, or epoch milliseconds as older properties send them |
//! | `chrono::NaiveDate` | `YYYY-MM-DD`, epoch milliseconds or an ISO 8601 instant (its UTC day) |
//! | `Vec<_>`, sets | a multi-select, `a;b;c`, each option read as the item type (an enum of unit variants by name, say) |
//! | unit enum variants | by name (`#[serde(rename)]` for HubSpot's values) |
//! | `Option<_>` | null, and `""` (HubSpot's answer for a cleared value), are `None` |
//!
//! A value that does not fit is [`Error::PropertyDecode`],
//! naming the record and the property; nothing panics. A required (non-`Option`) field that
//! HubSpot left null, or did not return, is such an error too.
//!
//! Writing ([`Serialize`]), numbers are written as Rust prints them, booleans `true`/`false`,
//! chrono's date-times as chrono writes them, ISO 8601 (`2026-03-01T09:30:00Z`), which
//! HubSpot takes; strings exactly as they are; `NaiveDate`s as `YYYY-MM-DD`,
//! sequences joined with `;` (an empty one as `""`, which clears a multi-select), unit enum
//! variants by name. A `None` leaves the property out ([`NoneMeans::Unset`], the default) or
//! clears it with `""` ([`NoneMeans::Clear`]).
//!
//! # Which properties a typed read asks for
//!
//! A typed read that names no properties asks HubSpot for exactly the fields of `T`, as
//! serde reads them (renames applied, `#[serde(skip)]` fields left out): see
//! [`property_names`]. A `T` whose fields serde cannot list (a map, or a struct with a
//! `#[serde(flatten)]` field) reads the object type's defaults
//! ([`CrmObject::DEFAULT_PROPERTIES`](crate::CrmObject::DEFAULT_PROPERTIES), else HubSpot's
//! own), unless the read names properties itself. A flattened map gets each value as a
//! string (or `None`), since serde hands it no type to parse into.

mod de;
mod handle;
mod probe;
mod ser;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{Error, Result, ValidationError};
use crate::model::Record;

pub use handle::{
    TypedChange, TypedChangeInput, TypedChangeStream, TypedNew, TypedObjects, TypedRecordStream,
    TypedUniqueCreates, TypedUniqueOutcome, TypedUniqueResult,
};

/// What a `None` field means when a typed value is written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum NoneMeans {
    /// The property is left out of the request: HubSpot keeps what the record holds (the
    /// default).
    #[default]
    Unset,
    /// The property is sent as `""`, which clears it.
    Clear,
}

/// A record whose properties are read into `T`, with the fields every record has.
#[derive(Clone, Debug, PartialEq)]
pub struct TypedRecord<T> {
    /// The record's id.
    pub id: String,
    /// Its properties, read into `T`.
    pub properties: T,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it was last changed.
    pub updated_at: DateTime<Utc>,
    /// Whether it is in the recycling bin.
    pub archived: bool,
    /// When it was archived, if it is.
    pub archived_at: Option<DateTime<Utc>>,
}

impl<T: DeserializeOwned> TypedRecord<T> {
    /// Reads `record`'s properties into `T`; [`Error::PropertyDecode`] with the record's id
    /// and the property when one does not fit.
    pub fn from_record(record: &Record) -> Result<Self> {
        let properties =
            de::from_properties(&record.properties).map_err(|e| Error::PropertyDecode {
                record_id: Some(record.id.clone()),
                property: e.property,
                reason: e.reason,
            })?;
        Ok(TypedRecord {
            id: record.id.clone(),
            properties,
            created_at: record.created_at,
            updated_at: record.updated_at,
            archived: record.archived,
            archived_at: record.archived_at,
        })
    }
}

/// Reads a record's `properties` object (names to a string or null) into `T`, as typed reads
/// do: see the [module docs](self) for what each field type takes. A value that does not fit
/// is [`Error::PropertyDecode`] naming the property (and no record).
pub fn from_properties<T: DeserializeOwned>(
    properties: &BTreeMap<String, Option<String>>,
) -> Result<T> {
    de::from_properties(properties).map_err(|e| Error::PropertyDecode {
        record_id: None,
        property: e.property,
        reason: e.reason,
    })
}

/// Writes `value` (a struct or map) as HubSpot's property strings, as typed writes do. A
/// value HubSpot cannot store (a nested struct, a non-finite number, a multi-select option
/// holding `;`) is a [`ValidationError`] naming the property.
pub fn to_properties<T: Serialize + ?Sized>(
    value: &T,
    none: NoneMeans,
) -> std::result::Result<BTreeMap<String, String>, ValidationError> {
    ser::to_properties(value, none).map_err(|e| {
        ValidationError::new(
            e.property.unwrap_or_else(|| "properties".to_owned()),
            e.reason,
        )
    })
}

/// The property names `T` reads, in field order: the fields serde's derive looks for, renames
/// applied. `None` when `T` does not list them (a map, or a struct with a
/// `#[serde(flatten)]` field); typed reads then ask for the object type's defaults.
///
/// ```
/// #[derive(serde::Deserialize)]
/// struct DealRow {
///     dealname: String,
///     #[serde(rename = "amount")]
///     value: Option<f64>,
/// }
/// assert_eq!(
///     hubspot_crm::property_names::<DealRow>(),
///     Some(vec!["dealname".to_owned(), "amount".to_owned()])
/// );
/// ```
pub fn property_names<T: DeserializeOwned>() -> Option<Vec<String>> {
    probe::property_names::<T>()
}
