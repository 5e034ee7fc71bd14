//! The forms the envelope's `time` (and an event's own time) take in real exports.
//!
//! Graph and the Azure Monitor schema write RFC 3339 (`2019-03-12T16:02:15.5522137Z`, or with
//! `+00:00`), but exports that passed through other tools arrive as `12/12/2025 3:03:58 PM`
//! (United States order, 12-hour clock, with or without an offset), `2025-12-12 15:03:58`
//! (a space for the `T`) or `12/12/2025 15:03:58`. A time without an offset is UTC, as the
//! schema says of `time`.

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

/// Reads `text` in any of the forms above; `None` when it is none of them.
pub fn parse_time(text: &str) -> Option<OffsetDateTime> {
    let text = text.trim();
    if text.is_empty() || text.len() > 64 {
        return None;
    }
    if let Ok(t) = entra_model::timestamp::parse(text) {
        return Some(t);
    }
    let (body, offset) = split_offset(text)?;
    let (date, clock) = body.split_once([' ', 'T'])?;
    let date = parse_date(date.trim())?;
    let time = parse_clock(clock.trim())?;
    Some(PrimitiveDateTime::new(date, time).assume_offset(offset))
}

/// Splits a trailing `Z`, `+HH:MM`, `-HH:MM`, `+HHMM` or `UTC` off; no suffix is UTC.
fn split_offset(text: &str) -> Option<(&str, UtcOffset)> {
    if let Some(body) = text.strip_suffix('Z').or_else(|| text.strip_suffix(" UTC")) {
        return Some((body.trim_end(), UtcOffset::UTC));
    }
    // An offset follows the clock: look for a sign after the last ':' of the clock.
    let last_colon = text.rfind(':')?;
    let sign_at = text
        .rfind(['+', '-'])
        .filter(|&i| i > text.find(' ').unwrap_or(0));
    match sign_at {
        Some(i) if i + 1 < text.len() && (i > last_colon || text[i..].contains(':')) => {
            let offset = parse_offset(&text[i..])?;
            Some((text[..i].trim_end(), offset))
        }
        _ => Some((text, UtcOffset::UTC)),
    }
}

fn parse_offset(text: &str) -> Option<UtcOffset> {
    let (sign, rest) = match text.as_bytes().first()? {
        b'+' => (1i8, &text[1..]),
        b'-' => (-1i8, &text[1..]),
        _ => return None,
    };
    let (h, m) = match rest.split_once(':') {
        Some((h, m)) => (h, m),
        // `HHMM`: split where a character ends only (`-€6` is four bytes, not four digits).
        None if rest.len() == 4 => rest.split_at_checked(2)?,
        None if rest.len() <= 2 => (rest, "0"),
        None => return None,
    };
    let h: i8 = number(h)?.try_into().ok()?;
    let m: i8 = number(m)?.try_into().ok()?;
    UtcOffset::from_hms(sign * h, sign * m, 0).ok()
}

/// `YYYY-MM-DD`, or `M/D/YYYY` (United States order; a first part over 12 is read as the day).
fn parse_date(text: &str) -> Option<Date> {
    let (year, month, day) = if let Some((m, rest)) = text.split_once('/') {
        let (d, y) = rest.split_once('/')?;
        let (m, d) = (number(m)?, number(d)?);
        let (m, d) = if m > 12 && d <= 12 { (d, m) } else { (m, d) };
        (number(y)?, m, d)
    } else {
        let mut parts = text.splitn(3, '-');
        let y = number(parts.next()?)?;
        let m = number(parts.next()?)?;
        let d = number(parts.next()?)?;
        (y, m, d)
    };
    let month = Month::try_from(u8::try_from(month).ok()?).ok()?;
    Date::from_calendar_date(i32::try_from(year).ok()?, month, u8::try_from(day).ok()?).ok()
}

/// `H:MM[:SS[.fffffff]]` with an optional ` AM` / ` PM`.
fn parse_clock(text: &str) -> Option<Time> {
    let upper = text.to_ascii_uppercase();
    let (clock, meridiem) = if let Some(c) = upper.strip_suffix("AM") {
        (c.trim_end().to_owned(), Some(false))
    } else if let Some(c) = upper.strip_suffix("PM") {
        (c.trim_end().to_owned(), Some(true))
    } else {
        (upper, None)
    };
    let mut parts = clock.splitn(3, ':');
    let mut hour = number(parts.next()?)?;
    let minute = number(parts.next()?)?;
    let (second, nanos) = match parts.next() {
        None => (0, 0),
        Some(s) => match s.split_once('.') {
            Some((s, frac)) => (number(s)?, fraction_nanos(frac)?),
            None => (number(s)?, 0),
        },
    };
    match meridiem {
        Some(pm) => {
            if !(1..=12).contains(&hour) {
                return None;
            }
            hour = hour % 12 + if pm { 12 } else { 0 };
        }
        None if hour > 23 => return None,
        None => {}
    }
    Time::from_hms_nano(
        u8::try_from(hour).ok()?,
        u8::try_from(minute).ok()?,
        u8::try_from(second).ok()?,
        nanos,
    )
    .ok()
}

