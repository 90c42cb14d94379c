//! The links and details of a secret just created: the result screen drawn without Leptos
//! (`creator::created`), hosted here.

use std::rc::Rc;

use leptos::prelude::*;

use crate::app::use_app;
use crate::creator::created;
use crate::draft::Outcome;

/// Shows the recipient link (copy, QR), the private receipt link and the details.
#[component]
pub fn Created(
    /// What was created.
    outcome: Outcome,
    /// "Create another" was pressed.
    on_another: Callback<()>,
) -> impl IntoView {
    let state = use_app();
    let host = NodeRef::<leptos::html::Section>::new();
    let screen = StoredValue::new_local(None::<Rc<created::CreatedScreen>>);
    host.on_load(move |section| {
        let clear_after = state.settings.with_untracked(|s| s.clipboard_clear_seconds);
        let drawn = created::draw(
            &section,
            outcome,
            clear_after,
            move |text: &str| state.announce(text.to_owned()),
            move || on_another.run(()),
        );
        screen.set_value(Some(Rc::new(drawn)));
    });
    // The link (with its key) and a generated password leave memory with the screen.
    on_cleanup(move || {
        if let Some(screen) = screen.try_get_value().flatten() {
            screen.forget();
        }
    });
    view! { <section node_ref=host></section> }
}
