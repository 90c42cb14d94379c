//! The creator's receipt: the secret's state, and burning it.

use leptos::prelude::*;
use ots_core::link::ReceiptLink;
use ots_core::wire::{Receipt as Wire, ReceiptState};

use crate::app::{focus_soon, use_app};
use crate::components::When;
use crate::fmt;
use crate::i18n::{Key, tr, use_i18n};
use crate::messages;

/// The locale key naming a receipt state.
pub fn state_key(state: &ReceiptState) -> Key {
    match state {
        ReceiptState::New => Key::StateNew,
        ReceiptState::Received => Key::StateReceived,
        ReceiptState::Burned => Key::StateBurned,
        ReceiptState::Expired => Key::StateExpired,
        _ => Key::StateOther,
    }
}

/// One receipt's details.
#[component]
pub fn ReceiptDetails(
    /// The receipt.
    receipt: Wire,
) -> impl IntoView {
    let i18n = use_i18n();
    let state = receipt.state.clone();
    let created = receipt.created;
    let expires = receipt.created + receipt.ttl;
    let received = receipt.received;
    let passphrase = receipt.passphrase_required;
    let recipients = receipt.recipient.join(", ");
    let state_name = state.as_str().to_owned();
    view! {
        <dl class="details" data-testid="receipt-details">
            <dt>{tr(Key::State)}</dt>
            <dd data-testid="receipt-state" data-state=state_name>{move || i18n.t(state_key(&state))}</dd>
            <dt>{tr(Key::Created)}</dt>
            <dd>{move || fmt::datetime(i18n.locale.get(), created)}</dd>
            <dt>{tr(Key::Expires)}</dt>
            <dd>{move || fmt::datetime(i18n.locale.get(), expires)}</dd>
            {received.map(|at| view! {
                <dt>{tr(Key::Received)}</dt>
                <dd data-testid="received-at">{move || fmt::datetime(i18n.locale.get(), at)}</dd>
            })}
            <dt>{tr(Key::PassphraseRequired)}</dt>
            <dd>{move || i18n.t(if passphrase { Key::Yes } else { Key::No })}</dd>
            {(!recipients.is_empty()).then(|| view! {
                <dt>{tr(Key::RecipientLabel)}</dt>
                <dd>{recipients.clone()}</dd>
            })}
        </dl>
    }
}

/// Shows a receipt, with refresh and burn.
#[component]
pub fn Receipt(
    /// The receipt link that was opened.
    link: ReceiptLink,
) -> impl IntoView {
    let i18n = use_i18n();
    let app = use_app();
    let api = app.api_for(&link.server);
    let key = link.metadata_key.clone();
    let refresh = RwSignal::new(0u32);
    let burned = RwSignal::new(None::<Wire>);
    let receipt = crate::load::load({
        let (api, key) = (api.clone(), key.clone());
        move || {
            refresh.track();
            let (api, key) = (api.clone(), key.clone());
            async move { api.receipt(&key).await }
        }
    });
    let confirming = RwSignal::new(false);
    let passphrase = RwSignal::new(String::new());
    // A secret whose passphrase also protects the encryption is burned with the derived
    // access value the link carries: the passphrase itself would not match.
    let access = link.access.clone();
    let has_access = access.is_some();
    let burn = crate::task::Task::new({
        let (api, key) = (api.clone(), key.clone());
        move |passphrase: &String| {
            let (api, key) = (api.clone(), key.clone());
            let typed = (!passphrase.is_empty()).then(|| passphrase.clone());
            let passphrase = access.clone().or(typed);
            async move { api.burn(&key, passphrase).await }
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(response)) = burn.value().get() {
            confirming.set(false);
            passphrase.set(String::new());
            burned.set(Some(response.state));
            app.announce(untrack(|| i18n.t(Key::BurnedNote)));
            focus_soon("main h1");
        }
    });
    let burn_error = move || {
        burn.value().get().and_then(|r| r.err()).map(|e| view! {
            <p class="error" role="alert" data-testid="burn-error">{move || i18n.t(messages::api_error(&e))}</p>
        })
    };

    let body = move || {
        if let Some(receipt) = burned.get() {
            return view! {
                <p class="notice" data-testid="burned-note">{tr(Key::BurnedNote)}</p>
                <ReceiptDetails receipt=receipt />
            }
            .into_any();
        }
        match receipt.get() {
            None => view! { <p role="status" aria-busy="true">{tr(Key::Loading)}</p> }.into_any(),
            Some(Err(e)) => view! {
                <p class="error" role="alert" data-testid="receipt-error">{move || i18n.t(messages::api_error(&e))}</p>
            }.into_any(),
            Some(Ok(r)) => {
                let can_burn = r.state == ReceiptState::New;
                let needs_passphrase = r.passphrase_required && !has_access;
                view! {
                    <ReceiptDetails receipt=r />
                    <When when=move || can_burn>
                        <When when=move || confirming.get() fallback=move || view! {
                            <button type="button" class="danger" data-testid="burn" on:click=move |_| {
                                confirming.set(true);
                                // The button gives way to the confirmation: focus its first control.
                                focus_soon("[data-testid=burn-passphrase], [data-testid=burn-confirm]");
                            }>
                                {tr(Key::BurnButton)}
                            </button>
                        }>
                            <form class="confirm" on:submit=move |ev| {
                                ev.prevent_default();
                                if !burn.pending().get_untracked() {
                                    burn.dispatch(passphrase.get_untracked());
                                }
                            }>
                                <p role="alert">{tr(Key::BurnConfirm)}</p>
                                <When when=move || needs_passphrase>
                                    <label>{tr(Key::PassphraseLabel)}
                                        <input type="password" data-testid="burn-passphrase" autocomplete="off"
                                            prop:value=move || passphrase.get()
                                            on:input:target=move |ev| passphrase.set(ev.target().value()) />
                                    </label>
                                </When>
                                <button type="submit" class="danger" data-testid="burn-confirm"
                                    aria-busy=move || burn.pending().get().to_string()>
                                    {tr(Key::BurnConfirmButton)}
                                </button>
                                <button type="button" data-testid="burn-cancel" on:click=move |_| {
                                    confirming.set(false);
                                    focus_soon("[data-testid=burn]");
                                }>
                                    {tr(Key::Cancel)}
                                </button>
                                {burn_error}
                            </form>
                        </When>
                    </When>
                }.into_any()
            }
        }
    };

    view! {
        <section class="card receipt" aria-labelledby="receipt-title">
            <h1 id="receipt-title">{tr(Key::ReceiptTitle)}</h1>
            <p class="hint">{tr(Key::ReceiptLinkPrivate)}</p>
            {body}
            <div class="actions">
                <button type="button" data-testid="refresh" on:click=move |_| {
                    burned.set(None);
                    refresh.update(|n| *n += 1);
                }>{tr(Key::Refresh)}</button>
                <a href="#/" data-testid="back-home">{tr(Key::CreateAnother)}</a>
            </div>
        </section>
    }
}
