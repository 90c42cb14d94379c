//! This browser's open requests, on the Sent screen: each with its fingerprint, note,
//! expiry, link and whether an answer was read here, and a button to forget it.

use leptos::prelude::*;

use crate::components::CopyButton;
use crate::fmt;
use crate::i18n::{Key, tr, use_i18n};
use crate::requests::{self, OpenRequest};

/// The open requests, newest first.
#[component]
pub fn OpenRequests() -> impl IntoView {
    let refresh = RwSignal::new(0u32);
    let open = crate::load::load(move || {
        refresh.track();
        requests::list()
    });
    let list = move || {
        match open.get() {
        None => view! { <p role="status" aria-busy="true">{tr(Key::Loading)}</p> }.into_any(),
        Some(Err(_)) => view! { <p class="error" role="alert">{tr(Key::SentUnavailable)}</p> }.into_any(),
        Some(Ok(items)) if items.is_empty() => {
            view! { <p data-testid="requests-empty">{tr(Key::RequestsEmpty)}</p> }.into_any()
        }
        Some(Ok(items)) => view! {
            <ul class="recent sent" data-testid="requests-list">
                {items.into_iter().map(|request| view! { <RequestItem request=request refresh=refresh /> }).collect_view()}
            </ul>
        }
        .into_any(),
    }
    };
    view! {
        <section class="card" aria-labelledby="requests-title" data-testid="open-requests">
            <h2 id="requests-title">{tr(Key::RequestsTitle)}</h2>
            <p class="hint">{tr(Key::RequestsNote)}</p>
            {list}
            <a class="button" href="#/ask" data-testid="requests-ask">{tr(Key::AskTitle)}</a>
        </section>
    }
}

/// One open request.
#[component]
fn RequestItem(
    /// The request.
    request: OpenRequest,
    /// Bumped when the list must be read again.
    refresh: RwSignal<u32>,
) -> impl IntoView {
    let i18n = use_i18n();
    let fp = request.fingerprint();
    let url = request.url.clone();
    let note = request.link.note.clone();
    let expires = request.link.expires;
    let state = match request.read {
        Some(_) => (Key::RequestRead, "read"),
        None => (Key::RequestWaiting, "waiting"),
    };
    let on_forget = move |_| {
        leptos::task::spawn_local(async move {
            let _ = requests::forget(&fp).await;
            refresh.update(|n| *n += 1);
        });
    };
    view! {
        <li class="sent-item" data-testid="request-item">
            <p class="sent-head">
                <code data-testid="request-fingerprint">{fp.to_string()}</code>
                <span class="state" data-testid="request-state" data-state=state.1>{tr(state.0)}</span>
            </p>
            {note.map(|n| view! { <p>{n}</p> })}
            <p class="hint">
                {tr(Key::Expires)}" "<time>{move || fmt::datetime(i18n.locale.get(), expires)}</time>
            </p>
            <div class="actions">
                <CopyButton text=Signal::derive(move || url.clone()) label=Key::CopyRequestLink testid="request-copy" />
                <button type="button" class="danger" data-testid="request-forget" on:click=on_forget>
                    {tr(Key::Forget)}
                </button>
            </div>
        </li>
    }
}
