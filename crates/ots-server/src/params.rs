//! One extractor for v1 parameters, wherever the client put them.
//!
//! v1 reads flat params from the query string, a form-urlencoded body or a multipart
//! body, and (since v0.24) a JSON body. [`Params`] merges all of them into one ordered
//! list of pairs; a body value wins over a query value of the same name. Nested
//! names follow Rack: `character_sets[uppercase]=1`, `recipient[]=a@b.c`.

use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::header;

use crate::error::ApiError;
use crate::state::AppState;

/// Merged request parameters, in arrival order (query first, then body).
#[derive(Debug, Default, Clone)]
pub struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    /// Builds params from pairs (tests and internal callers).
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        Params {
            pairs: pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }

    /// The last value given for `name` (so the body overrides the query string).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Reads the params as a v1 request type (`ots_core::wire::ShareRequest`, …),
    /// one entry at a time, so repeated keys and Rack-style names reach the type as sent.
    pub fn parse<T: serde::de::DeserializeOwned>(&self) -> Result<T, ApiError> {
        use serde::de::value::{Error, MapDeserializer};
        let de = MapDeserializer::<_, Error>::new(
            self.pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        );
        T::deserialize(de).map_err(|_| invalid())
    }

    fn push_json(&mut self, key: String, value: &serde_json::Value) {
        use serde_json::Value;
        match value {
            Value::Null => {}
            Value::String(s) => self.pairs.push((key, s.clone())),
            Value::Bool(b) => self.pairs.push((key, b.to_string())),
            Value::Number(n) => self.pairs.push((key, n.to_string())),
            Value::Array(items) => {
                for item in items {
                    self.push_json(key.clone(), item);
                }
            }
            Value::Object(map) => {
                for (k, v) in map {
                    let sub = if key.is_empty() {
                        k.clone()
                    } else {
                        format!("{key}[{k}]")
                    };
                    self.push_json(sub, v);
                }
            }
        }
    }
}

/// Parses `application/x-www-form-urlencoded` bytes, refusing anything that does not
/// decode to UTF-8 (a silently mangled secret would be worse than an error).
pub fn parse_urlencoded(input: &[u8], out: &mut Vec<(String, String)>) -> Result<(), ApiError> {
    let text = std::str::from_utf8(input).map_err(|_| invalid())?;
    out.extend(ots_core::form::parse(text).ok_or_else(invalid)?);
    Ok(())
}

fn invalid() -> ApiError {
    ApiError::Form("Invalid request parameters".into())
}

/// Most bytes of a refused body read and dropped before answering (see [`drain`]).
const MAX_DRAIN: u64 = 256 * 1024;
/// Most time spent on that.
const DRAIN_TIME: std::time::Duration = std::time::Duration::from_secs(2);

/// Reads a body, refusing it as soon as it is known to exceed `limit` bytes
/// (by `Content-Length` up front, or while streaming), or when all of it has not
/// arrived within `deadline`: a client trickling a body byte by byte would otherwise
/// hold its connection and buffer for as long as it likes.
pub async fn read_limited(
    req: Request,
    limit: usize,
    deadline: std::time::Duration,
) -> Result<(axum::http::request::Parts, Bytes), ApiError> {
    use http_body_util::BodyExt as _;
    let (parts, mut body) = req.into_parts();
    let announced = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if let Some(len) = announced
        && len > limit as u64
    {
        // A client waiting for 100-continue has sent nothing; polling the body would
        // invite it to.
        if len <= MAX_DRAIN && !parts.headers.contains_key(header::EXPECT) {
            drain(&mut body).await;
        }
        return Err(ApiError::TooLarge);
    }
    let mut buf = Vec::with_capacity(announced.map_or(0, |n| n as usize));
    let read = async {
        while let Some(frame) = body.frame().await {
            let Ok(frame) = frame else {
                return Err(ApiError::Form("Invalid request parameters".into()));
            };
            if let Some(data) = frame.data_ref() {
                if buf.len() + data.len() > limit {
                    return Err(ApiError::TooLarge);
                }
                // Copied, not kept: a frame shares its allocation with hyper's read
                // buffer, so keeping the frames of a body trickled byte by byte pinned
                // one buffer (8 KiB and more) per byte.
                buf.extend_from_slice(data);
            }
        }
        Ok(())
    };
    match tokio::time::timeout(deadline, read).await {
        Err(_) => Err(ApiError::BodyTimeout),
        Ok(Err(ApiError::TooLarge)) => {
            drain(&mut body).await;
            Err(ApiError::TooLarge)
        }
        Ok(Err(e)) => Err(e),
        Ok(Ok(())) => Ok((parts, Bytes::from(buf))),
    }
}

