//! Settings from `config.json` next to `index.html` (or the data attributes of an embedding
//! element), validated key by key: a bad or missing setting is named, and the app falls
//! back to its default where it safely can.

use std::collections::BTreeMap;
use std::fmt;

use ots_core::limits::Limits;
use ots_core::link::Region;

pub use crate::json::Value;

/// Whether the app encrypts in the browser.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encryption {
    /// Always; the user cannot turn it off.
    Required,
    /// On by default; the user may turn it off.
    Optional,
    /// Never; the app sends secrets as they are.
    Off,
}

/// Which parts of the app are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Features {
    /// The password generator.
    pub generate: bool,
    /// Signing in with a username and API token.
    pub account: bool,
    /// Emailing the link to a recipient (needs an account).
    pub recipient: bool,
    /// The list of secrets sent from this device.
    pub history: bool,
    /// Choosing another server or region.
    pub servers: bool,
}

/// The app's settings, after validation.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// The API's base URL; `None` means the folder `index.html` was served from.
    pub api: Option<String>,
    /// The hosted regions the server proxies under `<api>/region/<name>/`.
    pub regions: Vec<Region>,
    /// Whether the user may type another server's URL.
    pub custom_server: bool,
    /// Browser encryption.
    pub encryption: Encryption,
    /// The TTL chosen at first, in seconds.
    pub ttl_default: u64,
    /// The TTL presets offered, in seconds.
    pub ttl_options: Vec<u64>,
    /// The server's limits.
    pub limits: Limits,
    /// Which features are shown.
    pub features: Features,
    /// The page title.
    pub title: Option<String>,
    /// A logo URL (same origin, per the Content-Security-Policy).
    pub logo: Option<String>,
    /// Theme colours as CSS custom properties (`--ots-<name>`).
    pub theme: Vec<(String, String)>,
    /// Seconds after which a copied secret is cleared from the clipboard (0: never).
    pub clipboard_clear_seconds: u32,
}

impl Default for Settings {
    fn default() -> Self {
        let limits = Limits::default();
        Self {
            api: None,
            regions: Vec::new(),
            custom_server: true,
            encryption: Encryption::Optional,
            ttl_default: 7 * 86_400,
            ttl_options: ots_core::limits::TTL_PRESETS.to_vec(),
            limits,
            features: Features {
                generate: true,
                account: true,
                recipient: true,
                history: true,
                servers: true,
            },
            title: None,
            logo: None,
            theme: Vec::new(),
            clipboard_clear_seconds: 60,
        }
    }
}

/// A setting that was ignored, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    /// The setting's name, dotted for nested ones (`ttl.default`).
    pub key: String,
    /// What was wrong with it.
    pub expected: &'static str,
}

impl fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: expected {}", self.key, self.expected)
    }
}

/// Reads settings key by key, collecting a problem for each bad one.
struct Reader<'a> {
    problems: &'a mut Vec<ConfigProblem>,
}

impl Reader<'_> {
    fn problem(&mut self, key: &str, expected: &'static str) {
        self.problems.push(ConfigProblem {
            key: key.to_owned(),
            expected,
        });
    }

    fn bool(&mut self, v: Option<&Value>, key: &str, default: bool) -> bool {
        match v {
            None | Some(Value::Null) => default,
            Some(Value::Bool(b)) => *b,
            Some(Value::Text(t)) if t == "true" || t == "false" => t == "true",
            Some(_) => {
                self.problem(key, "true or false");
                default
            }
        }
    }

    fn seconds(&mut self, v: &Value, key: &str) -> Option<u64> {
        let parsed = match v {
            Value::Number(n) if n.fract() == 0.0 && *n >= 1.0 => Some(*n as u64),
            Value::Text(t) => ots_core::limits::parse_duration(t),
            _ => None,
        };
        if parsed.is_none() {
            self.problem(key, "a duration in seconds or like \"1h\"");
        }
        parsed
    }

    fn text(&mut self, v: Option<&Value>, key: &str) -> Option<String> {
        match v {
            None | Some(Value::Null) => None,
            Some(Value::Text(t)) if !t.trim().is_empty() => Some(t.trim().to_owned()),
            Some(_) => {
                self.problem(key, "a non-empty string");
                None
            }
        }
    }
}

