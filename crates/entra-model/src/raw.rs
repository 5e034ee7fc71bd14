//! Typed values that keep the exact JSON text they were parsed from.

use std::fmt;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;

/// A typed value together with the JSON text it came from, byte for byte.
///
/// oort stores both: the typed fields it queries and the raw text, so that a property this
/// version does not model is never lost. Deserializing a `Raw<T>` (for example the items of a
/// page, `Vec<Raw<SignIn>>`) captures the text and parses it; serializing writes the raw text
/// back unchanged.
///
/// ```
/// use entra_model::{Raw, SignIn};
/// let raw: Raw<SignIn> = serde_json::from_str(r#"{"id":"a","brandNewField":1}"#).unwrap();
/// assert_eq!(raw.value().id, "a");
/// assert_eq!(raw.json(), r#"{"id":"a","brandNewField":1}"#);
/// ```
pub struct Raw<T> {
    raw: Box<RawValue>,
    value: T,
}

impl<T: DeserializeOwned> Raw<T> {
    /// Parses `json` into `T` and keeps the text.
    pub fn from_json(json: &str) -> Result<Self, serde_json::Error> {
        let raw = RawValue::from_string(json.to_owned())?;
        Self::from_raw(raw)
    }

    /// Parses already-captured raw JSON into `T`.
    pub fn from_raw(raw: Box<RawValue>) -> Result<Self, serde_json::Error> {
        let value = serde_json::from_str(raw.get())?;
        Ok(Raw { raw, value })
    }
}

impl<T> Raw<T> {
    /// A value and the JSON text it was read from, when the caller read it (for example after
    /// completing it from an envelope, as an Event Hubs sign-in's event type comes from its
    /// category): the text is what is stored, the value what is analysed.
    pub fn from_parts(value: T, raw: Box<RawValue>) -> Self {
        Raw { raw, value }
    }

    /// The typed value.
    pub fn value(&self) -> &T {
        &self.value
    }

    /// The JSON text exactly as received.
    pub fn json(&self) -> &str {
        self.raw.get()
    }

    /// The raw JSON value.
    pub fn raw(&self) -> &RawValue {
        &self.raw
    }

    /// Splits into the typed value and the raw text.
    pub fn into_parts(self) -> (T, Box<RawValue>) {
        (self.value, self.raw)
    }
}

impl<T: Clone> Clone for Raw<T> {
    fn clone(&self) -> Self {
        Raw {
            raw: self.raw.clone(),
            value: self.value.clone(),
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for Raw<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The typed value's own Debug decides what is shown (it redacts secrets); the raw text
        // is not printed because it may hold values the typed Debug redacts.
        f.debug_struct("Raw")
            .field("value", &self.value)
            .field("json_len", &self.raw.get().len())
            .finish()
    }
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for Raw<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = Box::<RawValue>::deserialize(deserializer)?;
        Raw::from_raw(raw).map_err(serde::de::Error::custom)
    }
}

impl<T> Serialize for Raw<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.raw.serialize(serializer)
    }
}
