//! The Redis backend (`--redis redis://…`).
//!
//! Layout, under a configurable prefix (default `ots:`):
//! - `secret:<key>` hash `{r: metadata_key, e: expires_at, v: SecretRecord::encode()}`,
//!   with a Redis TTL;
//! - `receipt:<key>` hash `{d: JSON at creation, state, updated, received|burned}`,
//!   with a TTL of 2 × the secret's;
//! - `recent:<custid>` sorted set of receipt keys scored by creation time;
//! - `master-key-id`: the fingerprint of the master key all instances must share.
//!
//! The claim is one Lua script, so it is atomic: of concurrent reveals and burns,
//! only the first finds the secret.

use std::collections::HashMap;

use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use super::keyguard::{self, KeyGuard};
use super::{BoxFut, Claim, Hit, Outcome, ReceiptRecord, SecretRecord, State, Store, StoreError};
use crate::crypto::{KeyId, hex, sealed_key_id};

/// How long an account's `recent` index is kept after its last write.
const RECENT_KEEP_SECS: i64 = 31 * 24 * 3600;

/// Counts a per-IP hit (KEYS[n] = counter or '', ARGV[limit], ARGV[window]): true when
/// over the limit. Fixed windows, as `RateLimiter`; the counter expires with its window.
const HIT_LUA: &str = r#"
local function over(counter, limit, window)
  if counter == '' then return false end
  local n = redis.call('INCR', counter)
  if n == 1 then redis.call('EXPIRE', counter, window) end
  return n > tonumber(limit)
end
"#;

/// KEYS = secret hash, receipt hash, recent index or '', counter or '';
/// ARGV = metadata key, secret expiry, encoded secret, key id, secret TTL, receipt JSON,
/// receipt TTL, created, recent TTL, limit, window. 1 stored, 0 over the limit.
const PUT_LUA: &str = r#"
if over(KEYS[4], ARGV[10], ARGV[11]) then return 0 end
redis.call('HSET', KEYS[1], 'r', ARGV[1], 'e', ARGV[2], 'v', ARGV[3], 'k', ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[5])
redis.call('HSET', KEYS[2], 'd', ARGV[6], 'state', 'new')
redis.call('EXPIRE', KEYS[2], ARGV[7])
if KEYS[3] ~= '' then
  redis.call('ZADD', KEYS[3], ARGV[8], ARGV[1])
  redis.call('EXPIRE', KEYS[3], ARGV[9])
end
return 1
"#;

/// KEYS = secret hash, counter or ''; ARGV = checked ('0'|'1'), state, now, receipt key
/// prefix, this instance's master key id ('' = any), limit, window. Returns {0} missing,
/// {2, v} passphrase needed, {1, v} won, {3} sealed under another master key (left in
/// place), {4} over the limit.
const CLAIM_LUA: &str = r#"
if over(KEYS[2], ARGV[6], ARGV[7]) then return {4} end
local f = redis.call('HMGET', KEYS[1], 'r', 'e', 'v', 'k')
if not f[3] then return {0} end
if tonumber(f[2]) <= tonumber(ARGV[3]) then
  redis.call('DEL', KEYS[1])
  return {0}
end
if ARGV[5] ~= '' and f[4] and f[4] ~= '' and f[4] ~= ARGV[5] then return {3} end
if ARGV[1] == '0' and string.byte(f[3], 1) == 49 then return {2, f[3]} end
redis.call('DEL', KEYS[1])
local rk = ARGV[4] .. f[1]
if redis.call('EXISTS', rk) == 1 then
  redis.call('HSET', rk, 'state', ARGV[2], 'updated', ARGV[3], ARGV[2], ARGV[3])
end
return {1, f[3]}
"#;

/// KEYS[1] = receipt hash; ARGV[1] = now. Marks the one-time preview as shown;
/// 1 for the first caller only. (`EXISTS` first: `HSETNX` would recreate an expired
/// receipt without a TTL.)
const PREVIEW_LUA: &str = r#"
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
return redis.call('HSETNX', KEYS[1], 'shown', ARGV[1])
"#;

/// KEYS[1] = failure counter, KEYS[2] = lock; ARGV = window, max failures, lock seconds.
/// Counts a wrong passphrase in a fixed window; at the limit, sets the lock. 1 if locked.
const FAIL_LUA: &str = r#"
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
if n >= tonumber(ARGV[2]) then
  redis.call('SET', KEYS[2], '1', 'EX', ARGV[3])
  redis.call('DEL', KEYS[1])
end
return redis.call('EXISTS', KEYS[2])
"#;

