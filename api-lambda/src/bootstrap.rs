//! Getting a deployment going: the token key and the first administrator.

use std::sync::Arc;
use std::time::Duration;

use noctis_core::domain::{
    Actor, AeTitle, AllowedNetworks, EmailAddress, Facility, FacilityDraft, FacilityName, LicenseNumber,
    MoveDestinations, now,
};
use noctis_core::usecases::facilities::{NewFacility, register_facility};
use noctis_core::usecases::users::{create_first_administrator, create_user};
use noctis_core::{Config, Ports};

use crate::login_limiter::LoginLimiter;
use crate::routes::users::CreateUser;
use crate::state::AppState;
use noctis_core::auth::TokenKeys;

#[derive(Debug, thiserror::Error)]
pub enum BootstrapError {
    #[error(transparent)]
    TokenSecret(#[from] noctis_core::auth::SecretError),
    #[error("could not open the storage backend: {0}")]
    Backend(#[from] noctis_core::ports::StoreError),
    #[error("could not create the administrator: {0}")]
    Admin(String),
    #[error("could not register the facility: {0}")]
    Facility(String),
}

/// The state the router runs on, from configuration.
pub async fn state(config: Config) -> Result<AppState, BootstrapError> {
    let ports = noctis_core::wiring::open_ports(&config).await?;
    state_with_ports(config, ports).await
}

pub async fn state_with_ports(config: Config, ports: Ports) -> Result<AppState, BootstrapError> {
    let secret = noctis_core::auth::token_secret(&config).await?;
    // Made before the first sign-in, so that one is not slower than the rest.
    noctis_core::usecases::sign_in::prepare().await;
    let api = &config.api;
    Ok(AppState {
        tokens: TokenKeys::new(&secret, Duration::from_secs(api.token_ttl_secs.max(60))),
        logins: Arc::new(LoginLimiter::new(api.login_attempts, Duration::from_secs(api.login_window_secs))),
        ports,
        config: Arc::new(config),
    })
}

/// Creates an administrator, audited as the system's doing. `Ok(false)` when
/// `only_if_none` and one exists.
pub async fn create_admin(
    state: &AppState,
    username: &str,
    password: String,
    only_if_none: bool,
) -> Result<bool, BootstrapError> {
    let request = CreateUser {
        username: username.to_owned(),
        password,
        email: format!("{}@localhost.localdomain", username.replace('@', ".")),
        role: "administrator".into(),
        facility_id: None,
    }
    .parse()
    .map_err(|e| BootstrapError::Admin(e.to_string()))?;
    let ports = &state.ports;
    let (users, facilities, audit) = (ports.users.as_ref(), ports.facilities.as_ref(), ports.audit.as_ref());
    let created = if only_if_none {
        create_first_administrator(users, facilities, audit, request, now()).await.map(|user| user.is_some())
    } else {
        create_user(users, facilities, audit, &Actor::System, request, now()).await.map(|_| true)
    };
    created.map_err(|e| BootstrapError::Admin(e.to_string()))
}

/// Registers a facility from the command line, audited as the system's doing:
/// the same use case, and the same checks, as `POST /api/v1/facilities`.
pub async fn create_facility(
    state: &AppState,
    name: &str,
    license_number: &str,
    email: &str,
    ae_title: Option<&str>,
) -> Result<Facility, BootstrapError> {
    let invalid = |e: &dyn std::fmt::Display| BootstrapError::Facility(e.to_string());
    let draft = FacilityDraft {
        name: FacilityName::parse(name).map_err(|e| invalid(&e))?,
        address: String::new(),
        phone: String::new(),
        email: EmailAddress::parse(email).map_err(|e| invalid(&e))?,
        license_number: LicenseNumber::parse(license_number).map_err(|e| invalid(&e))?,
        allowed_networks: AllowedNetworks::any(),
        move_destinations: MoveDestinations::default(),
        retention: None,
    };
    let ae_title = ae_title.map(AeTitle::parse).transpose().map_err(|e| invalid(&e))?;
    let request = NewFacility { draft, ae_title, first_user: None };
    let ports = &state.ports;
    register_facility(ports.facilities.as_ref(), ports.audit.as_ref(), &Actor::System, request, now())
        .await
        .map(|registration| registration.facility)
        .map_err(|e| invalid(&e))
}
