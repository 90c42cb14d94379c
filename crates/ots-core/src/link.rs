//! The app's link format, shared by the app and the CLI so that a link made in one opens
//! in the other.
//!
//! ```text
//! reveal  = <app_url> "#/s/" <secret_key> [ "/" b64url(fk) ] [ "?" params ]
//! receipt = <app_url> "#/r/" <metadata_key> [ "?" params ]
//! params  = "&"-joined, percent-encoded, all optional, unknown names ignored:
//!   r=<us|eu|ca|nz|uk>     the secret lives in that Onetime Secret region
//!   api=<absolute URL>     the secret lives on that (custom) server
//!   p=<m>.<t>.<p>          a passphrase protects the encryption (Argon2id parameters)
//!   p=1                    a plain server-side passphrase gate
//!   v=2                    the envelope is `ots2`: send its derived access value
//! request = <app_url> "#/q/" b64url(pk) "?e=<expiry>" [ "&n=<note>" ] [ "&" server ]
//! answer  = <app_url> "#/a/" <secret_key> "/" b64url(epk) "?f=<fingerprint>" [ "&" server ]
//! ```
//!
//! Requests and answers are specified in [`crate::request`].
//!
//! [`Route::parse`] also reads the other screens (`#/`, `#/recent`, `#/history`, `#/ask`) and the
//! server's own links, `https://host/secret/<key>` and `https://host/receipt/<key>`
//! (legacy `/private/<key>`, `/metadata/<key>`), whose server is their origin.

use std::fmt;
use std::str::FromStr;

use crate::envelope::{FragmentKey, KdfParams, Version};
use crate::form;
use crate::keys;
use crate::request::{self, AnswerLink, RequestLink};

/// Why a link could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LinkError {
    /// A key is missing, truncated or has foreign characters, or a parameter is bad: the
    /// link is damaged.
    #[error("malformed link")]
    Malformed,
    /// The decryption key in the link is not 43 base64url characters.
    #[error("bad decryption key in link")]
    BadKey,
    /// The link names no screen this version knows.
    #[error("unknown route")]
    UnknownRoute,
}

/// A hosted Onetime Secret region (reference §8). Regions share nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Region {
    /// `us.onetimesecret.com`.
    Us,
    /// `eu.onetimesecret.com`.
    Eu,
    /// `ca.onetimesecret.com`.
    Ca,
    /// `nz.onetimesecret.com`.
    Nz,
    /// `uk.onetimesecret.com`.
    Uk,
}

impl Region {
    /// Every region.
    pub const ALL: [Self; 5] = [Self::Us, Self::Eu, Self::Ca, Self::Nz, Self::Uk];

    /// The short name used in links: `us`, `eu`, `ca`, `nz`, `uk`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Us => "us",
            Self::Eu => "eu",
            Self::Ca => "ca",
            Self::Nz => "nz",
            Self::Uk => "uk",
        }
    }

    /// The region's origin, e.g. `https://eu.onetimesecret.com` (the API is under
    /// `/api/v1`).
    pub fn host(&self) -> &'static str {
        match self {
            Self::Us => "https://us.onetimesecret.com",
            Self::Eu => "https://eu.onetimesecret.com",
            Self::Ca => "https://ca.onetimesecret.com",
            Self::Nz => "https://nz.onetimesecret.com",
            Self::Uk => "https://uk.onetimesecret.com",
        }
    }

    /// The region whose [`Region::host`] is `origin`.
    pub fn from_origin(origin: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.host() == origin)
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Region {
    type Err = LinkError;

    /// The short name, case-insensitively.
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str().eq_ignore_ascii_case(name))
            .ok_or(LinkError::Malformed)
    }
}

/// Where the secret lives.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum Server {
    /// The server that served the link's page: the app's own origin (which proxies
    /// regions for the browser). Links say nothing.
    #[default]
    Origin,
    /// A hosted region (`r=eu`).
    Region(Region),
    /// Another server, as an absolute base URL without trailing slash (`api=…`); the API
    /// is under `<base>/api/v1`.
    Custom(String),
}

impl Server {
    /// A custom server from an absolute `http(s)` URL with an optional path and no query
    /// or fragment; a trailing slash is dropped and scheme and host are lower-cased.
    pub fn custom(url: &str) -> Result<Self, LinkError> {
        let (origin, rest) = split_origin(url).ok_or(LinkError::Malformed)?;
        // `split_origin` leaves a path that is empty or starts with '/', '?' or '#', and
        // a query or fragment is refused here: what is left is a clean path.
        let clean = rest
            .chars()
            .all(|c| !c.is_ascii_control() && !c.is_whitespace() && !matches!(c, '?' | '#'));
        if !clean {
            return Err(LinkError::Malformed);
        }
        Ok(Self::Custom(format!(
            "{origin}{}",
            rest.trim_end_matches('/')
        )))
    }

