//! The Onetime Secret API v1 wire format (reference §2): one serde type per message,
//! used by the server to read requests and write responses, and by the app and CLI the
//! other way round.
//!
//! Reading is lenient: integers may arrive as JSON integers, floats or numeric strings
//! (the old docs show `"ttl":"3600"`), `null` means "absent", unknown fields are ignored
//! and missing fields take their defaults. Requests read from JSON and from form bodies
//! (`serde_urlencoded`, which is what axum's `Form` uses). Writing is strict: integers,
//! `recipient` as an array, `share_domain` as `""`, `passphrase_required` as a bool.

use std::fmt;

use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Serialize};

use crate::form;
use crate::keys;
use crate::password::CharSets;

/// Prefix of every v1 route.
pub const API_V1: &str = "/api/v1";

/// Response header carrying the status a v1 error "really" has (v1 answers 404 to most
/// errors).
pub const INTENDED_STATUS_HEADER: &str = "X-OTS-Intended-Status";

/// A v1 route, for clients. `Display` gives the path; keys are sanitized into it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint<'a> {
    /// `GET /api/v1/status`.
    Status,
    /// `GET /api/v1/authcheck`.
    Authcheck,
    /// `POST /api/v1/share` with a [`ShareRequest`].
    Share,
    /// `POST /api/v1/generate` with a [`GenerateRequest`].
    Generate,
    /// `POST /api/v1/secret/<secret_key>`: reveal (consumes) with a [`PassphraseRequest`].
    Secret(&'a str),
    /// `GET|POST /api/v1/receipt/<metadata_key>`: the receipt, without changing it.
    Receipt(&'a str),
    /// `POST /api/v1/receipt/<metadata_key>/burn` with a [`PassphraseRequest`].
    Burn(&'a str),
    /// `GET /api/v1/receipt/recent` (authenticated): a JSON array of [`Receipt`]s.
    Recent,
}

impl fmt::Display for Endpoint<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Status => write!(f, "{API_V1}/status"),
            Self::Authcheck => write!(f, "{API_V1}/authcheck"),
            Self::Share => write!(f, "{API_V1}/share"),
            Self::Generate => write!(f, "{API_V1}/generate"),
            Self::Secret(key) => write!(f, "{API_V1}/secret/{}", keys::sanitize(key)),
            Self::Receipt(key) => write!(f, "{API_V1}/receipt/{}", keys::sanitize(key)),
            Self::Burn(key) => write!(f, "{API_V1}/receipt/{}/burn", keys::sanitize(key)),
            Self::Recent => write!(f, "{API_V1}/receipt/recent"),
        }
    }
}

/// `deserialize_with` helpers that accept what v1 services and old docs actually send.
///
/// Numbers: JSON integers, floats (truncated), numeric strings; `null` and `""` are absent.
/// Booleans: `true`/`false`, `"true"`/`"false"`, `"1"`/`"0"`, `"on"`/`"yes"`, 0/1.
pub mod lenient {
    use std::fmt;

    use serde::de::{self, Deserializer, SeqAccess, Visitor};

    /// Any scalar, as read.
    enum Scalar {
        Null,
        Bool(bool),
        Int(i128),
        Float(f64),
        Str(String),
    }

    struct ScalarVisitor;

