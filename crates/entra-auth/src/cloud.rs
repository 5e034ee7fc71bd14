//! National clouds: authority hosts and Graph roots.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use url::{Host, Url};

use crate::AuthError;

/// The authority host of the global cloud and of both US Government clouds' siblings.
const GLOBAL_AUTHORITY: &str = "https://login.microsoftonline.com";
const GLOBAL_GRAPH: &str = "https://graph.microsoft.com";
const US_GOV_AUTHORITY: &str = "https://login.microsoftonline.us";
const US_GOV_GRAPH: &str = "https://graph.microsoft.us";
const US_GOV_DOD_GRAPH: &str = "https://dod-graph.microsoft.us";
/// The Entra national-cloud page's host (newer than the Graph page's `login.chinacloudapi.cn`).
const CHINA_AUTHORITY: &str = "https://login.partner.microsoftonline.cn";
const CHINA_GRAPH: &str = "https://microsoftgraph.chinacloudapi.cn";

/// The login hosts of Microsoft's clouds: the global cloud, US Government (L4 and L5), and China
/// (21Vianet, both names in use). Source: Microsoft identity platform, "National clouds",
/// authentication endpoints (MicrosoftDocs/azure-docs
/// `articles/active-directory/develop/authentication-national-cloud.md`).
pub const MICROSOFT_AUTHORITY_HOSTS: &[&str] = &[
    "login.microsoftonline.com",
    "login.microsoftonline.us",
    "login.partner.microsoftonline.cn",
    "login.chinacloudapi.cn",
];

/// A Microsoft cloud: where tokens come from and where Graph lives.
///
/// | cloud | authority host | Graph root |
/// | --- | --- | --- |
/// | [`Global`](Cloud::Global) | `https://login.microsoftonline.com` | `https://graph.microsoft.com` |
/// | [`UsGov`](Cloud::UsGov) (GCC High, L4) | `https://login.microsoftonline.us` | `https://graph.microsoft.us` |
/// | [`UsGovDod`](Cloud::UsGovDod) (DoD, L5) | `https://login.microsoftonline.us` | `https://dod-graph.microsoft.us` |
/// | [`China`](Cloud::China) (21Vianet) | `https://login.partner.microsoftonline.cn` (replaceable) | `https://microsoftgraph.chinacloudapi.cn` |
/// | [`Custom`](Cloud::Custom) | as given | as given |
///
/// M365 GCC (moderate) tenants use [`Cloud::Global`]. App registrations are per cloud: a tenant
/// of one cloud is not found by another's authority (`AADSTS90002` / `AADSTS90038`).
///
/// A custom cloud is also how tests and the fake tenant point the crate at a loopback server:
/// plain `http://` is accepted only for loopback hosts (`127.0.0.0/8`, `::1`, `localhost`);
/// credentials refuse any other `http://` URL when they are built ([`Cloud::validate`]).
///
/// ```
/// use entra_auth::Cloud;
///
/// let cloud = Cloud::UsGovDod;
/// assert_eq!(cloud.graph_scope(), "https://dod-graph.microsoft.us/.default");
/// assert_eq!(
///     cloud.token_endpoint("contoso.onmicrosoft.us").as_str(),
///     "https://login.microsoftonline.us/contoso.onmicrosoft.us/oauth2/v2.0/token",
/// );
///
/// let fake = Cloud::custom("http://127.0.0.1:8080", "http://127.0.0.1:8080").unwrap();
/// assert_eq!(fake.graph_scope(), "http://127.0.0.1:8080/.default");
/// assert!(Cloud::custom("http://login.example.com", "https://graph.example.com").is_err());
/// ```
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

impl Default for Cloud {
    /// [`Cloud::Global`].
    fn default() -> Self {
        Cloud::Global
    }
}

impl Cloud {
    /// China (21Vianet) with its default authority host `https://login.partner.microsoftonline.cn`.
    pub fn china() -> Self {
        Cloud::China {
            authority_host: None,
        }
    }

    /// China (21Vianet) with another authority host (e.g. `https://login.chinacloudapi.cn`, the
    /// host named by the Graph national-cloud page). Fails on an unparsable or insecure URL.
    pub fn china_with_authority_host(authority_host: &str) -> Result<Self, AuthError> {
        let authority_host = parse_url("authority host", authority_host)?;
        let cloud = Cloud::China {
            authority_host: Some(authority_host),
        };
        cloud.validate()?;
        Ok(cloud)
    }

