//! Reusable pieces of the screens.

mod copy_button;
mod file_download;
mod file_pick;
mod qr_code;
mod when;

pub use copy_button::CopyButton;
pub use file_download::FileDownload;
pub use file_pick::{FilePick, FileSlot};
pub use qr_code::{QrCode, qr_path};
pub use when::When;