    impl<'de> Visitor<'de> for ScalarVisitor {
        type Value = Scalar;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a number, string, boolean or null")
        }
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<Scalar, E> {
            Ok(Scalar::Bool(v))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar, E> {
            Ok(Scalar::Int(v.into()))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
            Ok(Scalar::Int(v.into()))
        }
        fn visit_i128<E: de::Error>(self, v: i128) -> Result<Scalar, E> {
            Ok(Scalar::Int(v))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar, E> {
            Ok(Scalar::Float(v))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
            Ok(Scalar::Str(v.to_owned()))
        }
        fn visit_string<E: de::Error>(self, v: String) -> Result<Scalar, E> {
            Ok(Scalar::Str(v))
        }
        fn visit_unit<E: de::Error>(self) -> Result<Scalar, E> {
            Ok(Scalar::Null)
        }
        fn visit_none<E: de::Error>(self) -> Result<Scalar, E> {
            Ok(Scalar::Null)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Scalar, D::Error> {
            d.deserialize_any(self)
        }
    }

    fn scalar<'de, D: Deserializer<'de>>(d: D) -> Result<Scalar, D::Error> {
        d.deserialize_any(ScalarVisitor)
    }

    /// A float to an integer, truncating toward zero; `None` if not finite.
    fn truncate(v: f64) -> Option<i128> {
        // `as` saturates for finite values out of range, which is what we want here.
        #[allow(clippy::cast_possible_truncation)]
        v.is_finite().then(|| v.trunc() as i128)
    }

    /// A strict numeric reading: integers, floats and numeric strings.
    fn number<E: de::Error>(s: Scalar) -> Result<Option<i128>, E> {
        match s {
            Scalar::Null => Ok(None),
            Scalar::Int(n) => Ok(Some(n)),
            Scalar::Float(v) => truncate(v)
                .map(Some)
                .ok_or_else(|| E::custom("number is not finite")),
            Scalar::Str(text) => {
                let text = text.trim();
                if text.is_empty() {
                    Ok(None)
                } else {
                    decimal(text)
                        .map(Some)
                        .ok_or_else(|| E::custom(format!("not a number: {text:?}")))
                }
            }
            Scalar::Bool(_) => Err(E::custom("expected a number, found a boolean")),
        }
    }

    /// A decimal in text (`"-12"`, `"1700000000.25"`), truncated toward zero. By hand,
    /// not through `f64`: float parsing would add kilobytes to the browser build.
    fn decimal(text: &str) -> Option<i128> {
        let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
        let digits = whole.trim_start_matches(['-', '+']);
        let sign_ok = whole.len() - digits.len() <= 1;
        let all_digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
        if !sign_ok
            || (digits.is_empty() && fraction.is_empty())
            || !all_digits(digits)
            || !all_digits(fraction)
        {
            return None;
        }
        Some(ruby_to_i(whole))
    }

    /// Ruby's `String#to_i`: the leading integer (after whitespace and a sign), 0 if none.
    fn ruby_to_i(text: &str) -> i128 {
        let text = text.trim_start();
        let (negative, digits) = match text.as_bytes().first() {
            Some(b'-') => (true, &text[1..]),
            Some(b'+') => (false, &text[1..]),
            _ => (false, text),
        };
        let mut n: i128 = 0;
        for b in digits.bytes().take_while(u8::is_ascii_digit) {
            n = n.saturating_mul(10).saturating_add(i128::from(b - b'0'));
        }
        if negative { -n } else { n }
    }

    /// A request integer read like the v1 server does (`to_i`): garbage is 0, never an
    /// error, so "ttl=abc" is clamped like "ttl=0" instead of failing the whole form.
    fn loose<E: de::Error>(s: Scalar) -> Result<Option<i128>, E> {
        match s {
            Scalar::Str(text) if text.trim().is_empty() => Ok(None),
            Scalar::Str(text) => Ok(Some(ruby_to_i(&text))),
            Scalar::Bool(b) => Ok(Some(i128::from(b))),
            other => number(other),
        }
    }

    fn saturate_u64(n: i128) -> u64 {
        u64::try_from(n.max(0)).unwrap_or(u64::MAX)
    }

    /// A non-negative integer; absent is 0, negative values (Redis' -1/-2 TTLs) are 0.
    pub fn u64<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        Ok(opt_u64(d)?.unwrap_or(0))
    }

    /// An optional non-negative integer; negative values are 0.
    pub fn opt_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
        Ok(number(scalar(d)?)?.map(saturate_u64))
    }

    /// An optional request integer, read like Ruby's `to_i` (`"abc"` is `Some(0)`), so the
    /// caller can clamp it; `null`/`""` is `None`.
    pub fn opt_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
        Ok(loose(scalar(d)?)?
            .map(|n| i64::try_from(n).unwrap_or(if n < 0 { i64::MIN } else { i64::MAX })))
    }

    /// An optional positive request integer read like `to_i`; zero, negative and garbage
    /// are `None` (use the default), too large saturates.
    pub fn opt_u32<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
        Ok(loose(scalar(d)?)?
            .filter(|&n| n > 0)
            .map(|n| u32::try_from(n).unwrap_or(u32::MAX)))
    }

    /// A boolean; absent is false.
    pub fn bool<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
        match scalar(d)? {
            Scalar::Null => Ok(false),
            Scalar::Bool(b) => Ok(b),
            Scalar::Int(n) => Ok(n != 0),
            Scalar::Float(v) => Ok(v != 0.0),
            Scalar::Str(text) => match text.trim().to_ascii_lowercase().as_str() {
                "true" | "1" | "on" | "yes" => Ok(true),
                "false" | "0" | "off" | "no" | "" => Ok(false),
                other => Err(de::Error::custom(format!("not a boolean: {other:?}"))),
            },
        }
    }

    fn text<E: de::Error>(s: Scalar) -> Result<Option<String>, E> {
        match s {
            Scalar::Null => Ok(None),
            Scalar::Str(text) => Ok(Some(text)),
            Scalar::Bool(b) => Ok(Some(b.to_string())),
            Scalar::Int(n) => Ok(Some(n.to_string())),
            // Written as its integer part: float formatting would add kilobytes to the
            // browser build, and no string field of the API carries a fraction.
            Scalar::Float(v) => Ok(truncate(v).map(|n| n.to_string())),
        }
    }

    /// A string; `null` is `""`, numbers and booleans are written out.
    pub fn string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
        Ok(text(scalar(d)?)?.unwrap_or_default())
    }

    /// An optional string; `null` and `""` are `None` (an empty form field means "none").
    pub fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        Ok(text(scalar(d)?)?.filter(|s| !s.is_empty()))
    }

    struct StringsVisitor;

    impl<'de> Visitor<'de> for StringsVisitor {
        type Value = Vec<String>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string or an array of strings")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(if v.is_empty() {
                Vec::new()
            } else {
                vec![v.to_owned()]
            })
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(Vec::new())
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(Vec::new())
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(self)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut out = Vec::new();
            while let Some(item) = seq.next_element::<super::Text>()? {
                out.extend(item.0.filter(|s| !s.is_empty()));
            }
            Ok(out)
        }
    }

    /// A list of strings sent as one string or as an array; `null`/`""` is empty.
    pub fn strings<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
        d.deserialize_any(StringsVisitor)
    }
}