fn get<'a>(map: &'a BTreeMap<String, Value>, path: &[&str]) -> Option<&'a Value> {
    let (first, rest) = path.split_first()?;
    let value = map.get(*first)?;
    if rest.is_empty() {
        return Some(value);
    }
    match value {
        Value::Map(inner) => get(inner, rest),
        _ => None,
    }
}

/// A colour or length safe to put in a CSS custom property (no way out of the value).
fn is_safe_css_value(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= 64
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || " #%.,()-".contains(c))
}

impl Settings {
    /// Validates `config.json` (already parsed). Every ignored setting is reported.
    pub fn from_value(value: &Value) -> (Self, Vec<ConfigProblem>) {
        let mut problems = Vec::new();
        let mut settings = Self::default();
        let map = match value {
            Value::Map(map) => map,
            Value::Null => return (settings, problems),
            _ => {
                problems.push(ConfigProblem {
                    key: "config.json".into(),
                    expected: "an object",
                });
                return (settings, problems);
            }
        };
        let mut r = Reader {
            problems: &mut problems,
        };
        if let Some(api) = r.text(map.get("api"), "api") {
            match ots_core::link::Server::custom(&api) {
                Ok(ots_core::link::Server::Custom(base)) => settings.api = Some(base),
                _ => r.problem("api", "an absolute http(s) URL"),
            }
        }
        match map.get("regions") {
            None | Some(Value::Null) => {}
            Some(Value::List(items)) => {
                for item in items {
                    match item {
                        Value::Text(name) => match name.parse::<Region>() {
                            Ok(region) if !settings.regions.contains(&region) => {
                                settings.regions.push(region)
                            }
                            Ok(_) => {}
                            Err(_) => r.problem("regions", "region names: us, eu, ca, nz, uk"),
                        },
                        _ => r.problem("regions", "region names: us, eu, ca, nz, uk"),
                    }
                }
            }
            Some(_) => r.problem("regions", "a list of region names"),
        }
        if let Some(limits) = map.get("limits") {
            let mut limits_problem = false;
            if let Value::Map(l) = limits {
                let mut number = |name: &str, slot: &mut u64| match l.get(name) {
                    None => {}
                    Some(Value::Number(n)) if n.fract() == 0.0 && *n >= 0.0 => *slot = *n as u64,
                    Some(_) => limits_problem = true,
                };
                let lim = &mut settings.limits;
                number("ttl_min", &mut lim.ttl_min);
                number("ttl_max_anonymous", &mut lim.ttl_max_anonymous);
                number("ttl_max_account", &mut lim.ttl_max_account);
                let mut bytes = lim.secret_max_bytes as u64;
                number("secret_max_bytes", &mut bytes);
                lim.secret_max_bytes = bytes as usize;
                let mut pmin = lim.passphrase_min as u64;
                number("passphrase_min", &mut pmin);
                lim.passphrase_min = pmin as usize;
                let mut pmax = lim.passphrase_max as u64;
                number("passphrase_max", &mut pmax);
                lim.passphrase_max = pmax as usize;
            } else {
                limits_problem = true;
            }
            if limits_problem {
                r.problem("limits", "an object of whole numbers");
                settings.limits = Limits::default();
            }
        }
        if let Some(options) = get(map, &["ttl", "options"]) {
            match options {
                Value::List(items) => {
                    let parsed: Vec<u64> = items
                        .iter()
                        .filter_map(|v| r.seconds(v, "ttl.options"))
                        .collect();
                    if !parsed.is_empty() {
                        settings.ttl_options = parsed;
                    }
                }
                _ => r.problem("ttl.options", "a list of durations"),
            }
        }
        if let Some(s) = get(map, &["ttl", "default"]).and_then(|v| r.seconds(v, "ttl.default")) {
            settings.ttl_default = s;
        }
        let (min, max) = (
            settings.limits.ttl_min,
            settings
                .limits
                .ttl_max_anonymous
                .max(settings.limits.ttl_min),
        );
        // Sorted and without repeats, by insertion: a handful of values, and the general
        // sort is 3 KB of wasm in each first screen.
        let mut kept: Vec<u64> = Vec::new();
        for ttl in settings
            .ttl_options
            .iter()
            .filter(|t| (min..=max).contains(*t))
        {
            if let Err(at) = kept.binary_search(ttl) {
                kept.insert(at, *ttl);
            }
        }
        settings.ttl_options = kept;
        if settings.ttl_options.is_empty() {
            settings.ttl_options = vec![max];
        }
        if !(min..=max).contains(&settings.ttl_default) {
            r.problem("ttl.default", "a duration within the server's limits");
            settings.ttl_default = settings.ttl_default.clamp(min, max);
        }
        match map.get("encryption") {
            None | Some(Value::Null) => {}
            Some(Value::Text(t)) if t == "required" => settings.encryption = Encryption::Required,
            Some(Value::Text(t)) if t == "optional" => settings.encryption = Encryption::Optional,
            Some(Value::Text(t)) if t == "off" => settings.encryption = Encryption::Off,
            // Fail safe: an unreadable encryption setting encrypts.
            Some(_) => {
                r.problem("encryption", "\"required\", \"optional\" or \"off\"");
                settings.encryption = Encryption::Required;
            }
        }
        let f = &mut settings.features;
        let features = map.get("features");
        let feature = |name: &str| match features {
            Some(Value::Map(m)) => m.get(name),
            _ => None,
        };
        if features.is_some_and(|v| !matches!(v, Value::Map(_) | Value::Null)) {
            r.problem("features", "an object of true/false");
        }
        f.generate = r.bool(feature("generate"), "features.generate", f.generate);
        f.account = r.bool(feature("account"), "features.account", f.account);
        f.recipient = r.bool(feature("recipient"), "features.recipient", f.recipient);
        f.servers = r.bool(feature("servers"), "features.servers", f.servers);
        f.history = r.bool(map.get("history"), "history", f.history);
        settings.custom_server = r.bool(
            map.get("custom_server"),
            "custom_server",
            settings.custom_server,
        );
        settings.title = r.text(map.get("title"), "title");
        settings.logo = r.text(map.get("logo"), "logo");
        match map.get("theme") {
            None | Some(Value::Null) => {}
            Some(Value::Map(colours)) => {
                for (name, value) in colours {
                    let ok_name = !name.is_empty()
                        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
                    match value {
                        Value::Text(v) if ok_name && is_safe_css_value(v) => {
                            settings.theme.push((format!("--ots-{name}"), v.clone()))
                        }
                        _ => r.problem("theme", "colour names mapped to CSS colours"),
                    }
                }
            }
            Some(_) => r.problem("theme", "an object of colours"),
        }
        match map.get("clipboard_clear_seconds") {
            None | Some(Value::Null) => {}
            Some(Value::Number(n)) if n.fract() == 0.0 && (0.0..=3600.0).contains(n) => {
                settings.clipboard_clear_seconds = *n as u32
            }
            Some(_) => r.problem("clipboard_clear_seconds", "whole seconds from 0 to 3600"),
        }
        (settings, problems)
    }

