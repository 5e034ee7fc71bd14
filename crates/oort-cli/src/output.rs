//! Output: plain tables, step lines, and the one JSON document of `--json`.

use serde::Serialize;

/// How the command prints: tables and lines, or one JSON document at the end.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Out {
    pub(crate) json: bool,
    pub(crate) quiet: bool,
    pub(crate) verbose: u8,
}

impl Out {
    /// A line of human output (not with `--json`).
    pub(crate) fn line(&self, text: impl AsRef<str>) {
        if !self.json {
            println!("{}", text.as_ref());
        }
    }

    /// A progress or narration line: not with `--json` nor `-q`.
    pub(crate) fn info(&self, text: impl AsRef<str>) {
        if !self.json && !self.quiet {
            println!("{}", text.as_ref());
        }
    }

    /// A table (not with `--json`).
    pub(crate) fn table(&self, table: &Table) {
        if !self.json {
            print!("{}", table.render());
        }
    }

    /// The JSON document (only with `--json`).
    /// One JSON document on one line (with `--json`): what `--watch` prints per run, so that
    /// monitoring can follow the output line by line (NDJSON).
    pub(crate) fn json_line<T: Serialize>(&self, doc: &T) {
        if self.json {
            match serde_json::to_string(doc) {
                Ok(text) => println!("{text}"),
                Err(e) => eprintln!("error: cannot serialise the output: {e}"),
            }
        }
    }

    pub(crate) fn json<T: Serialize>(&self, doc: &T) {
        if self.json {
            match serde_json::to_string_pretty(doc) {
                Ok(text) => println!("{text}"),
                Err(e) => eprintln!("error: cannot serialise the output: {e}"),
            }
        }
    }
}

/// A plain text table: a header, rows, columns padded to their widest cell; the last column is
/// not padded (it usually holds advice that may be long).
#[derive(Debug, Default)]
pub(crate) struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub(crate) fn new<I, S>(header: I) -> Table
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Table {
            header: header.into_iter().map(Into::into).collect(),
            rows: Vec::new(),
        }
    }

    pub(crate) fn row<I, S>(&mut self, cells: I)
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.rows.push(cells.into_iter().map(Into::into).collect());
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub(crate) fn render(&self) -> String {
        let cols = self.header.len();
        let mut widths: Vec<usize> = self.header.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (i, cell) in row.iter().enumerate().take(cols) {
                widths[i] = widths[i].max(cell.chars().count());
            }
        }
        let mut out = String::new();
        let mut line = |cells: &[String]| {
            let mut text = String::new();
            for (i, cell) in cells.iter().enumerate().take(cols) {
                if i + 1 == cols {
                    text.push_str(cell);
                } else {
                    text.push_str(cell);
                    let pad = widths[i] - cell.chars().count() + 2;
                    text.extend(std::iter::repeat_n(' ', pad));
                }
            }
            out.push_str(text.trim_end());
            out.push('\n');
        };
        line(&self.header);
        let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
        line(&rule);
        for row in &self.rows {
            line(row);
        }
        out
    }
}

/// An RFC 3339 timestamp, as Graph writes them.
pub(crate) fn ts(t: time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| t.to_string())
}

/// Shortens `text` to `max` characters with an ellipsis.
pub(crate) fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let mut s: String = text.chars().take(max.saturating_sub(1)).collect();
        s.push('…');
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_pad_every_column_but_the_last() {
        let mut t = Table::new(["a", "bb", "c"]);
        t.row(["xxx", "y", "a long last cell"]);
        assert_eq!(
            t.render(),
            "a    bb  c\n---  --  ----------------\nxxx  y   a long last cell\n"
        );
    }
}
