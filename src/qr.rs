//! QR codes drawn in the page as SVG (no image service, no script): the path of the dark
//! modules, for the result screen to draw.

use qrcodegen::{QrCode as Qr, QrCodeEcc};

/// The SVG path (`d`) of a QR code's dark modules, and its size in modules with a
/// four-module quiet zone.
pub fn qr_path(text: &str) -> Option<(String, i32)> {
    let qr = Qr::encode_text(text, QrCodeEcc::Medium).ok()?;
    let size = qr.size();
    let mut d = String::new();
    for y in 0..size {
        for x in 0..size {
            if qr.get_module(x, y) {
                d.push_str(&format!("M{},{}h1v1h-1z", x + 4, y + 4));
            }
        }
    }
    Some((d, size + 8))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_link_fits_in_a_qr_code() {
        let link = format!(
            "https://ots.example/#/s/{}/{}",
            "k".repeat(62),
            "x".repeat(43)
        );
        let (d, size) = super::qr_path(&link).expect("encodes");
        assert!(size > 8 && d.starts_with('M'));
    }
}
