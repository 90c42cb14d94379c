//! Asking for a secret, in the browser: the X25519 half of `ots_core::request`, done by
//! WebCrypto, and this browser's open requests.
//!
//! The asker's private key is generated non-extractable and kept as a `CryptoKey` in
//! IndexedDB (database `ots-requests`, store `keys`, under the request's fingerprint):
//! page code can use it to agree on a key, never read it out. Each request's details (its
//! link, when it was made, when it expires, when an answer was read) are sealed like the
//! Sent history's records, under that database's own non-extractable AES key. Nothing is
//! ever written to `localStorage`. WebCrypto computes X25519, so the app's WebAssembly
//! carries no curve code; `ots_core::request` does the rest.

use js_sys::{Array, ArrayBuffer, Object, Reflect, Uint8Array};
use ots_core::link::{Route, Server};
use ots_core::payload::Payload;
use ots_core::request::{
    self, AnswerKeys, Fingerprint, PublicKey, RequestLink, SealedAnswer, SharedSecret,
};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{CryptoKey, IdbDatabase, IdbTransactionMode};

use crate::history::{self, KEYS, Res, done, store, subtle};

/// The database of this browser's requests.
pub const DATABASE: &str = "ots-requests";
/// Its sealed records, by fingerprint.
const ASKS: &str = "asks";

/// A request this browser made and can still open answers to.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenRequest {
    /// The request link as handed out.
    pub link: RequestLink,
    /// The whole request link.
    pub url: String,
    /// Epoch seconds.
    pub created: u64,
    /// When an answer was read here, if one was.
    pub read: Option<u64>,
}

impl OpenRequest {
    /// Its fingerprint, which names it.
    pub fn fingerprint(&self) -> Fingerprint {
        self.link.public_key.fingerprint()
    }

    fn encode(&self) -> String {
        let created = self.created.to_string();
        let read = self.read.map(|t| t.to_string()).unwrap_or_default();
        ots_core::form::encode([
            ("u", self.url.as_str()),
            ("c", created.as_str()),
            ("a", read.as_str()),
        ])
    }

    fn decode(text: &str) -> Option<Self> {
        let pairs = ots_core::form::parse(text)?;
        let get = |n: &str| pairs.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
        let url = get("u")?.to_owned();
        let Ok(Route::Request(link)) = Route::parse(&url) else {
            return None;
        };
        Some(Self {
            link,
            url,
            created: get("c")?.parse().ok()?,
            read: get("a").and_then(|t| t.parse().ok()),
        })
    }
}

/// Seconds since the epoch.
pub fn now() -> u64 {
    (js_sys::Date::now() / 1000.0) as u64
}

fn algorithm(public: Option<&CryptoKey>) -> Res<Object> {
    let algorithm = Object::new();
    Reflect::set(&algorithm, &"name".into(), &"X25519".into())?;
    if let Some(public) = public {
        Reflect::set(&algorithm, &"public".into(), public)?;
    }
    Ok(algorithm)
}

fn bytes32(buffer: &JsValue) -> Res<[u8; 32]> {
    let bytes = Uint8Array::new(buffer).to_vec();
    <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| JsValue::NULL)
}

/// A new X25519 key pair, the private half non-extractable: `(private, public bytes)`.
async fn key_pair() -> Res<(CryptoKey, PublicKey)> {
    let usages = Array::of1(&"deriveBits".into());
    let pair =
        JsFuture::from(subtle()?.generate_key_with_object(&algorithm(None)?, false, &usages)?)
            .await?;
    let private: CryptoKey = Reflect::get(&pair, &"privateKey".into())?.dyn_into()?;
    let public: CryptoKey = Reflect::get(&pair, &"publicKey".into())?.dyn_into()?;
    let raw = JsFuture::from(subtle()?.export_key("raw", &public)?).await?;
    Ok((private, PublicKey::from_bytes(bytes32(&raw)?)))
}

/// `X25519(private, public)` by WebCrypto.
async fn agree(private: &CryptoKey, public: &PublicKey) -> Res<SharedSecret> {
    let data = Uint8Array::from(&public.as_bytes()[..]);
    let imported: CryptoKey = JsFuture::from(subtle()?.import_key_with_object(
        "raw",
        &data,
        &algorithm(None)?,
        true,
        &Array::new(),
    )?)
    .await?
    .dyn_into()?;
    let bits = JsFuture::from(subtle()?.derive_bits_with_object(
        &algorithm(Some(&imported))?,
        private,
        256,
    )?)
    .await?;
    Ok(SharedSecret::from_bytes(bytes32(
        &bits.dyn_into::<ArrayBuffer>()?.into(),
    )?))
}

async fn open() -> Res<IdbDatabase> {
    history::open_sealed(DATABASE, ASKS, false).await
}

async fn save(db: &IdbDatabase, request: &OpenRequest) -> Res<()> {
    let record = history::seal(&history::key(db).await?, request.encode().as_bytes()).await?;
    let name = JsValue::from(request.fingerprint().compact());
    done(&store(db, ASKS, IdbTransactionMode::Readwrite)?.put_with_key(&record, &name)?).await?;
    Ok(())
}

