//! Creating a secret: share or generate, optionally encrypted in this browser.

use leptos::prelude::*;
use ots_core::link::{Region, Server};
use ots_core::password::CharSets;
use zeroize::Zeroizing;

use crate::api::{ApiError, Credentials};
use crate::app::{focus_soon, use_app};
use crate::components::{Field, FilePick, FileSlot, When};
use crate::config::Encryption;
use crate::draft::{Draft, Mode, Outcome, file_lens, payload_len, remember, submit, validate};
use crate::i18n::{Key, tr, use_i18n};
use crate::pages::Created;
use crate::{fmt, messages, storage};

/// The create screen: the form, then the links.
#[component]
pub fn Create() -> impl IntoView {
    let i18n = use_i18n();
    let state = use_app();
    let settings = state.settings;

    let mode = RwSignal::new(Mode::Share);
    // What was typed into the page's static field before the app started, if anything.
    let secret = RwSignal::new(crate::prerender::take_secret());
    let passphrase = RwSignal::new(String::new());
    let show_passphrase = RwSignal::new(false);
    let ttl_choice = RwSignal::new(String::new());
    let ttl_custom = RwSignal::new(String::new());
    let recipient = RwSignal::new(String::new());
    let share_domain = RwSignal::new(String::new());
    let encrypt = RwSignal::new(true);
    let length = RwSignal::new(20usize);
    let sets = RwSignal::new(CharSets::default());
    let custom_server = RwSignal::new(String::new());
    let form_error = RwSignal::new(None::<Key>);
    let result = RwSignal::new(None::<Outcome>);

    // Follow the settings: the default TTL and whether encryption may be changed.
    Effect::new(move |_| {
        settings.with(|s| {
            ttl_choice.set(s.ttl_default.to_string());
            encrypt.set(s.encryption != Encryption::Off);
        })
    });

    let signed_in = move || state.account.with(|a| a.is_some());
    let ttl_seconds = move || -> Option<u64> {
        match ttl_choice.get().as_str() {
            "custom" => ots_core::limits::parse_duration(&ttl_custom.get()),
            n => n.parse().ok(),
        }
    };
    let limit = move || settings.with(|s| s.limits.secret_max_bytes);
    let with_passphrase = move || passphrase.with(|p| !p.is_empty());
    let file = FileSlot::new(
        Callback::new(move |lens| {
            secret.with_untracked(|s| {
                payload_len(s, Some(lens), encrypt.get_untracked(), with_passphrase())
            })
        }),
        Signal::derive(limit),
    );
    let used = move || {
        let lens = file.file.with(|f| f.as_ref().map(file_lens));
        secret.with(|s| payload_len(s, lens, encrypt.get(), with_passphrase()))
    };
    let over = move || mode.get() == Mode::Share && used() > limit();

    let action = crate::task::Task::new(move |draft: &Draft| {
        let api = state.api_for(&draft.server);
        submit(draft.clone(), api, settings.get_untracked())
    });
    let pending = action.pending();
    Effect::new(move |_| {
        if let Some(outcome) = action.value().get() {
            match outcome {
                Ok(outcome) => {
                    form_error.set(None);
                    if settings.with_untracked(|s| s.features.history) {
                        remember(&outcome);
                    }
                    result.set(Some(outcome));
                }
                Err(error) => form_error.set(Some(error.message())),
            }
        }
    });

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if pending.get_untracked() {
            return; // a second submit while the first is in flight is ignored
        }
        let server = state.server.get_untracked();
        let draft = Draft {
            mode: mode.get_untracked(),
            secret: Zeroizing::new(secret.get_untracked()),
            file: file.file.get_untracked(),
            passphrase: Zeroizing::new(passphrase.get_untracked()),
            ttl: ttl_seconds().unwrap_or(0),
            recipient: recipient.get_untracked(),
            share_domain: share_domain.get_untracked(),
            encrypt: encrypt.get_untracked(),
            length: length.get_untracked(),
            sets: sets.get_untracked(),
            server,
            locale: i18n.locale.get_untracked(),
        };
        match settings.with_untracked(|s| validate(&draft, s, signed_in())) {
            Ok(()) => {
                form_error.set(None);
                action.dispatch(draft);
            }
            Err(key) => form_error.set(Some(key)),
        }
    };

    let create_another = Callback::new(move |()| {
        secret.update(zeroize::Zeroize::zeroize);
        file.clear();
        passphrase.update(zeroize::Zeroize::zeroize);
        recipient.set(String::new());
        result.set(None);
        action.value().set(None);
        // Back to the form: start at its heading; the next result is announced afresh.
        state.announcement.set(String::new());
        focus_soon("#create-title");
    });

    let ttl_options = move || {
        settings.with(|s| {
            let max = s.limits.ttl_max(signed_in());
            s.ttl_options
                .iter()
                .copied()
                .filter(|t| *t <= max)
                .collect::<Vec<_>>()
        })
    };
    let ttl_range_hint = move || {
        settings.with(|s| {
            let locale = i18n.locale.get();
            i18n.tf(
                Key::TtlCustomHint,
                &[
                    ("min", &fmt::duration(locale, s.limits.ttl_min)),
                    ("max", &fmt::duration(locale, s.limits.ttl_max(signed_in()))),
                ],
            )
        })
    };
    let byte_count = move || {
        let locale = i18n.locale.get();
        i18n.tf(
            if encrypt.get() {
                Key::ByteCountEncrypted
            } else {
                Key::ByteCount
            },
            &[
                ("used", &fmt::number(locale, used())),
                ("max", &fmt::number(locale, limit())),
            ],
        )
    };
    let encryption_setting = move || settings.with(|s| s.encryption);
    let error_text = move || {
        form_error.get().map(|key| match key {
            Key::ErrorCors => i18n.tf(key, &[("origin", &state.api().base)]),
            Key::ErrorSecretTooLong => {
                i18n.tf(key, &[("max", &fmt::number(i18n.locale.get(), limit()))])
            }
            _ => i18n.t(key),
        })
    };

    // Marks when the form works, for the bench's per-screen figures.
    Effect::new(move |_| crate::mark("ots:screen"));

    let form = move || {
        view! {
            <form class="card create" on:submit=submit novalidate aria-labelledby="create-title"
                on:dragover=move |ev| ev.prevent_default()
                on:drop=move |ev| if mode.get_untracked() == Mode::Share { file.drop(ev) } else { ev.prevent_default() }>
                <h1 id="create-title">{tr(Key::CreateTitle)}</h1>
                <ServerStatus />
                <When when=move || settings.with(|s| s.features.generate)>
                    <div class="tabs" role="radiogroup" aria-label=tr(Key::ModeLabel)>
                        <label class="tab">
                            <input type="radio" name="mode" data-testid="mode-share"
                                prop:checked=move || mode.get() == Mode::Share
                                on:change=move |_| mode.set(Mode::Share) />
                            {tr(Key::ModeShare)}
                        </label>
                        <label class="tab">
                            <input type="radio" name="mode" data-testid="mode-generate"
                                prop:checked=move || mode.get() == Mode::Generate
                                on:change=move |_| mode.set(Mode::Generate) />
                            {tr(Key::ModeGenerate)}
                        </label>
                    </div>
                </When>
                <When when=move || mode.get() == Mode::Share>
                    <Field id="secret" label=Key::SecretLabel>
                        <textarea id="secret" data-testid="secret" rows="7" autocomplete="off"
                            spellcheck="false" aria-describedby="byte-count"
                            aria-invalid=move || over().to_string()
                            placeholder=tr(Key::SecretPlaceholder)
                            prop:value=move || secret.get()
                            on:paste=move |ev| file.paste(ev)
                            on:input:target=move |ev| secret.set(ev.target().value())></textarea>
                        <p id="byte-count" class="hint" class:over=over data-testid="byte-count">{byte_count}</p>
                    </Field>
                    <FilePick files=file used=Signal::derive(used) encrypt=encrypt />
                </When>
                <When when=move || mode.get() == Mode::Generate>
                    <fieldset class="field generate">
                        <legend>{tr(Key::GenerateOptions)}</legend>
                        <label>{tr(Key::GenerateLength)}
                            <input type="number" min="4" max="128" data-testid="length"
                                prop:value=move || length.get().to_string()
                                on:input:target=move |ev| if let Ok(n) = ev.target().value().parse() { length.set(n) } />
                        </label>
                        {[
                            (Key::SetUppercase, "set-uppercase", 0usize),
                            (Key::SetLowercase, "set-lowercase", 1),
                            (Key::SetNumbers, "set-numbers", 2),
                            (Key::SetSymbols, "set-symbols", 3),
                            (Key::SetExcludeAmbiguous, "set-exclude-ambiguous", 4),
                        ].into_iter().map(|(label, testid, which)| {
                            let get = move |s: &CharSets| match which {
                                0 => s.uppercase, 1 => s.lowercase, 2 => s.numbers, 3 => s.symbols, _ => s.exclude_ambiguous,
                            };
                            view! {
                                <label class="check">
                                    <input type="checkbox" data-testid=testid
                                        prop:checked=move || sets.with(get)
                                        on:change:target=move |ev| {
                                            let on = ev.target().checked();
                                            sets.update(|s| match which {
                                                0 => s.uppercase = on, 1 => s.lowercase = on, 2 => s.numbers = on,
                                                3 => s.symbols = on, _ => s.exclude_ambiguous = on,
                                            });
                                        } />
                                    {move || i18n.t(label)}
                                </label>
                            }
                        }).collect_view()}
                    </fieldset>
                </When>
                <Field id="passphrase" label=Key::PassphraseLabel hint_id="passphrase-hint"
                    hint=Signal::derive(move || i18n.t(if encrypt.get() { Key::PassphraseHintEncrypted } else { Key::PassphraseHint }))>
                    <div class="with-button">
                        <input id="passphrase" data-testid="passphrase" autocomplete="new-password"
                            type=move || if show_passphrase.get() { "text" } else { "password" }
                            aria-describedby="passphrase-hint"
                            prop:value=move || passphrase.get()
                            on:input:target=move |ev| passphrase.set(ev.target().value()) />
                        <button type="button" data-testid="toggle-passphrase"
                            aria-pressed=move || show_passphrase.get().to_string()
                            aria-controls="passphrase"
                            on:click=move |_| show_passphrase.update(|v| *v = !*v)>
                            {move || i18n.t(if show_passphrase.get() { Key::Hide } else { Key::Show })}
                        </button>
                    </div>
                </Field>
                <Field id="ttl" label=Key::TtlLabel>
                    <select id="ttl" data-testid="ttl" on:change:target=move |ev| ttl_choice.set(ev.target().value())>
                        {move || ttl_options().into_iter().map(|t| {
                            let value = t.to_string();
                            let selected = ttl_choice.get() == value;
                            view! { <option value=value selected=selected>{fmt::duration(i18n.locale.get(), t)}</option> }
                        }).collect_view()}
                        <option value="custom" selected=move || ttl_choice.get() == "custom">{tr(Key::TtlCustom)}</option>
                    </select>
                    <When when=move || ttl_choice.get() == "custom">
                        <input data-testid="ttl-custom" aria-label=tr(Key::TtlCustom)
                            aria-describedby="ttl-hint" placeholder="90m, 2d"
                            prop:value=move || ttl_custom.get()
                            on:input:target=move |ev| ttl_custom.set(ev.target().value()) />
                        <p id="ttl-hint" class="hint">{ttl_range_hint}</p>
                    </When>
                </Field>
                <When when=move || encryption_setting() != Encryption::Off>
                    <div class="field">
                        <label class="check">
                            <input type="checkbox" data-testid="encrypt" aria-describedby="encrypt-hint"
                                disabled=move || encryption_setting() == Encryption::Required
                                prop:checked=move || encrypt.get()
                                on:change:target=move |ev| encrypt.set(ev.target().checked()) />
                            {tr(Key::EncryptLabel)}
                        </label>
                        <p id="encrypt-hint" class="hint">{move || i18n.t(if encrypt.get() { Key::EncryptHintOn } else { Key::EncryptHintOff })}</p>
                    </div>
                </When>
                <When when=move || signed_in() && settings.with(|s| s.features.recipient)>
                    <Field id="recipient" label=Key::RecipientLabel>
                        <input id="recipient" type="email" data-testid="recipient" autocomplete="email"
                            prop:value=move || recipient.get()
                            on:input:target=move |ev| recipient.set(ev.target().value()) />
                    </Field>
                </When>
                <details class="advanced">
                    <summary data-testid="advanced">{tr(Key::Advanced)}</summary>
                    <Field id="share-domain" label=Key::ShareDomainLabel>
                        <input id="share-domain" data-testid="share-domain" placeholder="secrets.example.com"
                            prop:value=move || share_domain.get()
                            on:input:target=move |ev| share_domain.set(ev.target().value()) />
                    </Field>
                    <When when=move || settings.with(|s| s.features.servers)>
                        <ServerPicker custom=custom_server />
                    </When>
                </details>
                <button type="submit" class="primary" data-testid="create"
                    aria-busy=move || pending.get().to_string()
                    aria-disabled=move || pending.get().to_string()>
                    {move || i18n.t(if pending.get() { Key::Creating } else if mode.get() == Mode::Generate { Key::GenerateButton } else { Key::CreateButton })}
                </button>
                <p class="error" role="alert" data-testid="error">{error_text}</p>
            </form>
        }
    };

    view! {
        {move || match result.get() {
            Some(outcome) => view! { <Created outcome=outcome on_another=create_another /> }.into_any(),
            // The account has a form of its own: forms cannot nest.
            None => view! {
                {form()}
                <When when=move || settings.with(|s| s.features.account)>
                    <AccountPanel />
                </When>
            }.into_any(),
        }}
    }
}

