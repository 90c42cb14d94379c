//! The HTTP client for the Onetime Secret API v1 (reference §2), on `ureq` with rustls.
//!
//! Requests are form-encoded by `ots-core`'s wire types and answers are read with them
//! too; this module only moves bytes and turns failures into [`CliError`]s. Bodies that
//! carry secrets are held in [`Zeroizing`] buffers.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use ots_core::limits::Limits;
use ots_core::wire::{
    self, BurnResponse, Endpoint, ErrorBody, GenerateRequest, PassphraseRequest, Receipt,
    RevealResponse, ShareRequest, StatusResponse,
};
use serde::de::DeserializeOwned;
use zeroize::{Zeroize as _, Zeroizing};

use crate::config::Credentials;
use crate::error::{CliError, Result};

/// Largest answer read, in bytes (a secret is at most a few tens of KB).
const MAX_BODY: u64 = 4 * 1024 * 1024;

/// A v1 client for one server.
pub struct Client {
    agent: ureq::Agent,
    base: String,
    auth: Option<Zeroizing<String>>,
}

/// An HTTP answer.
struct Answer {
    /// The HTTP status.
    status: u16,
    /// The `X-OTS-Intended-Status` header.
    intended: Option<u16>,
    /// The `Location` header.
    location: Option<String>,
    /// The body, in a zeroizing buffer: it may hold a secret.
    body: Zeroizing<String>,
}

/// A failed call: the server's classified error, with its text and HTTP status.
#[derive(Debug, Clone)]
pub struct ApiFailure {
    /// The kind, from `ots-core`'s [`wire::classify`].
    pub kind: wire::ApiErrorKind,
    /// The server's message (`message`, else `error`), or `http <status>`.
    pub message: String,
}

impl Client {
    /// A client for the server at `base` (no trailing slash), authenticating with
    /// `credentials` when given.
    pub fn new(base: &str, credentials: Option<&Credentials>) -> Self {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .max_redirects_will_error(false)
            .timeout_connect(Some(Duration::from_secs(20)))
            .timeout_global(Some(Duration::from_secs(120)))
            .user_agent(concat!("ots-cli/", env!("CARGO_PKG_VERSION")))
            .build()
            .new_agent();
        let auth = credentials.map(|c| {
            let plain = Zeroizing::new(format!("{}:{}", c.user, c.token.as_str()));
            Zeroizing::new(format!("Basic {}", STANDARD.encode(plain.as_bytes())))
        });
        Self {
            agent,
            base: base.trim_end_matches('/').to_owned(),
            auth,
        }
    }

    /// The server's base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// Whether requests carry credentials.
    pub fn is_authenticated(&self) -> bool {
        self.auth.is_some()
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn network(&self, url: &str, e: &ureq::Error) -> CliError {
        let detail = match e {
            ureq::Error::Io(io) => io.to_string(),
            ureq::Error::HostNotFound => "host not found".to_owned(),
            ureq::Error::ConnectionFailed => "connection failed".to_owned(),
            ureq::Error::Timeout(_) => "timed out".to_owned(),
            other => other.to_string(),
        };
        CliError::Network {
            url: url.to_owned(),
            detail,
        }
    }

    /// Sends one request and returns the answer.
    fn call(&self, method: &str, path: &str, form: Option<&str>) -> Result<Answer> {
        let url = self.url(path);
        let result = if method == "POST" {
            let mut req = self
                .agent
                .post(&url)
                .header("Accept", "application/json")
                .content_type("application/x-www-form-urlencoded");
            if let Some(auth) = &self.auth {
                req = req.header("Authorization", auth.as_str());
            }
            req.send(form.unwrap_or_default().as_bytes())
        } else {
            let mut req = self.agent.get(&url).header("Accept", "application/json");
            if let Some(auth) = &self.auth {
                req = req.header("Authorization", auth.as_str());
            }
            req.call()
        };
        let mut response = result.map_err(|e| self.network(&url, &e))?;
        let status = response.status().as_u16();
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let intended = header(wire::INTENDED_STATUS_HEADER).and_then(|v| v.trim().parse().ok());
        let location = header("location");
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_BODY)
            .read_to_string()
            .map(Zeroizing::new)
            .map_err(|e| self.network(&url, &e))?;
        Ok(Answer {
            status,
            intended,
            location,
            body,
        })
    }

