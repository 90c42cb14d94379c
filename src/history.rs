//! Sent history, on this device only: for each secret the creator made, the receipt link,
//! the creation time, the TTL and whether a passphrase was set. Never the secret, its key
//! or a passphrase.
//!
//! Records live in IndexedDB, each sealed with AES-GCM under a WebCrypto key that is
//! generated non-extractable and kept in the same database. Page code can use the key but
//! never read it out, so what sits in storage (a devtools view, an extension or script
//! that dumps storage) is ciphertext. Code running in this origin can still ask the key to
//! decrypt: this guards the records at rest, not against the page itself.

use js_sys::{Array, Object, Promise, Reflect, Uint8Array};
use ots_core::link::{ReceiptLink, Route};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    AesGcmParams, AesKeyGenParams, CryptoKey, IdbDatabase, IdbObjectStore,
    IdbObjectStoreParameters, IdbRequest, IdbTransactionMode, SubtleCrypto,
};

use crate::dom::window;

/// The database: `keys` holds the wrapping key, `sent` the sealed records.
pub const DATABASE: &str = "ots-history";
pub(crate) const KEYS: &str = "keys";
const SENT: &str = "sent";
const KEY_NAME: &str = "k";

pub(crate) type Res<T> = Result<T, JsValue>;

/// One secret the creator made.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// Where the receipt is.
    pub receipt: ReceiptLink,
    /// Epoch seconds.
    pub created: u64,
    /// The secret's lifespan in seconds.
    pub ttl: u64,
    /// Whether burning needs the passphrase.
    pub passphrase: bool,
}

impl Entry {
    /// The entry as text (what is sealed into its record).
    pub fn encode(&self) -> String {
        let route = Route::Receipt(self.receipt.clone()).to_string();
        let (created, ttl) = (self.created.to_string(), self.ttl.to_string());
        let passphrase = if self.passphrase { "1" } else { "0" };
        ots_core::form::encode([
            ("r", route.as_str()),
            ("c", created.as_str()),
            ("t", ttl.as_str()),
            ("p", passphrase),
        ])
    }

    /// An entry from [`Entry::encode`]'s text.
    pub fn decode(text: &str) -> Option<Entry> {
        let pairs = ots_core::form::parse(text)?;
        let get = |n: &str| pairs.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
        let Ok(Route::Receipt(receipt)) = Route::parse(get("r")?) else {
            return None;
        };
        Some(Entry {
            receipt,
            created: get("c")?.parse().ok()?,
            ttl: get("t")?.parse().ok()?,
            passphrase: get("p")? == "1",
        })
    }
}

/// Resolves with a request's result once it succeeds.
pub(crate) async fn done(request: &IdbRequest) -> Res<JsValue> {
    let finished = Promise::new(&mut |resolve, reject| {
        request.set_onsuccess(Some(&resolve));
        request.set_onerror(Some(&reject));
    });
    JsFuture::from(finished).await?;
    request.result()
}

async fn open() -> Res<IdbDatabase> {
    open_sealed(DATABASE, SENT, true).await
}

/// Opens (creating it at version 1) a database with a `keys` store, for its sealing key,
/// and a `records` store, with generated keys if `auto_increment`.
pub(crate) async fn open_sealed(
    name: &str,
    records: &'static str,
    auto_increment: bool,
) -> Res<IdbDatabase> {
    let factory = window().indexed_db()?.ok_or(JsValue::NULL)?;
    let request = factory.open_with_u32(name, 1)?;
    let creating = request.clone();
    let upgrade = Closure::<dyn FnMut()>::new(move || {
        if let Ok(db) = creating.result().and_then(|r| r.dyn_into::<IdbDatabase>()) {
            let _ = db.create_object_store(KEYS);
            let params = IdbObjectStoreParameters::new();
            params.set_auto_increment(auto_increment);
            let _ = db.create_object_store_with_optional_parameters(records, &params);
        }
    });
    request.set_onupgradeneeded(Some(upgrade.as_ref().unchecked_ref()));
    let db = done(&request).await?;
    request.set_onupgradeneeded(None);
    db.dyn_into()
}

