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
            print!("{}", table.render_within(table_width()));
        }
    }

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

    /// The JSON document (only with `--json`).
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

    #[cfg(test)]
    pub(crate) fn render(&self) -> String {
        self.render_within(None)
    }

    /// The table as text. With `max_width` (the terminal's), a last column that would run past
    /// it wraps at word boundaries onto continuation lines aligned under it (never narrower
    /// than [`MIN_LAST_COLUMN`]); the rule under the header is as wide as the widest line of
    /// each column, so never wider than the table.
    pub(crate) fn render_within(&self, max_width: Option<usize>) -> String {
        let cols = self.header.len();
        let mut widths: Vec<usize> = self.header.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (i, cell) in row.iter().enumerate().take(cols) {
                widths[i] = widths[i].max(cell.chars().count());
            }
        }
        let start: usize = widths
            .iter()
            .take(cols.saturating_sub(1))
            .map(|w| w + 2)
            .sum();
        let last_width = match max_width {
            Some(max) if cols > 0 && start + widths[cols - 1] > max => {
                max.saturating_sub(start).max(MIN_LAST_COLUMN)
            }
            _ => usize::MAX,
        };
        if let Some(w) = widths.last_mut() {
            *w = (*w).min(last_width);
        }
        let mut out = String::new();
        let mut line = |cells: &[String]| {
            let mut text = String::new();
            let mut continuation = Vec::new();
            for (i, cell) in cells.iter().enumerate().take(cols) {
                if i + 1 == cols {
                    let mut parts = wrap(cell, last_width).into_iter();
                    text.push_str(&parts.next().unwrap_or_default());
                    continuation.extend(parts);
                } else {
                    text.push_str(cell);
                    let pad = widths[i] - cell.chars().count() + 2;
                    text.extend(std::iter::repeat_n(' ', pad));
                }
            }
            out.push_str(text.trim_end());
            out.push('\n');
            for more in continuation {
                out.extend(std::iter::repeat_n(' ', start));
                out.push_str(&more);
                out.push('\n');
            }
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

/// The narrowest a wrapped last column gets, however narrow the terminal.
const MIN_LAST_COLUMN: usize = 24;

/// `text` cut into lines of at most `width` characters, at spaces where it can be (a word
/// longer than a line is split).
fn wrap(text: &str, width: usize) -> Vec<String> {
    if text.chars().count() <= width {
        return vec![text.to_owned()];
    }
    let mut lines = Vec::new();
    let mut current = String::new();
    for word in text.split(' ') {
        let mut word: Vec<char> = word.chars().collect();
        loop {
            let used = current.chars().count();
            let gap = usize::from(used > 0);
            if used + gap + word.len() <= width {
                if gap == 1 {
                    current.push(' ');
                }
                current.extend(word.iter());
                break;
            }
            if used > 0 {
                lines.push(std::mem::take(&mut current));
                continue;
            }
            // A word longer than a whole line.
            let rest = word.split_off(width.min(word.len()));
            lines.push(word.into_iter().collect());
            word = rest;
            if word.is_empty() {
                break;
            }
        }
    }
    if !current.is_empty() {
        lines.push(current);
    }
    lines
}

/// The width tables are fitted to: `COLUMNS` when set, else the terminal's when stdout is
/// one; `None` (no wrapping) when stdout is a file or a pipe, so scripts get whole lines.
pub(crate) fn table_width() -> Option<usize> {
    if let Some(cols) = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse().ok())
    {
        return Some(cols);
    }
    console::Term::stdout()
        .size_checked()
        .map(|(_, cols)| usize::from(cols))
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
    fn a_last_column_too_wide_for_the_terminal_wraps_under_itself_and_the_rule_stays_within() {
        let mut t = Table::new(["capability", "status", "what to do"]);
        t.row(["users", "ok", ""]);
        t.row([
            "mailbox",
            "error",
            "Microsoft Graph answered 400 to GET /v1.0/users/6074733b-1908-4fb1-a14f-6ef1642ddb0e/mailboxSettings: BadRequest",
        ]);
        let text = t.render_within(Some(60));
        for line in text.lines() {
            assert!(line.chars().count() <= 60, "{line:?} in\n{text}");
        }
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[1], format!("----------  ------  {}", "-".repeat(40)));
        assert!(lines[3].starts_with("mailbox     error   Microsoft Graph answered 400 to GET"));
        assert!(
            lines[4].starts_with("                    /v1.0/users/"),
            "{text}"
        );
        // Nothing is lost: the wrapped text is the cell's text.
        let joined: Vec<&str> = lines[3..].iter().map(|l| l[20..].trim()).collect();
        assert_eq!(
            joined.concat().replace(' ', ""),
            "MicrosoftGraphanswered400toGET/v1.0/users/6074733b-1908-4fb1-a14f-6ef1642ddb0e/mailboxSettings:BadRequest"
        );
        // Wide enough: unchanged.
        assert_eq!(t.render_within(Some(500)), t.render());
    }

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