    /// The server for a URL's origin: a [`Region`] if it is a region's host, else custom.
    fn from_origin(origin: &str) -> Self {
        Region::from_origin(origin).map_or_else(|| Self::Custom(origin.to_owned()), Self::Region)
    }

    /// The absolute base URL to call directly, given the origin the link came from (for
    /// [`Server::Origin`]). The CLI uses this; the browser app, which cannot call other
    /// origins, calls its own server instead and names the region or server to it.
    pub fn base_url<'a>(&'a self, link_origin: &'a str) -> &'a str {
        match self {
            Self::Origin => link_origin,
            Self::Region(r) => r.host(),
            Self::Custom(url) => url,
        }
    }
}

/// What the recipient must know about a passphrase before revealing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum PassphraseHint {
    /// No passphrase.
    #[default]
    None,
    /// A plain server-side gate (`p=1`): send the passphrase as is.
    Gate,
    /// The passphrase protects the encryption (`p=<m>.<t>.<p>`): derive `access` with
    /// these parameters and send that.
    Kdf(KdfParams),
}

/// A link to reveal a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevealLink {
    /// The OTS secret key.
    pub secret_key: String,
    /// The decryption key, if the secret is encrypted and the key is in the link.
    pub key: Option<FragmentKey>,
    /// Where the secret lives.
    pub server: Server,
    /// Whether a passphrase is needed, and how.
    pub passphrase: PassphraseHint,
    /// The envelope version (`v=2`; none means `ots1`), known before the reveal because
    /// `ots2` secrets need [`crate::envelope::ots2_access`] as the API passphrase.
    pub version: Version,
}

/// A link to the creator's receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptLink {
    /// The OTS receipt (metadata) key.
    pub metadata_key: String,
    /// Where the secret lives.
    pub server: Server,
    /// For a secret whose passphrase also protects the encryption: the derived access
    /// value ([`crate::envelope::DerivedPassphrase::access`]) that burning needs, since the
    /// creator's passphrase alone no longer opens it (`?b=`). Never the passphrase itself.
    pub access: Option<String>,
}

/// A screen of the app, as named by a link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// `#/`: create a secret.
    Create,
    /// `#/s/…`: reveal a secret.
    Reveal(RevealLink),
    /// `#/r/…`: a receipt.
    Receipt(ReceiptLink),
    /// `#/recent`: the account's recent receipts.
    Recent,
    /// `#/history`: receipts remembered on this device.
    History,
    /// `#/ask`: make a request for a secret.
    Ask,
    /// `#/q/…`: someone asks for a secret (see [`crate::request`]).
    Request(RequestLink),
    /// `#/a/…`: the answer to a request, which only the asker's device opens.
    Answer(AnswerLink),
}

/// Splits `scheme://authority` off an absolute `http(s)` URL: `(origin, rest)`, with the
/// origin lower-cased. `None` without a host, or with user info (`user@host`).
fn split_origin(url: &str) -> Option<(String, &str)> {
    let (scheme, after) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "https" && scheme != "http" {
        return None;
    }
    let end = after.find(['/', '?', '#']).unwrap_or(after.len());
    let (authority, rest) = after.split_at(end);
    let valid = !authority.is_empty()
        && authority
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'));
    valid.then(|| {
        (
            format!("{scheme}://{}", authority.to_ascii_lowercase()),
            rest,
        )
    })
}

/// A server's own reveal page for a plain secret, as Onetime Secret and ots-server
/// serve it: `server_secret_url(base, key) = base || "/secret/" || key`, where `base` is
/// the server's URL without a trailing slash. [`Route::parse`] reads it back.
pub fn server_secret_url(base: &str, secret_key: &str) -> String {
    format!("{base}/secret/{secret_key}")
}

/// The origin (`https://host[:port]`, lower-cased) of an absolute `http(s)` URL.
pub fn origin(url: &str) -> Option<String> {
    split_origin(url.trim()).map(|(origin, _)| origin)
}

fn checked_key(key: &str) -> Result<String, LinkError> {
    if keys::is_valid(key) {
        Ok(key.to_owned())
    } else {
        Err(LinkError::Malformed)
    }
}

/// The link parameters, read from the part after `?`.
struct Params {
    server: Server,
    passphrase: PassphraseHint,
    access: Option<String>,
    version: Version,
    /// The pairs no common parameter took, for the request routes to read.
    extra: Vec<(String, String)>,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            server: Server::Origin,
            passphrase: PassphraseHint::None,
            access: None,
            version: Version::V1,
            extra: Vec::new(),
        }
    }
}