/// Longest wait of `--redis-wait-replicas` for the replicas' acknowledgement.
const WAIT_MS: u64 = 1000;

/// Redis-backed [`Store`].
pub struct RedisStore {
    /// The primary's connection; replaced when Sentinel names a new primary.
    conn: Arc<RwLock<ConnectionManager>>,
    /// Replicas each write waits for (`WAIT`), 0 for none.
    wait_replicas: u32,
    prefix: String,
    claim: redis::Script,
    preview: redis::Script,
    fail: redis::Script,
    put: redis::Script,
    key_guard: KeyGuard,
}

impl RedisStore {
    /// Connects to `url` (e.g. `redis://127.0.0.1:6379/0`); keys get `prefix`.
    pub async fn connect(url: &str, prefix: &str) -> Result<Self, StoreError> {
        Ok(Self::with_conn(manager(url).await?, prefix))
    }

    /// Connects to the primary that the `sentinels` (`host:port`) know as `name`, and
    /// follows it: every 500 ms the sentinels are asked again, and when they name another
    /// primary (a failover), new requests go there. Requests caught in the switch fail
    /// within the timeouts with the generic v1 error.
    pub async fn connect_sentinel(
        sentinels: &[String],
        name: &str,
        db: i64,
        prefix: &str,
    ) -> Result<Self, StoreError> {
        let mut addr = primary(sentinels, name).await?;
        let url = move |addr: &str| format!("redis://{addr}/{db}");
        let store = Self::with_conn(manager(&url(&addr)).await?, prefix);
        let conn = store.conn.clone();
        let (sentinels, name) = (sentinels.to_vec(), name.to_owned());
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(500)).await;
                let now = match primary(&sentinels, &name).await {
                    Ok(now) if now != addr => now,
                    Ok(_) => continue,
                    Err(e) => {
                        tracing::warn!(error = %e, "no sentinel answered");
                        continue;
                    }
                };
                match manager(&url(&now)).await {
                    Ok(m) => {
                        *conn.write().unwrap_or_else(PoisonError::into_inner) = m;
                        tracing::warn!(from = %addr, to = %now, "following the new Redis primary");
                        addr = now;
                    }
                    Err(e) => tracing::warn!(error = %e, primary = %now, "new primary unreachable"),
                }
            }
        });
        Ok(store)
    }

    /// Makes each write wait for `replicas` replicas (`--redis-wait-replicas`).
    pub fn wait_for_replicas(mut self, replicas: u32) -> Self {
        self.wait_replicas = replicas;
        self
    }

    fn with_conn(conn: ConnectionManager, prefix: &str) -> Self {
        RedisStore {
            conn: Arc::new(RwLock::new(conn)),
            wait_replicas: 0,
            prefix: prefix.to_owned(),
            claim: redis::Script::new(&format!("{HIT_LUA}{CLAIM_LUA}")),
            put: redis::Script::new(&format!("{HIT_LUA}{PUT_LUA}")),
            preview: redis::Script::new(PREVIEW_LUA),
            fail: redis::Script::new(FAIL_LUA),
            key_guard: KeyGuard::default(),
        }
    }

    fn conn(&self) -> ConnectionManager {
        self.conn
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// `WAIT`s for the configured replicas; `false` when fewer confirmed in time.
    async fn replicated(&self, conn: &mut ConnectionManager) -> Result<bool, StoreError> {
        if self.wait_replicas == 0 {
            return Ok(true);
        }
        let acked: u32 = redis::cmd("WAIT")
            .arg(self.wait_replicas)
            .arg(WAIT_MS)
            .query_async(conn)
            .await
            .map_err(StoreError::backend)?;
        Ok(acked >= self.wait_replicas)
    }

    fn secret_key(&self, key: &str) -> String {
        format!("{}secret:{key}", self.prefix)
    }
    fn receipt_key(&self, key: &str) -> String {
        format!("{}receipt:{key}", self.prefix)
    }
    fn recent_key(&self, custid: &str) -> String {
        format!("{}recent:{custid}", self.prefix)
    }
    /// KEYS and ARGV of a hit for the scripts (`''` keys when there is none).
    fn hit_args(&self, hit: Option<Hit>, now: u64) -> (String, u32, u64) {
        match hit {
            Some(h) => (
                format!("{}{}", self.prefix, h.counter(now)),
                h.limit,
                h.window,
            ),
            None => (String::new(), 0, 1),
        }
    }
}