    /// Settings from an embedding element's data attributes (`data-api`, `data-regions`,
    /// `data-encryption`, `data-ttl-default`, `data-title`, …), as a config object.
    pub fn value_from_attributes<'a>(attrs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Value {
        let mut map = BTreeMap::new();
        let mut ttl = BTreeMap::new();
        let mut features = BTreeMap::new();
        for (name, value) in attrs {
            let text = Value::Text(value.to_owned());
            match name {
                "api" | "encryption" | "title" | "logo" | "history" | "custom_server" => {
                    map.insert(name.to_owned(), text);
                }
                "regions" => {
                    let list = value
                        .split([',', ' '])
                        .filter(|s| !s.is_empty())
                        .map(|s| Value::Text(s.to_owned()))
                        .collect();
                    map.insert(name.to_owned(), Value::List(list));
                }
                "ttl_default" => {
                    ttl.insert("default".to_owned(), text);
                }
                "generate" | "account" | "recipient" | "servers" => {
                    features.insert(name.to_owned(), text);
                }
                _ => {}
            }
        }
        if !ttl.is_empty() {
            map.insert("ttl".into(), Value::Map(ttl));
        }
        if !features.is_empty() {
            map.insert("features".into(), Value::Map(features));
        }
        Value::Map(map)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> (Settings, Vec<ConfigProblem>) {
        let value: Value = serde_json::from_str(json).expect("test JSON");
        Settings::from_value(&value)
    }

