//! Reading a record's `properties` (every value a string or null) into a caller's type.
//!
//! HubSpot sends every property value as a string, so each value is parsed into what the
//! field asks for: numbers, booleans, chrono dates and times (ISO 8601, or epoch
//! milliseconds), `;`-separated multi-selects into sequences, unit enum variants by name.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, SecondsFormat};
use serde::de::value::{SeqDeserializer, StrDeserializer};
use serde::de::{self, DeserializeSeed, IntoDeserializer, MapAccess, Visitor};

/// Why a property did not decode; the property, once known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DecodeError {
    pub(crate) property: Option<String>,
    pub(crate) reason: String,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.property {
            Some(property) => write!(f, "`{property}`: {}", self.reason),
            None => f.write_str(&self.reason),
        }
    }
}

impl std::error::Error for DecodeError {}

impl de::Error for DecodeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DecodeError {
            property: None,
            reason: msg.to_string(),
        }
    }

    fn missing_field(field: &'static str) -> Self {
        DecodeError {
            property: Some(field.to_owned()),
            reason: "was not returned, and the field is not an `Option`".to_owned(),
        }
    }
}

impl DecodeError {
    fn of(property: &str, reason: impl Into<String>) -> Self {
        DecodeError {
            property: Some(property.to_owned()),
            reason: reason.into(),
        }
    }
}

/// Reads `properties` into `T`.
pub(crate) fn from_properties<T: de::DeserializeOwned>(
    properties: &BTreeMap<String, Option<String>>,
) -> Result<T, DecodeError> {
    T::deserialize(PropertiesDeserializer { properties })
}

/// The whole `properties` object: a map, or a struct whose fields are property names.
struct PropertiesDeserializer<'a> {
    properties: &'a BTreeMap<String, Option<String>>,
}

impl<'de, 'a> de::Deserializer<'de> for PropertiesDeserializer<'a> {
    type Error = DecodeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        visitor.visit_map(Entries {
            entries: self.properties.iter(),
            value: None,
        })
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

/// The properties one by one, each value read by [`ValueDeserializer`].
struct Entries<'a, I> {
    entries: I,
    value: Option<(&'a str, Option<&'a str>)>,
}

impl<'de, 'a, I> MapAccess<'de> for Entries<'a, I>
where
    I: Iterator<Item = (&'a String, &'a Option<String>)>,
{
    type Error = DecodeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DecodeError> {
        let Some((name, value)) = self.entries.next() else {
            return Ok(None);
        };
        self.value = Some((name.as_str(), value.as_deref()));
        seed.deserialize(StrDeserializer::<DecodeError>::new(name))
            .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, DecodeError> {
        let (name, value) = self
            .value
            .take()
            .ok_or_else(|| de::Error::custom("a value was asked for before its property"))?;
        seed.deserialize(ValueDeserializer { name, value })
            .map_err(|mut error| {
                error.property.get_or_insert_with(|| name.to_owned());
                error
            })
    }
}

/// One property's value: a string, or null.
#[derive(Clone, Copy)]
struct ValueDeserializer<'a> {
    name: &'a str,
    value: Option<&'a str>,
}

/// What a visitor says it expects, as text: how a chrono type is told from a plain string.
fn expecting<'de, V: Visitor<'de>>(visitor: &V) -> String {
    struct Expecting<'v, V>(&'v V);
    impl<'de, V: Visitor<'de>> fmt::Display for Expecting<'_, V> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            self.0.expecting(f)
        }
    }
    Expecting(visitor).to_string()
}

/// Epoch milliseconds, as older date and datetime properties send them.
fn epoch_millis(text: &str) -> Option<i64> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// `text` rewritten into the form chrono's visitor (by what it expects) parses: epoch
/// milliseconds into ISO 8601, and an instant into its UTC day for a date.
fn for_chrono(expected: &str, text: &str) -> Option<String> {
    if !expected.contains("date") {
        return None;
    }
    // chrono's own descriptions of what its visitors parse: a date, a naive date and
    // time, and a date and time with an offset (which takes ISO 8601 as it is).
    let naive = matches!(
        expected,
        "a formatted date string" | "a formatted date and time string"
    );
    let instant = match epoch_millis(text) {
        Some(ms) => DateTime::from_timestamp_millis(ms)?,
        // An instant with its offset (HubSpot's `...Z`) for a type without one.
        None if naive && text.len() > 10 => DateTime::parse_from_rfc3339(text).ok()?.to_utc(),
        None => return None,
    };
    Some(match expected {
        "a formatted date string" => instant.date_naive().to_string(),
        "a formatted date and time string" => instant
            .naive_utc()
            .format("%Y-%m-%dT%H:%M:%S%.3f")
            .to_string(),
        _ => instant.to_rfc3339_opts(SecondsFormat::Millis, true),
    })
}