impl Params {
    fn parse(query: Option<&str>) -> Result<Self, LinkError> {
        let mut out = Self::default();
        let Some(query) = query else { return Ok(out) };
        let (mut region, mut api) = (None, None);
        for (name, value) in form::parse(query).ok_or(LinkError::Malformed)? {
            match name.as_str() {
                "r" => region = Some(value.parse::<Region>()?),
                "api" => api = Some(Server::custom(&value)?),
                "p" if value == "1" => out.passphrase = PassphraseHint::Gate,
                "p" => {
                    let params = value.parse().map_err(|_| LinkError::Malformed)?;
                    out.passphrase = PassphraseHint::Kdf(params);
                }
                // 43 base64url characters, as `DerivedPassphrase::access` writes them.
                "b" if value.len() == 43
                    && value
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') =>
                {
                    out.access = Some(value);
                }
                "b" => return Err(LinkError::Malformed),
                "v" if value == "1" => out.version = Version::V1,
                "v" if value == "2" => out.version = Version::V2,
                "v" => return Err(LinkError::Malformed),
                _ => out.extra.push((name, value)),
            }
        }
        out.server = match (region, api) {
            (Some(_), Some(_)) => return Err(LinkError::Malformed),
            (Some(r), None) => Server::Region(r),
            (None, Some(custom)) => custom,
            (None, None) => Server::Origin,
        };
        Ok(out)
    }

    /// `?r=…&p=…&v=2&b=…`, or `""` when there is nothing to say.
    fn write(
        f: &mut fmt::Formatter<'_>,
        server: &Server,
        passphrase: PassphraseHint,
        version: Version,
        access: Option<&str>,
        extra: &[(&str, String)],
    ) -> fmt::Result {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        match server {
            Server::Origin => {}
            Server::Region(r) => pairs.push(("r", r.as_str().to_owned())),
            Server::Custom(url) => pairs.push(("api", url.clone())),
        }
        match passphrase {
            PassphraseHint::None => {}
            PassphraseHint::Gate => pairs.push(("p", "1".to_owned())),
            PassphraseHint::Kdf(k) => pairs.push(("p", k.to_string())),
        }
        if version == Version::V2 {
            pairs.push(("v", "2".to_owned()));
        }
        if let Some(access) = access {
            pairs.push(("b", access.to_owned()));
        }
        pairs.extend_from_slice(extra);
        if pairs.is_empty() {
            Ok(())
        } else {
            write!(
                f,
                "?{}",
                form::encode(pairs.iter().map(|(n, v)| (*n, v.as_str())))
            )
        }
    }
}

impl Route {
    /// Reads a full link (`https://app.example/#/s/…`, `https://eu.onetimesecret.com/secret/…`)
    /// or just a fragment (`#/s/…`, with or without the `#`). Surrounding whitespace is
    /// ignored. An empty fragment is [`Route::Create`].
    pub fn parse(input: &str) -> Result<Self, LinkError> {
        let input = input.trim();
        match input.split_once('#') {
            Some((_, "" | "/")) => Ok(Self::Create),
            Some((_, fragment)) => Self::parse_fragment(fragment),
            None => match split_origin(input) {
                Some((origin, rest)) => Self::parse_server_path(&origin, rest),
                None => Self::parse_fragment(input),
            },
        }
    }

