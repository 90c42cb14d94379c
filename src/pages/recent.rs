//! The account's recent receipts (`GET /receipt/recent`).

use leptos::prelude::*;
use ots_core::link::{ReceiptLink, Route};

use crate::app::use_app;
use crate::fmt;
use crate::i18n::{Key, tr, use_i18n};
use crate::messages;
use crate::page::page_url;
use crate::pages::receipt::state_key;

/// Lists what the signed-in account created, each linking to its receipt.
#[component]
pub fn Recent() -> impl IntoView {
    let i18n = use_i18n();
    let app = use_app();
    let recent = crate::load::load(move || {
        let api = app.api();
        let signed_in = app.account.with(|a| a.is_some());
        async move {
            if signed_in {
                Some(api.recent().await)
            } else {
                None
            }
        }
    });
    let list = move || {
        match recent.get() {
        None => view! { <p role="status" aria-busy="true">{tr(Key::Loading)}</p> }.into_any(),
        Some(None) => view! { <p data-testid="recent-signed-out">{tr(Key::RecentNeedsAccount)}</p> }.into_any(),
        Some(Some(Err(e))) => view! { <p class="error" role="alert">{move || i18n.t(messages::api_error(&e))}</p> }.into_any(),
        Some(Some(Ok(items))) if items.is_empty() => view! { <p data-testid="recent-empty">{tr(Key::RecentEmpty)}</p> }.into_any(),
        Some(Some(Ok(items))) => view! {
            <ul class="recent" data-testid="recent-list">
                {items.into_iter().map(|r| {
                    let href = Route::Receipt(ReceiptLink { metadata_key: r.metadata_key.clone(), server: app.server.get_untracked(), access: None }).to_url(&page_url());
                    let state = r.state.clone();
                    let created = r.created;
                    let short = ots_core::keys::shortkey(&r.metadata_key).to_owned();
                    view! {
                        <li data-testid="recent-item">
                            <a href=href><code>{short}</code></a>
                            " · "<span>{move || i18n.t(state_key(&state))}</span>
                            " · "<time>{move || fmt::datetime(i18n.locale.get(), created)}</time>
                        </li>
                    }
                }).collect_view()}
            </ul>
        }.into_any(),
    }
    };
    view! {
        <section class="card" aria-labelledby="recent-title">
            <h1 id="recent-title">{tr(Key::RecentTitle)}</h1>
            {list}
        </section>
    }
}