    /// A custom cloud from two URLs (authority host and Graph root, without a version segment).
    ///
    /// Fails on an unparsable URL, a scheme other than `https` / `http`, or plain `http` to a host
    /// that is not a loopback address.
    pub fn custom(authority_host: &str, graph_root: &str) -> Result<Self, AuthError> {
        let cloud = Cloud::Custom {
            authority_host: parse_url("authority host", authority_host)?,
            graph_root: parse_url("Graph root", graph_root)?,
        };
        cloud.validate()?;
        Ok(cloud)
    }

    /// The token authority host, e.g. `https://login.microsoftonline.com/`.
    pub fn authority_host(&self) -> Url {
        match self {
            Cloud::Global => known_url(GLOBAL_AUTHORITY),
            Cloud::UsGov | Cloud::UsGovDod => known_url(US_GOV_AUTHORITY),
            Cloud::China { authority_host } => authority_host
                .clone()
                .unwrap_or_else(|| known_url(CHINA_AUTHORITY)),
            Cloud::Custom { authority_host, .. } => authority_host.clone(),
        }
    }

    /// The Graph root without a version segment, e.g. `https://graph.microsoft.com/`.
    pub fn graph_root(&self) -> Url {
        match self {
            Cloud::Global => known_url(GLOBAL_GRAPH),
            Cloud::UsGov => known_url(US_GOV_GRAPH),
            Cloud::UsGovDod => known_url(US_GOV_DOD_GRAPH),
            Cloud::China { .. } => known_url(CHINA_GRAPH),
            Cloud::Custom { graph_root, .. } => graph_root.clone(),
        }
    }

    /// The app-only scope for Graph: `{graph root}/.default`, e.g.
    /// `https://graph.microsoft.com/.default`.
    pub fn graph_scope(&self) -> String {
        let root = self.graph_root();
        format!("{}/.default", root.as_str().trim_end_matches('/'))
    }

    /// The v2.0 token endpoint of a tenant: `{authority}/{tenant}/oauth2/v2.0/token`.
    ///
    /// `tenant` is a tenant id (GUID) or a verified domain; it is percent-encoded as one path
    /// segment.
    pub fn token_endpoint(&self, tenant: &str) -> Url {
        let mut url = self.authority_host();
        url.set_query(None);
        url.set_fragment(None);
        let pushed = match url.path_segments_mut() {
            Ok(mut segments) => {
                segments
                    .pop_if_empty()
                    .extend([tenant, "oauth2", "v2.0", "token"]);
                true
            }
            Err(()) => false,
        };
        if pushed {
            return url;
        }
        // Only URLs that cannot be a base (e.g. `mailto:`) land here; `validate` refuses them.
        let joined = format!(
            "{}/{tenant}/oauth2/v2.0/token",
            url.as_str().trim_end_matches('/')
        );
        Url::parse(&joined).unwrap_or(url)
    }

    /// Whether the authority host is one of Microsoft's login hosts
    /// ([`MICROSOFT_AUTHORITY_HOSTS`], over `https`): a custom cloud's may be anything, and the
    /// client secret is sent to it.
    pub fn has_microsoft_authority(&self) -> bool {
        let authority = self.authority_host();
        authority.scheme() == "https"
            && authority.host_str().is_some_and(|host| {
                MICROSOFT_AUTHORITY_HOSTS
                    .iter()
                    .any(|known| host.trim_end_matches('.').eq_ignore_ascii_case(known))
            })
    }

    /// Whether the authority host is a loopback address (a fake tenant).
    pub fn has_loopback_authority(&self) -> bool {
        is_loopback(&self.authority_host())
    }

    /// Whether the Graph root is a loopback address (a fake tenant).
    pub fn has_loopback_graph(&self) -> bool {
        is_loopback(&self.graph_root())
    }

    /// A short name: `global`, `usgov`, `usgovdod`, `china` or `custom`.
    pub fn name(&self) -> &'static str {
        match self {
            Cloud::Global => "global",
            Cloud::UsGov => "usgov",
            Cloud::UsGovDod => "usgovdod",
            Cloud::China { .. } => "china",
            Cloud::Custom { .. } => "custom",
        }
    }

    /// Checks both URLs: the scheme is `https`, or `http` to a loopback host (`127.0.0.0/8`, `::1`,
    /// `localhost`). Credentials call this when they are built.
    pub fn validate(&self) -> Result<(), AuthError> {
        match self {
            Cloud::Global
            | Cloud::UsGov
            | Cloud::UsGovDod
            | Cloud::China {
                authority_host: None,
            } => Ok(()),
            Cloud::China {
                authority_host: Some(authority_host),
            } => check_url(authority_host),
            Cloud::Custom {
                authority_host,
                graph_root,
            } => {
                check_url(authority_host)?;
                check_url(graph_root)
            }
        }
    }
}

