//! The receipt ("metadata") object and its states, as v1 reads and writes them.

use std::fmt;

use serde::de::Deserializer;
use serde::{Deserialize, Serialize};

use super::{Redacted, lenient};

/// A receipt's state as v1 names it (reference §3).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub enum ReceiptState {
    /// Created, not yet revealed (also v2's `shared`).
    #[default]
    New,
    /// The recipient revealed it (also v2's `revealed`).
    Received,
    /// The creator burned it.
    Burned,
    /// Its TTL passed before anyone revealed it.
    Expired,
    /// The secret went missing for another reason.
    Orphaned,
    /// Legacy "link opened" (also v2's `previewed`).
    Viewed,
    /// A state this version does not know, kept as sent.
    Unknown(String),
}

impl ReceiptState {
    /// The v1 wire name.
    pub fn as_str(&self) -> &str {
        match self {
            Self::New => "new",
            Self::Received => "received",
            Self::Burned => "burned",
            Self::Expired => "expired",
            Self::Orphaned => "orphaned",
            Self::Viewed => "viewed",
            Self::Unknown(s) => s,
        }
    }

    /// Reads a wire name, mapping the v2 internal names onto v1's as the server does.
    pub fn from_wire(name: &str) -> Self {
        match name {
            "new" | "shared" => Self::New,
            "received" | "revealed" => Self::Received,
            "burned" => Self::Burned,
            "expired" => Self::Expired,
            "orphaned" => Self::Orphaned,
            "viewed" | "previewed" => Self::Viewed,
            other => Self::Unknown(other.to_owned()),
        }
    }

    /// Whether the secret is gone for good (no reveal or burn can follow).
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            Self::Received | Self::Burned | Self::Expired | Self::Orphaned
        )
    }
}

impl fmt::Display for ReceiptState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ReceiptState {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ReceiptState {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Self::from_wire(&lenient::string(d)?))
    }
}

/// The receipt ("metadata") object of share, generate, receipt and recent (reference §2.4).
///
/// Reading ignores the v0.24 alias fields; writing always adds them, derived from the
/// canonical fields, so a server cannot emit them inconsistently.
#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Receipt {
    /// The creator's email, or `"anon"`.
    #[serde(deserialize_with = "lenient::string")]
    pub custid: String,
    /// The receipt key (the creator's private key).
    #[serde(deserialize_with = "lenient::string")]
    pub metadata_key: String,
    /// The secret key to share; absent once received, and in `recent` lists.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub secret_key: Option<String>,
    /// The secret's lifespan in seconds (after clamping).
    #[serde(deserialize_with = "lenient::u64")]
    pub ttl: u64,
    /// Seconds left on the receipt (it lives twice the secret's TTL).
    #[serde(deserialize_with = "lenient::u64")]
    pub metadata_ttl: u64,
    /// Seconds left on the secret; absent once received.
    #[serde(deserialize_with = "lenient::opt_u64")]
    pub secret_ttl: Option<u64>,
    /// `https://<host>/receipt/<metadata_key>`.
    #[serde(deserialize_with = "lenient::string")]
    pub metadata_url: String,
    /// The state.
    pub state: ReceiptState,
    /// Last update, Unix seconds.
    #[serde(deserialize_with = "lenient::u64")]
    pub updated: u64,
    /// Creation, Unix seconds.
    #[serde(deserialize_with = "lenient::u64")]
    pub created: u64,
    /// When it was received, Unix seconds; only in state `received`.
    #[serde(deserialize_with = "lenient::opt_u64")]
    pub received: Option<u64>,
    /// Obscured recipient addresses.
    #[serde(deserialize_with = "lenient::strings")]
    pub recipient: Vec<String>,
    /// Custom domain of the link, `""` if none.
    #[serde(deserialize_with = "lenient::string")]
    pub share_domain: String,
    /// The generated password (generate, and one early receipt view of it).
    #[serde(deserialize_with = "lenient::opt_string")]
    pub value: Option<String>,
    /// Whether a passphrase is needed to reveal or burn.
    #[serde(deserialize_with = "lenient::bool")]
    pub passphrase_required: bool,
}

/// The receipt as written: canonical fields, then the v0.24 aliases.
#[derive(Serialize)]
struct ReceiptOut<'a> {
    custid: &'a str,
    metadata_key: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    secret_key: Option<&'a str>,
    ttl: u64,
    metadata_ttl: u64,
    /// Absent (`None`), `null` (`Some(None)`) or a number.
    #[serde(skip_serializing_if = "Option::is_none")]
    secret_ttl: Option<Option<u64>>,
    metadata_url: &'a str,
    state: &'a ReceiptState,
    updated: u64,
    created: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    received: Option<u64>,
    recipient: &'a [String],
    share_domain: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    passphrase_required: Option<bool>,
    identifier: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    secret_identifier: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    has_passphrase: Option<bool>,
    recipients: &'a [String],
    receipt_ttl: u64,
    receipt_url: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    secret_value: Option<&'a str>,
}

