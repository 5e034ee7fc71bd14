//! `oort init`: writes the `oort.toml` template.

use std::process::ExitCode;

use serde_json::json;

use crate::cli::InitArgs;
use crate::config::TEMPLATE;
use crate::error::CliError;
use crate::output::Out;

pub(super) fn run(args: InitArgs, out: Out) -> Result<ExitCode, CliError> {
    if args.path.exists() && !args.force {
        return Err(CliError::failure(format!(
            "{} exists: edit it, or pass --force to overwrite it with the template",
            args.path.display()
        )));
    }
    std::fs::write(&args.path, TEMPLATE)
        .map_err(|e| CliError::failure(format!("cannot write {}: {e}", args.path.display())))?;
    out.line(format!(
        "wrote {}: fill in tenant_id and client_id, set OORT_CLIENT_SECRET, then run oort test-connectivity",
        args.path.display()
    ));
    out.json(&json!({"written": args.path.display().to_string()}));
    Ok(ExitCode::SUCCESS)
}
