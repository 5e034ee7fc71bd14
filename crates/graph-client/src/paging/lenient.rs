//! Items read leniently: an item that does not parse as its type is kept with its JSON and the
//! error instead of failing its page.

use std::fmt;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

/// An item of a collection page that parses as `T`, or is set aside with its JSON text and the
/// reason it does not.
///
/// A page of `Lenient<T>` never fails for one item: a timestamp in a form the model does not
/// read, or a property of an unexpected type, rejects that item only, and the caller decides
/// what to do with it (oort's collector stores it apart and retries it after an upgrade). The
/// page still fails when it is not JSON at all.
///
/// ```
/// use graph_client::{Lenient, Page};
/// #[derive(serde::Deserialize)]
/// struct Item { id: String, n: u32 }
/// let page: Page<Lenient<Item>> =
///     serde_json::from_str(r#"{"value":[{"id":"a","n":1},{"id":"b","n":"two"}]}"#).unwrap();
/// assert!(matches!(&page.items[0], Lenient::Parsed(item) if item.n == 1));
/// let Lenient::Rejected(rejected) = &page.items[1] else { panic!() };
/// assert_eq!(rejected.id().as_deref(), Some("b"));
/// assert_eq!(rejected.json(), r#"{"id":"b","n":"two"}"#);
/// assert!(rejected.error().contains("invalid type"));
/// ```
#[derive(Debug)]
pub enum Lenient<T> {
    /// The item, typed.
    Parsed(T),
    /// The item did not parse as `T`.
    Rejected(RejectedItem),
}

impl<T> Lenient<T> {
    /// The typed item, if it parsed.
    pub fn parsed(self) -> Option<T> {
        match self {
            Lenient::Parsed(item) => Some(item),
            Lenient::Rejected(_) => None,
        }
    }
}

/// An item that did not parse: its JSON text exactly as received and the parser's error.
pub struct RejectedItem {
    json: Box<RawValue>,
    error: String,
}

impl RejectedItem {
    /// The item's JSON text, byte for byte as Graph sent it.
    pub fn json(&self) -> &str {
        self.json.get()
    }

    /// Why it did not parse (the parser's message, with the line and column within the item).
    pub fn error(&self) -> &str {
        &self.error
    }

    /// The item's `id`, when it is an object with a string or number `id`.
    pub fn id(&self) -> Option<String> {
        #[derive(Deserialize)]
        struct IdOnly {
            #[serde(default)]
            id: Option<serde_json::Value>,
        }
        let only: IdOnly = serde_json::from_str(self.json.get()).ok()?;
        match only.id? {
            serde_json::Value::String(s) => Some(s),
            serde_json::Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }

    /// Splits into the JSON text and the error.
    pub fn into_parts(self) -> (String, String) {
        (self.json.get().to_owned(), self.error)
    }
}

impl fmt::Debug for RejectedItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Not the JSON: an item may hold values a typed Debug would redact.
        f.debug_struct("RejectedItem")
            .field("id", &self.id())
            .field("error", &self.error)
            .field("json_len", &self.json.get().len())
            .finish()
    }
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for Lenient<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let json = Box::<RawValue>::deserialize(deserializer)?;
        Ok(match serde_json::from_str::<T>(json.get()) {
            Ok(item) => Lenient::Parsed(item),
            Err(e) => Lenient::Rejected(RejectedItem {
                json,
                error: e.to_string(),
            }),
        })
    }
}