    /// `/s/<key>[/<fk>][?params]`, `/r/<key>[?params]`, `/recent`, `/history`, `/`.
    fn parse_fragment(fragment: &str) -> Result<Self, LinkError> {
        let (path, query) = match fragment.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (fragment, None),
        };
        let path = path.strip_prefix('/').unwrap_or(path);
        let segments: Vec<&str> = path.split('/').collect();
        match segments.as_slice() {
            [""] => Ok(Self::Create),
            ["recent"] => Ok(Self::Recent),
            ["history"] => Ok(Self::History),
            ["ask"] => Ok(Self::Ask),
            ["s", rest @ ..] => {
                let (secret_key, key) = match rest {
                    [secret_key] => (*secret_key, None),
                    [secret_key, fk] => {
                        let fk = fk.parse::<FragmentKey>().map_err(|_| LinkError::BadKey)?;
                        (*secret_key, Some(fk))
                    }
                    _ => return Err(LinkError::Malformed),
                };
                let params = Params::parse(query)?;
                Ok(Self::Reveal(RevealLink {
                    secret_key: checked_key(secret_key)?,
                    key,
                    server: params.server,
                    passphrase: params.passphrase,
                    version: params.version,
                }))
            }
            ["r", metadata_key] => {
                let params = Params::parse(query)?;
                Ok(Self::Receipt(ReceiptLink {
                    metadata_key: checked_key(metadata_key)?,
                    server: params.server,
                    access: params.access,
                }))
            }
            ["r", ..] => Err(LinkError::Malformed),
            ["q", pk] => {
                let params = Params::parse(query)?;
                Ok(Self::Request(request::request_from_parts(
                    pk,
                    &params.extra,
                    params.server,
                )?))
            }
            ["a", secret_key, epk] => {
                let params = Params::parse(query)?;
                Ok(Self::Answer(request::answer_from_parts(
                    checked_key(secret_key)?,
                    epk,
                    &params.extra,
                    params.server,
                )?))
            }
            ["q" | "a", ..] => Err(LinkError::Malformed),
            _ => Err(LinkError::UnknownRoute),
        }
    }

    /// An OTS server's own links: `/secret/<key>`, `/receipt/<key>`, `/private/<key>`,
    /// `/metadata/<key>`; the server is the URL's origin. Anything else is the app itself.
    fn parse_server_path(origin: &str, rest: &str) -> Result<Self, LinkError> {
        let path = rest.split(['?', '#']).next().unwrap_or_default();
        let segments: Vec<&str> = path
            .trim_matches('/')
            .split('/')
            .filter(|s| !s.is_empty())
            .collect();
        let server = Server::from_origin(origin);
        match segments.as_slice() {
            ["secret", key] => Ok(Self::Reveal(RevealLink {
                secret_key: checked_key(key)?,
                key: None,
                server,
                passphrase: PassphraseHint::None,
                version: Version::V1,
            })),
            ["receipt" | "private" | "metadata", key] => Ok(Self::Receipt(ReceiptLink {
                metadata_key: checked_key(key)?,
                server,
                access: None,
            })),
            ["secret" | "receipt" | "private" | "metadata", ..] => Err(LinkError::Malformed),
            _ => Ok(Self::Create),
        }
    }

    /// The whole link: `app_url` (any fragment dropped) followed by this route's fragment.
    pub fn to_url(&self, app_url: &str) -> String {
        let base = app_url.split('#').next().unwrap_or_default();
        // "https://app.example" gets its root path, as browsers would write it.
        let needs_slash = split_origin(base).is_some_and(|(_, rest)| rest.is_empty());
        format!("{base}{}{self}", if needs_slash { "/" } else { "" })
    }
}

impl fmt::Display for Route {
    /// The fragment, `#` included: `#/s/<key>/<fk>?r=eu`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Create => f.write_str("#/"),
            Self::Recent => f.write_str("#/recent"),
            Self::History => f.write_str("#/history"),
            Self::Ask => f.write_str("#/ask"),
            Self::Reveal(link) => {
                write!(f, "#/s/{}", link.secret_key)?;
                if let Some(key) = &link.key {
                    write!(f, "/{key}")?;
                }
                Params::write(f, &link.server, link.passphrase, link.version, None, &[])
            }
            Self::Receipt(link) => {
                write!(f, "#/r/{}", link.metadata_key)?;
                Params::write(
                    f,
                    &link.server,
                    PassphraseHint::None,
                    Version::V1,
                    link.access.as_deref(),
                    &[],
                )
            }
            Self::Request(link) => {
                write!(f, "#/q/{}", link.public_key)?;
                let mut extra = vec![("e", link.expires.to_string())];
                if let Some(note) = &link.note {
                    extra.push(("n", note.clone()));
                }
                Params::write(
                    f,
                    &link.server,
                    PassphraseHint::None,
                    Version::V1,
                    None,
                    &extra,
                )
            }
            Self::Answer(link) => {
                write!(f, "#/a/{}/{}", link.secret_key, link.ephemeral)?;
                let extra = [("f", link.to.compact())];
                Params::write(
                    f,
                    &link.server,
                    PassphraseHint::None,
                    Version::V1,
                    None,
                    &extra,
                )
            }
        }
    }
}

impl FromStr for Route {
    type Err = LinkError;

    /// Same as [`Route::parse`].
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        Self::parse(input)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Which custom servers a link may name: an http(s) origin and a clean path, nothing
    /// else (no query, fragment, whitespace or control character), one trailing slash
    /// dropped.
    #[test]
    fn a_custom_server_is_an_origin_and_a_clean_path() {
        for (url, want) in [
            ("https://ots.example.com", "https://ots.example.com"),
            ("https://ots.example.com/", "https://ots.example.com"),
            (
                "http://OTS.example.com:8080/base/",
                "http://ots.example.com:8080/base",
            ),
            ("https://ots.example.com/a/b", "https://ots.example.com/a/b"),
        ] {
            assert_eq!(
                Server::custom(url),
                Ok(Server::Custom(want.into())),
                "{url}"
            );
        }
        for url in [
            "https://ots.example.com/a b",     // whitespace
            "https://ots.example.com/a\u{a0}", // non-ASCII whitespace
            "https://ots.example.com/a\u{7f}", // a control character that is not whitespace
            "https://ots.example.com/a?b=c",   // a query
            "https://ots.example.com/a#top",   // a fragment
            "https://ots.example.com?b",       // a query right after the host
            "ftp://ots.example.com",           // not http(s)
            "https://",                        // no host
            "ots.example.com",                 // no scheme
        ] {
            assert_eq!(Server::custom(url), Err(LinkError::Malformed), "{url:?}");
        }
    }
    use proptest::prelude::*;

