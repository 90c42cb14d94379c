//! Bootstrap only: the create screen alone, drawn without Leptos. It is the app's first
//! screen: this build carries what creating a secret needs and little else
//! (`scripts/entries.py` has the page's boot script pick it for the app's own address).
fn main() {
    ots_web::creator::start();
}
