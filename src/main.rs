//! Bootstrap only: mounts the full app. Everything else lives in the library so tests can
//! mount it.
fn main() {
    ots_web::mount(ots_web::pages::all);
}
