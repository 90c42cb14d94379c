//! Bootstrap only: mounts the app. Everything else lives in the library so tests can mount it.
fn main() {
    ots_web::mount();
}