    const KEY: &str = "ou88al7nsj14a2pancybh3w3378r0we476bl9wysaj2w55hleccvknxckr7bb3";
    const FK: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";
    const APP: &str = "https://app.example/";

    /// The app builds its region proxy path from `Display` (`/region/eu`).
    #[test]
    fn region_names_display_and_parse_back() {
        let names: Vec<String> = Region::ALL.iter().map(Region::to_string).collect();
        assert_eq!(names, ["us", "eu", "ca", "nz", "uk"]);
        for r in Region::ALL {
            assert_eq!(r.to_string().to_uppercase().parse::<Region>(), Ok(r));
        }
    }

    fn fk() -> FragmentKey {
        FK.parse().expect("valid key")
    }

    fn reveal(server: Server, passphrase: PassphraseHint) -> Route {
        Route::Reveal(RevealLink {
            secret_key: KEY.into(),
            key: Some(fk()),
            server,
            passphrase,
            version: Version::V1,
        })
    }

    #[test]
    fn the_envelope_version_is_v_2_and_absent_for_ots1() {
        let Route::Reveal(mut link) =
            reveal(Server::Origin, PassphraseHint::Kdf(KdfParams::DEFAULT))
        else {
            unreachable!()
        };
        link.version = Version::V2;
        let text = Route::Reveal(link.clone()).to_string();
        assert_eq!(text, format!("#/s/{KEY}/{FK}?p=19456.2.1&v=2"));
        assert_eq!(Route::parse(&text), Ok(Route::Reveal(link.clone())));
        link.version = Version::V1;
        assert_eq!(
            Route::parse(&format!("#/s/{KEY}/{FK}?p=19456.2.1&v=1")),
            Ok(Route::Reveal(link))
        );
        for bad in ["v=3", "v=", "v=02", "v=two"] {
            assert_eq!(
                Route::parse(&format!("#/s/{KEY}/{FK}?{bad}")),
                Err(LinkError::Malformed),
                "{bad}"
            );
        }
    }

    #[test]
    fn builds_the_documented_links() {
        assert_eq!(
            reveal(Server::Origin, PassphraseHint::None).to_url(APP),
            format!("https://app.example/#/s/{KEY}/{FK}")
        );
        assert_eq!(
            reveal(
                Server::Region(Region::Eu),
                PassphraseHint::Kdf(KdfParams::DEFAULT)
            )
            .to_string(),
            format!("#/s/{KEY}/{FK}?r=eu&p=19456.2.1")
        );
        let custom = Server::custom("https://Secrets.Example.com:8443/ots/").expect("valid");
        assert_eq!(
            custom,
            Server::Custom("https://secrets.example.com:8443/ots".into())
        );
        assert_eq!(
            reveal(custom, PassphraseHint::Gate).to_string(),
            format!("#/s/{KEY}/{FK}?api=https%3A%2F%2Fsecrets.example.com%3A8443%2Fots&p=1")
        );
        let mut link = ReceiptLink {
            metadata_key: KEY.into(),
            server: Server::Region(Region::Uk),
            access: None,
        };
        let receipt = Route::Receipt(link.clone());
        assert_eq!(
            receipt.to_url("https://app.example"),
            format!("https://app.example/#/r/{KEY}?r=uk")
        );
        link.access = Some(FK.into());
        let with_access = format!("#/r/{KEY}?r=uk&b={FK}");
        assert_eq!(Route::Receipt(link.clone()).to_string(), with_access);
        assert_eq!(Route::parse(&with_access), Ok(Route::Receipt(link)));
        for bad in [
            "b=short",
            "b=",
            "b=%2F%2F%2F%2F%2F%2F%2F%2F%2F%2F%2F%2F%2F%2F%2F%2F%2F%2F%2F%2F%2F%2F%2F%2F%2F%2F%2F%2F%2F%2F%2F%2F%2F%2F%2F%2F%2F%2F%2F%2F%2F%2F%2F",
        ] {
            assert_eq!(
                Route::parse(&format!("#/r/{KEY}?{bad}")),
                Err(LinkError::Malformed),
                "{bad}"
            );
        }
        assert_eq!(
            Route::Create.to_url("https://app.example/x/#/old"),
            "https://app.example/x/#/"
        );
        assert_eq!(Route::Recent.to_string(), "#/recent");
        assert_eq!(Route::History.to_string(), "#/history");
        assert_eq!(Route::Ask.to_string(), "#/ask");
        assert_eq!(Route::parse("https://app.example/#/ask"), Ok(Route::Ask));
    }

