//! The commands, one module each: each reads the settings, wires the libraries, and prints what
//! they return. This module only dispatches.

mod audit;
mod checks;
mod collect;
mod demo;
mod fake_tenant;
mod findings;
mod init;
mod operators;
mod remediate;
mod status;
mod tenants;
mod test_connectivity;

use std::process::ExitCode;

use crate::cli::{Cli, Command};
use crate::config::{ProcessEnv, Settings};
use crate::error::CliError;
use crate::logging::init_logging;
use crate::output::Out;

/// Runs the parsed command; `Ok` carries the exit code of a command that ran to its end.
pub(crate) async fn run(cli: Cli) -> Result<ExitCode, CliError> {
    let out = Out {
        json: cli.global.json,
        quiet: cli.global.quiet,
        verbose: cli.global.verbose,
    };
    init_logging(
        &out,
        cli.global.log_format,
        cli.global.log_file.as_deref(),
        std::env::var("RUST_LOG").ok().as_deref(),
    )?;
    let load = || {
        let settings = Settings::load(cli.global.config.as_deref(), &ProcessEnv)?;
        for warning in &settings.warnings {
            eprintln!("warning: {warning}");
        }
        Ok::<_, CliError>(settings)
    };
    match cli.command {
        Command::Demo(args) => demo::run(args, out).await,
        Command::FakeTenant(args) => fake_tenant::run(args, out).await,
        Command::Init(args) => init::run(args, out),
        Command::TestConnectivity => test_connectivity::run(&load()?, out).await,
        Command::Collect(args) => collect::run(&load()?, args, out).await,
        Command::Checks(args) => checks::run(&load()?, args, out).await,
        Command::Findings(args) => findings::run(&load()?, args, out).await,
        Command::Remediate(args) => remediate::run(&load()?, args, out).await,
        Command::Audit(args) => audit::run(&load()?, args, out).await,
        Command::Operators(args) => operators::run(&load()?, args, out).await,
        Command::Tenants(args) => tenants::run(&load()?, args, out).await,
        Command::Status => status::run(&load()?, out).await,
    }
}
