//! The collector's progress events as progress bars on a terminal, plain lines on stderr
//! otherwise.

use std::collections::BTreeMap;
use std::io::IsTerminal;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use oort_collector::{CollectionReport, Progress, StreamReport, StreamStatus};
use oort_store::WriteSummary;

use crate::output::Out;

/// Turns progress events into progress bars on a terminal, plain lines on stderr otherwise.
pub(crate) fn spawn_progress(
    mut rx: tokio::sync::mpsc::UnboundedReceiver<Progress>,
    out: Out,
    watch: bool,
) -> tokio::task::JoinHandle<()> {
    let bars = !out.json && !out.quiet && std::io::stderr().is_terminal();
    tokio::spawn(async move {
        let mut view = View::new(out, bars, watch);
        while let Some(event) = rx.recv().await {
            view.show(event);
        }
        let _ = view.multi.clear();
    })
}

/// What the progress task draws: one bar per active stream, kept until the run's line.
struct View {
    out: Out,
    bars: bool,
    watch: bool,
    multi: MultiProgress,
    style: ProgressStyle,
    active: BTreeMap<String, ProgressBar>,
    finished: Vec<ProgressBar>,
}

impl View {
    fn new(out: Out, bars: bool, watch: bool) -> Self {
        let style = ProgressStyle::with_template(
            "{spinner} {prefix:28} {human_pos:>9} items {elapsed:>4} {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_spinner());
        View {
            out,
            bars,
            watch,
            multi: MultiProgress::with_draw_target(ProgressDrawTarget::stderr()),
            style,
            active: BTreeMap::new(),
            finished: Vec::new(),
        }
    }

    fn bar(&self, name: &str) -> ProgressBar {
        let b = self.multi.add(ProgressBar::new_spinner());
        b.set_style(self.style.clone());
        b.set_prefix(name.to_owned());
        b.enable_steady_tick(std::time::Duration::from_millis(120));
        b
    }

    fn show(&mut self, event: Progress) {
        let out = self.out;
        match event {
            Progress::StreamStarted { stream } => {
                if self.bars {
                    let bar = self.bar(stream.as_str());
                    self.active.insert(stream.to_string(), bar);
                } else if out.verbose > 0 {
                    eprintln!("collect: {stream} started");
                }
            }
            Progress::PageStored {
                stream,
                items,
                summary,
            } => self.page_stored(stream.as_str(), items, &summary),
            Progress::Throttled {
                stream,
                wait,
                status,
            } => self.throttled(stream.as_str(), wait, status),
            Progress::StreamFinished { report } => self.stream_finished(&report),
            // One line per run under --watch (a single collection ends with its table).
            Progress::RunFinished { report } if self.watch && !out.json && !out.quiet => {
                self.run_finished(&report)
            }
            _ => {}
        }
    }

    fn page_stored(&self, stream: &str, items: usize, summary: &WriteSummary) {
        if let Some(b) = self.active.get(stream) {
            b.inc(items as u64);
            b.set_message(format!("{:.0} items/s", b.per_sec()));
        } else if !self.bars && self.out.verbose > 0 {
            eprintln!(
                "collect: {stream} page of {items} stored ({} new, {} updated)",
                summary.inserted, summary.updated
            );
        }
    }

    fn throttled(&self, stream: &str, wait: std::time::Duration, status: Option<u16>) {
        let out = self.out;
        let why = match status {
            Some(code) => format!("Graph answered {code}"),
            None => "throttle budget in use".to_owned(),
        };
        if let Some(b) = self.active.get(stream) {
            b.set_message(format!("waiting {:.1}s ({why})", wait.as_secs_f64()));
        } else if !self.bars && (out.verbose > 0 || status.is_some()) && !out.quiet {
            // Graph's refusals are worth a line; the client's own pacing only with -v.
            eprintln!(
                "collect: {stream} waiting {:.1}s ({why})",
                wait.as_secs_f64()
            );
        }
    }

    fn stream_finished(&mut self, report: &StreamReport) {
        let name = report.stream.to_string();
        let what = match &report.status {
            StreamStatus::Succeeded => format!(
                "done: {} new, {} updated, {} removed",
                report.inserted, report.updated, report.removed
            ),
            StreamStatus::Skipped { reason, .. } => format!("skipped: {reason}"),
            StreamStatus::Cancelled => "cancelled (resumes next run)".to_owned(),
            StreamStatus::Failed { error } => format!("FAILED: {error}"),
            _ => "ended".to_owned(),
        };
        if self.bars {
            let b = match self.active.remove(&name) {
                Some(b) => b,
                None => self.bar(&name),
            };
            b.finish_with_message(what);
            self.finished.push(b);
        } else if !self.out.json && !self.out.quiet {
            eprintln!("collect: {name} {what}");
        }
    }

    fn run_finished(&mut self, report: &CollectionReport) {
        let line = run_line(report);
        if self.bars {
            // The run's bars make way for its line; the next run draws new ones.
            for b in self.finished.drain(..) {
                self.multi.remove(&b);
            }
            let _ = self.multi.println(&line);
        } else {
            eprintln!("{line}");
        }
    }
}

/// `collect: run run-… succeeded in 3.2 s: 120 new, 4 updated, 0 removed` (failed streams named).
fn run_line(report: &CollectionReport) -> String {
    let (mut new, mut updated, mut removed) = (0, 0, 0);
    for s in &report.streams {
        new += s.inserted;
        updated += s.updated;
        removed += s.removed;
    }
    let failed: Vec<&str> = report
        .streams
        .iter()
        .filter(|s| matches!(s.status, StreamStatus::Failed { .. }))
        .map(|s| s.stream.as_str())
        .collect();
    let outcome = if failed.is_empty() {
        "succeeded".to_owned()
    } else {
        format!("had failed streams ({})", failed.join(", "))
    };
    format!(
        "collect: run {} {outcome} in {:.1} s: {new} new, {updated} updated, {removed} removed",
        report.run_id,
        (report.finished_at - report.started_at).as_seconds_f64()
    )
}
