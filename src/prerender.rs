//! The static first screen in `index.html`: a secret field that can be typed into before
//! the app has loaded. The app takes it over when it starts: what was typed, where the
//! caret was, and whether the field had focus, so nothing typed is lost.

use std::cell::RefCell;

use wasm_bindgen::JsCast;
use web_sys::HtmlTextAreaElement;
use zeroize::Zeroizing;

use crate::dom::{document, set_timeout};

/// What the user typed into the static field.
struct Typed {
    text: Zeroizing<String>,
    focused: bool,
    selection: (u32, u32),
}

thread_local! {
    static TYPED: RefCell<Option<Typed>> = const { RefCell::new(None) };
}

/// Removes the static first screen, keeping what was typed for [`take_secret`]. Called just
/// before the app mounts, so the page never holds two secret fields.
pub fn take_over() {
    let Some(static_screen) = document().query_selector("[data-prerender]").ok().flatten() else {
        return;
    };
    let field = static_screen
        .query_selector("textarea")
        .ok()
        .flatten()
        .and_then(|e| e.dyn_into::<HtmlTextAreaElement>().ok());
    if let Some(field) = field {
        let text = Zeroizing::new(field.value());
        if !text.is_empty() || is_focused(&field) {
            let selection = (
                field.selection_start().ok().flatten().unwrap_or(0),
                field.selection_end().ok().flatten().unwrap_or(0),
            );
            let focused = is_focused(&field);
            TYPED.with(|t| {
                *t.borrow_mut() = Some(Typed {
                    text,
                    focused,
                    selection,
                })
            });
        }
        field.set_value("");
    }
    static_screen.remove();
}

fn is_focused(field: &HtmlTextAreaElement) -> bool {
    document()
        .active_element()
        .is_some_and(|active| active == ***field)
}

/// What was typed before the app started (once; empty after that), and puts focus and
/// caret back into the app's own field `#secret` once it is drawn.
pub fn take_secret() -> Zeroizing<String> {
    let Some(typed) = TYPED.with(|t| t.borrow_mut().take()) else {
        return Zeroizing::default();
    };
    if typed.focused {
        let (start, end) = typed.selection;
        let restore = move || {
            let field = document()
                .get_element_by_id("secret")
                .and_then(|e| e.dyn_into::<HtmlTextAreaElement>().ok());
            if let Some(field) = field {
                let _ = field.focus();
                let _ = field.set_selection_range(start, end);
            }
        };
        set_timeout(restore, std::time::Duration::ZERO);
    }
    typed.text
}
