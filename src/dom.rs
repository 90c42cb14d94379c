//! A few lines of DOM building without a view framework, for the recipient's small build
//! (`src/recipient/`), which does not link Leptos: every listener is a boxed `dyn FnMut`,
//! so no view code is stamped out per closure, which is where Leptos's bytes go
//! (docs/FIRST-SCREEN.md). Also the window, the document and timers, for the modules
//! both builds share.
//!
//! Texts that follow the language are registered with [`El::text_with`] and redrawn by
//! [`retranslate`]; an element that has left the page is dropped from the list then.

use std::cell::RefCell;
use std::time::Duration;

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;
use web_sys::{Element, Event};

type Text = Box<dyn Fn() -> String>;

type Listener = Closure<dyn FnMut(Event)>;

thread_local! {
    /// Each element's texts that follow the language: its content (`None`) or an attribute.
    static TRANSLATED: RefCell<Vec<(Element, Option<&'static str>, Text)>> =
        const { RefCell::new(Vec::new()) };
    /// The listeners on elements, kept until [`release`] lets them go with their screen.
    static LISTENERS: RefCell<Vec<(Element, String, Listener)>> =
        const { RefCell::new(Vec::new()) };
}

/// The page's window.
pub fn window() -> web_sys::Window {
    web_sys::window().expect("a browser window")
}

/// The page's document.
pub fn document() -> web_sys::Document {
    window().document().expect("a document")
}

/// Runs `job` once, `delay` from now, unless the returned timer is cleared first.
pub fn set_timeout(job: impl FnOnce() + 'static, delay: Duration) -> Timer {
    let callback = Closure::once_into_js(job);
    let millis = i32::try_from(delay.as_millis()).unwrap_or(i32::MAX);
    let handle = window()
        .set_timeout_with_callback_and_timeout_and_arguments_0(callback.unchecked_ref(), millis)
        .unwrap_or_default();
    Timer(handle)
}

/// A timer from [`set_timeout`].
#[derive(Debug)]
pub struct Timer(i32);

impl Timer {
    /// Cancels the job, if it has not run yet.
    pub fn clear(self) {
        window().clear_timeout_with_handle(self.0);
    }
}

/// An element being built.
#[derive(Clone)]
pub struct El(pub Element);

impl El {
    /// A new `<tag>`.
    pub fn new(tag: &str) -> Self {
        Self(document().create_element(tag).expect("a valid tag name"))
    }

    /// A new SVG `<tag>`.
    pub fn svg(tag: &str) -> Self {
        let svg = Some("http://www.w3.org/2000/svg");
        Self(
            document()
                .create_element_ns(svg, tag)
                .expect("a valid tag name"),
        )
    }

    /// Sets an attribute.
    pub fn attr(self, name: &str, value: &str) -> Self {
        let _ = self.0.set_attribute(name, value);
        self
    }

    /// Sets the text once.
    pub fn text(self, text: &str) -> Self {
        self.0.set_text_content(Some(text));
        self
    }

    /// Sets the text from `text` now and again whenever the language changes.
    pub fn text_with(self, text: impl Fn() -> String + 'static) -> Self {
        set_text_with(&self.0, Box::new(text));
        self
    }

    /// Appends a child.
    pub fn child(self, child: impl AsRef<web_sys::Node>) -> Self {
        let _ = self.0.append_child(child.as_ref());
        self
    }

    /// Calls `handler` on each `event` for as long as the page lives.
    pub fn on(self, event: &str, handler: impl FnMut(Event) + 'static) -> Self {
        listen(&self.0, event, Box::new(handler));
        self
    }

    /// The element as a more specific type (`HtmlInputElement`, ...).
    pub fn cast<T: JsCast>(&self) -> T {
        self.0.clone().unchecked_into()
    }
}

impl AsRef<web_sys::Node> for El {
    fn as_ref(&self) -> &web_sys::Node {
        &self.0
    }
}

/// A new `<tag>` as `host`'s only child, in place of whatever was there: a screen hosted
/// by the full app is drawn into one, since Leptos may rebuild the host in place, keeping
/// its element (and the screen drawn into it before).
pub fn fresh_child(host: &Element, tag: &str) -> Element {
    host.set_inner_html("");
    let child = El::new(tag).0;
    let _ = host.append_child(&child);
    child
}

/// Shows `element`, or hides it (`hidden`): parts of a form that come and go keep what
/// was typed into them while hidden.
pub fn show(element: &El, shown: bool) {
    let _ = element.0.toggle_attribute_with_force("hidden", !shown);
}

/// Focuses the first element matching `selector` once the current work is done (the
/// element may not be drawn yet). Headings get `tabindex=-1` to take focus.
pub fn focus_soon(selector: &'static str) {
    let focus = move || {
        let found = document().query_selector(selector).ok().flatten();
        if let Some(element) = found.and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok()) {
            if !element.has_attribute("tabindex") && element.tag_name().starts_with('H') {
                let _ = element.set_attribute("tabindex", "-1");
            }
            let _ = element.focus();
        }
    };
    set_timeout(focus, Duration::ZERO);
}

/// Listens to `event` on `target`: on an element, until [`release`] lets its screen go;
/// on the window or the document, for as long as the page lives.
pub fn listen(target: &web_sys::EventTarget, event: &str, handler: Box<dyn FnMut(Event)>) {
    let closure = Closure::wrap(handler);
    let _ = target.add_event_listener_with_callback(event, closure.as_ref().unchecked_ref());
    match target.dyn_ref::<Element>() {
        Some(element) => LISTENERS.with(|list| {
            list.borrow_mut()
                .push((element.clone(), event.to_owned(), closure))
        }),
        None => closure.forget(),
    }
}

/// Lets go of the listeners and texts of `root` and everything in it: a screen the full
/// app has left, which would otherwise stay in memory as long as the page. Only for a
/// screen that will not be shown again (not on `pagehide`: the page may come back).
pub fn release(root: &Element) {
    let inside = |element: &Element| root.contains(Some(element));
    TRANSLATED.with(|list| list.borrow_mut().retain(|(e, _, _)| !inside(e)));
    LISTENERS.with(|list| {
        list.borrow_mut().retain(|(element, event, listener)| {
            if !inside(element) {
                return true;
            }
            // Off the element first, so no event can reach the closure once it is dropped.
            let listener = listener.as_ref().unchecked_ref();
            let _ = element.remove_event_listener_with_callback(event, listener);
            false
        })
    });
}

/// Sets `element`'s text from `text`, now and on each language change (replacing what
/// was registered for it before).
pub fn set_text_with(element: &Element, text: Text) {
    register(element, None, text);
}

/// Sets an attribute from `text`, now and on each language change.
pub fn set_attribute_with(element: &Element, name: &'static str, text: Text) {
    register(element, Some(name), text);
}

fn register(element: &Element, attribute: Option<&'static str>, text: Text) {
    draw(element, attribute, &text);
    TRANSLATED.with(|list| {
        let mut list = list.borrow_mut();
        list.retain(|(e, a, _)| !(e == element && *a == attribute));
        list.push((element.clone(), attribute, text));
    });
}

fn draw(element: &Element, attribute: Option<&str>, text: &Text) {
    match attribute {
        None => element.set_text_content(Some(&text())),
        Some(name) => drop(element.set_attribute(name, &text())),
    }
}

/// Redraws every registered text that is still on the page.
pub fn retranslate() {
    TRANSLATED.with(|list| {
        let mut list = list.borrow_mut();
        list.retain(|(e, _, _)| e.is_connected());
        for (element, attribute, text) in list.iter() {
            draw(element, *attribute, text);
        }
    });
}
