//! The slice of OData query syntax the fake understands: `$filter` for sign-ins and simple
//! `$filter` clauses over JSON collections, and the sign-in cursor tokens.

use serde_json::Value;

use crate::jwt;
use crate::signins::{ns, Kind, KindFilter, Pred, Query};

/// Splits on a top-level ` and ` (outside parentheses and quotes).
fn split_and(s: &str) -> Result<Vec<String>, String> {
    let mut parts = Vec::new();
    let mut depth = 0i32;
    let mut quote = false;
    let mut cur = String::new();
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\'' => quote = !quote,
            '(' if !quote => depth += 1,
            ')' if !quote => depth -= 1,
            _ => {}
        }
        if !quote && depth == 0 && c == ' ' {
            let rest: String = chars[i..].iter().take(5).collect();
            if rest.eq_ignore_ascii_case(" and ") {
                parts.push(cur.trim().to_owned());
                cur.clear();
                i += 5;
                continue;
            }
            let rest4: String = chars[i..].iter().take(4).collect();
            if rest4.eq_ignore_ascii_case(" or ") {
                return Err("The fake supports 'and' between $filter clauses, not 'or'.".to_owned());
            }
        }
        cur.push(c);
        i += 1;
    }
    if !cur.trim().is_empty() {
        parts.push(cur.trim().to_owned());
    }
    Ok(parts)
}

fn strip_parens(mut s: &str) -> &str {
    loop {
        let t = s.trim();
        if t.starts_with('(') && t.ends_with(')') {
            // Only strip when the parentheses enclose the whole clause.
            let inner = &t[1..t.len() - 1];
            let mut depth = 0i32;
            let balanced = inner.chars().all(|c| {
                match c {
                    '(' => depth += 1,
                    ')' => depth -= 1,
                    _ => {}
                }
                depth >= 0
            });
            if balanced && depth == 0 {
                s = inner;
                continue;
            }
        }
        return t;
    }
}

fn unquote(v: &str) -> Option<String> {
    let v = v.trim();
    v.strip_prefix('\'')
        .and_then(|x| x.strip_suffix('\''))
        .map(|x| x.replace("''", "'"))
}

/// `left op right` with op in eq, ne, ge, gt, le, lt.
fn binary(clause: &str) -> Option<(String, String, String)> {
    let mut it = clause.splitn(3, ' ');
    let left = it.next()?.trim().to_owned();
    let op = it.next()?.trim().to_ascii_lowercase();
    let right = it.next()?.trim().to_owned();
    matches!(op.as_str(), "eq" | "ne" | "ge" | "gt" | "le" | "lt").then_some((left, op, right))
}