/// Makes a request: a key pair in this browser (no server is contacted), its private key
/// and details kept here, and the link to hand out.
pub async fn create(
    note: Option<String>,
    lifetime: u64,
    server: Server,
    page: &str,
) -> Res<OpenRequest> {
    let (private, public_key) = key_pair().await?;
    let created = now();
    let link = RequestLink {
        public_key,
        note,
        expires: created.saturating_add(lifetime),
        server,
    };
    let request = OpenRequest {
        url: Route::Request(link.clone()).to_url(page),
        link,
        created,
        read: None,
    };
    let db = open().await?;
    let result = async {
        let name = JsValue::from(request.fingerprint().compact());
        done(&store(&db, KEYS, IdbTransactionMode::Readwrite)?.put_with_key(&private, &name)?)
            .await?;
        save(&db, &request).await
    }
    .await;
    db.close();
    result.map(|()| request)
}

async fn remove(db: &IdbDatabase, fp: &Fingerprint) -> Res<()> {
    let name = JsValue::from(fp.compact());
    done(&store(db, KEYS, IdbTransactionMode::Readwrite)?.delete(&name)?).await?;
    done(&store(db, ASKS, IdbTransactionMode::Readwrite)?.delete(&name)?).await?;
    Ok(())
}

async fn find(db: &IdbDatabase, fp: &Fingerprint) -> Res<Option<OpenRequest>> {
    let name = JsValue::from(fp.compact());
    let record = done(&store(db, ASKS, IdbTransactionMode::Readonly)?.get(&name)?).await?;
    if record.is_undefined() {
        return Ok(None);
    }
    let plain = history::unseal(&history::key(db).await?, &record).await?;
    let found = std::str::from_utf8(&plain)
        .ok()
        .and_then(OpenRequest::decode);
    match found {
        Some(r) if r.link.expires > now() && r.fingerprint() == *fp => Ok(Some(r)),
        _ => {
            remove(db, fp).await?;
            Ok(None)
        }
    }
}

/// This browser's open requests, newest first; expired ones are deleted, key and all.
pub async fn list() -> Res<Vec<OpenRequest>> {
    let db = open().await?;
    let result = async {
        let names: Array = done(&store(&db, ASKS, IdbTransactionMode::Readonly)?.get_all_keys()?)
            .await?
            .into();
        let mut open = Vec::new();
        for name in names.iter() {
            let fp = name.as_string().and_then(|n| n.parse::<Fingerprint>().ok());
            if let Some(fp) = fp
                && let Some(request) = find(&db, &fp).await?
            {
                open.push(request);
            }
        }
        open.sort_unstable_by_key(|r| std::cmp::Reverse(r.created));
        Ok(open)
    }
    .await;
    db.close();
    result
}

/// Forgets a request: its key is deleted, and its answers can no longer be opened here.
pub async fn forget(fp: &Fingerprint) -> Res<()> {
    let db = open().await?;
    let result = remove(&db, fp).await;
    db.close();
    result
}

/// The asker's side: the answer's keys for the request `fp` and the one-time key `epk`,
/// or `None` when this browser holds no open request with that fingerprint.
pub async fn answer_keys(fp: &Fingerprint, epk: &PublicKey) -> Res<Option<AnswerKeys>> {
    let db = open().await?;
    let result = async {
        let Some(request) = find(&db, fp).await? else {
            return Ok(None);
        };
        let name = JsValue::from(fp.compact());
        let private: CryptoKey = done(&store(&db, KEYS, IdbTransactionMode::Readonly)?.get(&name)?)
            .await?
            .dyn_into()?;
        let shared = agree(&private, epk).await?;
        request::answer_keys(&shared, epk, &request.link.public_key)
            .map(Some)
            .map_err(|_| JsValue::NULL)
    }
    .await;
    db.close();
    result
}

/// Notes that an answer to `fp` was read here, for the Sent screen.
pub async fn mark_read(fp: &Fingerprint) -> Res<()> {
    let db = open().await?;
    let result = async {
        if let Some(mut request) = find(&db, fp).await? {
            request.read = Some(now());
            save(&db, &request).await?;
        }
        Ok(())
    }
    .await;
    db.close();
    result
}

/// The sender's side: a one-time key pair made here, agreed with the request's key, the
/// answer sealed. Returns the one-time public key (for the answer link), the keys (for
/// the access value) and the sealed answer; the one-time private key is dropped.
pub async fn seal_answer(
    to: &PublicKey,
    payload: &Payload,
) -> Res<(PublicKey, AnswerKeys, SealedAnswer)> {
    let (private, epk) = key_pair().await?;
    let shared = agree(&private, to).await?;
    let keys = request::answer_keys(&shared, &epk, to).map_err(|_| JsValue::NULL)?;
    let sealed = request::seal(&keys, payload);
    Ok((epk, keys, sealed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_and_refuse_other_links() {
        let link = RequestLink {
            public_key: PublicKey::from_bytes([3; 32]),
            note: Some("Wi-Fi & co".into()),
            expires: 2_000_000_000,
            server: Server::Origin,
        };
        let request = OpenRequest {
            url: Route::Request(link.clone()).to_url("https://app.example/"),
            link,
            created: 1_900_000_000,
            read: None,
        };
        assert_eq!(
            OpenRequest::decode(&request.encode()),
            Some(request.clone())
        );
        let read = OpenRequest {
            read: Some(1_950_000_000),
            ..request
        };
        assert_eq!(OpenRequest::decode(&read.encode()), Some(read));
        assert_eq!(OpenRequest::decode("u=%23%2Fhistory&c=1&a="), None);
    }
}