    #[test]
    fn parses_full_links_and_bare_fragments() {
        let route = reveal(
            Server::Region(Region::Nz),
            PassphraseHint::Kdf(KdfParams::DEFAULT),
        );
        for input in [
            format!("https://app.example/#/s/{KEY}/{FK}?r=nz&p=19456.2.1"),
            format!("https://app.example/?utm=1#/s/{KEY}/{FK}?p=19456.2.1&r=NZ&future=x"),
            format!("#/s/{KEY}/{FK}?r=nz&p=19456.2.1"),
            format!("/s/{KEY}/{FK}?r=nz&p=19456.2.1"),
            format!("  s/{KEY}/{FK}?r=nz&p=19456.2.1\n"),
        ] {
            assert_eq!(Route::parse(&input), Ok(route.clone()), "{input}");
        }
        for input in [
            "",
            "#",
            "#/",
            "/",
            "https://app.example/",
            "https://app.example/#",
            "https://app.example",
        ] {
            assert_eq!(Route::parse(input), Ok(Route::Create), "{input:?}");
        }
        assert_eq!(Route::parse("#/recent"), Ok(Route::Recent));
        assert_eq!(
            Route::parse("https://app.example/#/history"),
            Ok(Route::History)
        );
    }

    #[test]
    fn request_and_answer_links_are_as_documented() {
        let pk = request::PublicKey::from_bytes([1; 32]);
        let ask = Route::Request(RequestLink {
            public_key: pk,
            note: Some("VPN for Berlin & co".into()),
            expires: 1_800_000_000,
            server: Server::Region(Region::Eu),
        });
        let text = format!("#/q/{pk}?r=eu&e=1800000000&n=VPN%20for%20Berlin%20%26%20co");
        assert_eq!(ask.to_string(), text);
        assert_eq!(Route::parse(&text), Ok(ask));
        let bare = format!("#/q/{pk}?e=5&n=");
        let Ok(Route::Request(link)) = Route::parse(&bare) else {
            panic!("{bare}")
        };
        assert_eq!(
            (link.note, link.expires, link.server),
            (None, 5, Server::Origin)
        );

        let epk = request::PublicKey::from_bytes([2; 32]);
        let answer = Route::Answer(AnswerLink {
            secret_key: KEY.into(),
            ephemeral: epk,
            to: pk.fingerprint(),
            server: Server::Origin,
        });
        let fp = pk.fingerprint().compact();
        assert_eq!(
            answer.to_url(APP),
            format!("https://app.example/#/a/{KEY}/{epk}?f={fp}")
        );
        assert_eq!(Route::parse(&answer.to_url(APP)), Ok(answer));

        for (bad, error) in [
            (format!("#/q/{pk}"), LinkError::Malformed),
            (format!("#/q/{pk}?e=07"), LinkError::Malformed),
            (format!("#/q/{pk}?e=-1"), LinkError::Malformed),
            (format!("#/q/{pk}?e=1&n=a%0Ab"), LinkError::Malformed),
            (format!("#/q/{pk}?e=1&n=%E2%80%AEx"), LinkError::Malformed),
            (format!("#/q/{pk}/x?e=1"), LinkError::Malformed),
            (
                format!("#/q/{}?e=1", &pk.to_string()[..42]),
                LinkError::BadKey,
            ),
            (format!("#/a/{KEY}/{epk}"), LinkError::Malformed),
            (
                format!("#/a/{KEY}/{epk}?f={}", &fp[..11]),
                LinkError::Malformed,
            ),
            (
                format!("#/a/{KEY}/{epk}?f=0000-0000-0000"),
                LinkError::Malformed,
            ),
            (format!("#/a/{KEY}?f={fp}"), LinkError::Malformed),
            (format!("#/a/{KEY}/{epk}x?f={fp}"), LinkError::BadKey),
            (format!("#/a/short/{epk}?f={fp}"), LinkError::Malformed),
        ] {
            assert_eq!(Route::parse(&bad), Err(error), "{bad}");
        }
    }

