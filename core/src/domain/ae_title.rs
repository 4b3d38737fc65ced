//! Application Entity titles (PS3.5 6.2: AE, at most 16 characters, no backslash or
//! control characters; leading and trailing spaces are not significant).

pub const MAX_LEN: usize = 16;

/// A valid AE title, trimmed and upper-cased so that equality is the DICOM
/// comparison (case-insensitive in practice across PACS vendors).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AeTitle(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AeTitleError {
    #[error("an AE title cannot be empty")]
    Empty,
    #[error("an AE title has at most 16 characters, this one has {0}")]
    TooLong(usize),
    #[error("an AE title cannot contain {0:?}")]
    ForbiddenCharacter(char),
    #[error("the facility name {0:?} has no letters or digits to build an AE title from")]
    NoUsableCharacters(String),
}

impl AeTitle {
    pub fn parse(raw: &str) -> Result<Self, AeTitleError> {
        let trimmed = raw.trim_matches(' ');
        if trimmed.is_empty() {
            return Err(AeTitleError::Empty);
        }
        if let Some(bad) = trimmed.chars().find(|c| *c == '\\' || c.is_control() || !c.is_ascii()) {
            return Err(AeTitleError::ForbiddenCharacter(bad));
        }
        let len = trimmed.chars().count();
        if len > MAX_LEN {
            return Err(AeTitleError::TooLong(len));
        }
        Ok(Self(trimmed.to_ascii_uppercase()))
    }

    /// The title a new facility called `name` gets when nobody holds it yet.
    pub fn generate(name: &str) -> Result<Self, AeTitleError> {
        let words = words_of(name)?;
        Ok(Self(fit_words(&words, MAX_LEN)))
    }

    /// Every title a facility called `name` may get, in order of preference:
    /// the stem, then `STEM_2`, `STEM_3`, … each shortened to fit in 16.
    pub fn candidates(name: &str) -> Result<impl Iterator<Item = AeTitle> + use<>, AeTitleError> {
        let words = words_of(name)?;
        Ok((1u32..).map(move |n| {
            let suffix = if n == 1 { String::new() } else { format!("_{n}") };
            let stem = fit_words(&words, MAX_LEN - suffix.len());
            Self(format!("{stem}{suffix}"))
        }))
    }
}

/// Upper-case ASCII words of a facility name: accents are transliterated
/// ("Hôpital" → "HOPITAL"), anything not a letter or digit is a word break.
fn words_of(name: &str) -> Result<Vec<String>, AeTitleError> {
    let words: Vec<String> = deunicode::deunicode(name)
        .to_ascii_uppercase()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect();
    if words.is_empty() {
        return Err(AeTitleError::NoUsableCharacters(name.to_owned()));
    }
    Ok(words)
}

/// Joins words with `_`, dropping whole words from the end until the result fits
/// in `budget`; a first word longer than the budget is cut.
fn fit_words(words: &[String], budget: usize) -> String {
    let mut out = String::new();
    for word in words {
        let extra = if out.is_empty() { word.len() } else { word.len() + 1 };
        if out.len() + extra > budget {
            break;
        }
        if !out.is_empty() {
            out.push('_');
        }
        out.push_str(word);
    }
    if out.is_empty() {
        out = words.first().map(|w| w.chars().take(budget).collect()).unwrap_or_default();
    }
    out
}

