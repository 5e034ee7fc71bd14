//! National clouds: authority hosts and Graph roots.

use url::Url;

/// A Microsoft cloud: where tokens come from and where Graph lives.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Cloud {
    /// Global Azure: `https://login.microsoftonline.com`, `https://graph.microsoft.com`.
    Global,
    /// US Government L4 (GCC High): `https://login.microsoftonline.us`, `https://graph.microsoft.us`.
    UsGov,
    /// US Government L5 (DoD): `https://login.microsoftonline.us`, `https://dod-graph.microsoft.us`.
    UsGovDod,
    /// China (21Vianet): `https://microsoftgraph.chinacloudapi.cn`; the authority host defaults to
    /// `https://login.partner.microsoftonline.cn` and can be replaced.
    China {
        /// Override of the authority host (e.g. `https://login.chinacloudapi.cn`).
        authority_host: Option<Url>,
    },
    /// Any other pair of hosts (a sovereign cloud, or a fake tenant on loopback in tests).
    Custom {
        /// Token authority host, e.g. `http://127.0.0.1:8080`.
        authority_host: Url,
        /// Graph root, e.g. `http://127.0.0.1:8080` (no version segment).
        graph_root: Url,
    },
}