    #[test]
    fn an_empty_config_gives_the_defaults() {
        assert_eq!(parse("{}"), (Settings::default(), vec![]));
    }

    #[test]
    fn every_setting_is_read() {
        let (s, problems) = parse(
            r##"{"api":"https://ots.example.com/x/","regions":["eu","us"],
            "encryption":"required","ttl":{"default":"1h","options":[300,"1h","1d"]},
            "features":{"generate":false},"history":false,"title":"Acme secrets",
            "theme":{"accent":"#0a7"},"clipboard_clear_seconds":30}"##,
        );
        assert_eq!(problems, vec![]);
        assert_eq!(s.api.as_deref(), Some("https://ots.example.com/x"));
        assert_eq!(s.regions, vec![Region::Eu, Region::Us]);
        assert_eq!(s.encryption, Encryption::Required);
        assert_eq!(s.ttl_default, 3600);
        assert_eq!(s.ttl_options, vec![300, 3600, 86_400]);
        assert!(!s.features.generate && !s.features.history && s.features.account);
        assert_eq!(s.title.as_deref(), Some("Acme secrets"));
        assert_eq!(s.theme, vec![("--ots-accent".into(), "#0a7".into())]);
        assert_eq!(s.clipboard_clear_seconds, 30);
    }

    #[test]
    fn bad_settings_are_named_and_fall_back() {
        let (s, problems) = parse(
            r#"{"api":"ftp://x","regions":["mars"],"ttl":{"default":"soon"},
            "encryption":"maybe","features":{"account":"yes"},"theme":{"accent":"red;}"}}"#,
        );
        let keys: Vec<&str> = problems.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "api",
                "regions",
                "ttl.default",
                "encryption",
                "features.account",
                "theme"
            ]
        );
        assert_eq!(s.api, None);
        assert_eq!(s.ttl_default, Settings::default().ttl_default);
        // An unreadable encryption setting fails safe.
        assert_eq!(s.encryption, Encryption::Required);
        assert!(s.theme.is_empty());
    }

    #[test]
    fn ttl_choices_stay_within_the_server_limits() {
        let (s, problems) =
            parse(r#"{"limits":{"ttl_max_anonymous":3600},"ttl":{"default":86400}}"#);
        assert!(s.ttl_options.iter().all(|t| *t <= 3600));
        assert_eq!(s.ttl_default, 3600);
        assert_eq!(problems[0].key, "ttl.default");
    }

    #[test]
    fn data_attributes_become_settings() {
        let value = Settings::value_from_attributes([
            ("api", "https://ots.example.com"),
            ("regions", "eu, uk"),
            ("ttl_default", "1d"),
            ("generate", "false"),
        ]);
        let (s, problems) = Settings::from_value(&value);
        assert_eq!(problems, vec![]);
        assert_eq!(s.regions, vec![Region::Eu, Region::Uk]);
        assert_eq!(s.ttl_default, 86_400);
        assert!(!s.features.generate);
    }
}
