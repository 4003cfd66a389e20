//! Writing a caller's type as HubSpot's property strings.

use std::collections::BTreeMap;
use std::fmt;

use serde::ser::{self, Impossible, Serialize};

use super::NoneMeans;

/// Why a value cannot be written; the property, once known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EncodeError {
    pub(crate) property: Option<String>,
    pub(crate) reason: String,
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}

impl std::error::Error for EncodeError {}

impl ser::Error for EncodeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        EncodeError {
            property: None,
            reason: msg.to_string(),
        }
    }
}

fn unsupported(what: &str) -> EncodeError {
    EncodeError {
        property: None,
        reason: format!(
            "{what} has no HubSpot property form (a string, a number, a boolean, a date or time, or a sequence of those)"
        ),
    }
}

/// `value`'s fields as property strings; a `None` is left out or `""` as `none` says.
pub(crate) fn to_properties<T: Serialize + ?Sized>(
    value: &T,
    none: NoneMeans,
) -> Result<BTreeMap<String, String>, EncodeError> {
    value.serialize(PropertiesSerializer {
        none,
        out: BTreeMap::new(),
        key: None,
    })
}

/// The whole value: a struct or map of properties.
struct PropertiesSerializer {
    none: NoneMeans,
    out: BTreeMap<String, String>,
    key: Option<String>,
}

impl PropertiesSerializer {
    fn put(&mut self, name: &str, value: &(impl Serialize + ?Sized)) -> Result<(), EncodeError> {
        let written = value.serialize(ValueSerializer).map_err(|mut e| {
            e.property.get_or_insert_with(|| name.to_owned());
            e
        })?;
        match (written, self.none) {
            (Some(text), _) => {
                self.out.insert(name.to_owned(), text);
            }
            (None, NoneMeans::Clear) => {
                self.out.insert(name.to_owned(), String::new());
            }
            (None, NoneMeans::Unset) => {}
        }
        Ok(())
    }
}

type Properties = BTreeMap<String, String>;

macro_rules! not_properties {
    ($($method:ident($($arg:ty),*) -> $ok:ty;)*) => {$(
        fn $method(self, $(_: $arg),*) -> Result<$ok, EncodeError> {
            Err(unsupported("a value that is not a struct or map"))
        }
    )*};
}

impl ser::Serializer for PropertiesSerializer {
    type Ok = Properties;
    type Error = EncodeError;
    type SerializeSeq = Impossible<Properties, EncodeError>;
    type SerializeTuple = Impossible<Properties, EncodeError>;
    type SerializeTupleStruct = Impossible<Properties, EncodeError>;
    type SerializeTupleVariant = Impossible<Properties, EncodeError>;
    type SerializeMap = Self;
    type SerializeStruct = Self;
    type SerializeStructVariant = Impossible<Properties, EncodeError>;