pub(crate) fn parse_sign_in_filter(filter: &str, beta: bool) -> Result<Query, String> {
    let mut q = Query::all(KindFilter::Only(Kind::Interactive));
    if filter.trim().is_empty() {
        return Ok(q);
    }
    for clause in split_and(filter)? {
        let c = strip_parens(&clause);
        let lower = c.to_ascii_lowercase();
        if lower.starts_with("signineventtypes/any(") {
            if !beta {
                return Err("Invalid filter clause: the property 'signInEventTypes' is not available in v1.0; use the beta endpoint.".to_owned());
            }
            let inner = c
                .split_once(':')
                .map(|x| x.1)
                .and_then(|x| x.trim().strip_suffix(')'))
                .ok_or("Invalid filter clause on signInEventTypes.")?;
            let (_, op, v) =
                binary(inner.trim()).ok_or("Invalid filter clause on signInEventTypes.")?;
            let v = unquote(&v).ok_or("Invalid filter clause on signInEventTypes.")?;
            let kind =
                Kind::from_wire(&v).ok_or_else(|| format!("Unknown signInEventType '{v}'."))?;
            q.kinds = match op.as_str() {
                "eq" => KindFilter::Only(kind),
                "ne" => KindFilter::Except(kind),
                _ => return Err("signInEventTypes supports eq and ne.".to_owned()),
            };
            continue;
        }
        let (left, op, right) =
            binary(c).ok_or_else(|| format!("Invalid filter clause: '{c}'."))?;
        match left.as_str() {
            "createdDateTime" => {
                let t = entra_model::timestamp::parse(right.trim_matches('\''))
                    .map_err(|_| format!("Invalid DateTimeOffset '{right}'."))?;
                let t = ns(t);
                match op.as_str() {
                    "ge" => q.lo = Some(tighter_lo(q.lo, (t, true))),
                    "gt" => q.lo = Some(tighter_lo(q.lo, (t, false))),
                    "le" => q.hi = Some(tighter_hi(q.hi, (t, true))),
                    "lt" => q.hi = Some(tighter_hi(q.hi, (t, false))),
                    "eq" => {
                        q.lo = Some(tighter_lo(q.lo, (t, true)));
                        q.hi = Some(tighter_hi(q.hi, (t, true)));
                    }
                    _ => return Err("createdDateTime supports eq, ge, gt, le and lt.".to_owned()),
                }
            }
            "status/errorCode" => {
                let code: i64 = right
                    .parse()
                    .map_err(|_| format!("Invalid errorCode '{right}'."))?;
                match op.as_str() {
                    "eq" => q.preds.push(Pred::ErrorCode { eq: true, code }),
                    "ne" => q.preds.push(Pred::ErrorCode { eq: false, code }),
                    _ => return Err("status/errorCode supports eq and ne.".to_owned()),
                }
            }
            field @ ("id" | "userId" | "userPrincipalName" | "appId" | "ipAddress") => {
                if op != "eq" {
                    return Err(format!("{field} supports eq only in the fake."));
                }
                let v = unquote(&right)
                    .ok_or_else(|| format!("Expected a quoted string for {field}."))?;
                q.preds.push(match field {
                    "id" => Pred::Id(v),
                    "userId" => Pred::UserId(v),
                    "userPrincipalName" => Pred::Upn(v),
                    "appId" => Pred::AppId(v),
                    _ => Pred::Ip(v),
                });
            }
            other => return Err(format!("Unsupported filter property '{other}' on signIns.")),
        }
    }
    Ok(q)
}

fn tighter_lo(cur: Option<(i64, bool)>, new: (i64, bool)) -> (i64, bool) {
    match cur {
        Some(c) if (c.0, !c.1) > (new.0, !new.1) => c,
        _ => new,
    }
}

fn tighter_hi(cur: Option<(i64, bool)>, new: (i64, bool)) -> (i64, bool) {
    match cur {
        Some(c) if (c.0, c.1) < (new.0, new.1) => c,
        _ => new,
    }
}

pub(crate) fn cursor_token(t: i64, id: (u64, u64)) -> String {
    jwt::b64(format!("s:{t}:{:x}:{:x}", id.0, id.1).as_bytes())
}

pub(crate) fn parse_cursor(s: &str) -> Option<(i64, (u64, u64))> {
    let text = String::from_utf8(jwt::unb64(s)?).ok()?;
    let mut it = text.split(':');
    if it.next()? != "s" {
        return None;
    }
    let t = it.next()?.parse().ok()?;
    let a = u64::from_str_radix(it.next()?, 16).ok()?;
    let b = u64::from_str_radix(it.next()?, 16).ok()?;
    Some((t, (a, b)))
}

/// One clause of a simple `$filter` over JSON items.
#[derive(Debug, Clone)]
pub(crate) enum JsonClause {
    Cmp {
        path: Vec<String>,
        op: String,
        value: Value,
    },
    StartsWith {
        path: Vec<String>,
        prefix: String,
    },
}

fn literal(s: &str) -> Result<Value, String> {
    if let Some(v) = unquote(s) {
        return Ok(Value::String(v));
    }
    match s {
        "true" => Ok(Value::Bool(true)),
        "false" => Ok(Value::Bool(false)),
        "null" => Ok(Value::Null),
        _ => {
            if let Ok(n) = s.parse::<i64>() {
                return Ok(Value::from(n));
            }
            if entra_model::timestamp::parse(s).is_ok() {
                return Ok(Value::String(s.to_owned()));
            }
            Err(format!("Unsupported literal '{s}' in $filter."))
        }
    }
}

