//! Where the libraries' `tracing` events go.

use crate::output::Out;

/// Library `tracing` events go to stderr: warnings by default, debug with `-v`, trace with
/// `-vv`, errors only with `-q`.
pub(crate) fn init_logging(out: &Out) {
    use tracing_subscriber::filter::LevelFilter;
    let level = match (out.quiet, out.verbose) {
        (true, _) => LevelFilter::ERROR,
        (false, 0) => LevelFilter::WARN,
        (false, 1) => LevelFilter::DEBUG,
        (false, _) => LevelFilter::TRACE,
    };
    let _ = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}
