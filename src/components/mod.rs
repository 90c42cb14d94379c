//! Reusable pieces of the screens.

mod copy_button;
mod field;
mod file_download;
mod fingerprint;
mod open_requests;
mod when;

pub use copy_button::CopyButton;
pub use field::Field;
pub use file_download::FileDownload;
pub use fingerprint::Fingerprint;
pub use open_requests::OpenRequests;
pub use when::When;