pub(crate) fn parse_json_filter(filter: &str) -> Result<Vec<JsonClause>, String> {
    let mut out = Vec::new();
    for clause in split_and(filter)? {
        let c = strip_parens(&clause);
        let lower = c.to_ascii_lowercase();
        if lower.starts_with("startswith(") {
            let inner = c[11..]
                .strip_suffix(')')
                .ok_or("Invalid startswith clause.")?;
            let (prop, val) = inner.split_once(',').ok_or("Invalid startswith clause.")?;
            let prefix = unquote(val).ok_or("startswith needs a quoted string.")?;
            out.push(JsonClause::StartsWith {
                path: prop.trim().split('/').map(str::to_owned).collect(),
                prefix,
            });
            continue;
        }
        let (left, op, right) =
            binary(c).ok_or_else(|| format!("Unsupported $filter clause: '{c}'."))?;
        out.push(JsonClause::Cmp {
            path: left.split('/').map(str::to_owned).collect(),
            op,
            value: literal(&right)?,
        });
    }
    Ok(out)
}

fn lookup<'a>(v: &'a Value, path: &[String]) -> Option<&'a Value> {
    let mut cur = v;
    for p in path {
        cur = cur
            .as_object()?
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(p))?
            .1;
    }
    Some(cur)
}

fn compare(a: &Value, b: &Value) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (Value::String(x), Value::String(y)) => {
            if let (Ok(tx), Ok(ty)) = (
                entra_model::timestamp::parse(x),
                entra_model::timestamp::parse(y),
            ) {
                return Some(tx.cmp(&ty));
            }
            Some(x.to_ascii_lowercase().cmp(&y.to_ascii_lowercase()))
        }
        (Value::Number(x), Value::Number(y)) => x.as_f64()?.partial_cmp(&y.as_f64()?),
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

pub(crate) fn json_matches(v: &Value, clauses: &[JsonClause]) -> bool {
    use std::cmp::Ordering::*;
    clauses.iter().all(|c| match c {
        JsonClause::StartsWith { path, prefix } => {
            lookup(v, path).and_then(Value::as_str).is_some_and(|s| {
                s.to_ascii_lowercase()
                    .starts_with(&prefix.to_ascii_lowercase())
            })
        }
        JsonClause::Cmp { path, op, value } => {
            let actual = lookup(v, path).unwrap_or(&Value::Null);
            let ord = compare(actual, value);
            match op.as_str() {
                "eq" => ord == Some(Equal) || (actual.is_null() && value.is_null()),
                "ne" => ord != Some(Equal) && !(actual.is_null() && value.is_null()),
                "ge" => matches!(ord, Some(Greater | Equal)),
                "gt" => ord == Some(Greater),
                "le" => matches!(ord, Some(Less | Equal)),
                "lt" => ord == Some(Less),
                _ => false,
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_in_filter_parses_window_and_event_types() {
        let q = parse_sign_in_filter("createdDateTime ge 2025-05-01T00:00:00Z and createdDateTime lt 2025-05-02T00:00:00Z and signInEventTypes/any(t: t ne 'interactiveUser')", true).unwrap();
        assert_eq!(q.kinds, KindFilter::Except(Kind::Interactive));
        assert!(q.lo.unwrap().1);
        assert!(!q.hi.unwrap().1);
        assert!(
            parse_sign_in_filter("signInEventTypes/any(t: t eq 'servicePrincipal')", false)
                .is_err()
        );
        assert!(parse_sign_in_filter("createdDateTime ge 2025 or x eq 1", true).is_err());
        let q = parse_sign_in_filter("(signInEventTypes/any(x: x eq 'managedIdentity'))", true)
            .unwrap();
        assert_eq!(q.kinds, KindFilter::Only(Kind::ManagedIdentity));
    }

    #[test]
    fn json_filter_matches_equality_and_prefix() {
        let f = parse_json_filter("userType eq 'Guest' and startswith(displayName,'Ad')").unwrap();
        assert!(json_matches(
            &serde_json::json!({"userType": "Guest", "displayName": "Adele"}),
            &f
        ));
        assert!(!json_matches(
            &serde_json::json!({"userType": "Member", "displayName": "Adele"}),
            &f
        ));
        let f = parse_json_filter("activityDateTime ge 2025-05-01T00:00:00Z").unwrap();
        assert!(json_matches(
            &serde_json::json!({"activityDateTime": "2025-05-02T00:00:00Z"}),
            &f
        ));
    }

    #[test]
    fn cursor_round_trips() {
        let t = cursor_token(123, (4, 5));
        assert_eq!(parse_cursor(&t), Some((123, (4, 5))));
    }
}
