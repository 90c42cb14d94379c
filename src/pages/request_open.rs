//! Opening an answer: in the browser that made the request, Reveal derives the passphrase
//! from the key agreement, reveals (consuming the answer) and decrypts; anywhere else the
//! screen says so and contacts no server.

use leptos::prelude::*;
use ots_core::payload::File;
use ots_core::request::{self, AnswerLink, RequestError, SealedAnswer};
use zeroize::{Zeroize, Zeroizing};

use crate::api::ApiError;
use crate::app::{AppState, use_app};
use crate::components::{CopyButton, FileDownload, When};
use crate::i18n::{Key, tr, use_i18n};
use crate::{messages, requests};

/// Whether this browser holds the request's key.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Here {
    Checking,
    Yes,
    No,
}

/// Why opening failed.
#[derive(Debug, Clone, PartialEq)]
enum OpenError {
    Api(ApiError),
    /// The answer came back but does not open: it is consumed all the same.
    Damaged,
    /// The key went missing (forgotten in another tab) or the browser refused.
    NotHere,
}

/// The answer's text (empty if it has none) and its file, if any.
type Opened = (Zeroizing<String>, Option<File>);

async fn open(link: AnswerLink, state: AppState) -> Result<Opened, OpenError> {
    let keys = requests::answer_keys(&link.to, &link.ephemeral)
        .await
        .map_err(|_| OpenError::Damaged)?
        .ok_or(OpenError::NotHere)?;
    let mut response = state
        .api_for(&link.server)
        .reveal(&link.secret_key, Some(keys.access().to_owned()))
        .await
        .map_err(OpenError::Api)?;
    let value = Zeroizing::new(std::mem::take(&mut response.value));
    let _ = requests::mark_read(&link.to).await;
    let payload = value
        .parse::<SealedAnswer>()
        .and_then(|sealed| request::open(&keys, &sealed))
        .map_err(|_: RequestError| OpenError::Damaged)?;
    let text = Zeroizing::new(payload.text_part().unwrap_or_default().to_owned());
    Ok((text, payload.file().cloned()))
}

/// The screen an answer link opens.
#[component]
pub fn RequestOpen(
    /// The answer link that was opened.
    link: AnswerLink,
) -> impl IntoView {
    let i18n = use_i18n();
    let state = use_app();
    let here = RwSignal::new(Here::Checking);
    let revealed = RwSignal::new(None::<Zeroizing<String>>);
    let file = RwSignal::new(None::<File>);
    let error = RwSignal::new(None::<OpenError>);
    let value_heading = NodeRef::<leptos::html::H2>::new();
    let fp_text = link.to.to_string();
    // Only this browser's own store is asked: no request leaves the page.
    leptos::task::spawn_local({
        let fp = link.to;
        async move {
            let open = requests::list().await.unwrap_or_default();
            here.set(if open.iter().any(|r| r.fingerprint() == fp) {
                Here::Yes
            } else {
                Here::No
            });
        }
    });
    let task = crate::task::Task::new({
        let link = link.clone();
        move |_: &()| open(link.clone(), state)
    });
    Effect::new(move |_| match task.value().get() {
        Some(Ok((value, attached))) => {
            error.set(None);
            file.set(attached);
            revealed.set(Some(value));
            state.announce(untrack(|| i18n.t(Key::RevealedDeleted)));
        }
        Some(Err(OpenError::NotHere)) => here.set(Here::No),
        Some(Err(e)) => error.set(Some(e)),
        None => {}
    });
    Effect::new(move |_| {
        if revealed.with(|r| r.is_some())
            && let Some(h) = value_heading.get()
        {
            let _ = h.focus();
        }
    });
    let forget = move || {
        revealed.update(|v| {
            if let Some(mut value) = v.take() {
                value.zeroize();
            }
        });
        file.set(None);
        task.value().set(None);
    };
    let pagehide = window_event_listener(leptos::ev::pagehide, move |_| forget());
    on_cleanup(move || {
        pagehide.remove();
        forget();
    });
    let on_reveal = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if !task.pending().get_untracked() {
            task.dispatch(());
        }
    };
    let error_text = move || {
        error.get().map(|e| match e {
            OpenError::Api(e) => i18n.t(messages::api_error(&e)),
            _ => i18n.t(Key::OpenDamaged),
        })
    };
    let copy_text =
        Signal::derive(move || revealed.with(|v| v.as_deref().cloned().unwrap_or_default()));
    let clear_after = state.settings.with_untracked(|s| s.clipboard_clear_seconds);
    let body = move || {
        match (here.get(), revealed.with(|v| v.is_some())) {
        (Here::Checking, _) => view! { <p role="status" aria-busy="true">{tr(Key::Loading)}</p> }.into_any(),
        (Here::No, _) => view! {
            <p class="notice warning" role="alert" data-testid="open-elsewhere">{tr(Key::OpenElsewhere)}</p>
        }
        .into_any(),
        (Here::Yes, false) => view! {
            <form on:submit=on_reveal novalidate>
                <p class="notice" data-testid="open-note">{tr(Key::RevealNothingConsumed)}</p>
                <button type="submit" class="primary" data-testid="open-reveal"
                    aria-busy=move || task.pending().get().to_string()>
                    {move || i18n.t(if task.pending().get() { Key::Revealing } else { Key::RevealButton })}
                </button>
                <div role="alert">
                    {move || error_text().map(|t| view! { <p class="error" data-testid="open-error">{t}</p> })}
                </div>
            </form>
        }
        .into_any(),
        (Here::Yes, true) => view! {
            <div class="field">
                <h2 tabindex="-1" data-testid="revealed-title" node_ref=value_heading>{tr(Key::RevealedTitle)}</h2>
                <When when=move || copy_text.with(|t| !t.is_empty()) || file.with(Option::is_none)>
                    <pre class="secret-value" data-testid="revealed-value">{move || copy_text.get()}</pre>
                </When>
                {move || file.get().map(|f| view! { <FileDownload file=f /> })}
                <p class="notice" data-testid="deleted-note">{tr(Key::RevealedDeleted)}</p>
                <div class="actions">
                    <CopyButton text=copy_text label=Key::CopySecret testid="copy-secret" clear_after=clear_after />
                    <button type="button" data-testid="close-secret" on:click=move |_| {
                        forget();
                        let _ = window().location().set_hash("#/history");
                    }>{tr(Key::CloseSecret)}</button>
                </div>
            </div>
        }
        .into_any(),
    }
    };
    view! {
        <section class="card reveal" aria-labelledby="open-title">
            <h1 id="open-title">{tr(Key::OpenTitle)}</h1>
            <When when=move || here.get() == Here::Yes>
                <p class="hint" data-testid="open-fingerprint">{tr(Key::FingerprintLabel)}": "<code>{fp_text.clone()}</code></p>
            </When>
            {body}
        </section>
    }
}
