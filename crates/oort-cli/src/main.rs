//! `oort`: identity threat detection for Microsoft Entra ID, on the command line.
//!
//! The binary is thin: it parses arguments ([`cli`]), reads `oort.toml` and the `OORT_*`
//! environment ([`config`]), wires the library crates together ([`connect`]), runs one module
//! per command ([`commands`]), and formats what they return as tables or one JSON document
//! ([`output`]), progress as bars or lines ([`progress`]). Everything a library user would also
//! need lives in the libraries ([`analysis`] only turns settings into the check and notification
//! settings and runs them).
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
mod error;
mod identity;
mod logging;
mod output;
mod progress;
mod signals;

use std::process::ExitCode;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::Parser;

use crate::cli::Cli;
use crate::error::CliError;

fn main() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let json_requested = json_requested(&args);
    if let Err(e) = cli::refuse_secret_arguments(&args) {
        return report(e, json_requested);
    }
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => return report_usage(&e, json_requested),
    };
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

/// Whether `--json` is among the arguments (before a `--`), read before parsing so that a usage
/// error can be reported in JSON too.
fn json_requested(args: &[std::ffi::OsString]) -> bool {
    args.iter()
        .skip(1)
        .take_while(|a| *a != "--")
        .any(|a| a == "--json")
}

/// Reports an argument error of clap's. `--help` and `--version` print as usual and exit 0;
/// without `--json` an error prints clap's text on stderr; with `--json` it also prints one JSON
/// document on stdout, `{"error": {"message", "exit_code": 2, "kind", ...}}` with the offending
/// argument, the valid values and clap's suggestion when it has them.
fn report_usage(e: &clap::Error, json: bool) -> ExitCode {
    // Help and version are not errors: printed on stdout, exit 0.
    let code = u8::try_from(e.exit_code()).unwrap_or(error::EXIT_CONFIG);
    if json && e.use_stderr() {
        println!("{}", usage_error_json(e, code));
    }
    // Printing to a closed stdout or stderr is not worth another error.
    let _ = e.print();
    ExitCode::from(code)
}

/// The JSON document of a clap error (see [`report_usage`]).
fn usage_error_json(e: &clap::Error, code: u8) -> serde_json::Value {
    let rendered = e.render().to_string();
    let message = match e.kind() {
        // The rendered text of this kind is the whole help, not a message.
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            "a command is required: see oort --help".to_owned()
        }
        // The first line; the valid values and suggestions are fields of their own.
        _ => rendered
            .lines()
            .next()
            .unwrap_or_default()
            .trim_start_matches("error:")
            .trim()
            .to_owned(),
    };
    let mut error = serde_json::json!({
        "message": message,
        "exit_code": code,
        "kind": snake_case(&format!("{:?}", e.kind())),
    });
    // `argument` is one string; the others are lists, whether clap has one value or several.
    let context = |kind: ContextKind, list: bool| match e.get(kind) {
        Some(ContextValue::String(s)) if list => Some(serde_json::json!([s])),
        Some(ContextValue::String(s)) => Some(serde_json::json!(s)),
        Some(ContextValue::Strings(v)) if !v.is_empty() => Some(serde_json::json!(v)),
        _ => None,
    };
    for (field, kind, list) in [
        ("argument", ContextKind::InvalidArg, false),
        ("valid_values", ContextKind::ValidValue, true),
        ("valid_commands", ContextKind::ValidSubcommand, true),
        ("suggested_argument", ContextKind::SuggestedArg, true),
        ("suggested_command", ContextKind::SuggestedSubcommand, true),
    ] {
        if let Some(value) = context(kind, list) {
            error[field] = value;
        }
    }
    serde_json::json!({ "error": error })
}

/// `InvalidValue` -> `invalid_value`: clap's error kinds as JSON names.
fn snake_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}