super::text::string_value!(AeTitle, AeTitleError);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_titles_follow_the_naming_rule() {
        let cases: &[(&str, &str)] = &[
            ("City General Hospital", "CITY_GENERAL"),
            ("Mercy", "MERCY"),
            ("St. Mary's Clinic", "ST_MARY_S_CLINIC"),
            ("Hôpital Saint-Éloi", "HOPITAL_SAINT"),
            ("Klinikum Großhadern", "KLINIKUM"),
            ("  radiology   partners  ", "RADIOLOGY"),
            ("Imaging Center 42", "IMAGING_CENTER"),
            ("42 Imaging", "42_IMAGING"),
            ("ABCDEFGHIJKLMNOP", "ABCDEFGHIJKLMNOP"),
            ("ABCDEFGHIJKLMNOPQRSTUV", "ABCDEFGHIJKLMNOP"),
            ("Supercalifragilistic Imaging", "SUPERCALIFRAGILI"),
            ("ABCDEFG HIJKLMNO", "ABCDEFG_HIJKLMNO"),
            ("ABCDEFG HIJKLMNOP", "ABCDEFG"),
            ("A&B Radiology", "A_B_RADIOLOGY"),
            ("north/west   x-ray", "NORTH_WEST_X_RAY"),
            ("Zürich Röntgen", "ZURICH_RONTGEN"),
            ("MRI", "MRI"),
            ("Ünïcödé", "UNICODE"),
        ];
        for (name, expected) in cases {
            let got = AeTitle::generate(name).map(|t| t.to_string());
            assert_eq!(got.as_deref(), Ok(*expected), "facility name {name:?}");
        }
    }

    #[test]
    fn names_without_letters_or_digits_are_refused() {
        for name in ["", "   ", "---", "!!! ???", "日本"] {
            let result = AeTitle::generate(name);
            // CJK transliterates to Latin letters, so only the punctuation-only names fail.
            if name == "日本" {
                assert!(result.is_ok(), "{name:?} transliterates");
            } else {
                assert!(matches!(result, Err(AeTitleError::NoUsableCharacters(_))), "{name:?}");
            }
        }
    }

    #[test]
    fn conflict_suffixes_keep_the_title_within_sixteen_characters() {
        let take = |name: &str, n: usize| -> Vec<String> {
            AeTitle::candidates(name).map(|c| c.take(n).map(|t| t.to_string()).collect()).unwrap_or_default()
        };
        assert_eq!(take("City General Hospital", 3), ["CITY_GENERAL", "CITY_GENERAL_2", "CITY_GENERAL_3"]);
        assert_eq!(take("Mercy", 2), ["MERCY", "MERCY_2"]);
        // "ABCDEFGHIJKLMNOP" is 16: the suffixed stem is cut to 14.
        assert_eq!(take("ABCDEFGHIJKLMNOP", 2)[1], "ABCDEFGHIJKLMN_2");
        // A two-word stem of 16 loses its last word to make room.
        assert_eq!(take("ABCDEFG HIJKLMNO", 2)[1], "ABCDEFG_2");
        let tenth = AeTitle::candidates("ABCDEFGHIJKLMNOP").map(|mut c| c.nth(9));
        assert_eq!(tenth.ok().flatten().map(|t| t.to_string()).as_deref(), Some("ABCDEFGHIJKLM_10"));
        for title in AeTitle::candidates("Supercalifragilistic Expialidocious").into_iter().flatten().take(200) {
            assert!(title.as_str().len() <= MAX_LEN, "{title}");
        }
    }

    #[test]
    fn parsing_trims_uppercases_and_rejects_invalid_titles() {
        assert_eq!(AeTitle::parse("  ct_scanner1 ").map(|t| t.to_string()), Ok("CT_SCANNER1".into()));
        assert_eq!(AeTitle::parse("ABCDEFGHIJKLMNOP").map(|t| t.as_str().len()), Ok(16));
        assert_eq!(AeTitle::parse("ABCDEFGHIJKLMNOPQ"), Err(AeTitleError::TooLong(17)));
        assert_eq!(AeTitle::parse("    "), Err(AeTitleError::Empty));
        assert_eq!(AeTitle::parse("A\\B"), Err(AeTitleError::ForbiddenCharacter('\\')));
        assert_eq!(AeTitle::parse("A\tB"), Err(AeTitleError::ForbiddenCharacter('\t')));
        assert_eq!(AeTitle::parse("ÄRZTE"), Err(AeTitleError::ForbiddenCharacter('Ä')));
        assert_eq!(AeTitle::parse("with space"), Ok(AeTitle("WITH SPACE".into())));
    }

    #[test]
    fn titles_compare_case_insensitively() {
        assert_eq!(AeTitle::parse("noctis_scp"), AeTitle::parse("NOCTIS_SCP"));
    }
}
