//! The create screen in the full app: the creator's own form and result
//! (`creator::CreateScreen`, drawn without Leptos), hosted here so there is one of each.

use std::cell::RefCell;
use std::rc::Rc;

use leptos::prelude::*;

use crate::app::use_app;
use crate::creator::{CreateScreen, Shared};
use crate::dom;

/// The create screen: the form, then the links.
#[component]
pub fn Create() -> impl IntoView {
    let state = use_app();
    let host = NodeRef::<leptos::html::Div>::new();
    let screen = StoredValue::new_local(None::<(Rc<CreateScreen>, web_sys::Element)>);
    host.on_load(move |host| {
        let section = dom::fresh_child(&host, "section");
        let shared = Shared {
            settings: RefCell::new(state.settings.get_untracked()),
            account: RefCell::new(state.account.get_untracked()),
            server: RefCell::new(state.server.get_untracked()),
            announce: Box::new(move |text| state.announce(text.to_owned())),
            // The header and the other screens follow the account and the server.
            changed: Box::new(move |shared| {
                state.account.set(shared.account.borrow().clone());
                state.server.set(shared.server.borrow().clone());
            }),
        };
        let drawn = CreateScreen::draw(&section, Rc::new(shared));
        drawn.set_settings(state.settings.get_untracked());
        screen.set_value(Some((Rc::new(drawn), section)));
    });
    Effect::new(move |_| {
        let settings = state.settings.get();
        if let Some((screen, _)) = screen.get_value() {
            screen.set_settings(settings);
        }
    });
    // What was typed, and a result's link with its key, leave memory with the screen,
    // and so do its listeners and texts.
    on_cleanup(move || {
        if let Some((screen, section)) = screen.try_get_value().flatten() {
            screen.forget();
            dom::release(&section);
        }
    });
    view! { <div node_ref=host></div> }
}
