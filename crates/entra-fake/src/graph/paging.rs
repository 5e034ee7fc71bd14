//! Collection pages: `$top`, `$select`, `$filter` on JSON, `@odata.context`, absolute
//! `@odata.nextLink`s and `$skiptoken`s holding the next index.

use serde_json::{Map, Value};

use super::{tok, untok, G, R};
use crate::odata::{self, JsonClause};
use crate::server::Resp;

impl G<'_> {
    pub(super) fn top(&self, default: usize, max: usize) -> Result<usize, Resp> {
        match self.req.param("$top") {
            None => Ok(default),
            Some(v) => match v.trim().parse::<usize>() {
                Ok(n) if n >= 1 => Ok(n.min(max)),
                _ => Err(self.err(
                    400,
                    "Request_BadRequest",
                    &format!("Invalid value '{v}' for query parameter $top."),
                )),
            },
        }
    }

    pub(super) fn select(&self) -> Option<Vec<String>> {
        self.req.param("$select").map(|s| {
            s.split(',')
                .map(|x| x.trim().to_owned())
                .filter(|x| !x.is_empty())
                .collect()
        })
    }

    pub(super) fn context(&self, what: &str) -> String {
        format!("{}/{}/$metadata#{what}", self.ctx.base, self.version)
    }

    pub(super) fn next_link(&self, token: &str) -> String {
        let mut ser = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in &self.req.query {
            if !k.eq_ignore_ascii_case("$skiptoken") {
                ser.append_pair(k, v);
            }
        }
        ser.append_pair("$skiptoken", token);
        format!("{}{}?{}", self.ctx.base, self.req.path, ser.finish())
    }

    pub(super) fn page(&self, what: &str, items: Vec<Value>, next: Option<String>) -> Resp {
        let mut m = Map::new();
        m.insert("@odata.context".into(), Value::String(self.context(what)));
        if self
            .req
            .param("$count")
            .is_some_and(|c| c.eq_ignore_ascii_case("true"))
            && self
                .req
                .header("consistencylevel")
                .is_some_and(|c| c.eq_ignore_ascii_case("eventual"))
            && self.req.param("$skiptoken").is_none()
        {
            m.insert("@odata.count".into(), Value::from(items.len()));
        }
        if let Some(n) = next {
            m.insert("@odata.nextLink".into(), Value::String(n));
        }
        m.insert("value".into(), Value::Array(items));
        Resp::json(200, Value::Object(m))
    }

    fn skip_index(&self, prefix: &str) -> Result<usize, Resp> {
        match self.req.param("$skiptoken") {
            None => Ok(0),
            Some(s) => untok(s)
                .and_then(|x| x.strip_prefix(prefix).and_then(|n| n.parse().ok()))
                .ok_or_else(|| self.err(400, "Request_BadRequest", "Invalid $skiptoken.")),
        }
    }

    pub(super) fn json_filter(&self) -> Result<Vec<JsonClause>, Resp> {
        match self.req.param("$filter") {
            None => Ok(Vec::new()),
            Some(f) => odata::parse_json_filter(f)
                .map_err(|m| self.err(400, "Request_UnsupportedQuery", &m)),
        }
    }

    /// Pages an indexed collection with a `$skiptoken` holding the next index.
    pub(super) fn indexed<F>(
        &self,
        what: &str,
        len: usize,
        default_top: usize,
        max_top: usize,
        mut item: F,
    ) -> R
    where
        F: FnMut(usize) -> Option<Value>,
    {
        let top = self.top(default_top, max_top)?;
        let start = self.skip_index(&format!("{what}:"))?;
        let mut out = Vec::new();
        let mut next = None;
        let mut i = start;
        while i < len {
            if let Some(v) = item(i) {
                if out.len() == top {
                    next = Some(self.next_link(&tok(&format!("{what}:{i}"))));
                    break;
                }
                out.push(v);
            }
            i += 1;
        }
        Ok(self.page(what, out, next))
    }
}
