//! DICOM Unique Identifiers (PS3.5 9.1: at most 64 characters, digits and dots,
//! components without leading zeros).

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Uid(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UidError {
    #[error("a UID cannot be empty")]
    Empty,
    #[error("a UID has at most 64 characters, this one has {0}")]
    TooLong(usize),
    #[error("a UID holds only digits and dots, found {0:?}")]
    ForbiddenCharacter(char),
    #[error("a UID has no empty components")]
    EmptyComponent,
}

impl Uid {
    /// Parses a UID as found in a dataset: a trailing NUL or space pad byte
    /// (PS3.5 6.2, UI is padded with NUL) is dropped first.
    pub fn parse(raw: &str) -> Result<Self, UidError> {
        let value = raw.trim_end_matches(['\0', ' ']).trim_start_matches(' ');
        if value.is_empty() {
            return Err(UidError::Empty);
        }
        if value.len() > 64 {
            return Err(UidError::TooLong(value.len()));
        }
        if let Some(bad) = value.chars().find(|c| !c.is_ascii_digit() && *c != '.') {
            return Err(UidError::ForbiddenCharacter(bad));
        }
        if value.split('.').any(str::is_empty) {
            return Err(UidError::EmptyComponent);
        }
        Ok(Self(value.to_owned()))
    }
}

super::text::string_value!(Uid, UidError);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uids_are_digits_and_dots_of_at_most_64_characters() {
        assert_eq!(Uid::parse("1.2.840.10008.1.1\0").map(|u| u.to_string()), Ok("1.2.840.10008.1.1".into()));
        assert_eq!(Uid::parse(&"1".repeat(64)).map(|u| u.as_str().len()), Ok(64));
        assert_eq!(Uid::parse(&"1".repeat(65)), Err(UidError::TooLong(65)));
        assert_eq!(Uid::parse(""), Err(UidError::Empty));
        assert_eq!(Uid::parse("1.2.a"), Err(UidError::ForbiddenCharacter('a')));
        assert_eq!(Uid::parse("1..2"), Err(UidError::EmptyComponent));
        assert_eq!(Uid::parse("1.2."), Err(UidError::EmptyComponent));
        assert_eq!(Uid::parse("../etc"), Err(UidError::ForbiddenCharacter('/')));
    }
}
