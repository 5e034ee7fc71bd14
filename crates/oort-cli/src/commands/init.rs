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
    write_private(&args.path, TEMPLATE)
        .map_err(|e| CliError::failure(format!("cannot write {}: {e}", args.path.display())))?;
    out.line(format!(
        "wrote {}: fill in tenant_id and client_id, put the client secret in a file only you can read and set OORT_CLIENT_SECRET_FILE to it (docs/entra-setup.md), then run oort test-connectivity",
        args.path.display()
    ));
    out.json(&json!({"written": args.path.display().to_string()}));
    Ok(ExitCode::SUCCESS)
}

/// Writes `text` to `path` readable by its owner only (mode 0600 on Unix, whatever the umask):
/// the file is meant to hold the credential's settings. An existing file (`--force`) is
/// restricted too.
fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    file.write_all(text.as_bytes())?;
    file.sync_all()
}