/// Shows whether the chosen server answers, before the user types a secret.
#[component]
fn ServerStatus() -> impl IntoView {
    let i18n = use_i18n();
    let state = use_app();
    let status = crate::load::load(move || {
        let server = state.server.get();
        state.settings.track();
        let api = state.api_for(&server);
        async move { api.status().await }
    });
    move || {
        status.get().map(|result| match result {
            Ok(_) => view! { <p class="status ok" data-testid="server-status" data-state="ok" role="status">{tr(Key::ServerOk)}</p> }.into_any(),
            Err(error) => {
                let key = messages::api_error(&error);
                let origin = match &error { ApiError::Cors { origin } => origin.clone(), _ => String::new() };
                view! {
                    <p class="status bad" data-testid="server-status" data-state="error" role="alert">
                        {tr(Key::ServerDown)}" "{move || i18n.tf(key, &[("origin", &origin)])}
                    </p>
                }.into_any()
            }
        })
    }
}

/// Chooses where new secrets go: this server, a proxied region, or another server.
#[component]
fn ServerPicker(
    /// The custom server URL being typed.
    custom: RwSignal<String>,
) -> impl IntoView {
    let i18n = use_i18n();
    let state = use_app();
    let choice = move || match state.server.get() {
        Server::Origin => "origin".to_owned(),
        Server::Region(r) => r.as_str().to_owned(),
        Server::Custom(_) => "custom".to_owned(),
    };
    let on_change = move |value: String| match value.as_str() {
        "origin" => state.server.set(Server::Origin),
        "custom" => {
            if let Ok(server) = Server::custom(&custom.get_untracked()) {
                state.server.set(server);
            } else {
                state.server.set(Server::Custom(String::new()));
            }
        }
        name => {
            if let Ok(region) = name.parse::<Region>() {
                state.server.set(Server::Region(region));
            }
        }
    };
    view! {
        <Field id="server" label=Key::ServerLabel>
            <select id="server" data-testid="server" on:change:target=move |ev| on_change(ev.target().value())>
                <option value="origin" selected=move || choice() == "origin">{tr(Key::ServerOrigin)}</option>
                {move || state.settings.with(|s| s.regions.clone()).into_iter().map(|r| {
                    let name = r.as_str();
                    view! { <option value=name selected=move || choice() == name>{move || i18n.tf(Key::ServerRegion, &[("region", &name.to_ascii_uppercase())])}</option> }
                }).collect_view()}
                <When when=move || state.settings.with(|s| s.custom_server)>
                    <option value="custom" selected=move || choice() == "custom">{tr(Key::ServerCustom)}</option>
                </When>
            </select>
            <When when=move || choice() == "custom">
                <input data-testid="server-custom" type="url" placeholder="https://ots.example.com"
                    aria-label=tr(Key::ServerCustom)
                    prop:value=move || custom.get()
                    on:change:target=move |ev| {
                        custom.set(ev.target().value());
                        if let Ok(server) = Server::custom(&ev.target().value()) {
                            state.server.set(server);
                        }
                    } />
            </When>
        </Field>
    }
}

