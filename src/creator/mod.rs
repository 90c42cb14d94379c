//! The creator's screens drawn without Leptos (`dom.rs`), as the recipient's are: the
//! result of a creation for now, hosted by the full app's create screen. The way to a
//! create screen that is its own small build is in docs/FIRST-SCREEN.md.

pub mod created;
