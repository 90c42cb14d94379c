//! Bootstrap only: the recipient's screen alone, drawn without Leptos. A secret link is
//! often opened on a phone, from a chat: this build carries what opening it needs and
//! nothing else (`scripts/entries.py` has the page's boot script pick it for `#/s/…` links).
fn main() {
    ots_web::recipient::start();
}