/// Newtypes that read one map value with a [`lenient`] function (the share and generate
/// requests read their map by hand, one value at a time).
macro_rules! lenient_values {
    ($($name:ident($ty:ty) = $read:path;)*) => {$(
        struct $name($ty);

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                $read(d).map($name)
            }
        }
    )*};
}

lenient_values! {
    Text(Option<String>) = lenient::opt_string;
    Strings(Vec<String>) = lenient::strings;
    LooseI64(Option<i64>) = lenient::opt_i64;
    LooseU32(Option<u32>) = lenient::opt_u32;
    Flag(bool) = lenient::bool;
}

/// Every field of a share or generate request, read from JSON or from a form body.
///
/// Forms may repeat `recipient` (or use `recipient[]`) and may send the character sets as
/// Rack-style flat keys (`character_sets[symbols]=false`); a derived struct would reject
/// both, so the map is read by hand.
#[derive(Default)]
struct CreateFields {
    secret: Option<String>,
    passphrase: Option<String>,
    ttl: Option<i64>,
    recipient: Vec<String>,
    share_domain: Option<String>,
    locale: Option<String>,
    length: Option<u32>,
    character_sets: Option<CharSets>,
}

impl<'de> Deserialize<'de> for CreateFields {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct FieldsVisitor;

        impl<'de> Visitor<'de> for FieldsVisitor {
            type Value = CreateFields;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map of request parameters")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<CreateFields, A::Error> {
                let mut out = CreateFields::default();
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "secret" => out.secret = map.next_value::<Text>()?.0,
                        "passphrase" => out.passphrase = map.next_value::<Text>()?.0,
                        "ttl" => out.ttl = map.next_value::<LooseI64>()?.0,
                        "recipient" | "recipient[]" => {
                            out.recipient.extend(map.next_value::<Strings>()?.0);
                        }
                        "share_domain" => out.share_domain = map.next_value::<Text>()?.0,
                        "locale" => out.locale = map.next_value::<Text>()?.0,
                        "length" => out.length = map.next_value::<LooseU32>()?.0,
                        "character_sets" => {
                            out.character_sets = Some(map.next_value::<CharSets>()?);
                        }
                        flat => {
                            let set = flat
                                .strip_prefix("character_sets[")
                                .and_then(|rest| rest.strip_suffix(']'));
                            match set {
                                Some(name) => {
                                    let on = map.next_value::<Flag>()?.0;
                                    let sets =
                                        out.character_sets.get_or_insert_with(Default::default);
                                    match name {
                                        "uppercase" => sets.uppercase = on,
                                        "lowercase" => sets.lowercase = on,
                                        "numbers" => sets.numbers = on,
                                        "symbols" => sets.symbols = on,
                                        "exclude_ambiguous" => sets.exclude_ambiguous = on,
                                        _ => {}
                                    }
                                }
                                None => {
                                    map.next_value::<IgnoredAny>()?;
                                }
                            }
                        }
                    }
                }
                Ok(out)
            }
        }

        d.deserialize_map(FieldsVisitor)
    }
}

/// `POST /api/v1/share` (and `/create`): store a secret.
///
/// Reads JSON and form bodies; an absent `secret` reads as `""`, so the server answers
/// with the v1 "You did not provide anything to share" rather than a parse error.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "CreateFields")]
pub struct ShareRequest {
    /// The secret (the envelope text when the client encrypts).
    pub secret: String,
    /// Optional passphrase the server requires before it reveals or burns.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub passphrase: Option<String>,
    /// Requested lifetime in seconds; see [`crate::limits::Limits::clamp_ttl`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ttl: Option<i64>,
    /// Email addresses to send the link to (authenticated callers only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub recipient: Vec<String>,
    /// Custom domain for the link.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub share_domain: Option<String>,
    /// Locale for messages and email.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
}

impl From<CreateFields> for ShareRequest {
    fn from(f: CreateFields) -> Self {
        Self {
            secret: f.secret.unwrap_or_default(),
            passphrase: f.passphrase,
            ttl: f.ttl,
            recipient: f.recipient,
            share_domain: f.share_domain,
            locale: f.locale,
        }
    }
}

