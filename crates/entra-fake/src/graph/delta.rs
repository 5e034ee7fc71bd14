//! Delta queries (users and groups): the round read from `$deltatoken` or `$skiptoken`, and
//! the page that ends with the next round's `@odata.nextLink` or the final `@odata.deltaLink`.
//!
//! A round serves the items whose version is above `since`, up to the change counter `upto`
//! taken when the round started; tokens hold `prefix:since:upto:next index:$select`
//! (`$skiptoken`) or `D:upto:$select` (`$deltatoken`).

use serde_json::{json, Value};

use super::{tok, untok, G};
use crate::server::Resp;

impl G<'_> {
    /// The round this request asks for; `prefix` names the resource in `$skiptoken`s.
    pub(super) fn delta_state(&self, prefix: &str) -> Result<DeltaStart, Resp> {
        let bad = || self.err(400, "Request_BadRequest", "Invalid delta token.");
        if let Some(dt) = self.req.param("$deltatoken") {
            if dt == "latest" {
                return Ok(DeltaStart::Latest(
                    self.req.param("$select").unwrap_or_default().to_owned(),
                ));
            }
            let s = untok(dt).ok_or_else(bad)?;
            let mut it = s.splitn(3, ':');
            let (Some("D"), Some(v), Some(sel)) = (it.next(), it.next(), it.next()) else {
                return Err(bad());
            };
            let since: u64 = v.parse().map_err(|_| bad())?;
            return Ok(DeltaStart::Round(Round {
                since,
                upto: self.t.change_counter,
                start: 0,
                sel: sel.to_owned(),
            }));
        }
        if let Some(st) = self.req.param("$skiptoken") {
            let s = untok(st).ok_or_else(bad)?;
            let mut it = s.splitn(5, ':');
            let (Some(p), Some(a), Some(b), Some(c), Some(sel)) =
                (it.next(), it.next(), it.next(), it.next(), it.next())
            else {
                return Err(bad());
            };
            if p != prefix {
                return Err(bad());
            }
            return Ok(DeltaStart::Round(Round {
                since: a.parse().map_err(|_| bad())?,
                upto: b.parse().map_err(|_| bad())?,
                start: c.parse().map_err(|_| bad())?,
                sel: sel.to_owned(),
            }));
        }
        Ok(DeltaStart::Round(Round {
            since: 0,
            upto: self.t.change_counter,
            start: 0,
            sel: self
                .req
                .param("$select")
                .unwrap_or_default()
                .replace(' ', ""),
        }))
    }

    /// The answer to `$deltatoken=latest`: no items, a deltaLink at the current change counter.
    pub(super) fn delta_latest(&self, resource: &str, sel: &str) -> Resp {
        let link = self.delta_link(resource, &format!("D:{}:{}", self.t.change_counter, sel));
        Resp::json(
            200,
            json!({"@odata.context": self.context(resource), "@odata.deltaLink": link, "value": []}),
        )
    }

    /// A page of `round` whose next item is `next` of `len`: a nextLink while items are left,
    /// the deltaLink of the next round after the last.
    pub(super) fn delta_page(
        &self,
        resource: &str,
        prefix: &str,
        round: &Round,
        (next, len): (usize, usize),
        items: Vec<Value>,
    ) -> Resp {
        let Round {
            since, upto, sel, ..
        } = round;
        let mut body = json!({"@odata.context": self.context(resource), "value": items});
        if next < len {
            body["@odata.nextLink"] = Value::String(format!(
                "{}/{}/{resource}/delta?$skiptoken={}",
                self.ctx.base,
                self.version,
                tok(&format!("{prefix}:{since}:{upto}:{next}:{sel}"))
            ));
        } else {
            body["@odata.deltaLink"] =
                Value::String(self.delta_link(resource, &format!("D:{upto}:{sel}")));
        }
        Resp::json(200, body)
    }

    fn delta_link(&self, resource: &str, token: &str) -> String {
        format!(
            "{}/{}/{resource}/delta?$deltatoken={}",
            self.ctx.base,
            self.version,
            tok(token)
        )
    }
}

/// Where a delta request starts.
pub(super) enum DeltaStart {
    /// `$deltatoken=latest`, with the `$select` to keep in the links.
    Latest(String),
    /// A round to serve.
    Round(Round),
}

/// One round of a delta query.
pub(super) struct Round {
    /// Items changed after this change counter are served (0: every item).
    pub(super) since: u64,
    /// The change counter when the round started: the next round's `since`.
    pub(super) upto: u64,
    /// The index of the first item of this page.
    pub(super) start: usize,
    /// The `$select` of the first request, without spaces.
    pub(super) sel: String,
}

impl Round {
    /// The `$select`ed properties, if any.
    pub(super) fn selection(&self) -> Option<Vec<String>> {
        (!self.sel.is_empty()).then(|| self.sel.split(',').map(str::to_owned).collect())
    }
}