/// A connection manager with bounded waits: while Redis is down or stuck, requests fail
/// within seconds (answered with the v1 generic error) instead of hanging; the manager
/// reconnects on the next request once Redis is back.
async fn manager(url: &str) -> Result<ConnectionManager, StoreError> {
    let client = redis::Client::open(url).map_err(StoreError::backend)?;
    let config = ConnectionManagerConfig::new()
        .set_connection_timeout(Duration::from_secs(1))
        .set_response_timeout(Duration::from_secs(3))
        .set_number_of_retries(2)
        .set_factor(50)
        .set_max_delay(500);
    ConnectionManager::new_with_config(client, config)
        .await
        .map_err(StoreError::backend)
}

/// The primary's `host:port` from the first sentinel that knows `name`.
async fn primary(sentinels: &[String], name: &str) -> Result<String, StoreError> {
    let mut last = StoreError::Backend("no sentinel given".into());
    for s in sentinels {
        let ask = async {
            let client =
                redis::Client::open(format!("redis://{s}")).map_err(StoreError::backend)?;
            let mut c = client
                .get_multiplexed_async_connection()
                .await
                .map_err(StoreError::backend)?;
            let addr: Option<(String, String)> = redis::cmd("SENTINEL")
                .arg("get-master-addr-by-name")
                .arg(name)
                .query_async(&mut c)
                .await
                .map_err(StoreError::backend)?;
            addr.map(|(host, port)| format!("{host}:{port}"))
                .ok_or_else(|| StoreError::Backend(format!("sentinel {s} does not know {name}")))
        };
        match tokio::time::timeout(Duration::from_secs(1), ask).await {
            Ok(Ok(addr)) => return Ok(addr),
            Ok(Err(e)) => last = e,
            Err(_) => last = StoreError::Backend(format!("sentinel {s} timed out")),
        }
    }
    Err(last)
}

/// Rebuilds a receipt from its hash (the JSON plus the fields the claim updates).
fn receipt_from_hash(mut h: HashMap<String, Vec<u8>>) -> Result<Option<ReceiptRecord>, StoreError> {
    let Some(d) = h.remove("d") else {
        return Ok(None);
    };
    let mut r: ReceiptRecord = serde_json::from_slice(&d).map_err(|_| StoreError::Corrupt)?;
    let num = |v: Option<&Vec<u8>>| -> Option<u64> {
        v.and_then(|b| std::str::from_utf8(b).ok())
            .and_then(|s| s.parse().ok())
    };
    match h.get("state").map(Vec::as_slice) {
        Some(b"received") => r.state = State::Received,
        Some(b"burned") => r.state = State::Burned,
        _ => {}
    }
    if let Some(u) = num(h.get("updated")) {
        r.updated = u;
    }
    r.received = r.received.or(num(h.get("received")));
    r.preview &= !h.contains_key("shown");
    r.burned = r.burned.or(num(h.get("burned")));
    Ok(Some(r))
}

fn ttl_from(now: u64, expires_at: u64) -> i64 {
    // Redis expiry is a backstop; the records' own timestamps are authoritative.
    i64::try_from(expires_at.saturating_sub(now).max(1)).unwrap_or(i64::MAX) + 1
}