impl<'a> ReceiptOut<'a> {
    fn new(r: &'a Receipt) -> Self {
        ReceiptOut {
            custid: &r.custid,
            metadata_key: &r.metadata_key,
            secret_key: r.secret_key.as_deref(),
            ttl: r.ttl,
            metadata_ttl: r.metadata_ttl,
            secret_ttl: r.secret_ttl.map(Some),
            metadata_url: &r.metadata_url,
            state: &r.state,
            updated: r.updated,
            created: r.created,
            received: r.received,
            recipient: &r.recipient,
            share_domain: &r.share_domain,
            value: r.value.as_deref(),
            passphrase_required: Some(r.passphrase_required),
            identifier: &r.metadata_key,
            secret_identifier: r.secret_key.as_deref(),
            has_passphrase: Some(r.passphrase_required),
            recipients: &r.recipient,
            receipt_ttl: r.metadata_ttl,
            receipt_url: &r.metadata_url,
            secret_value: r.value.as_deref(),
        }
    }
}

impl Serialize for Receipt {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        ReceiptOut::new(self).serialize(s)
    }
}

/// A receipt as an item of the `recent` list, shaped as v1 sends it (Onetime Secret
/// v0.26.6, `apps/api/v1/controllers/index.rb` `show_receipt_recent` and
/// `class_methods.rb` `receipt_hsh`): no secret key, `secret_ttl: null` (absent once
/// received), and neither `passphrase_required` nor `has_passphrase`, which upstream
/// does not look up for a list.
///
/// Reading a list needs nothing else: [`Receipt`] reads `null` as no TTL and a missing
/// `passphrase_required` as `false`.
#[derive(Debug, Clone, Copy)]
pub struct RecentItem<'a>(pub &'a Receipt);

impl Serialize for RecentItem<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let received = self.0.state == ReceiptState::Received;
        ReceiptOut {
            secret_key: None,
            secret_identifier: None,
            secret_ttl: (!received).then_some(None),
            passphrase_required: None,
            has_passphrase: None,
            value: None,
            secret_value: None,
            ..ReceiptOut::new(self.0)
        }
        .serialize(s)
    }
}