impl<'a> ValueDeserializer<'a> {
    fn text(&self) -> Result<&'a str, DecodeError> {
        self.value.ok_or_else(|| {
            DecodeError::of(
                self.name,
                "is null (no value), and the field is not an `Option`",
            )
        })
    }

    fn parse<T: std::str::FromStr>(&self, what: &str) -> Result<T, DecodeError>
    where
        T::Err: fmt::Display,
    {
        let text = self.text()?;
        text.trim()
            .parse()
            .map_err(|e| DecodeError::of(self.name, format!("`{text}` is not {what}: {e}")))
    }

    fn float(&self, what: &str) -> Result<f64, DecodeError> {
        let number: f64 = self.parse(what)?;
        if !number.is_finite() {
            let text = self.value.unwrap_or_default();
            return Err(DecodeError::of(
                self.name,
                format!("`{text}` is not {what}: not a finite number"),
            ));
        }
        Ok(number)
    }
}

macro_rules! parsed {
    ($($method:ident => $visit:ident, $ty:ty, $what:literal;)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
            visitor.$visit(self.parse::<$ty>($what)?)
        }
    )*};
}

impl<'de, 'a> de::Deserializer<'de> for ValueDeserializer<'a> {
    type Error = DecodeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        match self.value {
            None => visitor.visit_none(),
            Some(text) => visitor.visit_str(text),
        }
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        let text = self.text()?;
        match for_chrono(&expecting(&visitor), text) {
            Some(rewritten) => visitor.visit_string(rewritten),
            None => visitor.visit_str(text),
        }
        .map_err(|e: DecodeError| DecodeError::of(self.name, format!("`{text}`: {}", e.reason)))
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        let text = self.text()?;
        match text.trim() {
            t if t.eq_ignore_ascii_case("true") => visitor.visit_bool(true),
            t if t.eq_ignore_ascii_case("false") => visitor.visit_bool(false),
            _ => Err(DecodeError::of(
                self.name,
                format!("`{text}` is not a boolean (`true` or `false`)"),
            )),
        }
    }

    parsed! {
        deserialize_i8 => visit_i8, i8, "an integer in i8's range";
        deserialize_i16 => visit_i16, i16, "an integer in i16's range";
        deserialize_i32 => visit_i32, i32, "an integer in i32's range";
        deserialize_i64 => visit_i64, i64, "an integer in i64's range";
        deserialize_i128 => visit_i128, i128, "an integer in i128's range";
        deserialize_u8 => visit_u8, u8, "an integer in u8's range";
        deserialize_u16 => visit_u16, u16, "an integer in u16's range";
        deserialize_u32 => visit_u32, u32, "an integer in u32's range";
        deserialize_u64 => visit_u64, u64, "an integer in u64's range";
        deserialize_u128 => visit_u128, u128, "an integer in u128's range";
        deserialize_char => visit_char, char, "a single character";
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        let value = self.float("a number")?;
        let narrow = value as f32;
        if narrow.is_finite() {
            visitor.visit_f32(narrow)
        } else {
            Err(DecodeError::of(
                self.name,
                format!("`{value}` does not fit in an f32"),
            ))
        }
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        visitor.visit_f64(self.float("a number")?)
    }

    /// Null and `""` (how HubSpot answers for a cleared value) are `None`.
    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        match self.value {
            None | Some("") => visitor.visit_none(),
            Some(_) => visitor.visit_some(self),
        }
    }

    /// A multi-select, `a;b;c`; null and `""` are empty.
    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        let name = self.name;
        let items = self
            .value
            .filter(|text| !text.is_empty())
            .into_iter()
            .flat_map(|text| text.split(';'))
            .map(move |item| ValueDeserializer {
                name,
                value: Some(item),
            });
        let mut seq = SeqDeserializer::new(items);
        let value = visitor.visit_seq(&mut seq)?;
        seq.end()?;
        Ok(value)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        let text = self.text()?;
        StrDeserializer::<DecodeError>::new(text).deserialize_enum(name, variants, visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        visitor.visit_unit()
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bytes byte_buf unit_struct tuple tuple_struct map struct identifier
    }
}

impl<'de, 'a> IntoDeserializer<'de, DecodeError> for ValueDeserializer<'a> {
    type Deserializer = Self;

    fn into_deserializer(self) -> Self {
        self
    }
}
