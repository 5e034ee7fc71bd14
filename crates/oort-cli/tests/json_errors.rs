//! Argument errors under `--json`: one JSON document on stdout, exit 2; `--help` and `--version`
//! unaffected. No tenant is needed: arguments are refused before anything is configured.

use std::process::{Command, Output};

use serde_json::Value;

fn oort(args: &[&str]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    Command::new(env!("CARGO_BIN_EXE_oort"))
        .current_dir(dir.path())
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Stdout as exactly one JSON document on one line.
fn one_json_document(o: &Output) -> Value {
    let text = stdout(o);
    assert_eq!(text.trim_end().lines().count(), 1, "one line: {text}");
    serde_json::from_str(&text).unwrap_or_else(|e| {
        panic!(
            "stdout is not one JSON document ({e}):\n{text}\nstderr:\n{}",
            stderr(o)
        )
    })
}

#[test]
fn an_unknown_argument_with_json_prints_one_json_error_with_kind_and_argument_and_exits_2() {
    let o = oort(&["collect", "--json", "--bogus"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let doc = one_json_document(&o);
    let error = &doc["error"];
    assert_eq!(error["exit_code"], 2, "{doc}");
    assert_eq!(error["kind"], "unknown_argument", "{doc}");
    assert_eq!(error["argument"], "--bogus", "{doc}");
    assert_eq!(
        error["message"], "unexpected argument '--bogus' found",
        "{doc}"
    );
    // Clap's own text still goes to stderr for the person at the terminal.
    assert!(stderr(&o).contains("Usage: oort collect"), "{}", stderr(&o));
}

#[test]
fn an_invalid_value_with_json_names_the_valid_values() {
    let o = oort(&["--json", "operators", "add", "adele", "--role", "wizard"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let doc = one_json_document(&o);
    let error = &doc["error"];
    assert_eq!(error["kind"], "invalid_value", "{doc}");
    assert_eq!(error["argument"], "--role <ROLE>", "{doc}");
    assert_eq!(
        error["valid_values"],
        serde_json::json!(["administrator", "help-desk", "read-only"]),
        "{doc}"
    );
    let message = error["message"].as_str().unwrap();
    assert!(message.contains("'wizard'"), "{message}");
    assert!(!message.contains('\n'), "one line: {message}");
}

#[test]
fn a_misspelt_command_with_json_suggests_the_command() {
    let o = oort(&["--json", "collcet"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let doc = one_json_document(&o);
    assert_eq!(doc["error"]["kind"], "invalid_subcommand", "{doc}");
    assert_eq!(
        doc["error"]["suggested_command"],
        serde_json::json!(["collect"]),
        "{doc}"
    );
}

#[test]
fn a_misspelt_option_with_json_suggests_the_option() {
    let o = oort(&["collect", "--json", "--watc"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let doc = one_json_document(&o);
    assert_eq!(doc["error"]["argument"], "--watc", "{doc}");
    assert_eq!(
        doc["error"]["suggested_argument"],
        serde_json::json!(["--watch"]),
        "{doc}"
    );
}

#[test]
fn a_missing_command_with_json_lists_the_commands_and_exits_2() {
    let o = oort(&["--json"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let doc = one_json_document(&o);
    assert_eq!(doc["error"]["kind"], "missing_subcommand", "{doc}");
    let commands = doc["error"]["valid_commands"].as_array().unwrap();
    assert!(commands.iter().any(|c| c == "collect"), "{doc}");
}

#[test]
fn help_and_version_with_json_print_their_text_and_exit_0() {
    let help = oort(&["--json", "--help"]);
    assert_eq!(help.status.code(), Some(0), "{}", stderr(&help));
    assert!(stdout(&help).starts_with("Identity threat detection"));
    assert!(!stdout(&help).contains("\"error\""));

    let version = oort(&["--json", "--version"]);
    assert_eq!(version.status.code(), Some(0), "{}", stderr(&version));
    assert_eq!(
        stdout(&version).trim(),
        format!("oort {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn a_usage_error_without_json_prints_only_clap_text_on_stderr_and_exits_2() {
    let o = oort(&["collect", "--bogus"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stdout(&o).is_empty(), "{}", stdout(&o));
    assert!(
        stderr(&o).starts_with("error: unexpected argument '--bogus' found"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn json_after_a_double_dash_is_an_argument_not_the_flag() {
    // `--` ends the options: what follows is not --json, so the error is clap's text only.
    let o = oort(&["collect", "--", "--json"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stdout(&o).is_empty(), "{}", stdout(&o));
}
