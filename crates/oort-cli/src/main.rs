//! `oort`: identity threat detection for Microsoft Entra ID, on the command line.
//!
//! The binary is thin: it parses arguments ([`cli`]), reads `oort.toml` and the `OORT_*`
//! environment ([`config`]), wires the library crates together ([`connect`]), and formats what
//! they return as tables or one JSON document ([`output`]). Everything a library user would also
//! need lives in the libraries; the one exception still here is the store-to-checks glue in
//! [`analysis`], which belongs in `oort-checks` once that crate has a store integration.
//!
//! Exit codes: 0 success (a stream skipped for a missing permission or licence is still
//! success), 2 not connected or a configuration error, 1 anything else (a remediation refused by
//! a gate included; a dry run is 0).

// The binary's job is to print: the workspace denies printing in libraries, not here.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod analysis;
mod cli;
mod commands;
mod config;
mod connect;
mod demo;
mod error;
mod output;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::Cli;
use crate::error::CliError;

fn main() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let json_requested = args.iter().any(|a| a == "--json");
    if let Err(e) = cli::refuse_secret_arguments(&args) {
        return report(e, json_requested);
    }
    let cli = Cli::parse_from(args);
    let json = cli.global.json;
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            return report(
                CliError::failure(format!("cannot start the runtime: {e}")),
                json,
            )
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(code) => code,
        Err(e) => report(e, json),
    }
}

/// Prints an error as one line (and, with `--json`, as one JSON document on stdout).
fn report(e: CliError, json: bool) -> ExitCode {
    if json {
        let doc = serde_json::json!({"error": {"message": e.message, "exit_code": e.code}});
        println!("{doc}");
    }
    eprintln!("error: {}", e.message);
    ExitCode::from(e.code)
}
