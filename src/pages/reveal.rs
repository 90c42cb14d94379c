//! The recipient's screen: nothing is consumed until they press Reveal.

use leptos::prelude::*;
use ots_core::link::{PassphraseHint, RevealLink};
use ots_core::payload::Payload;
use ots_core::wire::ApiErrorKind;
use zeroize::{Zeroize, Zeroizing};

use crate::api::ApiError;
use crate::app::use_app;
use crate::components::{CopyButton, FileDownload, When};
use crate::i18n::{Key, tr, use_i18n};
use crate::reveal::{RevealError, reveal};
use crate::storage;

/// Reveals the secret a link names, then shows it until the user leaves.
#[component]
pub fn Reveal(
    /// The link that was opened.
    link: RevealLink,
) -> impl IntoView {
    let i18n = use_i18n();
    let state = use_app();
    let passphrase = RwSignal::new(String::new());
    let revealed = RwSignal::new(None::<Payload>);
    let error = RwSignal::new(None::<RevealError>);
    let asks_passphrase = link.passphrase != PassphraseHint::None || link.key.is_none();
    let show_passphrase = RwSignal::new(asks_passphrase);
    let value_heading = NodeRef::<leptos::html::H2>::new();
    let kept = storage::kept_revealed(&link.secret_key).is_some();

    let action = crate::task::Task::new({
        let link = link.clone();
        move |typed: &String| {
            reveal(
                link.clone(),
                Zeroizing::new(typed.clone()),
                state.api_for(&link.server),
            )
        }
    });
    let pending = action.pending();
    Effect::new(move |_| {
        if let Some(result) = action.value().get() {
            match result {
                Ok(value) => {
                    passphrase.update(|p| p.zeroize());
                    error.set(None);
                    revealed.set(Some(value));
                    state.announce(untrack(|| i18n.t(Key::RevealedDeleted)));
                }
                Err(e) => {
                    if matches!(
                        &e,
                        RevealError::Api(ApiError::Server {
                            kind: ApiErrorKind::UnknownSecret,
                            ..
                        })
                    ) {
                        show_passphrase.set(true);
                    }
                    error.set(Some(e));
                }
            }
        }
    });
    Effect::new(move |_| {
        if revealed.with(|r| r.is_some())
            && let Some(h) = value_heading.get()
        {
            let _ = h.focus();
        }
    });
    // The secret leaves the page, and memory, when the user leaves.
    let forget = move || {
        // Dropping a payload wipes its text and bytes.
        revealed.update(|v| drop(v.take()));
        action.value().set(None);
    };
    let pagehide = window_event_listener(leptos::ev::pagehide, move |_| forget());
    on_cleanup(move || {
        pagehide.remove();
        forget();
    });

    let on_reveal = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if !pending.get_untracked() {
            action.dispatch(passphrase.get_untracked());
        }
    };
    let error_view = move || {
        error.get().map(|e| {
            let counted = e.may_have_counted();
            view! {
                <div class="error" data-testid="reveal-error">
                    <p>{move || i18n.t(e.message())}</p>
                    {counted.then(|| view! { <p data-testid="may-have-counted">{tr(Key::RevealMayHaveCounted)}</p> })}
                </div>
            }
        })
    };
    let copy_text = Signal::derive(move || {
        revealed.with(|v| {
            v.as_ref()
                .and_then(Payload::text_part)
                .unwrap_or_default()
                .to_owned()
        })
    });
    let has_text = move || revealed.with(|v| v.as_ref().is_some_and(|p| p.text_part().is_some()));
    let file = move || revealed.with(|v| v.as_ref().and_then(Payload::file).cloned());
    let clear_after = state.settings.with_untracked(|s| s.clipboard_clear_seconds);
    let secret_key = StoredValue::new(link.secret_key.clone());
    // Marks when the Reveal button works, for the bench's per-screen figures.
    Effect::new(move |_| crate::mark("ots:screen"));

    view! {
        <section class="card reveal" aria-labelledby="reveal-title">
            <h1 id="reveal-title">{tr(Key::RevealTitle)}</h1>
            {move || match revealed.with(|v| v.is_some()) {
                false => view! {
                    <form on:submit=on_reveal novalidate>
                        <p class="notice" data-testid="reveal-note">{tr(if kept { Key::RevealKept } else { Key::RevealNothingConsumed })}</p>
                        <When when=move || show_passphrase.get()>
                            <div class="field">
                                <label for="reveal-passphrase">{tr(Key::PassphraseLabel)}</label>
                                <input id="reveal-passphrase" data-testid="reveal-passphrase" type="password"
                                    autocomplete="off"
                                    prop:value=move || passphrase.get()
                                    on:input:target=move |ev| passphrase.set(ev.target().value()) />
                            </div>
                        </When>
                        <button type="submit" class="primary" data-testid="reveal"
                            aria-busy=move || pending.get().to_string()>
                            {move || i18n.t(if pending.get() { Key::Revealing } else { Key::RevealButton })}
                        </button>
                        // Always on the page, so a new error is announced.
                        <div role="alert">{error_view}</div>
                    </form>
                }.into_any(),
                true => view! {
                    <div class="field">
                        <h2 tabindex="-1" data-testid="revealed-title" node_ref=value_heading>{tr(Key::RevealedTitle)}</h2>
                        <When when=has_text>
                            <pre class="secret-value" data-testid="revealed-value">{move || copy_text.get()}</pre>
                        </When>
                        {move || file().map(|f| view! { <FileDownload file=f /> })}
                        <p class="notice" data-testid="deleted-note">{tr(Key::RevealedDeleted)}</p>
                        <div class="actions">
                            <When when=has_text>
                                <CopyButton text=copy_text label=Key::CopySecret testid="copy-secret" clear_after=clear_after />
                            </When>
                            <button type="button" data-testid="close-secret" on:click=move |_| {
                                forget();
                                secret_key.with_value(|k| storage::forget_revealed(k));
                                crate::page::forget_kept_key();
                                let _ = window().location().set_hash("#/");
                            }>{tr(Key::CloseSecret)}</button>
                        </div>
                    </div>
                }.into_any(),
            }}
        </section>
    }
}
