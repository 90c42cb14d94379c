//! JSON as the app reads it: `config.json`, the locale files, the data attributes of an
//! embedding element, and the API's answers. `JSON.parse` does the parsing; [`Value`]
//! walks its result, and typed answers are read from a `Value` with serde.
//!
//! Why not `serde_wasm_bindgen`: its errors format what they found, so every build that
//! used it carried `f64` formatting (about 11 KB of wasm) for messages no one reads. A
//! [`Mismatch`] says only that the JSON was not what was expected.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::value::{MapDeserializer, SeqDeserializer};
use serde::de::{self, Deserialize, Deserializer, IntoDeserializer, MapAccess, SeqAccess, Visitor};
use wasm_bindgen::{JsCast, JsValue};

/// A JSON value, as read from `config.json` or built from data attributes.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number.
    Number(f64),
    /// A string.
    Text(String),
    /// An array.
    List(Vec<Value>),
    /// An object.
    Map(BTreeMap<String, Value>),
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Value;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("JSON")
            }
            fn visit_unit<E>(self) -> Result<Value, E> {
                Ok(Value::Null)
            }
            fn visit_none<E>(self) -> Result<Value, E> {
                Ok(Value::Null)
            }
            fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
                Ok(Value::Bool(b))
            }
            fn visit_i64<E>(self, n: i64) -> Result<Value, E> {
                Ok(Value::Number(n as f64))
            }
            fn visit_u64<E>(self, n: u64) -> Result<Value, E> {
                Ok(Value::Number(n as f64))
            }
            fn visit_f64<E>(self, n: f64) -> Result<Value, E> {
                Ok(Value::Number(n))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Value, E> {
                Ok(Value::Text(s.to_owned()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(Value::List(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
                let mut items = BTreeMap::new();
                while let Some((k, v)) = map.next_entry::<String, Value>()? {
                    items.insert(k, v);
                }
                Ok(Value::Map(items))
            }
        }
        d.deserialize_any(V)
    }
}

impl Value {
    /// The value `JSON.parse` returned (anything else JSON cannot hold is `Null`).
    pub fn from_js(js: &JsValue) -> Self {
        if let Some(b) = js.as_bool() {
            Value::Bool(b)
        } else if let Some(n) = js.as_f64() {
            Value::Number(n)
        } else if let Some(s) = js.as_string() {
            Value::Text(s)
        } else if js_sys::Array::is_array(js) {
            let list: &js_sys::Array = js.unchecked_ref();
            Value::List(list.iter().map(|v| Value::from_js(&v)).collect())
        } else if js.is_object() {
            // Inserted one by one: collecting sorts first, which costs a sort's code.
            let mut map = BTreeMap::new();
            for entry in js_sys::Object::entries(js.unchecked_ref()).iter() {
                let pair: js_sys::Array = entry.unchecked_into();
                if let Some(key) = pair.get(0).as_string() {
                    map.insert(key, Value::from_js(&pair.get(1)));
                }
            }
            Value::Map(map)
        } else {
            Value::Null
        }
    }

    /// Parses JSON text.
    pub fn parse(text: &str) -> Option<Self> {
        js_sys::JSON::parse(text).ok().map(|js| Value::from_js(&js))
    }

    /// Reads a typed value (an API answer) from this JSON.
    pub fn read<T: de::DeserializeOwned>(self) -> Result<T, Mismatch> {
        T::deserialize(self)
    }
}

/// JSON that is not what was expected. It keeps no message: see the module's note.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mismatch;

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("unexpected JSON")
    }
}

impl std::error::Error for Mismatch {}

impl de::Error for Mismatch {
    fn custom<T: fmt::Display>(_: T) -> Self {
        Mismatch
    }
}

