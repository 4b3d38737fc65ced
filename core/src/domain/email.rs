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
            // RFC 1035 2.3.4: labels of at most 63 octets; RFC 5321 4.5.3.1.3: 254 in all.
            Ok(parsed)
                if parsed.domain().contains('.')
                    && parsed.domain().split('.').all(|label| (1..=63).contains(&label.len()))
                    && parsed.email().len() <= 254 =>
            {
                Ok(Self(parsed.email().to_owned()))
            }
            _ => Err(EmailAddressError(raw.to_owned())),
        }
    }
}

super::text::string_value!(EmailAddress, EmailAddressError);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_labels_longer_than_63_octets_are_refused() {
        let long = format!("a@{}.example", "b".repeat(64));
        assert!(EmailAddress::parse(&long).is_err());
        assert!(EmailAddress::parse(&format!("a@{}.example", "b".repeat(63))).is_ok());
    }

    #[test]
    fn addresses_need_a_local_part_and_a_dotted_domain() {
        assert!(EmailAddress::parse("it@citygeneral.example").is_ok());
        assert!(EmailAddress::parse(" pacs.admin+noctis@mercy.example.org ").is_ok());
        for bad in ["", "nobody", "a@b", "@example.org", "a@@example.org", "Name <a@example.org>"] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad:?}");
        }
    }
}
