//! One module per resource. A handler extracts, authorises, calls the core.

pub mod account;
pub mod activity;
pub mod archive;
pub mod audit;
pub mod auth;
pub mod deletion;
pub mod facilities;
pub mod health;
pub mod receivers;
pub mod relocation;
pub mod reports;
pub mod security;
pub mod studies;
pub mod users;

/// Parses an optional text field with the domain's parser, naming the field on error.
pub fn parse_field<T, E: std::fmt::Display>(
    field: &str,
    value: Option<&str>,
    parse: impl Fn(&str) -> Result<T, E>,
) -> Result<Option<T>, crate::error::ApiError> {
    value.map(|v| parse(v).map_err(|e| crate::error::ApiError::invalid(field, e))).transpose()
}
