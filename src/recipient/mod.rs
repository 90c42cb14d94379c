//! The recipient's small build: the Reveal screen alone, in the page `shell.rs` draws
//! without Leptos, so a link opened on a phone downloads a fraction of the full app
//! (docs/FIRST-SCREEN.md).

mod reveal;

pub use reveal::{RevealScreen, Shell};

use ots_core::link::{LinkError, Route};

use crate::dom::{self, El};
use crate::i18n::{Key, text};
use crate::shell::{self, reload};
use crate::storage;

/// Starts the recipient's screen in `<body>`, in place of the static first screen.
pub fn start() {
    crate::mark("ots:main");
    // The static first screen goes; a press on its Reveal button is honoured below.
    let static_screen = dom::document()
        .query_selector("[data-prerender]")
        .ok()
        .flatten();
    let pressed_early = static_screen.as_ref().is_some_and(|s| {
        s.query_selector("[data-static=reveal] button[aria-busy=true]")
            .ok()
            .flatten()
            .is_some()
    });
    if let Some(static_screen) = static_screen {
        static_screen.remove();
    }
    storage::drop_expired_reveals();
    let link = match crate::page::read_route() {
        Ok(Route::Reveal(link)) => Ok(link),
        Err(LinkError::UnknownRoute) | Ok(_) => return reload(),
        Err(damaged) => Err(damaged),
    };
    // Another address is another screen or another link, even `#/s/…`.
    shell::start(
        |_| false,
        move |page| {
            let Ok(link) = link else {
                let _ = page.main.0.append_child(&damaged().0);
                return Box::new(|_| crate::mark("ots:screen"));
            };
            let announce = std::rc::Rc::clone(&page.announce);
            let shell = Shell::new(move |said: &str| announce(said), storage::load_account());
            let section = El::new("section");
            let _ = page.main.0.append_child(&section.0);
            let screen = RevealScreen::draw(&section.0, link, shell.clone());
            if pressed_early {
                screen.press();
            }
            Box::new(move |settings| {
                shell.set_settings(settings);
                // The Reveal button works from here: the bench's per-screen figures stop here.
                crate::mark("ots:screen");
            })
        },
    );
}

/// A link that cannot be read: say so, and consume nothing.
fn damaged() -> El {
    El::new("section")
        .attr("class", "card")
        .attr("aria-labelledby", "damaged-title")
        .child(
            El::new("h1")
                .attr("id", "damaged-title")
                .text_with(|| text(Key::DamagedLinkTitle)),
        )
        .child(
            El::new("p")
                .attr("role", "alert")
                .attr("data-testid", "damaged-link")
                .text_with(|| text(Key::DamagedLink)),
        )
        .child(
            El::new("a")
                .attr("href", "#/")
                .text_with(|| text(Key::CreateAnother)),
        )
}
