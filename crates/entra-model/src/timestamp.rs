//! Graph timestamps: RFC 3339 with `Z` or an offset and 0 to 7 fractional digits.
//!
//! Graph sends `DateTimeOffset` values as `2024-05-01T10:11:12Z`, `…12.5077253Z` (7 digits) or
//! `…12.5522137+00:00` (the Event Hub stream); a few documentation examples omit the offset, which
//! is read as UTC. Values serialize back as RFC 3339 with their own offset.
//!
//! Use the submodules with `#[serde(with = "entra_model::timestamp::option")]` on your own types.

use std::fmt;

use serde::{de, Deserializer, Serializer};
use time::format_description::well_known::Rfc3339;
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

/// A string that is not a Graph timestamp.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid timestamp {value:?}: expected RFC 3339 such as 2024-05-01T10:11:12.1234567Z")]
pub struct TimestampError {
    value: String,
}

impl TimestampError {
    /// The text that failed to parse.
    pub fn value(&self) -> &str {
        &self.value
    }
}

/// Parses a Graph timestamp (RFC 3339, 0 to 9 fractional digits, `Z` or `±hh:mm`; no offset = UTC).
///
/// ```
/// let t = entra_model::timestamp::parse("2018-01-09T21:17:21.5077253Z").unwrap();
/// assert_eq!(t.nanosecond(), 507_725_300);
/// let u = entra_model::timestamp::parse("2019-03-12T16:02:15.5522137+00:00").unwrap();
/// assert_eq!(u.unix_timestamp(), 1_552_406_535);
/// ```
pub fn parse(value: &str) -> Result<OffsetDateTime, TimestampError> {
    fast_parse(value.as_bytes())
        .or_else(|| OffsetDateTime::parse(value, &Rfc3339).ok())
        .ok_or_else(|| TimestampError {
            value: value.to_owned(),
        })
}

/// Formats a timestamp as RFC 3339 (the inverse of [`parse`]).
pub fn format(value: &OffsetDateTime) -> String {
    // Rfc3339 only fails for years outside 0..=9999 or offsets with seconds; fall back to the
    // debug-free ISO form rather than panicking.
    value.format(&Rfc3339).unwrap_or_else(|_| value.to_string())
}

fn digits(b: &[u8]) -> Option<u32> {
    let mut n = 0u32;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        n = n * 10 + u32::from(c - b'0');
    }
    Some(n)
}

/// Hand-written parser for the shapes Graph sends; anything unusual falls back to `time`'s parser.
fn fast_parse(b: &[u8]) -> Option<OffsetDateTime> {
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let year = digits(&b[0..4])? as i32;
    let month = Month::try_from(digits(&b[5..7])? as u8).ok()?;
    let day = digits(&b[8..10])? as u8;
    let hour = digits(&b[11..13])? as u8;
    let minute = digits(&b[14..16])? as u8;
    let second = digits(&b[17..19])? as u8;
    let mut rest = &b[19..];
    let mut nanos = 0u32;
    if let Some((&b'.', frac)) = rest.split_first() {
        let n = frac.iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 || n > 9 {
            return None;
        }
        nanos = digits(&frac[..n])? * 10u32.pow(9 - n as u32);
        rest = &frac[n..];
    }
    let offset = match rest {
        [] | [b'Z'] | [b'z'] => UtcOffset::UTC,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let h = digits(&[*h1, *h2])? as i8;
            let m = digits(&[*m1, *m2])? as i8;
            let (h, m) = if *sign == b'-' { (-h, -m) } else { (h, m) };
            UtcOffset::from_hms(h, m, 0).ok()?
        }
        _ => return None,
    };
    let date = Date::from_calendar_date(year, month, day).ok()?;
    let time = Time::from_hms_nano(hour, minute, second, nanos).ok()?;
    Some(PrimitiveDateTime::new(date, time).assume_offset(offset))
}

struct TimestampVisitor;

impl de::Visitor<'_> for TimestampVisitor {
    type Value = OffsetDateTime;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an RFC 3339 timestamp string")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<OffsetDateTime, E> {
        parse(v).map_err(E::custom)
    }
}

/// Serde functions for a required `OffsetDateTime` field.
pub fn serialize<S: Serializer>(value: &OffsetDateTime, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&format(value))
}

/// Serde functions for a required `OffsetDateTime` field.
pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<OffsetDateTime, D::Error> {
    deserializer.deserialize_str(TimestampVisitor)
}

