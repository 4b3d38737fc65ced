//! The traits every string-backed domain value shares. A type opts in with
//! `string_value!(Type, Error)` once it has `parse(&str) -> Result<Self, Error>`
//! and holds its text in field `.0`: deserialising then goes through `parse`, so a value
//! read from a request, a config file or the database is as valid as one built
//! in code.

macro_rules! string_value {
    ($name:ident, $error:ty) => {
        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = $error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $name::parse(s)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let raw = <String as serde::Deserialize>::deserialize(d)?;
                $name::parse(&raw).map_err(serde::de::Error::custom)
            }
        }
    };
}

pub(crate) use string_value;

/// True when `text` can be shown as it is: no control characters, and none of
/// the bidirectional controls that make a name display as something it is not
/// (Unicode TR 9 explicit embeddings, overrides and isolates; "Trojan Source").
pub fn is_plain_text(text: &str) -> bool {
    !text.chars().any(|c| {
        c.is_control()
            || matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
    })
}

#[cfg(test)]
mod tests {
    use super::is_plain_text;

    #[test]
    fn bidirectional_overrides_and_controls_are_not_plain_text() {
        assert!(is_plain_text("Hôpital Saint-Éloi"));
        assert!(is_plain_text("مستشفى"), "right-to-left script itself is fine");
        assert!(!is_plain_text("Mercy\u{202E}cipsoh"));
        assert!(!is_plain_text("A\u{2067}B"));
        assert!(!is_plain_text("tab\there"));
    }
}