    #[test]
    fn a_reveal_link_may_omit_the_key() {
        let route = Route::parse(&format!("#/s/{KEY}?p=1")).expect("parses");
        assert_eq!(
            route,
            Route::Reveal(RevealLink {
                secret_key: KEY.into(),
                key: None,
                server: Server::Origin,
                passphrase: PassphraseHint::Gate,
                version: Version::V1,
            })
        );
    }

    #[test]
    fn server_secret_urls_read_back_as_reveal_links() {
        let url = server_secret_url("https://eu.onetimesecret.com", KEY);
        assert_eq!(url, format!("https://eu.onetimesecret.com/secret/{KEY}"));
        assert_eq!(
            Route::parse(&url),
            Ok(Route::Reveal(RevealLink {
                secret_key: KEY.into(),
                key: None,
                server: Server::Region(Region::Eu),
                passphrase: PassphraseHint::None,
                version: Version::V1,
            }))
        );
    }

    #[test]
    fn parses_server_links_with_their_origin() {
        assert_eq!(
            Route::parse(&format!("https://eu.onetimesecret.com/secret/{KEY}")),
            Ok(Route::Reveal(RevealLink {
                secret_key: KEY.into(),
                key: None,
                server: Server::Region(Region::Eu),
                passphrase: PassphraseHint::None,
                version: Version::V1,
            }))
        );
        for path in ["receipt", "private", "metadata"] {
            assert_eq!(
                Route::parse(&format!("https://Secrets.Example.com/{path}/{KEY}/")),
                Ok(Route::Receipt(ReceiptLink {
                    metadata_key: KEY.into(),
                    server: Server::Custom("https://secrets.example.com".into()),
                    access: None,
                })),
                "{path}"
            );
        }
        assert_eq!(
            Route::parse("https://onetimesecret.com/secret/short"),
            Err(LinkError::Malformed)
        );
    }

    #[test]
    fn base_url_resolves_each_server() {
        let origin = origin("https://App.Example:8080/x#/s/y").expect("has origin");
        assert_eq!(origin, "https://app.example:8080");
        assert_eq!(Server::Origin.base_url(&origin), "https://app.example:8080");
        assert_eq!(
            Server::Region(Region::Ca).base_url(&origin),
            "https://ca.onetimesecret.com"
        );
        assert_eq!(
            Server::Custom("http://localhost:3000".into()).base_url(&origin),
            "http://localhost:3000"
        );
        assert_eq!(super::origin("ftp://x"), None);
        assert_eq!(super::origin("https://user@x"), None);
    }

    #[test]
    fn damaged_links_are_refused() {
        let short_key = &KEY[..19];
        let cases = [
            (format!("#/s/{short_key}/{FK}"), LinkError::Malformed),
            (format!("#/s/{KEY}./{FK}"), LinkError::Malformed),
            (format!("#/s/{KEY}/{}", &FK[..42]), LinkError::BadKey),
            (format!("#/s/{KEY}/{}!", &FK[..42]), LinkError::BadKey),
            (format!("#/s/{KEY}/{FK}."), LinkError::BadKey),
            (format!("#/s/{KEY}/{FK}/more"), LinkError::Malformed),
            ("#/s/".to_owned(), LinkError::Malformed),
            ("#/s".to_owned(), LinkError::Malformed),
            (format!("#/s/{KEY}/{FK}?r=mars"), LinkError::Malformed),
            (
                format!("#/s/{KEY}/{FK}?r=eu&api=https%3A%2F%2Fx.example"),
                LinkError::Malformed,
            ),
            (
                format!("#/s/{KEY}/{FK}?api=ftp%3A%2F%2Fx.example"),
                LinkError::Malformed,
            ),
            (
                format!("#/s/{KEY}/{FK}?api=https%3A%2F%2Fx.example%3Fq"),
                LinkError::Malformed,
            ),
            (format!("#/s/{KEY}/{FK}?p=19456.2"), LinkError::Malformed),
            (
                format!("#/s/{KEY}/{FK}?p=9999999.2.1"),
                LinkError::Malformed,
            ),
            (format!("#/s/{KEY}/{FK}?p=%zz"), LinkError::Malformed),
            (format!("#/r/{KEY}/{FK}"), LinkError::Malformed),
            (format!("#/r/{short_key}"), LinkError::Malformed),
            ("#/nowhere".to_owned(), LinkError::UnknownRoute),
            ("#/S/abc".to_owned(), LinkError::UnknownRoute),
            (
                format!("https://x.example/secret/{KEY}/extra"),
                LinkError::Malformed,
            ),
        ];
        for (input, error) in cases {
            assert_eq!(Route::parse(&input), Err(error), "{input}");
        }
    }

