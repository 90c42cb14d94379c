//! The page around a screen drawn without Leptos (`dom.rs`), for the small builds: the
//! header with the language picker, the settings-problem banner, the footer and the live
//! region, with the full app's markup, texts and test ids. The settings and the visitor's
//! language load beside the screen. Any other screen loads the page again, and the boot
//! script then starts the build that carries it.

use std::rc::Rc;

use wasm_bindgen::JsCast;

use crate::config::{ConfigProblem, Settings};
use crate::dom::{self, El, show, window};
use crate::i18n::{self, Key, text};
use crate::{page, storage};

/// The page a small build draws its screen into.
pub struct Page {
    /// Where the screen goes.
    pub main: El,
    /// Has screen readers say a text, through the page's live region.
    pub announce: Rc<dyn Fn(&str)>,
    /// The top bar.
    pub header: Rc<Header>,
}

/// What a screen does once the settings are in.
pub type Apply = Box<dyn FnOnce(Settings)>;

/// Draws the page into `<body>`, then the screen with `draw`, which returns what to do
/// with the settings; then loads the language and the settings. `carries` says which
/// addresses (`location.hash`) the screen shows.
pub fn start(carries: fn(&str) -> bool, draw: impl FnOnce(&Page) -> Apply) {
    // Any other address is another screen, or another link: start again from the page.
    // The same screen's address (the name on the header, from `/` to `#/`) keeps it, and
    // what was typed into it.
    let moved = move |_| {
        if !carries(&window().location().hash().unwrap_or_default()) {
            reload();
        }
    };
    dom::listen(&window(), "hashchange", Box::new(moved));
    let announcer = El::new("p")
        .attr("class", "sr-only")
        .attr("role", "status")
        .attr("data-testid", "announcer");
    let said = announcer.0.clone();
    let header = Rc::new(header());
    let main = El::new("main").attr("id", "main");
    let app = El::new("div")
        .attr("class", "app")
        .attr("data-testid", "app")
        .child(&header.bar)
        .child(&main)
        .child(
            El::new("footer")
                .attr("class", "footer")
                .child(El::new("p").text_with(|| text(Key::FooterPrivacy))),
        )
        .child(&announcer);
    if let Some(body) = dom::document().body() {
        let _ = body.append_child(&app.0);
    }
    let page = Page {
        main: main.clone(),
        announce: Rc::new(move |text: &str| said.set_text_content(Some(text))),
        header: Rc::clone(&header),
    };
    let apply = draw(&page);
    title(None);

    let code = page::preferred_language();
    // One after the other costs no time: the boot script fetched both beside the wasm.
    wasm_bindgen_futures::spawn_local(async move {
        switch_language(code).await;
        let value = page::fetch_json("config.json").await;
        let (settings, problems) =
            Settings::from_value(&value.unwrap_or(crate::config::Value::Null));
        page::apply_theme(&settings);
        header.apply(&settings);
        title(settings.title.clone());
        if !problems.is_empty() {
            let _ = main.0.prepend_with_node_1(&config_problems(problems).0);
        }
        apply(settings);
    });
}

/// Loads the page again, for the boot script to start the build the address needs.
pub fn reload() {
    let _ = window().location().reload();
}

/// Loads `code`'s texts (English is compiled in), then redraws every text.
async fn switch_language(code: &'static str) {
    let table = match code {
        "en" => Some(i18n::Table::default()),
        _ => page::fetch_locale(code).await,
    };
    if let Some(table) = table {
        i18n::set_current(code, table);
        dom::retranslate();
        page::set_page_language(code);
        if let Some(select) = dom::document()
            .query_selector("[data-testid=language]")
            .ok()
            .flatten()
            .and_then(|e| e.dyn_into::<web_sys::HtmlSelectElement>().ok())
        {
            select.set_value(code);
        }
    }
}