impl fmt::Display for Cloud {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cloud::Custom {
                authority_host,
                graph_root,
            } => write!(f, "custom ({authority_host}, {graph_root})"),
            other => f.write_str(other.name()),
        }
    }
}

impl FromStr for Cloud {
    type Err = AuthError;

    /// Parses a cloud name, case-insensitively: `global` (also `public`, `azurepublic`,
    /// `azurecloud`), `usgov` (also `gcchigh`, `usgovernment`, `azureusgovernment`), `usgovdod`
    /// (also `dod`), `china` (also `azurechina`, `azurechinacloud`). A custom cloud has no name:
    /// build it with [`Cloud::custom`].
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        let normalised: String = name
            .chars()
            .filter(|c| !matches!(c, '-' | '_' | ' '))
            .flat_map(char::to_lowercase)
            .collect();
        match normalised.as_str() {
            "global" | "public" | "azurepublic" | "azurecloud" => Ok(Cloud::Global),
            "usgov" | "gcchigh" | "usgovernment" | "azureusgovernment" => Ok(Cloud::UsGov),
            "usgovdod" | "dod" => Ok(Cloud::UsGovDod),
            "china" | "azurechina" | "azurechinacloud" => Ok(Cloud::china()),
            _ => Err(AuthError::InvalidConfiguration {
                reason: format!(
                    "unknown cloud {name:?}: use global, usgov, usgovdod or china, or give the \
                     authority host and Graph root of a custom cloud"
                ),
            }),
        }
    }
}

/// Parses one of the crate's own constant URLs.
fn known_url(url: &'static str) -> Url {
    // Invariant: the constants above are absolute https URLs (pinned by the unit test below).
    Url::parse(url).expect("the crate's cloud URLs are valid")
}

fn parse_url(what: &str, url: &str) -> Result<Url, AuthError> {
    Url::parse(url.trim()).map_err(|e| AuthError::InvalidConfiguration {
        reason: format!("the {what} {url:?} is not a valid URL ({e})"),
    })
}

/// Refuses anything but `https`, and `http` to loopback.
pub(crate) fn check_url(url: &Url) -> Result<(), AuthError> {
    match url.scheme() {
        "https" if url.host().is_some() => Ok(()),
        "http" if is_loopback(url) => Ok(()),
        "http" => Err(AuthError::InsecureUrl {
            url: url.as_str().to_owned(),
        }),
        _ => Err(AuthError::InvalidConfiguration {
            reason: format!("{:?} is not an https URL", url.as_str()),
        }),
    }
}

/// Whether the URL's host is a loopback address or `localhost`.
pub(crate) fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        Some(Host::Domain(domain)) => {
            domain.eq_ignore_ascii_case("localhost") || domain.eq_ignore_ascii_case("localhost.")
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_known_cloud_has_valid_https_urls() {
        for cloud in [Cloud::Global, Cloud::UsGov, Cloud::UsGovDod, Cloud::china()] {
            assert_eq!(cloud.authority_host().scheme(), "https");
            assert_eq!(cloud.graph_root().scheme(), "https");
            assert!(cloud.validate().is_ok());
            assert!(cloud.has_microsoft_authority(), "{cloud}");
        }
    }

    #[test]
    fn only_microsoft_login_hosts_are_microsoft_authorities() {
        let china = Cloud::china_with_authority_host("https://login.chinacloudapi.cn").unwrap();
        assert!(china.has_microsoft_authority());
        let custom = Cloud::custom(
            "https://login.microsoftonline.com.evil.example",
            "https://graph.microsoft.com",
        )
        .unwrap();
        assert!(!custom.has_microsoft_authority());
        let fake = Cloud::custom("http://127.0.0.1:8400", "http://127.0.0.1:8400").unwrap();
        assert!(!fake.has_microsoft_authority());
        assert!(fake.has_loopback_authority() && fake.has_loopback_graph());
    }
}