/// Signs in with a username and API token, checked with `GET /authcheck`.
#[component]
fn AccountPanel() -> impl IntoView {
    let i18n = use_i18n();
    let state = use_app();
    let username = RwSignal::new(String::new());
    let token = RwSignal::new(String::new());
    let remember = RwSignal::new(false);
    let check = crate::task::Task::new(move |credentials: &Credentials| {
        let mut api = state.api();
        api.auth = Some(credentials.clone());
        let credentials = credentials.clone();
        async move { api.authcheck().await.map(|_| credentials) }
    });
    Effect::new(move |_| {
        if let Some(Ok(credentials)) = check.value().get() {
            storage::save_account(&credentials, remember.get_untracked());
            token.update(zeroize::Zeroize::zeroize);
            state.account.set(Some(credentials));
            // The form is gone: focus what replaced it, which says who is signed in.
            focus_soon("[data-testid=signed-in]");
        }
    });
    let error = move || {
        check
            .value()
            .get()
            .and_then(|r| r.err())
            .map(|e| i18n.t(messages::api_error(&e)))
    };
    let sign_in = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if !check.pending().get_untracked() {
            check.dispatch(Credentials {
                username: username.get_untracked(),
                token: token.get_untracked(),
            });
        }
    };
    view! {
        <details class="card account" data-testid="account" prop:open=state.account.with_untracked(Option::is_some)>
            <summary data-testid="account-toggle">{tr(Key::AccountTitle)}</summary>
            {move || match state.account.get() {
                Some(account) => view! {
                    <p data-testid="signed-in" tabindex="-1">{i18n.tf(Key::SignedInAs, &[("user", &account.username)])}</p>
                    <button type="button" data-testid="forget-account" on:click=move |_| {
                        storage::forget_account();
                        state.account.set(None);
                        focus_soon("[data-testid=username]");
                    }>{tr(Key::Forget)}</button>
                }.into_any(),
                None => view! {
                    <form on:submit=sign_in novalidate>
                        <Field id="username" label=Key::Username>
                            <input id="username" data-testid="username" autocomplete="username"
                                prop:value=move || username.get()
                                on:input:target=move |ev| username.set(ev.target().value()) />
                        </Field>
                        <Field id="token" label=Key::ApiToken>
                            <input id="token" data-testid="token" type="password" autocomplete="current-password"
                                prop:value=move || token.get()
                                on:input:target=move |ev| token.set(ev.target().value()) />
                        </Field>
                        <label class="check">
                            <input type="checkbox" data-testid="remember"
                                prop:checked=move || remember.get()
                                on:change:target=move |ev| remember.set(ev.target().checked()) />
                            {tr(Key::RememberDevice)}
                        </label>
                        <button type="submit" data-testid="sign-in"
                            aria-busy=move || check.pending().get().to_string()>
                            {move || i18n.t(if check.pending().get() { Key::Checking } else { Key::SignIn })}
                        </button>
                        <p class="error" role="alert" data-testid="account-error">{error}</p>
                    </form>
                }.into_any(),
            }}
        </details>
    }
}
