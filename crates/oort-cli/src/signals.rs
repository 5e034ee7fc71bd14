//! The signals that ask `oort` to stop: Ctrl-C (SIGINT) from a terminal, SIGTERM from systemd,
//! `docker stop` or `kill`. Both are handled alike, so a service stops as cleanly as a user's
//! Ctrl-C: the page in hand is stored with its checkpoint.

/// Waits for the next stop request (SIGINT or, on Unix, SIGTERM) and names it. Returns `None`
/// when no handler could be installed (the caller then simply never stops on a signal).
pub(crate) async fn stop_requested() -> Option<&'static str> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = match signal(SignalKind::terminate()) {
            Ok(term) => term,
            Err(_) => return tokio::signal::ctrl_c().await.ok().map(|()| "Ctrl-C"),
        };
        tokio::select! {
            r = tokio::signal::ctrl_c() => r.ok().map(|()| "Ctrl-C"),
            r = term.recv() => r.map(|()| "SIGTERM"),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await.ok().map(|()| "Ctrl-C")
    }
}
