//! The property names a type reads: the field list serde's derive hands to
//! `deserialize_struct` (renames applied, skipped fields left out).

use std::fmt;

use serde::de::{self, Visitor};

/// The probe's way out: the fields seen, or that there were none to see.
#[derive(Debug)]
struct Found(Option<&'static [&'static str]>);

impl fmt::Display for Found {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("field list probed")
    }
}

impl std::error::Error for Found {}

impl de::Error for Found {
    fn custom<T: fmt::Display>(_msg: T) -> Self {
        Found(None)
    }
}

struct Probe;

impl<'de> de::Deserializer<'de> for Probe {
    type Error = Found;

    fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Found> {
        Err(Found(None))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Found> {
        Err(Found(Some(fields)))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map enum identifier ignored_any
    }
}

/// The property names `T` deserializes, in its field order, each once; `None` when `T`
/// does not list them (a map, or a struct with a `#[serde(flatten)]` field, which serde
/// reads as a map).
pub(crate) fn property_names<T: de::DeserializeOwned>() -> Option<Vec<String>> {
    let fields = match T::deserialize(Probe) {
        Err(Found(fields)) => fields?,
        Ok(_) => return None,
    };
    let mut names: Vec<String> = Vec::with_capacity(fields.len());
    for field in fields {
        if !names.iter().any(|n| n == field) {
            names.push((*field).to_owned());
        }
    }
    Some(names)
}
