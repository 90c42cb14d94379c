//! The Reveal screen in the full app: the recipient's own screen
//! (`recipient::RevealScreen`, drawn without Leptos), hosted here so there is one of it.

use leptos::prelude::*;
use ots_core::link::RevealLink;

use crate::app::use_app;
use crate::dom;
use crate::recipient::{RevealScreen, Shell};

/// Reveals the secret a link names, then shows it until the user leaves.
#[component]
pub fn Reveal(
    /// The link that was opened.
    link: RevealLink,
) -> impl IntoView {
    let state = use_app();
    let shell = Shell::new(
        move |text: &str| state.announce(text.to_owned()),
        state.account.get_untracked(),
    );
    let host = NodeRef::<leptos::html::Div>::new();
    let screen = StoredValue::new_local(None::<(RevealScreen, web_sys::Element)>);
    host.on_load({
        let shell = shell.clone();
        move |host| {
            let section = dom::fresh_child(&host, "section");
            let drawn = RevealScreen::draw(&section, link, shell);
            screen.set_value(Some((drawn, section)));
        }
    });
    // The settings in force when Reveal is pressed (defaults until config.json is in).
    Effect::new(move |_| shell.set_settings(state.settings.get()));
    // The secret leaves the page, and memory, when the user leaves this screen, and so
    // do the screen's listeners and texts.
    on_cleanup(move || {
        if let Some((screen, section)) = screen.try_get_value().flatten() {
            screen.forget();
            dom::release(&section);
        }
    });
    view! { <div node_ref=host></div> }
}
