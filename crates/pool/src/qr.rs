//! QR codes of credentials as SVG (the qrcode crate), for screens and print.

use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};

/// The credential text as an SVG QR code (error correction M, 4-module quiet zone), or `None` if
/// it is too long for a QR code.
pub fn svg(text: &str) -> Option<String> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).ok()?;
    Some(
        code.render::<svg::Color<'_>>()
            .min_dimensions(240, 240)
            .dark_color(svg::Color("#000000"))
            .light_color(svg::Color("#ffffff"))
            .quiet_zone(true)
            .build(),
    )
}

/// The QR version (size) the text needs.
pub fn version(text: &str) -> Option<i16> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).ok()?;
    match code.version() {
        qrcode::Version::Normal(v) | qrcode::Version::Micro(v) => Some(v),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn credentials_render_as_svg() {
        let s = super::svg("MS1:ABC123 $%*+-./:").expect("fits");
        assert!(s.starts_with("<?xml") && s.contains("<svg") && s.contains("</svg>"));
        assert!(super::svg(&"A".repeat(10_000)).is_none(), "too long for a QR code");
        assert!(super::version("MS1:ABC").is_some_and(|v| v <= 2));
    }
}
