//! The account panel under the create form: sign in with a username and API token
//! (checked with `GET /authcheck`), or see who is signed in and forget them.

use std::cell::Cell;
use std::rc::Rc;

use web_sys::HtmlInputElement;

use super::Shared;
use crate::api::Credentials;
use crate::dom::{self, El, focus_soon};
use crate::i18n::{Key, text, text_filled};
use crate::widgets::field;
use crate::{messages, storage};

/// The panel, as a `<details>` beside the create form (forms cannot nest).
pub struct AccountPanel {
    /// The panel, to place after the form.
    pub element: El,
    shared: Rc<Shared>,
    /// Runs after the user signed in or out.
    changed: Rc<dyn Fn()>,
    checking: Cell<bool>,
}

impl AccountPanel {
    pub fn new(shared: Rc<Shared>, changed: Rc<dyn Fn()>) -> Rc<Self> {
        let element = El::new("details")
            .attr("class", "card account")
            .attr("data-testid", "account");
        let _ = element
            .0
            .toggle_attribute_with_force("open", shared.signed_in());
        let panel = Rc::new(Self {
            element,
            shared,
            changed,
            checking: Cell::new(false),
        });
        panel.redraw();
        panel
    }

    fn redraw(self: &Rc<Self>) {
        self.element.0.set_inner_html("");
        let summary = El::new("summary")
            .attr("data-testid", "account-toggle")
            .text_with(|| text(Key::AccountTitle));
        let _ = self.element.0.append_child(&summary.0);
        let account = self.shared.account.borrow().clone();
        let body = match account {
            Some(account) => self.signed_in(account.username.clone()),
            None => self.sign_in(),
        };
        for part in body {
            let _ = self.element.0.append_child(&part.0);
        }
    }

    fn signed_in(self: &Rc<Self>, username: String) -> Vec<El> {
        let who = El::new("p")
            .attr("data-testid", "signed-in")
            .attr("tabindex", "-1")
            .text_with(move || text_filled(Key::SignedInAs, &[("user", &username)]));
        let panel = Rc::clone(self);
        let forget = El::new("button")
            .attr("type", "button")
            .attr("data-testid", "forget-account")
            .text_with(|| text(Key::Forget))
            .on("click", move |_| {
                storage::forget_account();
                panel.set(None);
                focus_soon("[data-testid=username]");
            });
        vec![who, forget]
    }

    fn sign_in(self: &Rc<Self>) -> Vec<El> {
        let username = El::new("input")
            .attr("id", "username")
            .attr("data-testid", "username")
            .attr("autocomplete", "username");
        let token = El::new("input")
            .attr("id", "token")
            .attr("data-testid", "token")
            .attr("type", "password")
            .attr("autocomplete", "current-password");
        let remember = El::new("input")
            .attr("type", "checkbox")
            .attr("data-testid", "remember");
        let button = El::new("button")
            .attr("type", "submit")
            .attr("data-testid", "sign-in")
            .attr("aria-busy", "false")
            .text_with(|| text(Key::SignIn));
        let error = El::new("p")
            .attr("class", "error")
            .attr("role", "alert")
            .attr("data-testid", "account-error");
        let (user, secret, keep): (HtmlInputElement, HtmlInputElement, HtmlInputElement) =
            (username.cast(), token.cast(), remember.cast());
        let panel = Rc::clone(self);
        let (busy, failed) = (button.clone(), error.clone());
        let form = El::new("form")
            .attr("novalidate", "")
            .child(field("username", Key::Username, &username))
            .child(field("token", Key::ApiToken, &token))
            .child(
                El::new("label")
                    .attr("class", "check")
                    .child(&remember)
                    .child(El::new("span").text_with(|| text(Key::RememberDevice))),
            )
            .child(&button)
            .child(&error)
            .on("submit", move |event| {
                event.prevent_default();
                if panel.checking.replace(true) {
                    return;
                }
                let _ = busy.0.set_attribute("aria-busy", "true");
                dom::set_text_with(&busy.0, Box::new(|| text(Key::Checking)));
                let credentials = Credentials {
                    username: user.value(),
                    token: secret.value(),
                };
                let mut api = panel.shared.api();
                api.auth = Some(credentials.clone());
                let (panel, busy, failed, secret) = (
                    Rc::clone(&panel),
                    busy.clone(),
                    failed.clone(),
                    secret.clone(),
                );
                let remember = keep.checked();
                wasm_bindgen_futures::spawn_local(async move {
                    let answer = api.authcheck().await;
                    panel.checking.set(false);
                    let _ = busy.0.set_attribute("aria-busy", "false");
                    dom::set_text_with(&busy.0, Box::new(|| text(Key::SignIn)));
                    match answer {
                        Ok(_) => {
                            storage::save_account(&credentials, remember);
                            secret.set_value("");
                            panel.set(Some(credentials));
                            // The form is gone: focus what replaced it, which says who
                            // is signed in.
                            focus_soon("[data-testid=signed-in]");
                        }
                        Err(e) => {
                            let key = messages::api_error(&e);
                            dom::set_text_with(&failed.0, Box::new(move || text(key)));
                        }
                    }
                });
            });
        vec![form]
    }

    fn set(self: &Rc<Self>, account: Option<Credentials>) {
        *self.shared.account.borrow_mut() = account;
        (self.shared.changed)(&self.shared);
        self.redraw();
        (self.changed)();
    }
}