    #[test]
    fn a_key_cut_below_the_minimum_is_refused() {
        for end in 0..keys::MIN_LEN {
            let input = format!("#/s/{}", &KEY[..end]);
            assert_eq!(Route::parse(&input), Err(LinkError::Malformed), "{input}");
        }
    }

    #[test]
    fn a_link_cut_after_the_secret_key_never_yields_a_wrong_key() {
        // A secret key cut to 20 or more characters still looks like a key (keys are
        // opaque and vary in length); the server then answers "Unknown secret". Past the
        // secret key, every cut is refused, or keeps both keys whole, or (cut exactly at
        // the slash) drops the decryption key, which the app then asks for.
        let url = reveal(
            Server::Region(Region::Eu),
            PassphraseHint::Kdf(KdfParams::DEFAULT),
        )
        .to_url(APP);
        let boundary = url.find(KEY).expect("has key") + KEY.len();
        for end in boundary..url.len() {
            match Route::parse(&url[..end]) {
                Err(_) => {}
                Ok(Route::Reveal(link)) => {
                    assert_eq!(link.secret_key, KEY, "cut at {end}");
                    if end != boundary {
                        assert_eq!(link.key.as_ref(), Some(&fk()), "cut at {end}");
                    }
                }
                Ok(other) => panic!("cut at {end}: {other:?}"),
            }
        }
    }

    fn server_strategy() -> impl Strategy<Value = Server> {
        prop_oneof![
            Just(Server::Origin),
            proptest::sample::select(Region::ALL.to_vec()).prop_map(Server::Region),
            "(http|https)://[a-z0-9]{1,12}(\\.[a-z]{2,6})?(:[0-9]{2,5})?(/[a-zA-Z0-9._~%-]{1,8}){0,2}"
                .prop_map(|url| Server::custom(&url).expect("strategy makes valid URLs")),
        ]
    }

    fn hint_strategy() -> impl Strategy<Value = PassphraseHint> {
        prop_oneof![
            Just(PassphraseHint::None),
            Just(PassphraseHint::Gate),
            (8u32..=262_144, 1u32..=10, 1u32..=4)
                .prop_filter_map("valid params", |(m, t, p)| KdfParams::new(m, t, p).ok())
                .prop_map(PassphraseHint::Kdf),
        ]
    }

    fn route_strategy() -> impl Strategy<Value = Route> {
        prop_oneof![
            Just(Route::Create),
            Just(Route::Recent),
            Just(Route::History),
            Just(Route::Ask),
            (
                "[A-Za-z0-9_-]{20,70}",
                proptest::option::of(any::<[u8; 32]>()),
                server_strategy(),
                hint_strategy(),
                any::<bool>()
            )
                .prop_map(|(secret_key, key, server, passphrase, v2)| Route::Reveal(
                    RevealLink {
                        secret_key,
                        key: key.map(FragmentKey::from_bytes),
                        server,
                        passphrase,
                        version: if v2 { Version::V2 } else { Version::V1 },
                    }
                )),
            (
                "[A-Za-z0-9_-]{20,70}",
                server_strategy(),
                proptest::option::of("[A-Za-z0-9_-]{43}")
            )
                .prop_map(|(metadata_key, server, access)| {
                    Route::Receipt(ReceiptLink {
                        metadata_key,
                        server,
                        access,
                    })
                }),
            (
                any::<[u8; 32]>(),
                proptest::option::of("\\PC{1,60}"),
                any::<u64>(),
                server_strategy()
            )
                .prop_map(|(pk, note, expires, server)| Route::Request(RequestLink {
                    public_key: request::PublicKey::from_bytes(pk),
                    note: note.filter(|n| request::note_is_valid(n)),
                    expires,
                    server,
                })),
            (
                "[A-Za-z0-9_-]{20,70}",
                any::<[u8; 32]>(),
                any::<[u8; 32]>(),
                server_strategy()
            )
                .prop_map(|(secret_key, epk, pk, server)| Route::Answer(AnswerLink {
                    secret_key,
                    ephemeral: request::PublicKey::from_bytes(epk),
                    to: request::PublicKey::from_bytes(pk).fingerprint(),
                    server,
                })),
        ]
    }

    proptest! {
        #[test]
        fn fragments_round_trip(route in route_strategy()) {
            prop_assert_eq!(Route::parse(&route.to_string()), Ok(route.clone()));
        }

        #[test]
        fn urls_round_trip(route in route_strategy(), app in "https://[a-z]{1,10}\\.example(/[a-z]{1,6}/?)?") {
            prop_assert_eq!(Route::parse(&route.to_url(&app)), Ok(route.clone()));
        }

        #[test]
        fn arbitrary_input_never_panics(input in "\\PC{0,120}") {
            let _ = Route::parse(&input);
        }
    }
}
