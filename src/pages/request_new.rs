//! Asking for a secret: an optional note and a lifetime, then the request link with its
//! fingerprint. Asking contacts no server: the key pair is made in this browser.

use leptos::prelude::*;
use ots_core::request::{DEFAULT_LIFETIME, note_is_valid};

use crate::app::use_app;
use crate::components::{CopyButton, Field, Fingerprint};
use crate::fmt;
use crate::i18n::{Key, tr, use_i18n};
use crate::page::page_url;
use crate::requests::{self, OpenRequest};

/// How long a request may stay open: an hour, a day, a week (the default), 30 days.
const LIFETIMES: [u64; 4] = [3_600, 86_400, DEFAULT_LIFETIME, 30 * 86_400];

/// The asking screen.
#[component]
pub fn RequestNew() -> impl IntoView {
    let i18n = use_i18n();
    let state = use_app();
    let note = RwSignal::new(String::new());
    let lifetime = RwSignal::new(DEFAULT_LIFETIME);
    let error = RwSignal::new(None::<Key>);
    let made = RwSignal::new(None::<OpenRequest>);
    let task = crate::task::Task::new(move |(note, lifetime): &(Option<String>, u64)| {
        let (note, lifetime) = (note.clone(), *lifetime);
        let server = state.server.get_untracked();
        async move { requests::create(note, lifetime, server, &page_url()).await }
    });
    Effect::new(move |_| match task.value().get() {
        Some(Ok(request)) => {
            error.set(None);
            made.set(Some(request));
        }
        Some(Err(_)) => error.set(Some(Key::AskUnavailable)),
        None => {}
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let text = note.get_untracked().trim().to_owned();
        if !text.is_empty() && !note_is_valid(&text) {
            error.set(Some(Key::AskNoteInvalid));
            return;
        }
        if !task.pending().get_untracked() {
            task.dispatch(((!text.is_empty()).then_some(text), lifetime.get_untracked()));
        }
    };
    let another = Callback::new(move |()| {
        note.set(String::new());
        made.set(None);
        task.value().set(None);
        crate::app::focus_soon("#ask-title");
    });
    move || {
        match made.get() {
        Some(request) => view! { <RequestMade request=request on_another=another /> }.into_any(),
        None => view! {
            <form class="card ask" on:submit=on_submit novalidate aria-labelledby="ask-title">
                <h1 id="ask-title">{tr(Key::AskTitle)}</h1>
                <p class="hint">{tr(Key::AskIntro)}</p>
                <Field id="ask-note" label=Key::AskNoteLabel hint_id="ask-note-hint" hint=tr(Key::AskNoteHint)>
                    <input id="ask-note" data-testid="ask-note" type="text" autocomplete="off"
                        maxlength="200" aria-describedby="ask-note-hint"
                        prop:value=move || note.get()
                        on:input:target=move |ev| note.set(ev.target().value()) />
                </Field>
                <Field id="ask-lifetime" label=Key::AskLifetimeLabel>
                    <select id="ask-lifetime" data-testid="ask-lifetime"
                        on:change:target=move |ev| {
                            if let Ok(n) = ev.target().value().parse() {
                                lifetime.set(n);
                            }
                        }>
                        {LIFETIMES.iter().map(|&seconds| view! {
                            <option value=seconds.to_string() selected=seconds == DEFAULT_LIFETIME>
                                {move || fmt::duration(i18n.locale.get(), seconds)}
                            </option>
                        }).collect_view()}
                    </select>
                </Field>
                <button type="submit" class="primary" data-testid="ask-create"
                    aria-busy=move || task.pending().get().to_string()>
                    {tr(Key::AskCreate)}
                </button>
                <div role="alert">
                    {move || error.get().map(|key| view! { <p class="error" data-testid="ask-error">{move || i18n.t(key)}</p> })}
                </div>
            </form>
        }
        .into_any(),
    }
    }
}

/// The request link just made: copy it, compare the fingerprint, know the note is public.
#[component]
fn RequestMade(
    /// The new request.
    request: OpenRequest,
    /// "Request another" was pressed.
    on_another: Callback<()>,
) -> impl IntoView {
    let i18n = use_i18n();
    let heading = NodeRef::<leptos::html::H1>::new();
    Effect::new(move |_| {
        if let Some(h) = heading.get() {
            let _ = h.focus();
        }
    });
    let fingerprint = request.fingerprint().to_string();
    let url = request.url.clone();
    let has_note = request.link.note.is_some();
    let expires = request.link.expires;
    view! {
        <section class="card result" data-testid="ask-result" aria-labelledby="ask-result-title">
            <h1 id="ask-result-title" tabindex="-1" node_ref=heading>{tr(Key::AskLinkTitle)}</h1>
            <p class="notice">{tr(Key::AskLinkNote)}</p>
            <div class="field">
                <a class="link" data-testid="request-link" href=url.clone()>{url.clone()}</a>
                <div class="actions">
                    <CopyButton text=Signal::derive(move || url.clone()) label=Key::CopyRequestLink testid="copy-request-link" />
                </div>
                {has_note.then(|| view! { <p class="notice warning" data-testid="note-public">{tr(Key::AskNotePublic)}</p> })}
            </div>
            <Fingerprint text=fingerprint hint=Key::AskFingerprintHint />
            <dl class="details">
                <dt>{tr(Key::Expires)}</dt>
                <dd data-testid="ask-expires">{move || fmt::datetime(i18n.locale.get(), expires)}</dd>
            </dl>
            <p class="hint">{tr(Key::AskKeepBrowser)}</p>
            <div class="actions">
                <a class="button" href="#/history" data-testid="ask-open-requests">{tr(Key::RequestsTitle)}</a>
                <button type="button" data-testid="ask-another" on:click=move |_| on_another.run(())>{tr(Key::AskAnother)}</button>
            </div>
        </section>
    }
}
