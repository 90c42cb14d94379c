//! The v1 requests: share (and create), generate, and the passphrase of reveal and burn.

use std::fmt;

use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Serialize};

use super::{Redacted, lenient};
use crate::form;
use crate::password::CharSets;

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
    options: SecretOptions,
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
                        "passphrase" => out.options.passphrase = map.next_value::<Text>()?.0,
                        "ttl" => out.options.ttl = map.next_value::<LooseI64>()?.0,
                        "recipient" | "recipient[]" => {
                            out.options.recipient.extend(map.next_value::<Strings>()?.0);
                        }
                        "share_domain" => {
                            out.options.share_domain = map.next_value::<Text>()?.0;
                        }
                        "locale" => out.options.locale = map.next_value::<Text>()?.0,
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

/// The options of a new secret, which share and generate have in common.
#[derive(Clone, Default, PartialEq, Eq, Serialize)]
pub struct SecretOptions {
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

impl SecretOptions {
    /// The options as form pairs, under v1's names.
    pub fn to_pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = Vec::new();
        if let Some(p) = &self.passphrase {
            pairs.push(("passphrase", p.clone()));
        }
        if let Some(t) = self.ttl {
            pairs.push(("ttl", t.to_string()));
        }
        // Rack reads a repeated plain key as its last value; `recipient[]` makes an array.
        let name = if self.recipient.len() > 1 {
            "recipient[]"
        } else {
            "recipient"
        };
        pairs.extend(self.recipient.iter().map(|r| (name, r.clone())));
        if let Some(d) = &self.share_domain {
            pairs.push(("share_domain", d.clone()));
        }
        if let Some(l) = &self.locale {
            pairs.push(("locale", l.clone()));
        }
        pairs
    }
}

fn encode_pairs(pairs: &[(&str, String)]) -> String {
    form::encode(pairs.iter().map(|(n, v)| (*n, v.as_str())))
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
    /// The secret's options, flat beside it on the wire.
    #[serde(flatten)]
    pub options: SecretOptions,
}

impl From<CreateFields> for ShareRequest {
    fn from(f: CreateFields) -> Self {
        Self {
            secret: f.secret.unwrap_or_default(),
            options: f.options,
        }
    }
}

impl ShareRequest {
    /// The request as an `application/x-www-form-urlencoded` body.
    pub fn to_form(&self) -> String {
        let mut pairs = vec![("secret", self.secret.clone())];
        pairs.extend(self.options.to_pairs());
        encode_pairs(&pairs)
    }
}

/// `POST /api/v1/generate`: the server generates a password, returned once as `value`.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "CreateFields")]
pub struct GenerateRequest {
    /// The secret's options, flat beside the others on the wire.
    #[serde(flatten)]
    pub options: SecretOptions,
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
            options: f.options,
            length: f.length,
            character_sets: f.character_sets,
        }
    }
}

impl GenerateRequest {
    /// The request as an `application/x-www-form-urlencoded` body; character sets use
    /// Rack's nested keys (`character_sets[symbols]=false`).
    pub fn to_form(&self) -> String {
        let mut pairs = self.options.to_pairs();
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

impl fmt::Debug for SecretOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretOptions")
            .field("passphrase", &Redacted(self.passphrase.as_deref()))
            .field("ttl", &self.ttl)
            .field("recipient", &self.recipient)
            .field("share_domain", &self.share_domain)
            .field("locale", &self.locale)
            .finish()
    }
}

impl fmt::Debug for ShareRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ShareRequest")
            .field("secret", &Redacted(Some(&self.secret)))
            .field("options", &self.options)
            .finish()
    }
}

impl fmt::Debug for GenerateRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GenerateRequest")
            .field("options", &self.options)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::tests::*;

    #[test]
    fn share_request_reads_a_form_body() {
        let r: ShareRequest = serde_urlencoded::from_str(
            "secret=hello+world&ttl=3600&passphrase=&recipient=a%40b.example&unknown=1",
        )
        .expect("form parses");
        assert_eq!(r.secret, "hello world");
        assert_eq!(r.options.ttl, Some(3600));
        assert_eq!(r.options.passphrase, None, "an empty field means none");
        assert_eq!(r.options.recipient, vec!["a@b.example"]);
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
            assert_eq!(r.options.ttl, ttl, "{body}");
            assert_eq!(r.secret, "", "a missing secret reads as empty");
        }
    }

    #[test]
    fn share_request_reads_repeated_and_bracketed_recipients() {
        let r: ShareRequest =
            serde_urlencoded::from_str("recipient[]=a%40x&recipient[]=b%40x&recipient=c%40x")
                .expect("form parses");
        assert_eq!(r.options.recipient, vec!["a@x", "b@x", "c@x"]);
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
                options: SecretOptions {
                    ttl: Some(60),
                    recipient: vec!["a@x".into()],
                    locale: Some("de".into()),
                    ..SecretOptions::default()
                },
            }
        );
        let r: ShareRequest = json(r#"{"secret":"s","ttl":60.9,"recipient":"a@x"}"#);
        assert_eq!(
            (r.options.ttl, r.options.recipient),
            (Some(60), vec!["a@x".to_owned()])
        );
    }

    #[test]
    fn share_request_form_round_trips() {
        let r = ShareRequest {
            secret: "ots1.abc+/=& é".into(),
            options: SecretOptions {
                passphrase: Some("p w".into()),
                ttl: Some(300),
                recipient: vec!["a@x".into(), "b@x".into()],
                share_domain: Some("secrets.example".into()),
                locale: Some("fr_CA".into()),
            },
        };
        let body = r.to_form();
        assert!(body.starts_with("secret=ots1.abc%2B%2F%3D%26%20%C3%A9&passphrase=p%20w&ttl=300"));
        let back: ShareRequest = serde_urlencoded::from_str(&body).expect("form parses");
        assert_eq!(back, r);
        let one = ShareRequest {
            options: SecretOptions {
                recipient: vec!["a@x".into()],
                ..SecretOptions::default()
            },
            ..ShareRequest::default()
        };
        assert_eq!(one.to_form(), "secret=&recipient=a%40x");
    }

    #[test]
    fn share_request_json_round_trips() {
        let r = ShareRequest {
            secret: "s".into(),
            options: SecretOptions {
                ttl: Some(60),
                recipient: vec!["a@x".into()],
                ..SecretOptions::default()
            },
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
            options: SecretOptions {
                passphrase: Some("pass".into()),
                ttl: Some(600),
                ..SecretOptions::default()
            },
            length: Some(24),
            character_sets: Some(CharSets {
                symbols: false,
                ..CharSets::default()
            }),
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
}
