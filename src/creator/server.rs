//! Where new secrets go: the picker (this server, a proxied region, or another server)
//! and the line that says whether the chosen server answers.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use ots_core::link::{Region, Server};
use wasm_bindgen::JsCast;
use web_sys::{HtmlInputElement, HtmlSelectElement};

use super::Shared;
use crate::api::ApiError;
use crate::dom::{self, El, show};
use crate::i18n::{Key, text, text_filled};
use crate::messages;
use crate::widgets::field;

/// Shows whether the chosen server answers, before the user types a secret.
pub struct ServerStatus {
    /// Holds the line once the server has answered.
    pub element: El,
    /// Which check is the latest: an older answer arriving late is not shown.
    latest: Cell<u32>,
    /// The server last asked: settings that change nothing about it ask nothing again.
    asked: RefCell<String>,
}

impl ServerStatus {
    pub fn new() -> Rc<Self> {
        Rc::new(Self {
            element: El::new("div"),
            latest: Cell::new(0),
            asked: RefCell::default(),
        })
    }

    /// Asks the chosen server for its status, unless it was the last one asked, and
    /// shows the answer.
    pub fn check(self: &Rc<Self>, shared: &Shared) {
        let api = shared.api();
        if api.base == self.asked.replace(api.base.clone()) {
            return;
        }
        let check = self.latest.get().wrapping_add(1);
        self.latest.set(check);
        let this = Rc::clone(self);
        wasm_bindgen_futures::spawn_local(async move {
            let answer = api.status().await;
            if this.latest.get() != check {
                return;
            }
            let line = match answer {
                Ok(_) => El::new("p")
                    .attr("class", "status ok")
                    .attr("data-state", "ok")
                    .attr("role", "status")
                    .text_with(|| text(Key::ServerOk)),
                Err(error) => {
                    let key = messages::api_error(&error);
                    let origin = match error {
                        ApiError::Cors { origin } => origin,
                        _ => String::new(),
                    };
                    El::new("p")
                        .attr("class", "status bad")
                        .attr("data-state", "error")
                        .attr("role", "alert")
                        .text_with(move || {
                            let why = text_filled(key, &[("origin", &origin)]);
                            format!("{} {why}", text(Key::ServerDown))
                        })
                }
            };
            this.element.0.set_inner_html("");
            let _ = this
                .element
                .0
                .append_child(&line.attr("data-testid", "server-status").0);
        });
    }
}

/// The server picker, in the form's advanced options.
pub struct ServerPicker {
    /// The field, to place in the form.
    pub element: El,
    select: HtmlSelectElement,
    custom: El,
}

impl ServerPicker {
    /// A picker that sets `shared`'s server and then runs `changed`.
    pub fn new(shared: Rc<Shared>, changed: Rc<dyn Fn()>) -> Rc<Self> {
        let select = El::new("select")
            .attr("id", "server")
            .attr("data-testid", "server");
        let custom = El::new("input")
            .attr("data-testid", "server-custom")
            .attr("type", "url")
            .attr("placeholder", "https://ots.example.com");
        dom::set_attribute_with(
            &custom.0,
            "aria-label",
            Box::new(|| text(Key::ServerCustom)),
        );
        let element = field("server", Key::ServerLabel, &select).child(&custom);
        let picker = Rc::new(Self {
            element,
            select: select.cast(),
            custom: custom.clone(),
        });
        let typed: HtmlInputElement = custom.cast();
        let choose = {
            let picker = Rc::clone(&picker);
            let shared = Rc::clone(&shared);
            let changed = Rc::clone(&changed);
            move |_| {
                let server = match picker.select.value().as_str() {
                    "origin" => Some(Server::Origin),
                    "custom" => Some(
                        Server::custom(&typed.value()).unwrap_or(Server::Custom(String::new())),
                    ),
                    name => name.parse::<Region>().ok().map(Server::Region),
                };
                if let Some(server) = server {
                    *shared.server.borrow_mut() = server;
                    (shared.changed)(&shared);
                }
                picker.redraw(&shared);
                changed();
            }
        };
        select.on("change", choose.clone());
        custom.on("change", move |event| {
            let url = event
                .target()
                .and_then(|t| t.dyn_into::<HtmlInputElement>().ok())
                .map(|i| i.value())
                .unwrap_or_default();
            if let Ok(server) = Server::custom(&url) {
                *shared.server.borrow_mut() = server;
                (shared.changed)(&shared);
                changed();
            }
        });
        picker
    }

    /// Redraws the choices from the settings, with the chosen server selected.
    pub fn redraw(&self, shared: &Shared) {
        let chosen = match &*shared.server.borrow() {
            Server::Origin => "origin".to_owned(),
            Server::Region(r) => r.as_str().to_owned(),
            Server::Custom(_) => "custom".to_owned(),
        };
        let settings = shared.settings.borrow();
        self.select.set_inner_html("");
        let mut choices = vec![("origin", None)];
        choices.extend(
            settings
                .regions
                .iter()
                .map(|r| (r.as_str(), Some(r.as_str()))),
        );
        if settings.custom_server {
            choices.push(("custom", None));
        }
        for (value, region) in choices {
            let option =
                El::new("option")
                    .attr("value", value)
                    .text_with(move || match (value, region) {
                        ("origin", _) => text(Key::ServerOrigin),
                        (_, Some(name)) => text_filled(
                            Key::ServerRegion,
                            &[("region", &name.to_ascii_uppercase())],
                        ),
                        _ => text(Key::ServerCustom),
                    });
            let _ = self.select.append_child(&option.0);
        }
        self.select.set_value(&chosen);
        show(&self.custom, chosen == "custom");
    }
}
