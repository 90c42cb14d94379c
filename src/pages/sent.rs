//! What this browser sent: the history kept on this device, each secret with its live
//! state and a burn button, and "Forget all". No account needed.

use leptos::prelude::*;
use ots_core::link::Route;
use ots_core::wire::{ApiErrorKind, ReceiptState};

use crate::api::ApiError;
use crate::app::use_app;
use crate::components::{OpenRequests, When};
use crate::fmt;
use crate::history::{self, Entry};
use crate::i18n::{Key, tr, use_i18n};
use crate::messages;
use crate::page::page_url;
use crate::pages::receipt::state_key;

/// The sent-history screen.
#[component]
pub fn Sent() -> impl IntoView {
    let app = use_app();
    let enabled = move || app.settings.with(|s| s.features.history);
    let refresh = RwSignal::new(0u32);
    let entries = crate::load::load(move || {
        refresh.track();
        history::list()
    });
    let forget_all = move |_| {
        leptos::task::spawn_local(async move {
            let _ = history::forget_all().await;
            refresh.update(|n| *n += 1);
        });
    };
    let list = move || match entries.get() {
        None => view! { <p role="status" aria-busy="true">{tr(Key::Loading)}</p> }.into_any(),
        Some(Err(_)) => {
            view! { <p class="error" role="alert">{tr(Key::SentUnavailable)}</p> }.into_any()
        }
        Some(Ok(items)) if items.is_empty() => {
            view! { <p data-testid="sent-empty">{tr(Key::SentEmpty)}</p> }.into_any()
        }
        Some(Ok(items)) => view! {
            <ul class="recent sent" data-testid="sent-list">
                {items.into_iter().map(|entry| view! { <SentItem entry=entry /> }).collect_view()}
            </ul>
            <button type="button" class="danger" data-testid="forget-all" on:click=forget_all>
                {tr(Key::SentForgetAll)}
            </button>
        }
        .into_any(),
    };
    view! {
        <section class="card" aria-labelledby="sent-title">
            <h1 id="sent-title">{tr(Key::SentTitle)}</h1>
            <p class="hint">{tr(Key::SentNote)}</p>
            <When when=enabled fallback=|| view! { <p data-testid="sent-off">{tr(Key::SentOff)}</p> }>
                {list}
            </When>
        </section>
        <OpenRequests />
    }
}

/// One sent secret: its receipt link, when it was made, its live state, and burn.
#[component]
fn SentItem(entry: Entry) -> impl IntoView {
    let i18n = use_i18n();
    let app = use_app();
    let api = app.api_for(&entry.receipt.server);
    let key = entry.receipt.metadata_key.clone();
    let refresh = RwSignal::new(0u32);
    let live = crate::load::load({
        let (api, key) = (api.clone(), key.clone());
        move || {
            refresh.track();
            let (api, key) = (api.clone(), key.clone());
            async move { api.receipt(&key).await.map(|r| r.state) }
        }
    });
    let access = entry.receipt.access.clone();
    let burn = crate::task::Task::new(move |_: &()| {
        let (api, key, access) = (api.clone(), key.clone(), access.clone());
        async move { api.burn(&key, access).await }
    });
    Effect::new(move |_| {
        if burn.value().with(|r| r.is_some()) {
            refresh.update(|n| *n += 1);
        }
    });
    let on_burn = move |_| {
        let sure = window()
            .confirm_with_message(&i18n.t(Key::BurnConfirm))
            .unwrap_or(false);
        if sure && !burn.pending().get_untracked() {
            burn.dispatch(());
        }
    };
    let href = Route::Receipt(entry.receipt.clone()).to_url(&page_url());
    let short = ots_core::keys::shortkey(&entry.receipt.metadata_key).to_owned();
    let created = entry.created;
    let expires = entry.created + entry.ttl;
    // A passphrase this browser cannot supply: the receipt screen asks for it.
    let asks_passphrase = entry.passphrase && entry.receipt.access.is_none();
    let state = move || match live.get() {
        None => (Key::Loading, "loading".to_owned()),
        Some(Ok(state)) => (state_key(&state), state.as_str().to_owned()),
        // The receipt itself is gone (it lives twice the secret's TTL).
        Some(Err(ApiError::Server {
            kind: ApiErrorKind::UnknownSecret,
            ..
        })) => (Key::StateExpired, "expired".to_owned()),
        Some(Err(e)) => (messages::api_error(&e), "error".to_owned()),
    };
    let can_burn = move || matches!(live.get(), Some(Ok(ReceiptState::New)));
    let burn_link = href.clone();
    view! {
        <li class="sent-item" data-testid="sent-item">
            <p class="sent-head">
                <a href=href><code>{short}</code></a>
                <span class="state" data-testid="sent-state" data-state=move || state().1>{move || i18n.t(state().0)}</span>
            </p>
            <p class="hint">
                {tr(Key::Created)}" "<time>{move || fmt::datetime(i18n.locale.get(), created)}</time>
                " · "{tr(Key::Expires)}" "<time>{move || fmt::datetime(i18n.locale.get(), expires)}</time>
            </p>
            <When when=can_burn>
                {if asks_passphrase {
                    view! { <a class="button danger" href=burn_link.clone()>{tr(Key::BurnButton)}</a> }.into_any()
                } else {
                    view! {
                        <button type="button" class="danger" data-testid="sent-burn"
                            aria-busy=move || burn.pending().get().to_string() on:click=on_burn>
                            {tr(Key::BurnButton)}
                        </button>
                    }.into_any()
                }}
            </When>
        </li>
    }
}
