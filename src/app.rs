//! The root component: settings, language, account and server as context, and hash
//! routing by hand (a router crate would double the bundle).

use leptos::prelude::*;
use ots_core::link::{LinkError, Route, Server};

use crate::api::{self, Api, Credentials};
use crate::components::When;
use crate::config::{ConfigProblem, Settings, Value};
use crate::i18n::{self, I18n, Key, Table, tr};
use crate::pages::Screens;
use crate::{page, storage};

/// What every screen shares, as a `Copy` handle from context.
#[derive(Clone, Copy)]
pub struct AppState {
    /// The validated settings.
    pub settings: RwSignal<Settings>,
    /// Settings that were ignored.
    pub problems: RwSignal<Vec<ConfigProblem>>,
    /// The signed-in account, if any.
    pub account: RwSignal<Option<Credentials>>,
    /// The server new secrets go to.
    pub server: RwSignal<Server>,
    /// The current screen (or why the link could not be read).
    pub route: RwSignal<Result<Route, LinkError>>,
    /// What the polite live region says: status changes that moving focus does not tell.
    pub announcement: RwSignal<String>,
}

impl AppState {
    /// A client for `server`, with the account when there is one.
    pub fn api_for(&self, server: &Server) -> Api {
        Api {
            base: self
                .settings
                .with_untracked(|s| api::base_url(s, server, &page::page_url())),
            auth: self.account.get_untracked(),
        }
    }

    /// A client for the chosen server.
    pub fn api(&self) -> Api {
        self.api_for(&self.server.get_untracked())
    }

    /// Has screen readers say `text` (through a live region that is always on the page,
    /// so the change is announced; a region inserted with its text often is not).
    pub fn announce(&self, text: String) {
        self.announcement.set(text);
    }
}

pub use crate::dom::focus_soon;

/// The app's `AppState` from context.
pub fn use_app() -> AppState {
    expect_context::<AppState>()
}

/// Loads a language's texts and switches to it.
pub fn switch_language(i18n: I18n, code: &'static str) {
    let apply = move |table| {
        i18n.apply(code, table);
        page::set_page_language(code);
    };
    if code == "en" {
        apply(Table::default());
        return;
    }
    leptos::task::spawn_local(async move {
        if let Some(table) = page::fetch_locale(code).await {
            apply(table);
        }
    });
}

/// The whole app. `embedded` holds settings from a host page's data attributes, which
/// take the place of `config.json`.
#[component]
pub fn App(
    /// Settings from an embedding element, if the app is mounted into a host page.
    #[prop(optional)]
    embedded: Option<Value>,
    /// The screens this build carries (`pages::all`, or `pages::recipient`).
    screens: Screens,
) -> impl IntoView {
    let i18n = I18n::new();
    provide_context(i18n);
    let state = AppState {
        settings: RwSignal::new(Settings::default()),
        problems: RwSignal::new(Vec::new()),
        account: RwSignal::new(storage::load_account()),
        server: RwSignal::new(Server::Origin),
        route: RwSignal::new(page::read_route()),
        announcement: RwSignal::new(String::new()),
    };
    provide_context(state);
    storage::drop_expired_reveals();
    switch_language(i18n, page::preferred_language());
    // A new screen: focus its heading, so keyboard and screen-reader users start there.
    let _ = window_event_listener(leptos::ev::hashchange, move |_| {
        state.announcement.set(String::new());
        state.route.set(page::read_route());
        focus_soon("main h1");
    });
    // The tab's title follows the language (or the configured title).
    Effect::new(move |_| {
        let title = state.settings.with(|s| s.title.clone());
        document().set_title(&title.unwrap_or_else(|| i18n.t(Key::AppTitle)));
    });

    // The form is usable at once; the settings arrive a moment later.
    leptos::task::spawn_local(async move {
        let value = match embedded {
            Some(value) => Some(value),
            None => page::fetch_json("config.json").await,
        };
        let (settings, problems) = Settings::from_value(&value.unwrap_or(Value::Null));
        page::apply_theme(&settings);
        state.settings.set(settings);
        state.problems.set(problems);
    });

    let screen = move || match state.route.get() {
        Ok(route) => screens(route),
        Err(LinkError::UnknownRoute) => screens(Route::Create),
        Err(_) => view! {
            <section class="card" aria-labelledby="damaged-title">
                <h1 id="damaged-title">{tr(Key::DamagedLinkTitle)}</h1>
                <p role="alert" data-testid="damaged-link">{tr(Key::DamagedLink)}</p>
                <a href="#/">{tr(Key::CreateAnother)}</a>
            </section>
        }
        .into_any(),
    };

    view! {
        <div class="app" data-testid="app">
            <Header />
            <main id="main">
                <ConfigProblems />
                {screen}
            </main>
            <footer class="footer">
                <p>{tr(Key::FooterPrivacy)}</p>
            </footer>
            <p class="sr-only" role="status" data-testid="announcer">{move || state.announcement.get()}</p>
        </div>
    }
}

/// The top bar: title, language, account.
#[component]
fn Header() -> impl IntoView {
    let i18n = i18n::use_i18n();
    let state = use_app();
    let title = move || {
        state
            .settings
            .with(|s| s.title.clone())
            .unwrap_or_else(|| i18n.t(Key::AppTitle))
    };
    let logo = move || state.settings.with(|s| s.logo.clone());
    view! {
        <header class="header">
            <a class="brand" href="#/" data-testid="home">
                {move || logo().map(|src| view! { <img class="logo" src=src alt="" /> })}
                <span>{title}</span>
            </a>
            <nav class="nav" aria-label=tr(Key::NavLabel)>
                <When when=move || state.account.with(|a| a.is_some())>
                    <a href="#/recent" data-testid="nav-recent">{tr(Key::RecentTitle)}</a>
                </When>
                <When when=move || state.settings.with(|s| s.features.history)>
                    <a href="#/history" data-testid="nav-sent">{tr(Key::SentNav)}</a>
                </When>
                <a href="#/ask" data-testid="nav-ask">{tr(Key::AskNav)}</a>
                <label class="language">
                    <span class="sr-only">{tr(Key::Language)}</span>
                    <select data-testid="language" on:change:target=move |ev| {
                        let code = ev.target().value();
                        if let Some((code, _)) = i18n::LOCALES.iter().find(|(c, _)| *c == code) {
                            switch_language(i18n, code);
                        }
                    }>
                        {i18n::LOCALES.iter().map(|(code, name)| view! {
                            // Each name is in its own language, and says so.
                            <option value=*code lang=*code selected=move || i18n.locale.get() == *code>{*name}</option>
                        }).collect_view()}
                    </select>
                </label>
            </nav>
        </header>
    }
}

/// Names each ignored setting, so an operator sees what to fix.
#[component]
fn ConfigProblems() -> impl IntoView {
    let state = use_app();
    move || {
        let problems = state.problems.get();
        (!problems.is_empty()).then(|| {
            view! {
                <div class="notice warning" role="status" data-testid="config-problems">
                    <p>{tr(Key::ConfigProblems)}</p>
                    <ul>
                        // What was expected is an operator's note, in English.
                        {problems.into_iter().map(|p| view! { <li><code>{p.key.clone()}</code>": "<span lang="en">{p.expected}</span></li> }).collect_view()}
                    </ul>
                </div>
            }
        })
    }
}