/// Reads and drops what a client already sent of a refused body (up to [`MAX_DRAIN`]
/// bytes, for at most [`DRAIN_TIME`]) before the refusal is sent: a socket closed with
/// unread data answers the client with a TCP reset, which can destroy the 413 before
/// the client reads it.
async fn drain(body: &mut axum::body::Body) {
    use http_body_util::BodyExt as _;
    let _ = tokio::time::timeout(DRAIN_TIME, async {
        let mut drained = 0u64;
        while let Some(Ok(frame)) = body.frame().await {
            drained += frame.data_ref().map_or(0, |d| d.len() as u64);
            if drained > MAX_DRAIN {
                break;
            }
        }
    })
    .await;
}

impl FromRequest<AppState> for Params {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let mut params = Params::default();
        if let Some(q) = req.uri().query() {
            parse_urlencoded(q.as_bytes(), &mut params.pairs)?;
        }
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        let (parts, body) =
            read_limited(req, state.config.body_limit(), state.config.body_timeout).await?;
        if body.is_empty() {
            return Ok(params);
        }
        let mime = content_type.split(';').next().unwrap_or("").trim();
        if mime == "multipart/form-data" {
            let mut req = Request::from_parts(parts, axum::body::Body::from(body));
            // The body is already bounded; let multer see all of it.
            req.extensions_mut()
                .insert(axum::extract::DefaultBodyLimit::disable());
            let mut multipart = Multipart::from_request(req, &())
                .await
                .map_err(|_| invalid())?;
            while let Some(field) = multipart.next_field().await.map_err(|_| invalid())? {
                let name = field.name().unwrap_or("").to_owned();
                let bytes = field.bytes().await.map_err(|_| invalid())?;
                let value = String::from_utf8(bytes.to_vec()).map_err(|_| invalid())?;
                params.pairs.push((name, value));
            }
        } else if mime == "application/json" || mime.ends_with("+json") {
            let value: serde_json::Value = serde_json::from_slice(&body).map_err(|_| invalid())?;
            if !value.is_object() {
                return Err(invalid());
            }
            params.push_json(String::new(), &value);
        } else if mime == "application/x-www-form-urlencoded" || mime.is_empty() {
            parse_urlencoded(&body, &mut params.pairs)?;
        }
        // Other content types carry no params, as in Rack.
        Ok(params)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Params {
        let mut p = Params::default();
        parse_urlencoded(s.as_bytes(), &mut p.pairs).expect("valid");
        p
    }

    #[test]
    fn urlencoded_decodes_plus_and_percent() {
        let p = parse("secret=a+b%21&ttl=60&empty=&flag");
        assert_eq!(p.get("secret"), Some("a b!"));
        assert_eq!(p.get("ttl"), Some("60"));
        assert_eq!(p.get("empty"), Some(""));
        assert_eq!(p.get("flag"), Some(""));
    }

    #[test]
    fn bad_escapes_are_rejected() {
        let mut v = Vec::new();
        assert!(parse_urlencoded(b"a=%zz", &mut v).is_err());
    }

    #[test]
    fn parses_into_core_request_types() {
        let p = parse(
            "secret=x&ttl=60abc&recipient[]=a@x.io&recipient[]=b@x.io&character_sets[symbols]=false&length=20",
        );
        let share: ots_core::wire::ShareRequest = p.parse().expect("share");
        assert_eq!(share.secret, "x");
        assert_eq!(share.options.ttl, Some(60));
        assert_eq!(share.options.recipient, vec!["a@x.io", "b@x.io"]);
        let generate: ots_core::wire::GenerateRequest = p.parse().expect("generate");
        assert_eq!(generate.length, Some(20));
        assert!(!generate.character_sets.expect("sets").symbols);
    }

    #[test]
    fn non_utf8_is_rejected() {
        let mut v = Vec::new();
        assert!(parse_urlencoded(b"secret=%ff%fe", &mut v).is_err());
        assert!(parse_urlencoded(b"secret=\xff", &mut v).is_err());
    }

    #[test]
    fn json_flattens_like_rack() {
        let mut p = Params::default();
        p.push_json(
            String::new(),
            &serde_json::json!({"ttl": 60, "recipient": ["a@x.io"], "character_sets": {"symbols": false}}),
        );
        assert_eq!(p.get("ttl"), Some("60"));
        let r: ots_core::wire::GenerateRequest = p.parse().expect("generate");
        assert_eq!(r.options.recipient, vec!["a@x.io"]);
        assert!(!r.character_sets.expect("sets").symbols);
    }
}
