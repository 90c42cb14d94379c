//! The v1 responses other than the receipt: reveal, burn and status.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::{Receipt, Redacted, lenient};

/// `POST /api/v1/secret/<key>`: the revealed secret.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RevealResponse {
    /// The secret (an envelope if the creator encrypted it).
    #[serde(deserialize_with = "lenient::string")]
    pub value: String,
    /// The secret key that was revealed.
    #[serde(deserialize_with = "lenient::string")]
    pub secret_key: String,
    /// Scheme and host of the link, e.g. `https://eu.onetimesecret.com` (a URL here).
    #[serde(deserialize_with = "lenient::string")]
    pub share_domain: String,
}

/// `POST /api/v1/receipt/<key>/burn`: the burned receipt.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct BurnResponse {
    /// The receipt, now in state `burned`.
    pub state: Receipt,
    /// The first 8 characters of the secret key.
    #[serde(deserialize_with = "lenient::string")]
    pub secret_shortkey: String,
}

/// `GET /api/v1/status` and `/authcheck`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct StatusResponse {
    /// `"nominal"` when all is well.
    #[serde(deserialize_with = "lenient::string")]
    pub status: String,
    /// The response locale.
    #[serde(deserialize_with = "lenient::string")]
    pub locale: String,
}

impl Default for StatusResponse {
    fn default() -> Self {
        Self {
            status: "nominal".into(),
            locale: "en".into(),
        }
    }
}

impl fmt::Debug for RevealResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RevealResponse")
            .field("value", &Redacted(Some(&self.value)))
            .field("secret_key", &self.secret_key)
            .field("share_domain", &self.share_domain)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys;
    use crate::wire::ReceiptState;
    use crate::wire::tests::*;

    #[test]
    fn responses_round_trip_through_json() {
        let r = sample_receipt();
        let back: Receipt = json(&serde_json::to_string(&r).expect("serializes"));
        assert_eq!(back, r);

        let burn = BurnResponse {
            state: Receipt {
                state: ReceiptState::Burned,
                ..sample_receipt()
            },
            secret_shortkey: keys::shortkey(KEY_B).into(),
        };
        let back: BurnResponse = json(&serde_json::to_string(&burn).expect("serializes"));
        assert_eq!(back, burn);

        let reveal = RevealResponse {
            value: "hello".into(),
            secret_key: KEY_B.into(),
            share_domain: "https://eu.onetimesecret.com".into(),
        };
        let back: RevealResponse = json(&serde_json::to_string(&reveal).expect("serializes"));
        assert_eq!(back, reveal);

        let status: StatusResponse = json(r#"{"status":"nominal","locale":"en"}"#);
        assert_eq!(status, StatusResponse::default());

        let list: Vec<Receipt> = json(&serde_json::to_string(&vec![r.clone()]).expect("ok"));
        assert_eq!(list, vec![r]);
    }
}
