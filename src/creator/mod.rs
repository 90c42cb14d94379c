//! The creator's screens drawn without Leptos (`dom.rs`), as the recipient's are: the
//! create form with its account panel and server picker, and the result of a creation.
//! The full app hosts them (`pages/create.rs`); the creator's small build draws them
//! alone, in the page `shell.rs` draws, so the app's first screen downloads a fraction of
//! the full app (docs/FIRST-SCREEN.md).

mod account;
pub mod created;
mod fields;
mod form;
mod server;

use std::cell::RefCell;
use std::rc::Rc;

use ots_core::link::Server;

pub use form::CreateScreen;

use crate::api::{self, Api, Credentials};
use crate::config::Settings;
use crate::dom::{self, El};
use crate::shell::{self, reload};
use crate::{page, storage};

/// Starts the create screen in `<body>`, in place of the static first screen, keeping
/// what was typed into it.
pub fn start() {
    crate::mark("ots:main");
    crate::prerender::take_over();
    let hash = dom::window().location().hash().unwrap_or_default();
    if !is_create_address(&hash) {
        return reload();
    }
    shell::start(is_create_address, |page| {
        let (announce, header) = (Rc::clone(&page.announce), Rc::clone(&page.header));
        let shared = Shared {
            settings: RefCell::default(),
            account: RefCell::new(storage::load_account()),
            server: RefCell::new(Server::Origin),
            announce: Box::new(move |said| announce(said)),
            changed: Box::new(move |shared| header.signed_in(shared.signed_in())),
        };
        let section = El::new("section");
        let _ = page.main.0.append_child(&section.0);
        let screen = CreateScreen::draw(&section.0, Rc::new(shared));
        Box::new(move |settings| screen.set_settings(settings))
    });
}

/// Whether `hash` is the app's own address, which this build carries: compared as the
/// boot script does (scripts/entries.py), which keeps the link parser out of the build.
fn is_create_address(hash: &str) -> bool {
    matches!(hash, "" | "#" | "#/")
}

/// What the creator's screens share with the page around them.
pub struct Shared {
    /// The settings in force (defaults until `config.json` is in).
    pub settings: RefCell<Settings>,
    /// The signed-in account, if any.
    pub account: RefCell<Option<Credentials>>,
    /// The server new secrets go to.
    pub server: RefCell<Server>,
    /// Has screen readers say a text, through the page's live region.
    pub announce: Box<dyn Fn(&str)>,
    /// Tells the page that the user signed in or out, or chose another server.
    pub changed: Box<dyn Fn(&Shared)>,
}

impl Shared {
    /// A client for the chosen server, with the account when there is one.
    pub fn api(&self) -> Api {
        Api {
            base: api::base_url(
                &self.settings.borrow(),
                &self.server.borrow(),
                &page::page_url(),
            ),
            auth: self.account.borrow().clone(),
        }
    }

    /// Whether an account is signed in.
    pub fn signed_in(&self) -> bool {
        self.account.borrow().is_some()
    }
}
