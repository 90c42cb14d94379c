//! Answering a request: the asker's note and fingerprint, a secret field, a file and Send. The
//! secret is sealed here to the request's key and stored through the ordinary v1 share,
//! with a passphrase only the asker's browser can derive; the sender gets the answer link.

use leptos::prelude::*;
use ots_core::link::Route;
use ots_core::payload::{self, File, Payload};
use ots_core::request::{self, AnswerLink, RequestLink};
use ots_core::wire::{SecretOptions, ShareRequest};
use zeroize::{Zeroize, Zeroizing};

use crate::api::ApiError;
use crate::app::{AppState, use_app};
use crate::components::{CopyButton, Field, Fingerprint};
use crate::file_pick::{Budget, FileSlot};
use crate::i18n::{Key, tr, use_i18n};
use crate::page::page_url;
use crate::{fmt, messages, requests};

/// Why an answer was not sent.
#[derive(Debug, Clone, PartialEq)]
enum SendError {
    Api(ApiError),
    /// The browser could not seal (no X25519), or the link's key is unusable.
    Seal,
    Empty,
    TooLong,
}

/// The sealed answer's length for `text` and a file of (name, type, content) lengths.
fn sealed_len(text: &str, file: Option<(usize, usize, usize)>) -> usize {
    let text = (!text.is_empty() || file.is_none()).then_some(text.len());
    request::sealed_len(payload::encoded_len(text, file))
}

/// Seals the text and file to the request and shares them; returns the answer link.
async fn send(
    link: RequestLink,
    text: Zeroizing<String>,
    file: Option<File>,
    state: AppState,
) -> Result<String, SendError> {
    let text = (!text.is_empty()).then_some(text);
    let payload = Payload::new(text, file).map_err(|_| SendError::Empty)?;
    let limit = state.settings.with_untracked(|s| s.limits.secret_max_bytes);
    if request::max_payload_len(limit).is_none_or(|max| payload.encode().len() > max) {
        return Err(SendError::TooLong);
    }
    let (ephemeral, keys, sealed) = requests::seal_answer(&link.public_key, &payload)
        .await
        .map_err(|_| SendError::Seal)?;
    let now = requests::now();
    // Never past the request's own expiry, nor the server's anonymous maximum.
    let max = state.settings.with_untracked(|s| s.limits.ttl_max(false));
    let ttl = link.expires.saturating_sub(now).min(max).max(60);
    let mut body = ShareRequest {
        secret: sealed.to_string(),
        options: SecretOptions {
            passphrase: Some(keys.access().to_owned()),
            ttl: i64::try_from(ttl).ok(),
            ..SecretOptions::default()
        },
    };
    // Answering needs no account: the asker's server gets no credentials of ours.
    let mut api = state.api_for(&link.server);
    api.auth = None;
    let result = api.share(&body).await;
    body.secret.zeroize();
    body.options.passphrase.zeroize();
    let receipt = result.map_err(SendError::Api)?;
    Ok(Route::Answer(AnswerLink {
        secret_key: receipt.secret_key.unwrap_or_default(),
        ephemeral,
        to: link.public_key.fingerprint(),
        server: link.server,
    })
    .to_url(&page_url()))
}