pub(crate) fn store(db: &IdbDatabase, name: &str, mode: IdbTransactionMode) -> Res<IdbObjectStore> {
    db.transaction_with_str_and_mode(name, mode)?
        .object_store(name)
}

pub(crate) fn subtle() -> Res<SubtleCrypto> {
    Ok(window().crypto()?.subtle())
}

/// The database's sealing key (in its `keys` store), made on first use.
pub(crate) async fn key(db: &IdbDatabase) -> Res<CryptoKey> {
    let read = |db: &IdbDatabase| -> Res<IdbRequest> {
        store(db, KEYS, IdbTransactionMode::Readonly)?.get(&KEY_NAME.into())
    };
    if let Ok(key) = done(&read(db)?).await?.dyn_into::<CryptoKey>() {
        return Ok(key);
    }
    let usages = Array::of2(&"encrypt".into(), &"decrypt".into());
    let made = subtle()?.generate_key_with_object(
        &AesKeyGenParams::new("AES-GCM", 256),
        false, // non-extractable
        &usages,
    )?;
    let key: CryptoKey = JsFuture::from(made).await?.dyn_into()?;
    let keys = store(db, KEYS, IdbTransactionMode::Readwrite)?;
    // `add`, not `put`: if another tab stored a key first, theirs is the one.
    match done(&keys.add_with_key(&key, &KEY_NAME.into())?).await {
        Ok(_) => Ok(key),
        Err(_) => done(&read(db)?).await?.dyn_into(),
    }
}

/// Seals `plain` into a `{iv, ct}` record.
pub(crate) async fn seal(key: &CryptoKey, plain: &[u8]) -> Res<Object> {
    let iv = Uint8Array::from(&crate::crypto::random::<12>()[..]);
    let sealed = subtle()?.encrypt_with_object_and_u8_array(
        &AesGcmParams::new("AES-GCM", &iv),
        key,
        plain,
    )?;
    let record = Object::new();
    Reflect::set(&record, &"iv".into(), &iv)?;
    Reflect::set(&record, &"ct".into(), &JsFuture::from(sealed).await?)?;
    Ok(record)
}

/// Opens a record that [`seal`] made.
pub(crate) async fn unseal(key: &CryptoKey, record: &JsValue) -> Res<Vec<u8>> {
    let iv: Object = Reflect::get(record, &"iv".into())?.dyn_into()?;
    let sealed = Uint8Array::new(&Reflect::get(record, &"ct".into())?).to_vec();
    let plain = subtle()?.decrypt_with_object_and_u8_array(
        &AesGcmParams::new("AES-GCM", &iv),
        key,
        &sealed,
    )?;
    Ok(Uint8Array::new(&JsFuture::from(plain).await?).to_vec())
}

/// Adds a secret to this device's history.
pub async fn remember(entry: &Entry) -> Res<()> {
    let db = open().await?;
    let result = async {
        let record = seal(&key(&db).await?, entry.encode().as_bytes()).await?;
        done(&store(&db, SENT, IdbTransactionMode::Readwrite)?.add(&record)?).await
    }
    .await;
    db.close();
    result.map(drop)
}

/// The history, newest first. Records that no longer open (another key) are skipped.
pub async fn list() -> Res<Vec<Entry>> {
    let db = open().await?;
    let result = async {
        let key = key(&db).await?;
        let records: Array = done(&store(&db, SENT, IdbTransactionMode::Readonly)?.get_all()?)
            .await?
            .into();
        let mut entries = Vec::new();
        for record in records.iter() {
            if let Ok(plain) = unseal(&key, &record).await
                && let Some(entry) = std::str::from_utf8(&plain).ok().and_then(Entry::decode)
            {
                entries.push(entry);
            }
        }
        entries.sort_unstable_by_key(|e| std::cmp::Reverse(e.created));
        Ok(entries)
    }
    .await;
    db.close();
    result
}

/// Deletes the whole history, key included.
pub async fn forget_all() -> Res<()> {
    let factory = window().indexed_db()?.ok_or(JsValue::NULL)?;
    let request = factory.delete_database(DATABASE)?;
    done(&request).await.map(drop)
}
