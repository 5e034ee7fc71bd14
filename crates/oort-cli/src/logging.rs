//! Where the libraries' `tracing` events go, and in what form.

use std::path::Path;

use tracing_subscriber::filter::{LevelFilter, Targets};

use crate::cli::LogFormat;
use crate::error::CliError;
use crate::output::Out;

/// Library `tracing` events go to stderr (or `log_file`, appended, created mode 0600) as text or
/// JSON lines. Which events: `rust_log` when given (`RUST_LOG` syntax without regular
/// expressions: `warn`, `oort_collector=debug`, `warn,graph_client=trace`); otherwise warnings,
/// debug with `-v`, trace with `-vv`, errors only with `-q`.
pub(crate) fn init_logging(
    out: &Out,
    format: LogFormat,
    log_file: Option<&Path>,
    rust_log: Option<&str>,
) -> Result<(), CliError> {
    let filter = filter(out, rust_log)?;
    let writer = match log_file {
        Some(path) => LogWriter::File(std::sync::Arc::new(open_log_file(path)?)),
        None => LogWriter::Stderr,
    };
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let fmt = tracing_subscriber::fmt::layer()
        .with_writer(writer)
        .with_target(format == LogFormat::Json || out.verbose > 0)
        // Plain text everywhere (the `ansi` feature is off): a log file or a journal never
        // holds escape codes.
        .with_ansi(false);
    let registry = tracing_subscriber::registry().with(filter);
    let _ = match format {
        LogFormat::Text => registry.with(fmt).try_init(),
        LogFormat::Json => registry.with(fmt.json().flatten_event(true)).try_init(),
    };
    Ok(())
}

/// The filter: `RUST_LOG` when set (and not empty), else the `-v`/`-q` level.
fn filter(out: &Out, rust_log: Option<&str>) -> Result<Targets, CliError> {
    if let Some(spec) = rust_log.map(str::trim).filter(|s| !s.is_empty()) {
        return spec.parse::<Targets>().map_err(|e| {
            CliError::config(format!(
                "RUST_LOG={spec} is not a log filter ({e}); use levels and targets such as `warn` or `warn,oort_collector=debug`"
            ))
        });
    }
    let level = match (out.quiet, out.verbose) {
        (true, _) => LevelFilter::ERROR,
        (false, 0) => LevelFilter::WARN,
        (false, 1) => LevelFilter::DEBUG,
        (false, _) => LevelFilter::TRACE,
    };
    Ok(Targets::new().with_default(level))
}

/// Opens `path` for appending, creating it readable and writable only by its owner (log lines
/// name users, IPs and tenants).
fn open_log_file(path: &Path) -> Result<std::fs::File, CliError> {
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path).map_err(|e| {
        CliError::config(format!(
            "cannot open the log file {}: {e}; check --log-file (or OORT_LOG_FILE) and the directory's permissions",
            path.display()
        ))
    })
}

/// Stderr or the shared log file.
#[derive(Clone)]
enum LogWriter {
    Stderr,
    File(std::sync::Arc<std::fs::File>),
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogWriter {
    type Writer = Box<dyn std::io::Write + 'a>;

    fn make_writer(&'a self) -> Self::Writer {
        match self {
            LogWriter::Stderr => Box::new(std::io::stderr()),
            // `&File` is `Write`; with O_APPEND each event is one write at the end.
            LogWriter::File(file) => Box::new(&**file),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn out(quiet: bool, verbose: u8) -> Out {
        Out {
            json: false,
            quiet,
            verbose,
        }
    }

    #[test]
    fn rust_log_wins_over_the_verbosity_flags_and_a_bad_one_is_a_configuration_error() {
        let f = filter(&out(true, 0), Some("warn,oort_collector=debug")).unwrap();
        assert!(f.would_enable("oort_collector::collect", &tracing::Level::DEBUG));
        assert!(!f.would_enable("graph_client", &tracing::Level::INFO));
        let f = filter(&out(false, 1), None).unwrap();
        assert!(f.would_enable("graph_client", &tracing::Level::DEBUG));
        assert!(!f.would_enable("graph_client", &tracing::Level::TRACE));
        let f = filter(&out(false, 0), Some("  ")).unwrap();
        assert!(!f.would_enable("graph_client", &tracing::Level::INFO));
        let e = filter(&out(false, 0), Some("oort_collector=loud")).unwrap_err();
        assert_eq!(e.code, crate::error::EXIT_CONFIG);
        assert!(
            e.message.contains("RUST_LOG=oort_collector=loud"),
            "{}",
            e.message
        );
    }

    #[cfg(unix)]
    #[test]
    fn the_log_file_is_created_readable_only_by_its_owner_and_appended_to() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("oort.log");
        std::io::Write::write_all(&mut open_log_file(&path).unwrap(), b"one\n").unwrap();
        std::io::Write::write_all(&mut open_log_file(&path).unwrap(), b"two\n").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "one\ntwo\n");
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
}
