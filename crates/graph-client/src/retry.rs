//! Which Graph answers are retried. How long to wait and when to give up is the workspace's one
//! [`RetryPolicy`](entra_auth::RetryPolicy), and `Retry-After` is read by its one parser; both
//! live in `entra-auth` (the lowest crate that retries) and are re-exported here.

/// Whether an answer with `status` is retried for a request that is (not) idempotent: 429, 503
/// and 504 always; 408, 500 and 502 only for GET, PUT and DELETE (a POST may have taken effect).
pub(crate) fn is_retryable_status(status: u16, idempotent: bool) -> bool {
    match status {
        429 | 503 | 504 => true,
        408 | 500 | 502 => idempotent,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_idempotent_requests_retry_500_502_408() {
        for s in [429, 503, 504] {
            assert!(is_retryable_status(s, false));
        }
        for s in [408, 500, 502] {
            assert!(is_retryable_status(s, true));
            assert!(!is_retryable_status(s, false));
        }
        for s in [400, 401, 403, 404, 410] {
            assert!(!is_retryable_status(s, true));
        }
    }
}
