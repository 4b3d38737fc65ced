//! Page cursors as clients see them: URL-safe base64 of the listing key, so a
//! cursor can go into a query string as is and stays opaque.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use noctis_core::domain::Cursor;

use crate::error::ApiError;

pub fn encode(cursor: &Cursor) -> String {
    URL_SAFE_NO_PAD.encode(cursor.as_str())
}

pub fn decode(raw: &str) -> Result<Cursor, ApiError> {
    let invalid = || ApiError::invalid("cursor", "the cursor is not one this listing produced");
    let bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    Cursor::parse(&text).map_err(|_| invalid())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_are_url_safe() {
        let cursor = Cursor::parse("2026-11-27T10:00:00.000000Z#6f1c3a0e-7d8a-4b9e-9a53-2f0f5f1f0c11").expect("valid");
        let encoded = encode(&cursor);
        assert!(encoded.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'), "{encoded}");
        assert_eq!(decode(&encoded).expect("decodes"), cursor);
        assert!(decode("not-a-cursor").is_err());
    }
}
