//! Open enums: the documented values of a Graph enum plus one variant that keeps any other value.
//!
//! Graph adds enum members over time (everything after `unknownFutureValue` is only sent to callers
//! that ask for it with `Prefer: include-unknown-enum-members`), so a closed Rust enum would turn a
//! new value into a parse error. Every enum of this crate is declared with [`open_enum!`]: a known
//! value parses into its variant, any other string into `Other(String)`, which prints back exactly
//! as it was received. Matching is exact for Graph's spelling first, then ASCII case-insensitive,
//! so that the Event Hub stream's casing (`Member` for `member`) is accepted too.

/// Declares an open enum with its wire names.
///
/// Generates the enum with an `Other(String)` variant, `from_wire`, `as_str`, `is_known`,
/// `KNOWN`, `Display`, `FromStr` (infallible) and serde implementations that never allocate for a
/// known value.
macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $wire:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* #[doc = concat!("`", $wire, "`")] $variant, )+
            /// A value this version does not know, kept exactly as received. Never holds the
            /// spelling of a known variant when built through `from_wire` or deserialization.
            Other(String),
        }

        impl $name {
            /// Every known variant, in declaration order.
            pub const KNOWN: &'static [$name] = &[$($name::$variant),+];

            /// Parses a wire value: exact match, then ASCII case-insensitive, else `Other`.
            pub fn from_wire(value: &str) -> Self {
                match value {
                    $( $wire => return $name::$variant, )+
                    _ => {}
                }
                $( if value.eq_ignore_ascii_case($wire) { return $name::$variant; } )+
                $name::Other(value.to_owned())
            }

            /// The value as Graph spells it (or the kept unknown value).
            pub fn as_str(&self) -> &str {
                match self {
                    $( $name::$variant => $wire, )+
                    $name::Other(value) => value.as_str(),
                }
            }

            /// Whether this is one of the documented values.
            pub fn is_known(&self) -> bool {
                !matches!(self, $name::Other(_))
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = ::std::convert::Infallible;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Ok($name::from_wire(s))
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct V;
                impl<'de> ::serde::de::Visitor<'de> for V {
                    type Value = $name;
                    fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str(concat!("a string value of ", stringify!($name)))
                    }
                    fn visit_str<E: ::serde::de::Error>(self, v: &str) -> Result<$name, E> {
                        Ok($name::from_wire(v))
                    }
                    fn visit_string<E: ::serde::de::Error>(self, v: String) -> Result<$name, E> {
                        if $name::KNOWN.iter().any(|k| k.as_str().eq_ignore_ascii_case(&v)) {
                            Ok($name::from_wire(&v))
                        } else {
                            Ok($name::Other(v))
                        }
                    }
                }
                deserializer.deserialize_str(V)
            }
        }
    };
}

pub(crate) use open_enum;