/// Pushes the fields that share and generate requests have in common.
fn common_pairs<'a>(
    pairs: &mut Vec<(&'a str, String)>,
    passphrase: Option<&'a str>,
    ttl: Option<i64>,
    recipient: &'a [String],
    share_domain: Option<&'a str>,
    locale: Option<&'a str>,
) {
    if let Some(p) = passphrase {
        pairs.push(("passphrase", p.to_owned()));
    }
    if let Some(t) = ttl {
        pairs.push(("ttl", t.to_string()));
    }
    // Rack reads a repeated plain key as its last value; `recipient[]` makes an array.
    let name = if recipient.len() > 1 {
        "recipient[]"
    } else {
        "recipient"
    };
    pairs.extend(recipient.iter().map(|r| (name, r.clone())));
    if let Some(d) = share_domain {
        pairs.push(("share_domain", d.to_owned()));
    }
    if let Some(l) = locale {
        pairs.push(("locale", l.to_owned()));
    }
}

fn encode_pairs(pairs: &[(&str, String)]) -> String {
    form::encode(pairs.iter().map(|(n, v)| (*n, v.as_str())))
}

impl ShareRequest {
    /// The request as an `application/x-www-form-urlencoded` body.
    pub fn to_form(&self) -> String {
        let mut pairs = vec![("secret", self.secret.clone())];
        common_pairs(
            &mut pairs,
            self.passphrase.as_deref(),
            self.ttl,
            &self.recipient,
            self.share_domain.as_deref(),
            self.locale.as_deref(),
        );
        encode_pairs(&pairs)
    }
}

/// `POST /api/v1/generate`: the server generates a password, returned once as `value`.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "CreateFields")]
pub struct GenerateRequest {
    /// Optional passphrase the server requires before it reveals or burns.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub passphrase: Option<String>,
    /// Requested lifetime in seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ttl: Option<i64>,
    /// Email addresses to send the link to (authenticated callers only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub recipient: Vec<String>,
    /// Custom domain for the link.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub share_domain: Option<String>,
    /// Locale for messages and email.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// Password length; `None` (or 0, negative, garbage) means the default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub length: Option<u32>,
    /// Character classes; `None` means all of them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub character_sets: Option<CharSets>,
}

impl From<CreateFields> for GenerateRequest {
    fn from(f: CreateFields) -> Self {
        Self {
            passphrase: f.passphrase,
            ttl: f.ttl,
            recipient: f.recipient,
            share_domain: f.share_domain,
            locale: f.locale,
            length: f.length,
            character_sets: f.character_sets,
        }
    }
}

impl GenerateRequest {
    /// The request as an `application/x-www-form-urlencoded` body; character sets use
    /// Rack's nested keys (`character_sets[symbols]=false`).
    pub fn to_form(&self) -> String {
        let mut pairs = Vec::new();
        common_pairs(
            &mut pairs,
            self.passphrase.as_deref(),
            self.ttl,
            &self.recipient,
            self.share_domain.as_deref(),
            self.locale.as_deref(),
        );
        if let Some(n) = self.length {
            pairs.push(("length", n.to_string()));
        }
        if let Some(c) = &self.character_sets {
            for (name, on) in [
                ("character_sets[uppercase]", c.uppercase),
                ("character_sets[lowercase]", c.lowercase),
                ("character_sets[numbers]", c.numbers),
                ("character_sets[symbols]", c.symbols),
                ("character_sets[exclude_ambiguous]", c.exclude_ambiguous),
            ] {
                pairs.push((name, on.to_string()));
            }
        }
        encode_pairs(&pairs)
    }
}

/// The body of reveal (`POST /secret/<key>`) and burn (`POST /receipt/<key>/burn`).
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PassphraseRequest {
    /// The passphrase, if the secret has one.
    #[serde(
        default,
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub passphrase: Option<String>,
}

impl PassphraseRequest {
    /// The request as a form body: `passphrase=…`, or `""` without a passphrase.
    pub fn to_form(&self) -> String {
        form::encode(self.passphrase.as_deref().map(|p| ("passphrase", p)))
    }
}

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

/// A v1 error body: `{"message": …}` (with `secret_key` for unknown keys), or the
/// router's `{"error": …}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ErrorBody {
    /// The v1 message.
    #[serde(
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub message: Option<String>,
    /// The router's message for unrouted paths and crashes.
    #[serde(
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub error: Option<String>,
    /// The key the request named, on "Unknown secret".
    #[serde(
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub secret_key: Option<String>,
}

impl ErrorBody {
    /// `{"message": text}`.
    pub fn message(text: impl Into<String>) -> Self {
        Self {
            message: Some(text.into()),
            ..Self::default()
        }
    }

    /// `{"secret_key": key, "message": "Unknown secret"}`.
    pub fn unknown_secret(key: impl Into<String>) -> Self {
        Self {
            message: Some("Unknown secret".into()),
            secret_key: Some(key.into()),
            ..Self::default()
        }
    }

    /// The router's `{"error": "Not Found"}` for unrouted paths.
    pub fn not_routed() -> Self {
        Self {
            error: Some("Not Found".into()),
            ..Self::default()
        }
    }

    /// The text to show or classify: `message`, else `error`.
    pub fn text(&self) -> Option<&str> {
        self.message.as_deref().or(self.error.as_deref())
    }