/// The tab's title: the configured one, else the app's name in the current language.
fn title(configured: Option<String>) {
    if let Some(element) = dom::document().query_selector("title").ok().flatten() {
        let title = move || configured.clone().unwrap_or_else(|| text(Key::AppTitle));
        dom::set_text_with(&element, Box::new(title));
    }
}

/// The top bar: the name (with the configured logo), the other screens, the language.
pub struct Header {
    bar: El,
    brand: El,
    name: El,
    recent: El,
    sent: El,
}

fn header() -> Header {
    let name = El::new("span").text_with(|| text(Key::AppTitle));
    let brand = El::new("a")
        .attr("class", "brand")
        .attr("href", "#/")
        .attr("data-testid", "home")
        .child(&name);
    let nav = El::new("nav").attr("class", "nav");
    dom::set_attribute_with(&nav.0, "aria-label", Box::new(|| text(Key::NavLabel)));
    let recent = nav_link("#/recent", "nav-recent", Key::RecentTitle);
    show(&recent, storage::load_account().is_some());
    let _ = nav.0.append_child(&recent.0);
    // Shown by default, as the full app's settings do, until `config.json` says otherwise.
    let sent = nav_link("#/history", "nav-sent", Key::SentNav);
    let _ = nav.0.append_child(&sent.0);
    let _ = nav
        .0
        .append_child(&nav_link("#/ask", "nav-ask", Key::AskNav).0);
    let _ = nav.0.append_child(&language_picker().0);
    Header {
        bar: El::new("header")
            .attr("class", "header")
            .child(&brand)
            .child(&nav),
        brand,
        name,
        recent,
        sent,
    }
}

impl Header {
    /// Offers the recently created secrets while an account is signed in.
    pub fn signed_in(&self, signed_in: bool) {
        show(&self.recent, signed_in);
    }

    fn apply(&self, settings: &Settings) {
        if let Some(src) = &settings.logo {
            let logo = El::new("img")
                .attr("class", "logo")
                .attr("src", src)
                .attr("alt", "");
            let _ = self.brand.0.prepend_with_node_1(&logo.0);
        }
        if let Some(title) = &settings.title {
            dom::set_text_with(
                &self.name.0,
                Box::new({
                    let title = title.clone();
                    move || title.clone()
                }),
            );
        }
        if !settings.features.history {
            self.sent.0.remove();
        }
    }
}

fn nav_link(href: &str, testid: &str, key: Key) -> El {
    El::new("a")
        .attr("href", href)
        .attr("data-testid", testid)
        .text_with(move || text(key))
}

fn language_picker() -> El {
    let select = El::new("select").attr("data-testid", "language");
    for (code, name) in i18n::LOCALES {
        // Each name is in its own language, and says so.
        let option = El::new("option")
            .attr("value", code)
            .attr("lang", code)
            .text(name);
        let _ = select.0.append_child(&option.0);
    }
    let select = select.on("change", |event| {
        let Some(target) = event
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlSelectElement>().ok())
        else {
            return;
        };
        let chosen = target.value();
        if let Some((code, _)) = i18n::LOCALES.iter().find(|(c, _)| *c == chosen) {
            wasm_bindgen_futures::spawn_local(switch_language(code));
        }
    });
    El::new("label")
        .attr("class", "language")
        .child(
            El::new("span")
                .attr("class", "sr-only")
                .text_with(|| text(Key::Language)),
        )
        .child(&select)
}

/// Names each ignored setting, so an operator sees what to fix.
fn config_problems(problems: Vec<ConfigProblem>) -> El {
    let list = El::new("ul");
    for problem in problems {
        // What was expected is an operator's note, in English.
        let item = El::new("li")
            .child(El::new("code").text(&problem.key))
            .child(dom::document().create_text_node(": "))
            .child(El::new("span").attr("lang", "en").text(problem.expected));
        let _ = list.0.append_child(&item.0);
    }
    El::new("div")
        .attr("class", "notice warning")
        .attr("role", "status")
        .attr("data-testid", "config-problems")
        .child(El::new("p").text_with(|| text(Key::ConfigProblems)))
        .child(&list)
}
