//! The harness shared by the end-to-end tests and the bench: a real `ots-server` on a free
//! loopback port serving the release `dist/`, and a fresh headless Chromium driven through
//! WebDriver. Both are killed when their guard drops, so a failing test leaves nothing running.
//!
//! One module per job: [`process`], [`cli`] (runs `ots`) (ports, process groups, static hosts, files),
//! [`server`], [`http`], [`browser`], [`redis`], [`smtp`], [`traffic`] (what left the browser) and
//! [`load`] (the load test with faults).

pub mod browser;
pub mod cli;
pub mod http;
pub mod load;
pub mod process;
pub mod redis;
pub mod server;
pub mod smtp;
pub mod traffic;

pub use browser::{Browser, axe_report, shrink_png};
/// Special keys for [`Browser::press`] (Tab, Enter, Space, …).
pub use fantoccini::key::Key;
pub use http::{HttpResponse, http, http_as};
pub use process::{Service, Static, contains, copy_tree, free_port, read_tree, root};
pub use redis::Redis;
pub use server::{Exited, Server, accounts_file};
pub use smtp::Smtp;
pub use traffic::Recorder;