/// Up to 9 fractional digits as nanoseconds (more are cut).
fn fraction_nanos(frac: &str) -> Option<u32> {
    if frac.is_empty() || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let digits = &frac[..frac.len().min(9)];
    let n: u32 = digits.parse().ok()?;
    Some(n * 10u32.pow(9 - u32::try_from(digits.len()).ok()?))
}

/// A short unsigned decimal number.
fn number(text: &str) -> Option<u32> {
    if text.is_empty() || text.len() > 6 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn rfc_3339_with_seven_digits_or_an_offset_is_read() {
        assert_eq!(
            parse_time("2019-03-12T16:02:15.5522137Z"),
            Some(datetime!(2019-03-12 16:02:15.5522137 UTC))
        );
        assert_eq!(
            parse_time("2019-03-12T16:02:15.5522137+00:00"),
            Some(datetime!(2019-03-12 16:02:15.5522137 UTC))
        );
    }

    #[test]
    fn united_states_twelve_hour_times_with_or_without_an_offset_are_read() {
        assert_eq!(
            parse_time("12/12/2025 3:03:58 PM"),
            Some(datetime!(2025-12-12 15:03:58 UTC))
        );
        assert_eq!(
            parse_time("1/2/2025 12:00:01 AM"),
            Some(datetime!(2025-01-02 00:00:01 UTC))
        );
        assert_eq!(
            parse_time("12/12/2025 3:03:58 PM +02:00"),
            Some(datetime!(2025-12-12 15:03:58 +02:00))
        );
        assert_eq!(
            parse_time("12/12/2025 3:03:58 PM -0500"),
            Some(datetime!(2025-12-12 15:03:58 -05:00))
        );
        assert_eq!(
            parse_time("12/12/2025 15:03:58"),
            Some(datetime!(2025-12-12 15:03:58 UTC))
        );
    }

    #[test]
    fn a_space_for_the_t_and_fractions_are_read() {
        assert_eq!(
            parse_time("2025-12-12 15:03:58.123"),
            Some(datetime!(2025-12-12 15:03:58.123 UTC))
        );
        assert_eq!(
            parse_time("2025-12-12 15:03:58Z"),
            Some(datetime!(2025-12-12 15:03:58 UTC))
        );
    }

    #[test]
    fn what_is_not_a_time_is_none_never_a_guess() {
        for bad in [
            "",
            "yesterday",
            "13/13/2025 3:03:58 PM",
            "12/12/2025 13:03:58 PM",
            "12/12/2025 3:63:58 PM",
            "2025-02-30 10:00:00",
            "99999999999/1/1 1:1:1",
            "12/12/2025",
        ] {
            assert_eq!(parse_time(bad), None, "{bad}");
        }
    }

    /// The forms of [`parse_time`]'s documentation, as real exports write them.
    const FORMS: &[&str] = &[
        "2019-03-12T16:02:15.5522137Z",
        "2019-03-12T16:02:15.5522137+00:00",
        "12/12/2025 3:03:58 PM",
        "12/12/2025 3:03:58 PM -0500",
        "12/12/2025 3:03:58 PM +02:00",
        "2025-12-12 15:03:58.123",
        "12/12/2025 15:03:58 UTC",
    ];

    #[test]
    fn an_offset_of_four_bytes_with_a_multibyte_character_is_none_not_a_panic() {
        // Found by the `eventhub_message` fuzz target: `-€6` is four bytes after the sign, and
        // splitting it as `HHMM` cut the `€` in two.
        for bad in [
            "12/12/2025 3:03:58 PM -\u{20ac}6",
            "2025-12-12 15:03:58 +6\u{20ac}",
            "evel203:03\u{fffd}\u{fffd} M - -\u{fffd}6",
        ] {
            assert_eq!(parse_time(bad), None, "{bad:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn offsets_of_any_text_never_panic(
            sign in "[+-]",
            offset in "\\PC{0,6}",
            clock in proptest::sample::select(&["12/12/2025 3:03:58 PM", "2025-12-12 15:03:58", "12/12/2025 15:03"][..]),
        ) {
            let _ = parse_time(&format!("{clock} {sign}{offset}"));
            let _ = parse_time(&format!("{clock}{sign}{offset}"));
        }

        #[test]
        fn no_text_makes_the_time_reader_panic(text in "\\PC{0,80}") {
            let _ = parse_time(&text);
        }

        #[test]
        fn mutated_time_forms_never_panic(
            pick in 0..FORMS.len(),
            edits in proptest::collection::vec(
                (proptest::prelude::any::<usize>(), proptest::prelude::any::<char>(), proptest::prelude::any::<bool>()),
                1..5,
            ),
        ) {
            let mut text: Vec<char> = FORMS[pick].chars().collect();
            for (at, c, insert) in edits {
                let at = at % (text.len() + 1);
                if insert || at == text.len() {
                    text.insert(at, c);
                } else {
                    text[at] = c;
                }
            }
            let text: String = text.into_iter().collect();
            let _ = parse_time(&text);
        }
    }
}