/// Serde functions for an `Option<OffsetDateTime>` field (null or absent = `None`).
pub mod option {
    use super::*;

    /// Serializes `Some` as RFC 3339 and `None` as null.
    pub fn serialize<S: Serializer>(
        value: &Option<OffsetDateTime>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(v) => serializer.serialize_str(&format(v)),
            None => serializer.serialize_none(),
        }
    }

    struct OptionVisitor;

    impl<'de> de::Visitor<'de> for OptionVisitor {
        type Value = Option<OffsetDateTime>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an RFC 3339 timestamp string or null")
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_str(TimestampVisitor).map(Some)
        }
    }

    /// Deserializes null as `None` and a timestamp string as `Some`.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<OffsetDateTime>, D::Error> {
        deserializer.deserialize_option(OptionVisitor)
    }
}

/// Serde functions for an informational `Option<OffsetDateTime>` whose unreadable values are read
/// as `None` instead of failing the whole object (Graph's documentation shows placeholders such
/// as `"datetime-value"`). Keep the raw JSON ([`crate::Raw`]) to retain the text. Used only where
/// a wrong time cannot hide a security finding (e.g. a group's creation time).
pub mod lenient {
    use super::*;

    pub use super::option::serialize;

    struct LenientVisitor;

    impl<'de> de::Visitor<'de> for LenientVisitor {
        type Value = Option<OffsetDateTime>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a timestamp string or null")
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_str(self)
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(parse(v).ok())
        }
    }

    /// Deserializes null or an unreadable string as `None`.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<OffsetDateTime>, D::Error> {
        deserializer.deserialize_option(LenientVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_seven_fractional_digits_with_z() {
        let t = parse("2018-01-09T21:17:21.5077253Z").unwrap();
        assert_eq!(t.nanosecond(), 507_725_300);
        assert_eq!(t.offset(), UtcOffset::UTC);
    }

    #[test]
    fn parses_plus_zero_offset_as_the_same_instant_as_z() {
        let a = parse("2019-03-12T16:02:15.5522137+00:00").unwrap();
        let b = parse("2019-03-12T16:02:15.5522137Z").unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn parses_zero_to_nine_fractional_digits() {
        for (s, n) in [
            ("2024-05-01T00:00:00Z", 0),
            ("2024-05-01T00:00:00.1Z", 100_000_000),
            ("2024-05-01T00:00:00.12Z", 120_000_000),
            ("2024-05-01T00:00:00.123456Z", 123_456_000),
            ("2024-05-01T00:00:00.1234567Z", 123_456_700),
            ("2024-05-01T00:00:00.123456789Z", 123_456_789),
        ] {
            assert_eq!(parse(s).unwrap().nanosecond(), n, "{s}");
        }
    }

    #[test]
    fn parses_negative_offsets_and_missing_offset_as_utc() {
        let t = parse("2016-12-31T23:59:43.797191-08:00").unwrap();
        assert_eq!(t.offset().whole_hours(), -8);
        let u = parse("2020-11-05T12:09:59").unwrap();
        assert_eq!(u.offset(), UtcOffset::UTC);
    }

    #[test]
    fn rejects_garbage_with_the_value_in_the_error() {
        let e = parse("String (timestamp)").unwrap_err();
        assert_eq!(e.value(), "String (timestamp)");
        assert!(parse("2024-13-01T00:00:00Z").is_err());
        assert!(parse("2024-05-01T00:00:00.Z").is_err());
    }

    #[test]
    fn formats_as_rfc3339_keeping_fraction() {
        let t = parse("2018-01-09T21:17:21.5077253Z").unwrap();
        assert_eq!(format(&t), "2018-01-09T21:17:21.5077253Z");
    }

    proptest! {
        #[test]
        fn parse_of_format_is_identity(
            secs in -62_135_596_800i64..253_402_300_799i64,
            nanos in 0u32..1_000_000_000,
            offset_minutes in -840i32..=840i32,
        ) {
            let offset = UtcOffset::from_whole_seconds(offset_minutes * 60).unwrap();
            let t = OffsetDateTime::from_unix_timestamp(secs).unwrap()
                .replace_nanosecond(nanos).unwrap()
                .to_offset(offset);
            prop_assume!((0..=9999).contains(&t.year()));
            let printed = format(&t);
            let back = parse(&printed).unwrap();
            prop_assert_eq!(back, t);
            prop_assert_eq!(back.offset(), t.offset());
        }
    }
}
