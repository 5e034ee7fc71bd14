//! The error type of this crate.

/// Why a fake tenant could not be built or started.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FakeError {
    /// A builder setting is out of range.
    #[error("invalid fake tenant configuration: {0}")]
    Config(String),
    /// The server could not listen on the requested address.
    #[error("cannot listen on {addr}: {source}; choose another address or port")]
    Listen {
        /// The address.
        addr: std::net::SocketAddr,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The credential for the fake tenant could not be built (its authority host was refused).
    #[cfg(feature = "client")]
    #[error("cannot build a credential for the fake tenant")]
    Credential(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The Graph client for the fake tenant could not be built (its Graph URL was refused).
    #[cfg(feature = "client")]
    #[error("cannot build a Graph client for the fake tenant")]
    Graph(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl FakeError {
    pub(crate) fn config(msg: &str) -> Self {
        FakeError::Config(msg.to_owned())
    }

    /// Whether a builder setting was rejected.
    pub fn is_config(&self) -> bool {
        matches!(self, FakeError::Config(_))
    }
}
