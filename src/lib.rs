//! The Onetime Secret client that encrypts in the browser: a Leptos single-page app (the
//! `app` feature), and the recipient's small build, drawn without Leptos (`recipient`).

pub mod api;
#[cfg(feature = "app")]
pub mod app;
pub mod clipboard;
#[cfg(feature = "app")]
pub mod components;
pub mod config;
pub mod creator;
pub mod crypto;
pub mod dom;
pub mod download;
pub mod draft;
pub mod file_pick;
pub mod fmt;
pub mod history;
pub mod i18n;
pub mod json;
#[cfg(feature = "app")]
pub mod load;
pub mod messages;
pub mod page;
#[cfg(feature = "app")]
pub mod pages;
pub mod parts;
pub mod prerender;
#[cfg(feature = "parts")]
pub mod qr;
pub mod recipient;
pub mod requests;
pub mod reveal;
pub mod shell;
pub mod storage;
#[cfg(feature = "app")]
pub mod task;
pub mod widgets;

use wasm_bindgen::JsCast;

/// A `performance.mark`, for the bench's breakdown of start-up (ignored where missing).
pub fn mark(name: &str) {
    let window = dom::window();
    if let Ok(performance) = js_sys::Reflect::get(&window, &"performance".into()) {
        let mark = js_sys::Reflect::get(&performance, &"mark".into())
            .ok()
            .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
        if let Some(mark) = mark {
            let _ = mark.call1(&performance, &name.into());
        }
    }
}

/// Mounts the app with `screens` (`pages::all`, or `pages::recipient` for the small build
/// that opens secret links): into `<div data-ots-app>` of a host page (with settings from
/// its data attributes) when there is one, else into `<body>`.
#[cfg(feature = "app")]
pub fn mount(screens: pages::Screens) {
    mark("ots:main");
    let host = dom::document()
        .query_selector("[data-ots-app]")
        .ok()
        .flatten()
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
    match host {
        Some(element) => {
            let dataset = element.dataset();
            let names = js_sys::Object::keys(&dataset);
            let pairs: Vec<(String, String)> = names
                .iter()
                .filter_map(|n| n.as_string())
                .filter_map(|n| dataset.get(&n).map(|v| (snake(&n), v)))
                .collect();
            let value = config::Settings::value_from_attributes(
                pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            );
            leptos::mount::mount_to(element, move || {
                leptos::view! { <app::App embedded=value.clone() screens=screens /> }
            })
            .forget();
        }
        None => {
            prerender::take_over();
            leptos::mount::mount_to_body(move || leptos::view! { <app::App screens=screens /> })
        }
    }
}

/// `ttlDefault` (a dataset name) → `ttl_default`.
#[cfg(feature = "app")]
fn snake(camel: &str) -> String {
    camel
        .chars()
        .flat_map(|c| {
            if c.is_ascii_uppercase() {
                vec!['_', c.to_ascii_lowercase()]
            } else {
                vec![c]
            }
        })
        .collect()
}