impl Store for RedisStore {
    fn put<'a>(
        &'a self,
        secret_key: &'a str,
        secret: &'a SecretRecord,
        receipt: &'a ReceiptRecord,
        hit: Option<Hit>,
    ) -> BoxFut<'a, ()> {
        Box::pin(async move {
            let now = receipt.created;
            let d = serde_json::to_vec(receipt).map_err(StoreError::backend)?;
            let recent = if receipt.custid == "anon" {
                String::new()
            } else {
                self.recent_key(&receipt.custid)
            };
            let (counter, limit, window) = self.hit_args(hit, now);
            let mut conn = self.conn();
            let stored: i64 = self
                .put
                .key(self.secret_key(secret_key))
                .key(self.receipt_key(&receipt.metadata_key))
                .key(recent)
                .key(counter)
                .arg(&receipt.metadata_key)
                .arg(secret.expires_at)
                .arg(secret.encode())
                .arg(sealed_key_id(&secret.ciphertext).map_or_else(String::new, |id| hex(&id)))
                .arg(ttl_from(now, secret.expires_at))
                .arg(d)
                .arg(ttl_from(now, receipt.expires_at))
                .arg(receipt.created)
                .arg(RECENT_KEEP_SECS)
                .arg(limit)
                .arg(window)
                .invoke_async(&mut conn)
                .await
                .map_err(StoreError::backend)?;
            if stored != 1 {
                return Err(StoreError::OverLimit);
            }
            // Not answered as created unless a failover cannot lose it.
            if !self.replicated(&mut conn).await? {
                return Err(StoreError::Backend(
                    "no replica confirmed the create".into(),
                ));
            }
            Ok(())
        })
    }

    fn claim<'a>(
        &'a self,
        secret_key: &'a str,
        outcome: Outcome,
        passphrase_checked: bool,
        now: u64,
        hit: Option<Hit>,
    ) -> BoxFut<'a, Claim> {
        Box::pin(async move {
            let (counter, limit, window) = self.hit_args(hit, now);
            let mut conn = self.conn();
            let (code, value): (i64, Option<Vec<u8>>) = {
                let v: Vec<redis::Value> = self
                    .claim
                    .key(self.secret_key(secret_key))
                    .key(counter)
                    .arg(if passphrase_checked { "1" } else { "0" })
                    .arg(outcome.state().as_str())
                    .arg(now)
                    .arg(self.receipt_key(""))
                    .arg(self.key_guard.hex())
                    .arg(limit)
                    .arg(window)
                    .invoke_async(&mut conn)
                    .await
                    .map_err(StoreError::backend)?;
                let code = match v.first() {
                    Some(redis::Value::Int(i)) => *i,
                    _ => return Err(StoreError::Corrupt),
                };
                let value = match v.get(1) {
                    Some(redis::Value::BulkString(b)) => Some(b.clone()),
                    _ => None,
                };
                (code, value)
            };
            match (code, value) {
                (0, _) => Ok(Claim::Missing),
                (1, Some(v)) => {
                    // The secret is taken: hand it over even if no replica confirmed
                    // (a failover then could let it be revealed once more).
                    if !self.replicated(&mut conn).await.unwrap_or(false) {
                        tracing::warn!("no replica confirmed a reveal or burn in time");
                    }
                    Ok(Claim::Won(SecretRecord::decode(&v)?))
                }
                (2, Some(v)) => Ok(Claim::NeedsPassphrase(
                    SecretRecord::decode(&v)?.passphrase.unwrap_or_default(),
                )),
                (3, _) => Err(StoreError::ForeignSecret),
                (4, _) => Err(StoreError::OverLimit),
                _ => Err(StoreError::Corrupt),
            }
        })
    }

    fn secret<'a>(&'a self, secret_key: &'a str, now: u64) -> BoxFut<'a, Option<SecretRecord>> {
        Box::pin(async move {
            let mut conn = self.conn();
            let v: Option<Vec<u8>> = redis::cmd("HGET")
                .arg(self.secret_key(secret_key))
                .arg("v")
                .query_async(&mut conn)
                .await
                .map_err(StoreError::backend)?;
            match v {
                Some(v) => {
                    let r = SecretRecord::decode(&v)?;
                    Ok((r.expires_at > now).then_some(r))
                }
                None => Ok(None),
            }
        })
    }

    fn claim_preview<'a>(&'a self, metadata_key: &'a str, now: u64) -> BoxFut<'a, bool> {
        Box::pin(async move {
            // `preview` in the creation JSON never changes, so checking it first is safe;
            // the script makes the claim itself atomic.
            if !self
                .receipt(metadata_key, now)
                .await?
                .is_some_and(|r| r.preview)
            {
                return Ok(false);
            }
            let mut conn = self.conn();
            let won: i64 = self
                .preview
                .key(self.receipt_key(metadata_key))
                .arg(now)
                .invoke_async(&mut conn)
                .await
                .map_err(StoreError::backend)?;
            Ok(won == 1)
        })
    }

    fn receipt<'a>(&'a self, metadata_key: &'a str, now: u64) -> BoxFut<'a, Option<ReceiptRecord>> {
        Box::pin(async move {
            let mut conn = self.conn();
            let h: HashMap<String, Vec<u8>> = redis::cmd("HGETALL")
                .arg(self.receipt_key(metadata_key))
                .query_async(&mut conn)
                .await
                .map_err(StoreError::backend)?;
            Ok(receipt_from_hash(h)?.filter(|r| r.expires_at > now))
        })
    }

    fn recent<'a>(
        &'a self,
        custid: &'a str,
        since: u64,
        now: u64,
    ) -> BoxFut<'a, Vec<ReceiptRecord>> {
        Box::pin(async move {
            let mut conn = self.conn();
            let ck = self.recent_key(custid);
            let keys: Vec<String> = redis::cmd("ZREVRANGEBYSCORE")
                .arg(&ck)
                .arg("+inf")
                .arg(since)
                .query_async(&mut conn)
                .await
                .map_err(StoreError::backend)?;
            if keys.is_empty() {
                return Ok(Vec::new());
            }
            let mut pipe = redis::pipe();
            for k in &keys {
                pipe.cmd("HGETALL").arg(self.receipt_key(k));
            }
            let hashes: Vec<HashMap<String, Vec<u8>>> = pipe
                .query_async(&mut conn)
                .await
                .map_err(StoreError::backend)?;
            let mut out = Vec::with_capacity(hashes.len());
            for h in hashes {
                if let Some(r) = receipt_from_hash(h)?
                    && r.expires_at > now
                {
                    out.push(r);
                }
            }
            Ok(out)
        })
    }

    fn locked<'a>(&'a self, secret_key: &'a str, _now: u64) -> BoxFut<'a, bool> {
        Box::pin(async move {
            let mut conn = self.conn();
            redis::cmd("EXISTS")
                .arg(format!("{}locked:{secret_key}", self.prefix))
                .query_async(&mut conn)
                .await
                .map_err(StoreError::backend)
        })
    }

    fn passphrase_failed<'a>(&'a self, secret_key: &'a str, _now: u64) -> BoxFut<'a, bool> {
        use crate::ratelimit::{LOCK_AFTER, LOCK_FOR, LOCK_WINDOW};
        Box::pin(async move {
            let mut conn = self.conn();
            let locked: i64 = self
                .fail
                .key(format!("{}fails:{secret_key}", self.prefix))
                .key(format!("{}locked:{secret_key}", self.prefix))
                .arg(LOCK_WINDOW)
                .arg(LOCK_AFTER)
                .arg(LOCK_FOR)
                .invoke_async(&mut conn)
                .await
                .map_err(StoreError::backend)?;
            Ok(locked == 1)
        })
    }

    fn bind_master_key(&self, id: KeyId) -> BoxFut<'_, ()> {
        Box::pin(async move {
            let mut conn = self.conn();
            let key = format!("{}master-key-id", self.prefix);
            // SET NX then GET: of instances starting together on an empty store, the
            // first one's key wins and the others are refused.
            let stored: String = redis::pipe()
                .cmd("SET")
                .arg(&key)
                .arg(hex(&id))
                .arg("NX")
                .ignore()
                .cmd("GET")
                .arg(&key)
                .query_async::<(String,)>(&mut conn)
                .await
                .map_err(StoreError::backend)?
                .0;
            keyguard::check(&stored, id)?;
            self.key_guard.bind(id);
            Ok(())
        })
    }

    fn ping(&self) -> BoxFut<'_, ()> {
        Box::pin(async move {
            let mut conn = self.conn();
            redis::cmd("PING")
                .query_async::<()>(&mut conn)
                .await
                .map_err(StoreError::backend)
        })
    }

    fn gauges(&self) -> BoxFut<'_, Vec<super::Gauge>> {
        Box::pin(async move {
            let mut conn = self.conn();
            let (keys, memory): (u64, String) = redis::pipe()
                .cmd("DBSIZE")
                .cmd("INFO")
                .arg("memory")
                .query_async(&mut conn)
                .await
                .map_err(StoreError::backend)?;
            let used = memory
                .lines()
                .find_map(|l| l.strip_prefix("used_memory:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            // Counting secrets and receipts would need a SCAN of every key per scrape.
            Ok(vec![
                ("store_redis_keys", "Keys in the Redis database", keys),
                ("store_redis_used_memory_bytes", "Redis used_memory", used),
            ])
        })
    }

    fn sweep(&self, now: u64) -> BoxFut<'_, usize> {
        // Redis expires keys itself; trim `recent` indexes older than 31 days.
        Box::pin(async move {
            let mut conn = self.conn();
            let pattern = format!("{}recent:*", self.prefix);
            let mut cursor: u64 = 0;
            let mut removed = 0usize;
            let cutoff = now.saturating_sub(RECENT_KEEP_SECS as u64);
            loop {
                let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
                    .arg(cursor)
                    .arg("MATCH")
                    .arg(&pattern)
                    .arg("COUNT")
                    .arg(500)
                    .query_async(&mut conn)
                    .await
                    .map_err(StoreError::backend)?;
                for k in keys {
                    let n: usize = redis::cmd("ZREMRANGEBYSCORE")
                        .arg(&k)
                        .arg("-inf")
                        .arg(cutoff)
                        .query_async(&mut conn)
                        .await
                        .map_err(StoreError::backend)?;
                    removed += n;
                }
                if next == 0 {
                    break;
                }
                cursor = next;
            }
            Ok(removed)
        })
    }

    fn name(&self) -> &'static str {
        "redis"
    }
}