    /// Classifies this body; see [`classify`].
    pub fn kind(&self, intended_status: Option<u16>, http_status: u16) -> ApiErrorKind {
        classify(self.text(), intended_status, http_status)
    }
}

/// Stands in for a secret value in `Debug` output, so that logging a request or response
/// never logs a secret or a passphrase.
struct Redacted<'a>(Option<&'a str>);

impl fmt::Debug for Redacted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            None => f.write_str("None"),
            Some(_) => f.write_str("\"…\""),
        }
    }
}

impl fmt::Debug for ShareRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ShareRequest")
            .field("secret", &Redacted(Some(&self.secret)))
            .field("passphrase", &Redacted(self.passphrase.as_deref()))
            .field("ttl", &self.ttl)
            .field("recipient", &self.recipient)
            .field("share_domain", &self.share_domain)
            .field("locale", &self.locale)
            .finish()
    }
}

impl fmt::Debug for GenerateRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GenerateRequest")
            .field("passphrase", &Redacted(self.passphrase.as_deref()))
            .field("ttl", &self.ttl)
            .field("recipient", &self.recipient)
            .field("share_domain", &self.share_domain)
            .field("locale", &self.locale)
            .field("length", &self.length)
            .field("character_sets", &self.character_sets)
            .finish()
    }
}

impl fmt::Debug for PassphraseRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PassphraseRequest")
            .field("passphrase", &Redacted(self.passphrase.as_deref()))
            .finish()
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

impl fmt::Debug for RevealResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RevealResponse")
            .field("value", &Redacted(Some(&self.value)))
            .field("secret_key", &self.secret_key)
            .field("share_domain", &self.share_domain)
            .finish()
    }
}

/// What went wrong, read from a v1 error. The app and CLI map each kind to a message.
#[derive(Debug, Clone, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum ApiErrorKind {
    /// The secret does not exist: never did, revealed, burned, expired, or the passphrase
    /// was wrong (v1 does not tell these apart).
    #[error("unknown secret")]
    UnknownSecret,
    /// Missing or bad credentials.
    #[error("not authorized")]
    NotAuthorized,
    /// No such route, or a key too short to be one.
    #[error("not found")]
    NotFound,
    /// The secret was empty.
    #[error("empty secret")]
    EmptySecret,
    /// The secret was over the size limit.
    #[error("secret too long")]
    SecretTooLong,
    /// The passphrase was too short.
    #[error("passphrase too short")]
    PassphraseTooShort,
    /// The passphrase was too long.
    #[error("passphrase too long")]
    PassphraseTooLong,
    /// The service requires a passphrase.
    #[error("passphrase required")]
    PassphraseRequired,
    /// The generated password length was over the limit.
    #[error("password length too long")]
    LengthTooLong,
    /// Sending email needs an account.
    #[error("recipient requires an account")]
    RecipientNeedsAccount,
    /// The recipient address was refused.
    #[error("undeliverable email address")]
    UndeliverableEmail,
    /// The share domain is unknown or not allowed for this caller.
    #[error("share domain not allowed")]
    DomainNotAllowed,
    /// Burn with the wrong passphrase.
    #[error("incorrect passphrase")]
    IncorrectPassphrase,
    /// Too many requests.
    #[error("rate limited")]
    RateLimited,
    /// The server failed ("An unexpected error occurred :[").
    #[error("unexpected server error")]
    Unexpected,
    /// Anything else, with the server's text (possibly localized) or `http <status>`.
    #[error("{0}")]
    Other(String),
}

