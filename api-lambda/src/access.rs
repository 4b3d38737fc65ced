//! Who may do what: one function of (user, action, the resource's facility).
//! Every handler calls it, and the authorisation-matrix test is generated from
//! the same table.

use noctis_core::domain::{FacilityId, Role, User};

use crate::error::ApiError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    ManageFacilities,
    ReadDicomSheet,
    ManageUsers,
    ReadStudies,
    UpdateStudy,
    ReadReport,
    WriteReport,
    ReadAudit,
    ManageBans,
}

impl Action {
    pub const ALL: [Action; 9] = [
        Action::ManageFacilities,
        Action::ReadDicomSheet,
        Action::ManageUsers,
        Action::ReadStudies,
        Action::UpdateStudy,
        Action::ReadReport,
        Action::WriteReport,
        Action::ReadAudit,
        Action::ManageBans,
    ];
}

/// What the rules decide, before it becomes an HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    /// The user may not do this at all: 403.
    Deny,
    /// The user may do this, but not on another facility's data, whose very
    /// existence is not disclosed: 404.
    Hide,
}

pub fn decide(role: Role, action: Action, resource_facility: Option<FacilityId>) -> Decision {
    use Action::*;
    match role {
        Role::Administrator => Decision::Allow,
        Role::Radiologist => match action {
            ReadStudies | UpdateStudy | ReadReport | WriteReport => Decision::Allow,
            ManageFacilities | ReadDicomSheet | ManageUsers | ReadAudit | ManageBans => Decision::Deny,
        },
        Role::FacilityUser(own) => match action {
            ReadStudies | ReadReport | ReadDicomSheet => match resource_facility {
                Some(facility) if facility == own => Decision::Allow,
                // A listing not tied to one facility is narrowed to theirs by the handler.
                None => Decision::Allow,
                Some(_) => Decision::Hide,
            },
            UpdateStudy | WriteReport | ManageFacilities | ManageUsers | ReadAudit | ManageBans => Decision::Deny,
        },
    }
}

pub fn authorize(user: &User, action: Action, resource_facility: Option<FacilityId>) -> Result<(), ApiError> {
    match decide(user.role, action, resource_facility) {
        Decision::Allow => Ok(()),
        Decision::Deny => Err(ApiError::Forbidden),
        Decision::Hide => Err(ApiError::NotFound),
    }
}