    not_properties! {
        serialize_bool(bool) -> Properties;
        serialize_i8(i8) -> Properties;
        serialize_i16(i16) -> Properties;
        serialize_i32(i32) -> Properties;
        serialize_i64(i64) -> Properties;
        serialize_u8(u8) -> Properties;
        serialize_u16(u16) -> Properties;
        serialize_u32(u32) -> Properties;
        serialize_u64(u64) -> Properties;
        serialize_f32(f32) -> Properties;
        serialize_f64(f64) -> Properties;
        serialize_char(char) -> Properties;
        serialize_str(&str) -> Properties;
        serialize_bytes(&[u8]) -> Properties;
        serialize_none() -> Properties;
        serialize_unit() -> Properties;
        serialize_unit_struct(&'static str) -> Properties;
        serialize_unit_variant(&'static str, u32, &'static str) -> Properties;
        serialize_seq(Option<usize>) -> Self::SerializeSeq;
        serialize_tuple(usize) -> Self::SerializeTuple;
        serialize_tuple_struct(&'static str, usize) -> Self::SerializeTupleStruct;
        serialize_tuple_variant(&'static str, u32, &'static str, usize) -> Self::SerializeTupleVariant;
        serialize_struct_variant(&'static str, u32, &'static str, usize) -> Self::SerializeStructVariant;
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Properties, EncodeError> {
        value.serialize(self)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<Properties, EncodeError> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<Properties, EncodeError> {
        Err(unsupported("an enum variant"))
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Self, EncodeError> {
        Ok(self)
    }

    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Self, EncodeError> {
        Ok(self)
    }
}

impl ser::SerializeStruct for PropertiesSerializer {
    type Ok = Properties;
    type Error = EncodeError;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), EncodeError> {
        self.put(key, value)
    }

    fn end(self) -> Result<Properties, EncodeError> {
        Ok(self.out)
    }
}

impl ser::SerializeMap for PropertiesSerializer {
    type Ok = Properties;
    type Error = EncodeError;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), EncodeError> {
        match key.serialize(ValueSerializer)? {
            Some(name) => {
                self.key = Some(name);
                Ok(())
            }
            None => Err(ser::Error::custom("a property name is null")),
        }
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), EncodeError> {
        let key = self
            .key
            .take()
            .ok_or_else(|| ser::Error::custom("a value came before its property name"))?;
        self.put(&key, value)
    }

    fn end(self) -> Result<Properties, EncodeError> {
        Ok(self.out)
    }
}

/// One property's value: its text, or `None` for an unset `Option`.
struct ValueSerializer;

macro_rules! displayed {
    ($($method:ident($ty:ty);)*) => {$(
        fn $method(self, value: $ty) -> Result<Option<String>, EncodeError> {
            Ok(Some(value.to_string()))
        }
    )*};
}

fn finite(value: f64) -> Result<Option<String>, EncodeError> {
    if !value.is_finite() {
        return Err(ser::Error::custom(format!(
            "{value} is not a number HubSpot stores"
        )));
    }
    Ok(Some(value.to_string()))
}

impl ser::Serializer for ValueSerializer {
    type Ok = Option<String>;
    type Error = EncodeError;
    type SerializeSeq = Joined;
    type SerializeTuple = Joined;
    type SerializeTupleStruct = Impossible<Option<String>, EncodeError>;
    type SerializeTupleVariant = Impossible<Option<String>, EncodeError>;
    type SerializeMap = Impossible<Option<String>, EncodeError>;
    type SerializeStruct = Impossible<Option<String>, EncodeError>;
    type SerializeStructVariant = Impossible<Option<String>, EncodeError>;

    displayed! {
        serialize_bool(bool);
        serialize_i8(i8);
        serialize_i16(i16);
        serialize_i32(i32);
        serialize_i64(i64);
        serialize_i128(i128);
        serialize_u8(u8);
        serialize_u16(u16);
        serialize_u32(u32);
        serialize_u64(u64);
        serialize_u128(u128);
        serialize_char(char);
    }

    fn serialize_f32(self, value: f32) -> Result<Option<String>, EncodeError> {
        // Its own digits: widened to f64 first, 0.1 would be sent as 0.10000000149011612.
        match value.is_finite() {
            true => Ok(Some(value.to_string())),
            false => finite(f64::from(value)),
        }
    }

    fn serialize_f64(self, value: f64) -> Result<Option<String>, EncodeError> {
        finite(value)
    }

    // Strings are sent as they are: a text property's value is never rewritten. chrono's
    // dates and times arrive here already in ISO 8601, which HubSpot takes.
    fn serialize_str(self, value: &str) -> Result<Option<String>, EncodeError> {
        Ok(Some(value.to_owned()))
    }

    fn serialize_bytes(self, _value: &[u8]) -> Result<Option<String>, EncodeError> {
        Err(unsupported("bytes"))
    }

    fn serialize_none(self) -> Result<Option<String>, EncodeError> {
        Ok(None)
    }

    fn serialize_some<T: Serialize + ?Sized>(
        self,
        value: &T,
    ) -> Result<Option<String>, EncodeError> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<Option<String>, EncodeError> {
        Ok(None)
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<Option<String>, EncodeError> {
        Ok(None)
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<Option<String>, EncodeError> {
        Ok(Some(variant.to_owned()))
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<Option<String>, EncodeError> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<Option<String>, EncodeError> {
        Err(unsupported("an enum variant with data"))
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Joined, EncodeError> {
        Ok(Joined(Vec::new()))
    }

    fn serialize_tuple(self, _len: usize) -> Result<Joined, EncodeError> {
        Ok(Joined(Vec::new()))
    }

    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct, EncodeError> {
        Err(unsupported("a tuple struct"))
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, EncodeError> {
        Err(unsupported("an enum variant with data"))
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, EncodeError> {
        Err(unsupported("a nested map"))
    }

    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStruct, EncodeError> {
        Err(unsupported("a nested struct"))
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, EncodeError> {
        Err(unsupported("an enum variant with data"))
    }
}

/// A multi-select: its options joined with `;`.
struct Joined(Vec<String>);

impl Joined {
    fn push<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), EncodeError> {
        let Some(item) = value.serialize(ValueSerializer)? else {
            return Err(ser::Error::custom("a multi-select option is None"));
        };
        if item.contains(';') {
            return Err(ser::Error::custom(format!(
                "multi-select option `{item}` contains `;`, which separates options"
            )));
        }
        self.0.push(item);
        Ok(())
    }
}

impl ser::SerializeSeq for Joined {
    type Ok = Option<String>;
    type Error = EncodeError;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), EncodeError> {
        self.push(value)
    }

    fn end(self) -> Result<Option<String>, EncodeError> {
        Ok(Some(self.0.join(";")))
    }
}

impl ser::SerializeTuple for Joined {
    type Ok = Option<String>;
    type Error = EncodeError;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), EncodeError> {
        self.push(value)
    }

    fn end(self) -> Result<Option<String>, EncodeError> {
        Ok(Some(self.0.join(";")))
    }
}