impl<'de> Deserializer<'de> for Value {
    type Error = Mismatch;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Mismatch> {
        match self {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(b),
            // Whole numbers as integers, so integer fields accept them.
            Value::Number(n) if n.fract() == 0.0 && (0.0..=u64::MAX as f64).contains(&n) => {
                visitor.visit_u64(n as u64)
            }
            Value::Number(n) if n.fract() == 0.0 && n >= i64::MIN as f64 && n < 0.0 => {
                visitor.visit_i64(n as i64)
            }
            Value::Number(n) => visitor.visit_f64(n),
            Value::Text(s) => visitor.visit_string(s),
            Value::List(items) => visitor.visit_seq(SeqDeserializer::new(items.into_iter())),
            Value::Map(map) => visitor.visit_map(MapDeserializer::new(map.into_iter())),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Mismatch> {
        match self {
            Value::Null => visitor.visit_none(),
            value => visitor.visit_some(value),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Mismatch> {
        visitor.visit_newtype_struct(self)
    }

    /// Unit variants, which is what JSON strings name.
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Mismatch> {
        match self {
            Value::Text(s) => visitor.visit_enum(s.into_deserializer()),
            _ => Err(Mismatch),
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple
        tuple_struct map struct identifier ignored_any
    }
}

impl IntoDeserializer<'_, Mismatch> for Value {
    type Deserializer = Value;

    fn into_deserializer(self) -> Value {
        self
    }
}

#[cfg(test)]
mod tests {
    use ots_core::wire::{ErrorBody, Receipt, RevealResponse};
    use serde::de::DeserializeOwned;

    use super::*;

    /// Reads `json` through a [`Value`], and directly with serde_json.
    fn both<T: DeserializeOwned>(
        json: &str,
    ) -> (Result<T, Mismatch>, Result<T, serde_json::Error>) {
        let value: Value = serde_json::from_str(json).expect("test JSON");
        (value.read(), serde_json::from_str(json))
    }

    fn same<T: DeserializeOwned + PartialEq + fmt::Debug>(json: &str) -> T {
        let (through_value, direct) = both::<T>(json);
        let direct = direct.expect("serde_json reads it");
        assert_eq!(through_value, Ok(direct), "{json}");
        through_value.expect("read")
    }

    #[test]
    fn answers_read_through_a_value_as_serde_json_reads_them() {
        let receipt: Receipt = same(
            r#"{"custid":"anon","metadata_key":"m1","secret_key":"s1","ttl":"3600",
                "metadata_ttl":7200,"secret_ttl":null,"state":"received","updated":1,
                "created":"2","received":3,"recipient":["a***@example.com"],"extra":{"x":[1,2.5]}}"#,
        );
        assert_eq!(receipt.ttl, 3600);
        assert_eq!(receipt.secret_ttl, None);
        assert_eq!(receipt.recipient, ["a***@example.com"]);
        let answer: RevealResponse =
            same(r#"{"value":"ots2.abc","secret_key":"s1","share_domain":null}"#);
        assert_eq!(answer.value, "ots2.abc");
        let error: ErrorBody = same(r#"{"message":"Unknown secret","secret_key":"s1"}"#);
        assert_eq!(error.message.as_deref(), Some("Unknown secret"));
        let list: Vec<Receipt> = same(r#"[{"metadata_key":"a"},{"metadata_key":"b","ttl":-1}]"#);
        assert_eq!(list.len(), 2);
        // A fractional number where an integer belongs: read as the lenient reader says.
        same::<Receipt>(r#"{"ttl":1.5}"#);
    }

    #[test]
    fn json_of_the_wrong_shape_is_a_mismatch_where_serde_json_also_refuses_it() {
        for json in [
            r#"{"ttl":[1]}"#,
            r#"{"recipient":{"a":1}}"#,
            r#""text""#,
            "true",
        ] {
            let (through_value, direct) = both::<Receipt>(json);
            assert!(direct.is_err(), "serde_json reads {json}");
            assert_eq!(through_value.err(), Some(Mismatch), "{json}");
        }
    }

    #[test]
    fn whole_numbers_read_as_integers_and_others_as_floats() {
        let numbers: (u64, i64, f64) = Value::List(vec![
            Value::Number(7.0),
            Value::Number(-7.0),
            Value::Number(0.5),
        ])
        .read()
        .expect("numbers");
        assert_eq!(numbers, (7, -7, 0.5));
        assert_eq!(Value::Number(0.5).read::<u64>(), Err(Mismatch));
    }
}
