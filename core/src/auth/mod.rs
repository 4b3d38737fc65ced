//! Who is signed in: the tokens the API issues, the credential a request
//! carries them in, and the user they name. Shared by the API and DICOMweb so
//! one sign-in opens both.

mod credential;
mod edge;
mod secret;
mod tokens;

pub use credential::{CSRF_HEADER, Credential, SESSION_COOKIE, credential, csrf_satisfied};
pub use edge::{ORIGIN_HEADER, VIEWER_ADDRESS_HEADER, viewer_address};
pub use secret::{SecretError, token_secret};
pub use tokens::{Issued, TokenError, TokenKeys, Verified};

use crate::domain::User;
use crate::ports::{StoreError, UserDirectory};

/// The active user a verified token names; `None` when the user is gone or
/// deactivated, so a deactivation applies to tokens already out.
pub async fn signed_in_user(users: &dyn UserDirectory, verified: &Verified) -> Result<Option<User>, StoreError> {
    Ok(users.get(verified.user).await?.filter(|user| user.active))
}
