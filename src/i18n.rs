//! Translations. English is compiled in; the other languages are fetched on demand from
//! `locales/<code>.json` next to `index.html`, so each user downloads only their own.
//! `build.rs` checks that every locale has every key.

#[cfg(feature = "app")]
use leptos::prelude::*;

include!(concat!(env!("OUT_DIR"), "/keys.rs"));

/// The languages the app speaks: English and the seeds' languages.
pub const LOCALES: [(&str, &str); 6] = [
    ("en", "English"),
    ("ko", "한국어"),
    ("zh", "简体中文"),
    ("uk", "Українська"),
    ("ja", "日本語"),
    ("sv", "Svenska"),
];

/// Picks a supported locale from the browser's preferred tags, falling back from regional
/// to base tags (`sv-FI` → `sv`, `zh-Hans-CN` → `zh`), then to English.
pub fn negotiate<'a>(preferred: impl IntoIterator<Item = &'a str>) -> &'static str {
    preferred
        .into_iter()
        .find_map(|tag| {
            let base = tag.split(['-', '_']).next().unwrap_or_default();
            LOCALES
                .iter()
                .find(|(code, _)| code.eq_ignore_ascii_case(base))
                .map(|(code, _)| *code)
        })
        .unwrap_or("en")
}

/// Fills `{name}` placeholders.
pub fn fill(template: &str, args: &[(&str, &str)]) -> String {
    args.iter()
        .fold(template.to_owned(), |text, (name, value)| {
            text.replace(&format!("{{{name}}}"), value)
        })
}

/// A table of texts for one locale, in `Key` order; missing entries fall back to English.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table(Vec<Option<String>>);

impl Table {
    /// Builds a table from a locale file's `(key, text)` pairs.
    pub fn from_pairs(pairs: impl IntoIterator<Item = (String, String)>) -> Self {
        let mut texts = vec![None; NAMES.len()];
        for (key, text) in pairs {
            if let Some(i) = NAMES.iter().position(|n| *n == key) {
                texts[i] = Some(text);
            }
        }
        Self(texts)
    }

    /// The text for `key`, in English when this table lacks it.
    pub fn get(&self, key: Key) -> &str {
        let i = key as usize;
        self.0
            .get(i)
            .and_then(|t| t.as_deref())
            .unwrap_or(ENGLISH[i])
    }
}

thread_local! {
    /// The language of the views drawn without Leptos (`recipient/`), which read it
    /// directly instead of through a signal.
    static CURRENT: std::cell::RefCell<(&'static str, Table)> =
        std::cell::RefCell::new(("en", Table::default()));
}

/// The current language's code, for views built without Leptos.
pub fn current_locale() -> &'static str {
    CURRENT.with(|c| c.borrow().0)
}

/// The text for `key` in the current language, for views built without Leptos.
pub fn text(key: Key) -> String {
    CURRENT.with(|c| c.borrow().1.get(key).to_owned())
}

/// [`text`] with its `{placeholders}` filled.
pub fn text_filled(key: Key, args: &[(&str, &str)]) -> String {
    CURRENT.with(|c| fill(c.borrow().1.get(key), args))
}

/// Switches the views built without Leptos to `code`, whose texts are `table`.
pub fn set_current(code: &'static str, table: Table) {
    CURRENT.with(|c| *c.borrow_mut() = (code, table));
}

/// The current language, shared through context as a `Copy` handle.
#[cfg(feature = "app")]
#[derive(Clone, Copy)]
pub struct I18n {
    /// The chosen locale code.
    pub locale: RwSignal<&'static str>,
    table: RwSignal<Table>,
}

#[cfg(feature = "app")]
impl I18n {
    /// English until [`I18n::apply`] loads another table.
    pub fn new() -> Self {
        set_current("en", Table::default());
        Self {
            locale: RwSignal::new("en"),
            table: RwSignal::new(Table::default()),
        }
    }

    /// The text for `key` in the current language (reactive).
    pub fn t(self, key: Key) -> String {
        self.table.with(|t| t.get(key).to_owned())
    }

    /// The text for `key` with its `{placeholders}` filled (reactive).
    pub fn tf(self, key: Key, args: &[(&str, &str)]) -> String {
        self.table.with(|t| fill(t.get(key), args))
    }

    /// Switches language once its table is in.
    pub fn apply(self, code: &'static str, table: Table) {
        // The screens drawn without Leptos (the Reveal screen) follow too.
        set_current(code, table.clone());
        crate::dom::retranslate();
        self.table.set(table);
        self.locale.set(code);
    }
}

#[cfg(feature = "app")]
impl Default for I18n {
    fn default() -> Self {
        Self::new()
    }
}

/// The text for `key` as a signal that follows the language. Every text in the views goes
/// through this one concrete type, so the view code is generated once, not per string.
#[cfg(feature = "app")]
pub fn tr(key: Key) -> Signal<String> {
    let i18n = use_i18n();
    Signal::derive(move || i18n.t(key))
}

/// The app's `I18n` from context.
#[cfg(feature = "app")]
pub fn use_i18n() -> I18n {
    expect_context::<I18n>()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation_falls_back_from_region_to_base_then_english() {
        assert_eq!(negotiate(["sv-FI", "en"]), "sv");
        assert_eq!(negotiate(["zh-Hans-CN"]), "zh");
        assert_eq!(negotiate(["de-DE", "ja"]), "ja");
        assert_eq!(negotiate(["de-DE", "fr"]), "en");
        assert_eq!(negotiate([]), "en");
    }

    #[test]
    fn missing_entries_fall_back_to_english() {
        let table = Table::from_pairs([("yes".to_owned(), "Ja".to_owned())]);
        assert_eq!(table.get(Key::Yes), "Ja");
        assert_eq!(table.get(Key::No), "No");
    }

    #[test]
    fn placeholders_are_filled() {
        assert_eq!(fill("{n} of {max}", &[("n", "3"), ("max", "9")]), "3 of 9");
    }
}