/// Maps a v1 error to its kind, from the body's text (`message`, else `error`), the
/// `X-OTS-Intended-Status` header and the HTTP status. Known English messages win;
/// otherwise the status decides (401/403, 404 without text, 429, 5xx), and what remains is
/// [`ApiErrorKind::Other`] with the text.
pub fn classify(
    message: Option<&str>,
    intended_status: Option<u16>,
    http_status: u16,
) -> ApiErrorKind {
    let text = message.map(str::trim).unwrap_or_default();
    let lower = text.to_ascii_lowercase();
    let starts = |prefix: &str| lower.starts_with(prefix);
    let kind = if lower == "unknown secret" {
        Some(ApiErrorKind::UnknownSecret)
    } else if lower == "not authorized" {
        Some(ApiErrorKind::NotAuthorized)
    } else if lower == "not found" || lower.ends_with(" is not available") {
        Some(ApiErrorKind::NotFound)
    } else if starts("you did not provide anything to share") {
        Some(ApiErrorKind::EmptySecret)
    } else if starts("secret value exceeds the maximum size") {
        Some(ApiErrorKind::SecretTooLong)
    } else if starts("passphrase must be at least") || starts("passphrase is too short") {
        Some(ApiErrorKind::PassphraseTooShort)
    } else if starts("passphrase must be no more than")
        || starts("passphrase must be at most")
        || starts("passphrase is too long")
    {
        Some(ApiErrorKind::PassphraseTooLong)
    } else if starts("a passphrase is required") {
        Some(ApiErrorKind::PassphraseRequired)
    } else if starts("generated password length must be no more than")
        || starts("password length must be at most")
    {
        Some(ApiErrorKind::LengthTooLong)
    } else if starts("an account is required to send email") {
        Some(ApiErrorKind::RecipientNeedsAccount)
    } else if starts("undeliverable email address") {
        Some(ApiErrorKind::UndeliverableEmail)
    } else if starts("you do not have permission to use domain")
        || starts("unknown domain")
        || starts("public sharing disabled for domain")
    {
        Some(ApiErrorKind::DomainNotAllowed)
    } else if starts("incorrect passphrase") {
        Some(ApiErrorKind::IncorrectPassphrase)
    } else if starts("rate limit exceeded")
        || starts("too many")
        || starts("you have been rate limited")
    {
        Some(ApiErrorKind::RateLimited)
    } else if starts("an unexpected error occurred") || lower == "internal server error" {
        Some(ApiErrorKind::Unexpected)
    } else {
        None
    };
    if let Some(kind) = kind {
        return kind;
    }
    match intended_status.unwrap_or(http_status) {
        401 | 403 => ApiErrorKind::NotAuthorized,
        429 => ApiErrorKind::RateLimited,
        404 if text.is_empty() => ApiErrorKind::NotFound,
        500..=599 if text.is_empty() => ApiErrorKind::Unexpected,
        status if text.is_empty() => ApiErrorKind::Other(format!("http {status}")),
        _ => ApiErrorKind::Other(text.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json<T: serde::de::DeserializeOwned>(text: &str) -> T {
        serde_json::from_str(text).expect("test JSON parses")
    }

    #[test]
    fn numbers_in_strings_are_read_without_floats() {
        #[derive(Deserialize)]
        struct N {
            #[serde(default, deserialize_with = "lenient::opt_u64")]
            n: Option<u64>,
        }
        let read = |v: &str| serde_json::from_str::<N>(&format!("{{\"n\":{v}}}")).map(|n| n.n);
        for (v, want) in [
            ("\"1700000000.75\"", Some(1_700_000_000)),
            ("\"-5\"", Some(0)),
            ("\"+7.\"", Some(7)),
            ("\".5\"", Some(0)),
            ("\" 42 \"", Some(42)),
            ("1.9e3", Some(1900)),
            ("\"\"", None),
            ("null", None),
        ] {
            assert_eq!(read(v).expect(v), want, "{v}");
        }
        for bad in [
            "\"-\"",
            "\".\"",
            "\"1e3\"",
            "\"12abc\"",
            "\"+-1\"",
            "\"1.2.3\"",
        ] {
            assert!(read(bad).is_err(), "{bad}");
        }
    }

    const KEY_A: &str = "2b6bjmudhmtiqjn2qmdaqjkqxp323gi0000000000000000000000000000000";
    const KEY_B: &str = "pgcdv7org3vtdurif809sygnt0mstw60000000000000000000000000000000";

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

    fn sample_receipt() -> Receipt {
        Receipt {
            custid: "anon".into(),
            metadata_key: KEY_A.into(),
            secret_key: Some(KEY_B.into()),
            ttl: 3600,
            metadata_ttl: 7200,
            secret_ttl: Some(3600),
            metadata_url: format!("https://eu.onetimesecret.com/receipt/{KEY_A}"),
            state: ReceiptState::New,
            updated: 1_767_225_600,
            created: 1_767_225_600,
            received: None,
            recipient: vec![],
            share_domain: String::new(),
            value: Some("3Rg8R2sfD3?a".into()),
            passphrase_required: true,
        }
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

    #[test]
    fn error_bodies_read_message_or_error() {
        let e: ErrorBody = json(&format!(
            r#"{{"secret_key":"{KEY_B}","message":"Unknown secret"}}"#
        ));
        assert_eq!(e, ErrorBody::unknown_secret(KEY_B));
        assert_eq!(e.kind(None, 404), ApiErrorKind::UnknownSecret);
        let e: ErrorBody = json(r#"{"error":"Not Found"}"#);
        assert_eq!(e, ErrorBody::not_routed());
        assert_eq!(e.text(), Some("Not Found"));
        assert_eq!(
            serde_json::to_string(&ErrorBody::message("Not authorized")).expect("ok"),
            r#"{"message":"Not authorized"}"#
        );
    }

    #[test]
    fn classify_maps_the_reference_messages() {
        use ApiErrorKind as K;
        for (msg, intended, kind) in [
            ("Unknown secret", None, K::UnknownSecret),
            ("Not Found", None, K::NotFound),
            ("Not authorized", Some(401), K::NotAuthorized),
            ("/api/v1/share is not available", None, K::NotFound),
            (
                "You did not provide anything to share",
                Some(400),
                K::EmptySecret,
            ),
            (
                "Secret value exceeds the maximum size of 10000 bytes",
                Some(400),
                K::SecretTooLong,
            ),
            (
                "A passphrase is required for all secrets",
                Some(400),
                K::PassphraseRequired,
            ),
            (
                "An account is required to send emails.",
                Some(400),
                K::RecipientNeedsAccount,
            ),
            (
                "Undeliverable email address: a@b",
                Some(400),
                K::UndeliverableEmail,
            ),
            (
                "You do not have permission to use domain: x.example",
                Some(400),
                K::DomainNotAllowed,
            ),
            ("Unknown domain: x.example", Some(400), K::DomainNotAllowed),
            // The wording of ots-server before it matched v0.26.6 still classifies.
            (
                "Passphrase must be at most 128 characters",
                Some(400),
                K::PassphraseTooLong,
            ),
            (
                "Password length must be at most 128 characters",
                Some(400),
                K::LengthTooLong,
            ),
            (
                "Public sharing disabled for domain: x.example",
                Some(400),
                K::DomainNotAllowed,
            ),
            ("Incorrect passphrase", Some(400), K::IncorrectPassphrase),
            (
                "Rate limit exceeded. Please try again later.",
                Some(400),
                K::RateLimited,
            ),
            ("An unexpected error occurred :[", Some(400), K::Unexpected),
            ("Internal Server Error", None, K::Unexpected),
        ] {
            assert_eq!(classify(Some(msg), intended, 404), kind, "{msg}");
        }
    }

    #[test]
    fn classify_falls_back_to_the_status() {
        use ApiErrorKind as K;
        assert_eq!(
            classify(Some("Nicht autorisiert"), Some(401), 404),
            K::NotAuthorized
        );
        assert_eq!(classify(None, None, 429), K::RateLimited);
        assert_eq!(classify(None, None, 404), K::NotFound);
        assert_eq!(classify(Some(""), None, 502), K::Unexpected);
        assert_eq!(classify(None, Some(400), 404), K::Other("http 400".into()));
        assert_eq!(
            classify(Some("Passwort falsch"), Some(400), 404),
            K::Other("Passwort falsch".into())
        );
    }

    #[test]
    fn every_validation_message_classifies_back_to_its_kind() {
        use crate::limits::ValidationError as V;
        let errors = [
            V::Empty,
            V::TooLong { max_bytes: 10_000 },
            V::PassphraseTooShort { min: 4 },
            V::PassphraseTooLong { max: 128 },
            V::PassphraseRequired,
            V::LengthTooLong { max: 128 },
            V::RecipientNeedsAccount,
            V::UndeliverableEmail {
                address: "x@y".into(),
            },
            V::DomainNotAllowed { domain: "d".into() },
            V::UnknownDomain { domain: "d".into() },
            V::IncorrectPassphrase,
        ];
        for e in errors {
            assert_eq!(
                classify(Some(&e.v1_message()), Some(400), 404),
                e.kind(),
                "{e}"
            );
        }
    }

    #[test]
    fn share_request_reads_a_form_body() {
        let r: ShareRequest = serde_urlencoded::from_str(
            "secret=hello+world&ttl=3600&passphrase=&recipient=a%40b.example&unknown=1",
        )
        .expect("form parses");
        assert_eq!(r.secret, "hello world");
        assert_eq!(r.ttl, Some(3600));
        assert_eq!(r.passphrase, None, "an empty field means none");
        assert_eq!(r.recipient, vec!["a@b.example"]);
    }

    #[test]
    fn share_request_reads_garbage_ttl_as_zero() {
        for (body, ttl) in [
            ("ttl=abc", Some(0)),
            ("ttl=-5", Some(-5)),
            ("ttl=3600abc", Some(3600)),
            ("ttl=", None),
            ("", None),
            ("ttl=99999999999999999999999", Some(i64::MAX)),
        ] {
            let r: ShareRequest = serde_urlencoded::from_str(body).expect("form parses");
            assert_eq!(r.ttl, ttl, "{body}");
            assert_eq!(r.secret, "", "a missing secret reads as empty");
        }
    }

    #[test]
    fn share_request_reads_repeated_and_bracketed_recipients() {
        let r: ShareRequest =
            serde_urlencoded::from_str("recipient[]=a%40x&recipient[]=b%40x&recipient=c%40x")
                .expect("form parses");
        assert_eq!(r.recipient, vec!["a@x", "b@x", "c@x"]);
    }

    #[test]
    fn share_request_reads_json() {
        let r: ShareRequest = json(
            r#"{"secret":"s","ttl":"60","passphrase":null,"recipient":["a@x"],
            "share_domain":"","locale":"de","extra":{"x":1}}"#,
        );
        assert_eq!(
            r,
            ShareRequest {
                secret: "s".into(),
                ttl: Some(60),
                recipient: vec!["a@x".into()],
                locale: Some("de".into()),
                ..ShareRequest::default()
            }
        );
        let r: ShareRequest = json(r#"{"secret":"s","ttl":60.9,"recipient":"a@x"}"#);
        assert_eq!((r.ttl, r.recipient), (Some(60), vec!["a@x".to_owned()]));
    }

    #[test]
    fn share_request_form_round_trips() {
        let r = ShareRequest {
            secret: "ots1.abc+/=& é".into(),
            passphrase: Some("p w".into()),
            ttl: Some(300),
            recipient: vec!["a@x".into(), "b@x".into()],
            share_domain: Some("secrets.example".into()),
            locale: Some("fr_CA".into()),
        };
        let body = r.to_form();
        assert!(body.starts_with("secret=ots1.abc%2B%2F%3D%26%20%C3%A9&passphrase=p%20w&ttl=300"));
        let back: ShareRequest = serde_urlencoded::from_str(&body).expect("form parses");
        assert_eq!(back, r);
        let one = ShareRequest {
            recipient: vec!["a@x".into()],
            ..ShareRequest::default()
        };
        assert_eq!(one.to_form(), "secret=&recipient=a%40x");
    }

    #[test]
    fn share_request_json_round_trips() {
        let r = ShareRequest {
            secret: "s".into(),
            ttl: Some(60),
            recipient: vec!["a@x".into()],
            ..ShareRequest::default()
        };
        let text = serde_json::to_string(&r).expect("serializes");
        assert_eq!(text, r#"{"secret":"s","ttl":60,"recipient":["a@x"]}"#);
        assert_eq!(json::<ShareRequest>(&text), r);
    }

    #[test]
    fn generate_request_reads_flat_and_nested_character_sets() {
        let r: GenerateRequest = serde_urlencoded::from_str(
            "length=20&character_sets%5Bsymbols%5D=false&character_sets[numbers]=0",
        )
        .expect("form parses");
        assert_eq!(r.length, Some(20));
        let sets = r.character_sets.expect("sets given");
        assert!(!sets.symbols && !sets.numbers && sets.uppercase && sets.lowercase);

        let r: GenerateRequest = json(
            r#"{"length":"16","character_sets":{"uppercase":false,"exclude_ambiguous":"false"}}"#,
        );
        let sets = r.character_sets.expect("sets given");
        assert!(!sets.uppercase && !sets.exclude_ambiguous && sets.symbols);
        assert_eq!(r.length, Some(16));

        for (body, length) in [
            ("length=0", None),
            ("length=-3", None),
            ("length=x", None),
            ("", None),
        ] {
            let r: GenerateRequest = serde_urlencoded::from_str(body).expect("form parses");
            assert_eq!(r.length, length, "{body}");
            assert_eq!(r.character_sets, None);
        }
    }

    #[test]
    fn generate_request_form_and_json_round_trip() {
        let r = GenerateRequest {
            passphrase: Some("pass".into()),
            ttl: Some(600),
            length: Some(24),
            character_sets: Some(CharSets {
                symbols: false,
                ..CharSets::default()
            }),
            ..GenerateRequest::default()
        };
        let body = r.to_form();
        assert!(body.contains("character_sets%5Bsymbols%5D=false"));
        let back: GenerateRequest = serde_urlencoded::from_str(&body).expect("form parses");
        assert_eq!(back, r);
        let back: GenerateRequest = json(&serde_json::to_string(&r).expect("serializes"));
        assert_eq!(back, r);
    }

    #[test]
    fn passphrase_request_encodes_and_reads() {
        let r = PassphraseRequest {
            passphrase: Some("a&b".into()),
        };
        assert_eq!(r.to_form(), "passphrase=a%26b");
        assert_eq!(PassphraseRequest::default().to_form(), "");
        let back: PassphraseRequest = serde_urlencoded::from_str(&r.to_form()).expect("parses");
        assert_eq!(back, r);
        let none: PassphraseRequest = serde_urlencoded::from_str("continue=true").expect("parses");
        assert_eq!(none, PassphraseRequest::default());
    }

    #[test]
    fn debug_output_never_shows_secrets() {
        let share = ShareRequest {
            secret: "hunter2-secret".into(),
            passphrase: Some("pass-word".into()),
            ..ShareRequest::default()
        };
        let generate = GenerateRequest {
            passphrase: Some("pass-word".into()),
            ..GenerateRequest::default()
        };
        let reveal = RevealResponse {
            value: "hunter2-secret".into(),
            ..RevealResponse::default()
        };
        let receipt = Receipt {
            value: Some("hunter2-secret".into()),
            ..Receipt::default()
        };
        let pass = PassphraseRequest {
            passphrase: Some("pass-word".into()),
        };
        for text in [
            format!("{share:?}"),
            format!("{generate:?}"),
            format!("{reveal:?}"),
            format!("{receipt:?}"),
            format!("{pass:?}"),
        ] {
            assert!(
                !text.contains("hunter2") && !text.contains("pass-word"),
                "{text}"
            );
            assert!(text.contains('…'), "{text}");
        }
    }

    #[test]
    fn endpoints_sanitize_keys() {
        assert_eq!(Endpoint::Share.to_string(), "/api/v1/share");
        assert_eq!(
            Endpoint::Secret("ab/../c?d").to_string(),
            "/api/v1/secret/abcd"
        );
        assert_eq!(Endpoint::Burn("k").to_string(), "/api/v1/receipt/k/burn");
        assert_eq!(Endpoint::Recent.to_string(), "/api/v1/receipt/recent");
    }
}