/// The screen a request link opens.
#[component]
pub fn RequestAnswer(
    /// The request link that was opened.
    link: RequestLink,
) -> impl IntoView {
    let i18n = use_i18n();
    let state = use_app();
    let secret = RwSignal::new(String::new());
    let error = RwSignal::new(None::<SendError>);
    let answer = RwSignal::new(None::<String>);
    let expired = link.expires <= requests::now();
    let fingerprint = link.public_key.fingerprint().to_string();
    let note = link.note.clone();
    let expires = link.expires;
    // The file part is drawn without Leptos (`file_pick.rs`), as the create form's is.
    let file_changed = Trigger::new();
    let budget = Budget {
        needed: Box::new(move |lens| secret.with_untracked(|s| sealed_len(s, Some(lens)))),
        limit: Box::new(move || state.settings.with_untracked(|s| s.limits.secret_max_bytes)),
    };
    let file = StoredValue::new_local(FileSlot::new(budget, move || file_changed.notify()));
    let used = move || {
        file_changed.track();
        let lens = file.with_value(FileSlot::lens);
        secret.with(|s| sealed_len(s, lens))
    };
    Effect::new(move |_| {
        let used = used();
        file.with_value(|slot| slot.redraw(used, true));
    });
    let file_host = NodeRef::<leptos::html::Div>::new();
    // In place of anything there: Leptos may rebuild the host in place, keeping its element.
    file_host.on_load(move |host| {
        file.with_value(|slot| host.replace_children_with_node_1(&slot.element.0))
    });
    let task = crate::task::Task::new({
        let link = link.clone();
        move |(text, file): &(String, Option<File>)| {
            send(
                link.clone(),
                Zeroizing::new(text.clone()),
                file.clone(),
                state,
            )
        }
    });
    Effect::new(move |_| match task.value().get() {
        Some(Ok(url)) => {
            secret.update(|s| s.zeroize());
            file.with_value(FileSlot::clear);
            error.set(None);
            answer.set(Some(url));
            crate::app::focus_soon("#answer-link-title");
        }
        Some(Err(e)) => error.set(Some(e)),
        None => {}
    });
    on_cleanup(move || secret.update(|s| s.zeroize()));
    let on_send = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let attached = file.with_value(FileSlot::file);
        if secret.with_untracked(|s| s.is_empty()) && attached.is_none() {
            error.set(Some(SendError::Empty));
        } else if !task.pending().get_untracked() {
            task.dispatch((secret.get_untracked(), attached));
        }
    };
    let error_text = move || {
        error.get().map(|e| match e {
            SendError::Api(e) => i18n.t(messages::api_error(&e)),
            SendError::Seal => i18n.t(Key::AnswerCannotSeal),
            SendError::Empty => i18n.t(Key::ErrorEmptySecret),
            SendError::TooLong => {
                let limit = state.settings.with_untracked(|s| s.limits.secret_max_bytes);
                i18n.tf(
                    Key::ErrorSecretTooLong,
                    &[("max", &fmt::number(i18n.locale.get(), limit))],
                )
            }
        })
    };
    let form = move || {
        view! {
            <form on:submit=on_send novalidate>
                <Field id="answer-secret" label=Key::AnswerSecretLabel hint_id="answer-sealed-note" hint=tr(Key::AnswerSealedNote)>
                    <textarea id="answer-secret" data-testid="answer-secret" rows="5" autocomplete="off"
                        spellcheck="false" aria-describedby="answer-sealed-note"
                        prop:value=move || secret.get()
                        on:paste=move |ev| file.with_value(|slot| slot.paste(&ev))
                        on:input:target=move |ev| secret.set(ev.target().value())></textarea>
                </Field>
                <div node_ref=file_host></div>
                <button type="submit" class="primary" data-testid="answer-send"
                    aria-busy=move || task.pending().get().to_string()>
                    {move || i18n.t(if task.pending().get() { Key::Creating } else { Key::AnswerSend })}
                </button>
                <div role="alert">
                    {move || error_text().map(|t| view! { <p class="error" data-testid="answer-error">{t}</p> })}
                </div>
            </form>
        }
    };
    let result = move |url: String| {
        view! {
            <div class="field" data-testid="answer-result">
                <h2 id="answer-link-title" tabindex="-1">{tr(Key::AnswerLinkTitle)}</h2>
                <p class="notice">{tr(Key::AnswerLinkNote)}</p>
                <a class="link" data-testid="answer-link" href=url.clone()>{url.clone()}</a>
                <div class="actions">
                    <CopyButton text=Signal::derive(move || url.clone()) label=Key::CopyAnswerLink testid="copy-answer-link" />
                </div>
            </div>
        }
    };
    view! {
        <section class="card answer" aria-labelledby="answer-title">
            <h1 id="answer-title">{tr(Key::AnswerTitle)}</h1>
            <div class="field">
                <h2>{tr(Key::AnswerNoteLabel)}</h2>
                {match note {
                    Some(text) => view! { <blockquote class="note" data-testid="answer-note">{text}</blockquote> }.into_any(),
                    None => view! { <p class="hint" data-testid="answer-no-note">{tr(Key::AnswerNoNote)}</p> }.into_any(),
                }}
            </div>
            <Fingerprint text=fingerprint hint=Key::AnswerFingerprintHint />
            <dl class="details">
                <dt>{tr(Key::Expires)}</dt>
                <dd data-testid="answer-expires">{move || fmt::datetime(i18n.locale.get(), expires)}</dd>
            </dl>
            {move || if expired {
                view! { <p class="error" role="alert" data-testid="answer-expired">{tr(Key::AnswerExpired)}</p> }.into_any()
            } else {
                match answer.get() {
                    Some(url) => result(url).into_any(),
                    None => form().into_any(),
                }
            }}
        </section>
    }
}
