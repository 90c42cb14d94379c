//! The HTTP client for the Onetime Secret API v1, and what its failures mean.

use std::time::Duration;

use gloo_net::http::{Method, RequestBuilder};
use ots_core::link::{self, Region, Server};
use ots_core::wire::{
    self, ApiErrorKind, BurnResponse, Endpoint, GenerateRequest, PassphraseRequest, Receipt,
    RevealResponse, ShareRequest, StatusResponse,
};
use serde::de::DeserializeOwned;
use web_sys::{AbortController, RequestMode};

use crate::config::Settings;
use crate::dom::{self, window};
use crate::json::Value;

/// How long a call may take before the app gives up on it.
const TIMEOUT: Duration = Duration::from_secs(20);

/// Why a call failed. Each variant has its own message in every language.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    /// The browser is offline or the server could not be reached.
    #[error("network unreachable")]
    Network,
    /// The server answers, but not to pages from other origins (no CORS headers).
    #[error("blocked by CORS: {origin}")]
    Cors {
        /// The server's origin.
        origin: String,
    },
    /// No answer within the time limit.
    #[error("timed out")]
    Timeout,
    /// The answer was not the API's JSON (a proxy's error page, say).
    #[error("response is not JSON (http {status})")]
    NotJson {
        /// The HTTP status.
        status: u16,
    },
    /// The API refused the request.
    #[error("{kind} (http {status})")]
    Server {
        /// What the API said, classified.
        kind: ApiErrorKind,
        /// The HTTP status.
        status: u16,
    },
}

/// A username (email or customer id) and API token, for HTTP Basic.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Credentials {
    /// The account's email or customer id.
    pub username: String,
    /// The API token.
    pub token: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Credentials({}, …)", self.username)
    }
}

impl Drop for Credentials {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.token);
    }
}

/// The base URL of the folder `url` is in: `https://h/app/index.html#x` → `https://h/app`.
pub fn folder_of(url: &str) -> String {
    let url = url.split(['#', '?']).next().unwrap_or_default();
    match url.rfind('/') {
        Some(i) if i > url.find("://").map_or(0, |s| s + 2) => url[..i].to_owned(),
        _ => url.to_owned(),
    }
}

/// The base URL (API under `<base>/api/v1`) for a server, as seen from a page at
/// `page_url`. Regions the server proxies are reached through it, since the hosted service
/// sends no CORS headers; other regions are called directly (and will fail with CORS).
pub fn base_url(settings: &Settings, server: &Server, page_url: &str) -> String {
    let own = settings.api.clone().unwrap_or_else(|| folder_of(page_url));
    match server {
        Server::Origin => own,
        Server::Region(region) if settings.regions.contains(region) => {
            format!("{own}/region/{region}")
        }
        Server::Region(region) => region.host().to_owned(),
        Server::Custom(url) => url.clone(),
    }
}

/// The server's own link to a plain (not browser-encrypted) secret, as Onetime Secret
/// makes it: a region's link points at the hosted site, which can reveal it too.
pub fn server_secret_link(
    settings: &Settings,
    server: &Server,
    page_url: &str,
    key: &str,
) -> String {
    let base = match server {
        Server::Region(region) => region.host().to_owned(),
        _ => base_url(settings, server, page_url),
    };
    link::server_secret_url(&base, key)
}

/// The origin of `url`, for telling a cross-origin (CORS) failure from a network one.
fn origin_of(url: &str) -> Option<String> {
    link::origin(url)
}

/// A client for one server, with or without an account.
#[derive(Debug, Clone)]
pub struct Api {
    /// The base URL; the API is under `<base>/api/v1`.
    pub base: String,
    /// The account, if the user signed in.
    pub auth: Option<Credentials>,
}

