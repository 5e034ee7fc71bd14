//! The closed sets of values the store keeps as text (severity, finding kind and status, audit
//! outcome, run status): enums across the API, their `as_str` only at the edge (a column, a
//! JSON field), and a typed error for a stored value this version does not know.

use std::fmt;

/// A stored or configured name that is not one of its set's values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownValue {
    what: &'static str,
    value: String,
    expected: &'static [&'static str],
}

impl UnknownValue {
    pub(crate) fn new(what: &'static str, value: &str, expected: &'static [&'static str]) -> Self {
        UnknownValue {
            what,
            value: value.to_owned(),
            expected,
        }
    }

    /// What the value names (`severity`, `finding status`, ...).
    pub fn what(&self) -> &'static str {
        self.what
    }

    /// The value as given.
    pub fn value(&self) -> &str {
        &self.value
    }
}

impl fmt::Display for UnknownValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} is not a {}: expected one of {}",
            self.value,
            self.what,
            self.expected.join(", ")
        )
    }
}

impl std::error::Error for UnknownValue {}

/// A closed set stored by name: the enum, `ALL`, `as_str`, `FromStr` (ASCII case-insensitive,
/// trimmed), `Display` and serde with the same names. Closed sets that callers match on
/// exhaustively (kind, severity, status) are exhaustive; the others say `#[non_exhaustive]`.
macro_rules! stored_names {
    (
        $(#[$m:meta])*
        pub enum $name:ident ($what:literal) {
            $( $(#[$vm:meta])* $variant:ident = $s:literal, )+
        }
    ) => {
        $(#[$m])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            serde::Serialize, serde::Deserialize,
        )]
        pub enum $name {
            $( $(#[$vm])* #[serde(rename = $s)] $variant, )+
        }

        impl $name {
            /// Every value, in order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stored name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $s,)+
                }
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::UnknownValue;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let name = s.trim();
                $(
                    if name.eq_ignore_ascii_case($s) {
                        return Ok($name::$variant);
                    }
                )+
                Err($crate::UnknownValue::new($what, s, &[$($s),+]))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

pub(crate) use stored_names;
