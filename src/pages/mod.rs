//! One screen per file.

pub mod create;
mod created;
mod receipt;
mod recent;
mod reveal;
mod sent;

pub use create::Create;
pub use created::Created;
pub use receipt::Receipt;
pub use recent::Recent;
pub use reveal::Reveal;
pub use sent::Sent;