    /// Calls the API and reads a `T`, or classifies the error.
    fn api<T: DeserializeOwned>(
        &self,
        method: &str,
        endpoint: Endpoint<'_>,
        form: Option<&str>,
    ) -> Result<Result<T, ApiFailure>> {
        let path = endpoint.to_string();
        let Answer {
            status,
            intended,
            location,
            body,
        } = self.call(method, &path, form)?;
        if (300..400).contains(&status) {
            return Err(CliError::Refused {
                kind: wire::ApiErrorKind::Other(format!("http {status}")),
                message: format!(
                    "{} answered with a redirect (HTTP {status}) to {}",
                    self.base,
                    location.as_deref().unwrap_or("nowhere")
                ),
                hint: Some("use the URL it redirects to as --server".into()),
            });
        }
        if (200..300).contains(&status) {
            return serde_json::from_str::<T>(&body).map(Ok).map_err(|_| {
                CliError::Refused {
                    kind: wire::ApiErrorKind::Other("bad answer".into()),
                    message: format!(
                        "{}{path} answered HTTP {status} with something that is not the expected JSON",
                        self.base
                    ),
                    hint: Some("is this a Onetime Secret server (API v1)?".into()),
                }
            });
        }
        let error: ErrorBody = serde_json::from_str(&body).unwrap_or_default();
        let kind = error.kind(intended, status);
        let message = error
            .text()
            .map(str::to_owned)
            .unwrap_or_else(|| format!("HTTP {status}"));
        Ok(Err(ApiFailure { kind, message }))
    }

    /// `GET /api/v1/status`.
    pub fn status(&self) -> Result<Result<StatusResponse, ApiFailure>> {
        self.api("GET", Endpoint::Status, None)
    }

    /// `GET /api/v1/authcheck` (needs credentials).
    pub fn authcheck(&self) -> Result<Result<StatusResponse, ApiFailure>> {
        self.api("GET", Endpoint::Authcheck, None)
    }

    /// `POST /api/v1/share`. The form body is zeroized after sending.
    pub fn share(&self, request: &ShareRequest) -> Result<Result<Receipt, ApiFailure>> {
        let form = Zeroizing::new(request.to_form());
        self.api("POST", Endpoint::Share, Some(&form))
    }

    /// `POST /api/v1/generate`: the receipt carries the password as `value`.
    pub fn generate(&self, request: &GenerateRequest) -> Result<Result<Receipt, ApiFailure>> {
        let form = Zeroizing::new(request.to_form());
        self.api("POST", Endpoint::Generate, Some(&form))
    }

    /// `POST /api/v1/secret/<key>`: reveals, and so destroys, the secret.
    pub fn reveal(
        &self,
        secret_key: &str,
        passphrase: Option<&str>,
    ) -> Result<Result<RevealResponse, ApiFailure>> {
        let form = passphrase_form(passphrase);
        self.api("POST", Endpoint::Secret(secret_key), Some(&form))
    }

    /// `GET /api/v1/receipt/<key>`: the receipt, unchanged.
    pub fn receipt(&self, metadata_key: &str) -> Result<Result<Receipt, ApiFailure>> {
        self.api("GET", Endpoint::Receipt(metadata_key), None)
    }

    /// `POST /api/v1/receipt/<key>/burn`.
    pub fn burn(
        &self,
        metadata_key: &str,
        passphrase: Option<&str>,
    ) -> Result<Result<BurnResponse, ApiFailure>> {
        let form = passphrase_form(passphrase);
        self.api("POST", Endpoint::Burn(metadata_key), Some(&form))
    }

    /// `GET /api/v1/receipt/recent` (needs credentials).
    pub fn recent(&self) -> Result<Result<Vec<Receipt>, ApiFailure>> {
        self.api("GET", Endpoint::Recent, None)
    }

    /// The limits an `ots-server` publishes in its `/config.json`, if it does (hosted
    /// Onetime Secret does not). Any failure is `None`: this is only a pre-check.
    pub fn published_limits(&self) -> Option<Limits> {
        #[derive(serde::Deserialize)]
        struct Published {
            limits: Option<Limits>,
        }
        let answer = self.call("GET", "/config.json", None).ok()?;
        if answer.status != 200 {
            return None;
        }
        serde_json::from_str::<Published>(&answer.body).ok()?.limits
    }
}

/// The body of reveal and burn; the passphrase's copies are wiped.
fn passphrase_form(passphrase: Option<&str>) -> Zeroizing<String> {
    let mut request = PassphraseRequest {
        passphrase: passphrase.map(str::to_owned),
    };
    let form = Zeroizing::new(request.to_form());
    request.passphrase.zeroize();
    form
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_auth_header_is_standard_base64() {
        let credentials = Credentials {
            user: "me@example.com".into(),
            token: Zeroizing::new("t0ken".into()),
        };
        let client = Client::new("http://127.0.0.1:1/", Some(&credentials));
        assert_eq!(
            client.auth.as_deref().map(String::as_str),
            Some("Basic bWVAZXhhbXBsZS5jb206dDBrZW4=")
        );
        assert_eq!(client.base(), "http://127.0.0.1:1");
    }
}
