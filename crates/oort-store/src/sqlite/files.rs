//! The store's files are private to their owner: a new database is created with mode 0600
//! before SQLite opens it, whatever the umask, and its `-wal` and `-shm` files get no wider
//! mode than the database's (SQLite gives them the database's mode; a umask cannot widen it).

use std::path::{Path, PathBuf};

use crate::error::StoreError;

/// Creates `path` empty with mode 0600 when it does not exist yet (SQLite then writes its
/// header into it). An existing file is left as it is.
pub(super) fn create_private(path: &Path) -> Result<(), StoreError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
        {
            Ok(_) => restrict(path, 0o600),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
            Err(e) => Err(StoreError::unavailable(
                format!("creating {}", path.display()),
                e,
            )),
        }
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        Ok(())
    }
}

/// Gives the `-wal` and `-shm` files of the database at `path`, when they exist, at most the
/// database's own permissions.
pub(super) fn match_sidecars(path: &Path) -> Result<(), StoreError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let Ok(main) = std::fs::metadata(path) else {
            return Ok(());
        };
        let allowed = main.permissions().mode() & 0o777;
        for sidecar in [with_suffix(path, "-wal"), with_suffix(path, "-shm")] {
            let Ok(meta) = std::fs::metadata(&sidecar) else {
                continue;
            };
            let mode = meta.permissions().mode() & 0o777;
            if mode & !allowed != 0 {
                restrict(&sidecar, mode & allowed)?;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

#[cfg(unix)]
fn restrict(path: &Path, mode: u32) -> Result<(), StoreError> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).map_err(|e| {
        StoreError::unavailable(
            format!("restricting the permissions of {}", path.display()),
            e,
        )
    })
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}