impl fmt::Debug for Receipt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receipt")
            .field("custid", &self.custid)
            .field("metadata_key", &self.metadata_key)
            .field("secret_key", &self.secret_key)
            .field("ttl", &self.ttl)
            .field("metadata_ttl", &self.metadata_ttl)
            .field("secret_ttl", &self.secret_ttl)
            .field("metadata_url", &self.metadata_url)
            .field("state", &self.state)
            .field("updated", &self.updated)
            .field("created", &self.created)
            .field("received", &self.received)
            .field("recipient", &self.recipient)
            .field("share_domain", &self.share_domain)
            .field("value", &Redacted(self.value.as_deref()))
            .field("passphrase_required", &self.passphrase_required)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::tests::*;

    #[test]
    fn reads_the_reference_share_response() {
        let text = format!(
            r#"{{"custid":"anon","metadata_key":"{KEY_A}","secret_key":"{KEY_B}",
            "ttl":3600,"metadata_ttl":7200,"secret_ttl":3600,
            "metadata_url":"https://eu.onetimesecret.com/receipt/{KEY_A}",
            "state":"new","updated":1767225600,"created":1767225600,"recipient":[],"share_domain":"",
            "passphrase_required":false,
            "identifier":"{KEY_A}","secret_identifier":"{KEY_B}","has_passphrase":false,
            "recipients":[],"receipt_ttl":7200,"receipt_url":"https://eu.onetimesecret.com/receipt/{KEY_A}"}}"#
        );
        let r: Receipt = json(&text);
        assert_eq!(r.custid, "anon");
        assert_eq!(r.metadata_key, KEY_A);
        assert_eq!(r.secret_key.as_deref(), Some(KEY_B));
        assert_eq!(
            (r.ttl, r.metadata_ttl, r.secret_ttl),
            (3600, 7200, Some(3600))
        );
        assert_eq!(r.state, ReceiptState::New);
        assert_eq!(r.created, 1_767_225_600);
        assert!(r.recipient.is_empty() && r.share_domain.is_empty());
        assert!(!r.passphrase_required);
        assert_eq!(r.value, None);
    }

    #[test]
    fn reads_the_seeds_string_typed_generate_response() {
        // The 2025 docs page (../seeds) shows strings where the live API sends integers.
        let r: Receipt = json(
            r#"{"custid":"USERNAME","value":"3Rg8R2sfD3?a",
            "metadata_key":"2b6bjmudhmtiqjn2qmdaqjkqxp323gi",
            "secret_key":"pgcdv7org3vtdurif809sygnt0mstw6",
            "ttl":"3600","share_domain": "","updated":"1324174095","created":"1324174006"}"#,
        );
        assert_eq!(r.ttl, 3600);
        assert_eq!(r.created, 1_324_174_006);
        assert_eq!(r.updated, 1_324_174_095);
        assert_eq!(r.value.as_deref(), Some("3Rg8R2sfD3?a"));
        // Missing fields take their defaults.
        assert_eq!(r.state, ReceiptState::New);
        assert_eq!((r.metadata_ttl, r.secret_ttl, r.received), (0, None, None));
        assert!(r.metadata_url.is_empty());
    }

    #[test]
    fn reads_floats_nulls_and_unknown_fields() {
        let r: Receipt = json(
            r#"{"metadata_key":"k","ttl":3600.0,"metadata_ttl":null,"secret_ttl":"",
            "created":1324174006.75,"updated":"1324174095.5","state":"revealed",
            "received":"1324174100","recipient":"al***@e***.com","share_domain":null,
            "passphrase_required":"true","shrimp":"x","nested":{"a":[1,2]}}"#,
        );
        assert_eq!(r.ttl, 3600);
        assert_eq!(r.metadata_ttl, 0);
        assert_eq!(r.secret_ttl, None);
        assert_eq!(r.created, 1_324_174_006);
        assert_eq!(r.updated, 1_324_174_095);
        assert_eq!(r.state, ReceiptState::Received);
        assert_eq!(r.received, Some(1_324_174_100));
        assert_eq!(r.recipient, vec!["al***@e***.com"]);
        assert_eq!(r.share_domain, "");
        assert!(r.passphrase_required);
    }

    #[test]
    fn negative_redis_ttls_read_as_zero() {
        let r: Receipt = json(r#"{"metadata_ttl":-2,"secret_ttl":"-1"}"#);
        assert_eq!((r.metadata_ttl, r.secret_ttl), (0, Some(0)));
    }

    #[test]
    fn garbage_in_a_response_number_is_an_error() {
        assert!(serde_json::from_str::<Receipt>(r#"{"ttl":"soon"}"#).is_err());
        assert!(serde_json::from_str::<Receipt>(r#"{"ttl":true}"#).is_err());
    }

    #[test]
    fn unknown_states_are_kept() {
        let r: Receipt = json(r#"{"state":"teleported"}"#);
        assert_eq!(r.state, ReceiptState::Unknown("teleported".into()));
        let out = serde_json::to_value(&r).expect("serializes");
        assert_eq!(out["state"], "teleported");
    }

    #[test]
    fn writes_integers_arrays_and_aliases() {
        let r = sample_receipt();
        let v = serde_json::to_value(&r).expect("serializes");
        assert_eq!(v["ttl"], 3600);
        assert_eq!(v["created"], 1_767_225_600);
        assert_eq!(v["recipient"], serde_json::json!([]));
        assert_eq!(v["share_domain"], "");
        assert_eq!(v["passphrase_required"], true);
        assert_eq!(v["state"], "new");
        assert_eq!(v["identifier"], KEY_A);
        assert_eq!(v["secret_identifier"], KEY_B);
        assert_eq!(v["has_passphrase"], true);
        assert_eq!(v["recipients"], serde_json::json!([]));
        assert_eq!(v["receipt_ttl"], 7200);
        assert_eq!(v["receipt_url"], v["metadata_url"]);
        assert_eq!(v["secret_value"], "3Rg8R2sfD3?a");
        assert!(v.get("received").is_none());
    }

    #[test]
    fn a_received_receipt_omits_the_secret_key_and_its_alias() {
        let r = Receipt {
            secret_key: None,
            secret_ttl: None,
            value: None,
            state: ReceiptState::Received,
            received: Some(1_767_225_700),
            ..sample_receipt()
        };
        let v = serde_json::to_value(&r).expect("serializes");
        for absent in [
            "secret_key",
            "secret_identifier",
            "secret_ttl",
            "value",
            "secret_value",
        ] {
            assert!(v.get(absent).is_none(), "{absent} should be omitted");
        }
        assert_eq!(v["received"], 1_767_225_700);
        assert_eq!(v["state"], "received");
    }

    #[test]
    fn a_recent_item_is_shaped_as_v1_lists_it() {
        let r = sample_receipt();
        let v = serde_json::to_value(RecentItem(&r)).expect("serializes");
        assert_eq!(v["secret_ttl"], serde_json::Value::Null);
        assert!(v.get("secret_ttl").is_some(), "present as null");
        for absent in [
            "secret_key",
            "secret_identifier",
            "passphrase_required",
            "has_passphrase",
            "value",
            "secret_value",
        ] {
            assert!(v.get(absent).is_none(), "{absent} should be omitted: {v}");
        }
        assert_eq!(v["metadata_key"], KEY_A);
        assert_eq!(v["metadata_ttl"], 7200);
        // Received: no secret_ttl at all, as for a full receipt.
        let received = Receipt {
            state: ReceiptState::Received,
            received: Some(1_767_225_700),
            ..sample_receipt()
        };
        let v = serde_json::to_value(RecentItem(&received)).expect("serializes");
        assert!(v.get("secret_ttl").is_none(), "{v}");
        assert_eq!(v["received"], 1_767_225_700);
        // And a client reads the item back.
        let back: Receipt = serde_json::from_value(v).expect("reads");
        assert_eq!(back.secret_ttl, None);
        assert!(!back.passphrase_required);
    }
}
