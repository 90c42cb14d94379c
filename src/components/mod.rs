//! Reusable pieces of the screens.

mod copy_button;
mod qr_code;
mod when;

pub use copy_button::CopyButton;
pub use qr_code::{QrCode, qr_path};
pub use when::When;