impl Api {
    /// One call, typed. The HTTP work is done once, in [`Api::fetch_json`]; only this
    /// small decoding step is generated per answer type.
    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        endpoint: Endpoint<'_>,
        body: Option<String>,
    ) -> Result<T, ApiError> {
        let (json, status) = self.fetch_json(method, endpoint, body).await?;
        json.read().map_err(|_| ApiError::NotJson { status })
    }

    /// Sends a request; returns a successful answer's JSON and its HTTP status.
    async fn fetch_json(
        &self,
        method: Method,
        endpoint: Endpoint<'_>,
        body: Option<String>,
    ) -> Result<(Value, u16), ApiError> {
        let url = format!("{}{endpoint}", self.base);
        let controller = AbortController::new().map_err(|_| ApiError::Network)?;
        let signal = controller.signal();
        let timer = dom::set_timeout(move || controller.abort(), TIMEOUT);
        let mut request = RequestBuilder::new(&url)
            .method(method)
            .abort_signal(Some(&signal))
            .header("Accept", "application/json");
        if let Some(auth) = &self.auth {
            request = request.header("Authorization", &basic_auth(auth));
        }
        let sent = match body {
            Some(body) => {
                request
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .body(body)
                    .map_err(|_| ApiError::Network)?
                    .send()
                    .await
            }
            None => request.send().await,
        };
        timer.clear();
        let response = match sent {
            Ok(response) => response,
            Err(_) if signal.aborted() => return Err(ApiError::Timeout),
            Err(_) => return Err(self.diagnose(&url).await),
        };
        let status = response.status();
        let intended = response
            .headers()
            .get(wire::INTENDED_STATUS_HEADER)
            .and_then(|s| s.parse().ok());
        let text = response.text().await.map_err(|_| ApiError::Network)?;
        let json = Value::parse(&text).ok_or(ApiError::NotJson { status })?;
        if response.ok() {
            Ok((json, status))
        } else {
            let body: wire::ErrorBody = json.read().unwrap_or_default();
            let message = body.message.as_deref().or(body.error.as_deref());
            Err(ApiError::Server {
                kind: wire::classify(message, intended, status),
                status,
            })
        }
    }

    /// A fetch that failed outright is offline, unreachable, or blocked by CORS. An opaque
    /// `no-cors` request to the same URL gets through only in the last case.
    async fn diagnose(&self, url: &str) -> ApiError {
        let online = window().navigator().on_line();
        let page_origin = window().location().origin().ok();
        let target = origin_of(url);
        if !online || target.is_none() || target == page_origin {
            return ApiError::Network;
        }
        let probe = RequestBuilder::new(url)
            .method(Method::GET)
            .mode(RequestMode::NoCors)
            .send()
            .await;
        match (probe, target) {
            (Ok(_), Some(origin)) => ApiError::Cors { origin },
            _ => ApiError::Network,
        }
    }

    /// `GET /status`.
    pub async fn status(&self) -> Result<StatusResponse, ApiError> {
        self.call(Method::GET, Endpoint::Status, None).await
    }

    /// `GET /authcheck`: are the credentials good?
    pub async fn authcheck(&self) -> Result<StatusResponse, ApiError> {
        self.call(Method::GET, Endpoint::Authcheck, None).await
    }

    /// `POST /share`.
    pub async fn share(&self, request: &ShareRequest) -> Result<Receipt, ApiError> {
        self.call(Method::POST, Endpoint::Share, Some(request.to_form()))
            .await
    }

    /// `POST /generate`.
    pub async fn generate(&self, request: &GenerateRequest) -> Result<Receipt, ApiError> {
        self.call(Method::POST, Endpoint::Generate, Some(request.to_form()))
            .await
    }

    /// `POST /secret/<key>`: reveals, and so consumes, the secret.
    pub async fn reveal(
        &self,
        key: &str,
        passphrase: Option<String>,
    ) -> Result<RevealResponse, ApiError> {
        let body = PassphraseRequest { passphrase }.to_form();
        self.call(Method::POST, Endpoint::Secret(key), Some(body))
            .await
    }

    /// `POST /receipt/<key>`: the receipt, unchanged by looking.
    pub async fn receipt(&self, key: &str) -> Result<Receipt, ApiError> {
        self.call(Method::POST, Endpoint::Receipt(key), Some(String::new()))
            .await
    }

    /// `POST /receipt/<key>/burn`.
    pub async fn burn(
        &self,
        key: &str,
        passphrase: Option<String>,
    ) -> Result<BurnResponse, ApiError> {
        let body = PassphraseRequest { passphrase }.to_form();
        self.call(Method::POST, Endpoint::Burn(key), Some(body))
            .await
    }

    /// `GET /receipt/recent` (accounts only).
    pub async fn recent(&self) -> Result<Vec<Receipt>, ApiError> {
        self.call(Method::GET, Endpoint::Recent, None).await
    }
}

fn basic_auth(auth: &Credentials) -> String {
    use base64::Engine as _;
    let pair = format!("{}:{}", auth.username, auth.token);
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    )
}

/// Every region, for the server picker.
pub fn regions() -> [Region; 5] {
    Region::ALL
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_api_lives_in_the_pages_folder_unless_configured() {
        let settings = Settings::default();
        let page = "https://intranet.example/tools/ots/index.html#/s/abc";
        assert_eq!(folder_of(page), "https://intranet.example/tools/ots");
        assert_eq!(folder_of("http://127.0.0.1:8080/"), "http://127.0.0.1:8080");
        assert_eq!(folder_of("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
        assert_eq!(
            base_url(&settings, &Server::Origin, page),
            "https://intranet.example/tools/ots"
        );
    }

    #[test]
    fn proxied_regions_go_through_the_server_and_others_go_direct() {
        let settings = Settings {
            api: Some("https://ots.example".into()),
            regions: vec![Region::Eu],
            ..Settings::default()
        };
        let page = "https://ots.example/";
        assert_eq!(
            base_url(&settings, &Server::Region(Region::Eu), page),
            "https://ots.example/region/eu"
        );
        assert_eq!(
            base_url(&settings, &Server::Region(Region::Us), page),
            "https://us.onetimesecret.com"
        );
        assert_eq!(
            server_secret_link(&settings, &Server::Region(Region::Eu), page, "k"),
            "https://eu.onetimesecret.com/secret/k"
        );
        assert_eq!(
            server_secret_link(&settings, &Server::Origin, page, "k"),
            "https://ots.example/secret/k"
        );
    }
}
