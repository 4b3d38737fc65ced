/// An e-mail address checked against RFC 5322's address syntax.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EmailAddress(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a valid e-mail address")]
pub struct EmailAddressError(String);

impl EmailAddress {
    pub fn parse(raw: &str) -> Result<Self, EmailAddressError> {
        let trimmed = raw.trim();
        // `email_address` accepts bare local parts ("a@b"); a reachable address needs a dotted domain.
        match email_address::EmailAddress::parse_with_options(
            trimmed,
            email_address::Options::default().without_display_text(),
        ) {
            Ok(parsed) if parsed.domain().contains('.') => Ok(Self(parsed.email().to_owned())),
            _ => Err(EmailAddressError(raw.to_owned())),
        }
    }
}

super::text::string_value!(EmailAddress, EmailAddressError);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_need_a_local_part_and_a_dotted_domain() {
        assert!(EmailAddress::parse("it@citygeneral.example").is_ok());
        assert!(EmailAddress::parse(" pacs.admin+noctis@mercy.example.org ").is_ok());
        for bad in ["", "nobody", "a@b", "@example.org", "a@@example.org", "Name <a@example.org>"] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad:?}");
        }
    }
}
