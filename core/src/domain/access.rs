//! Who may do what: one function of (role, action, the resource's facility).
//! Every handler of the API and of DICOMweb calls it, and the
//! authorisation-matrix test is generated from the same table.

use super::{FacilityId, Role};

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
    /// Send instances over HTTP (STOW-RS) into a facility.
    StoreInstances,
    /// Delete a study, a series or an instance, objects and all.
    DeleteImages,
    /// Move a study received under the wrong facility to the right one.
    MoveStudies,
}

impl Action {
    pub const ALL: [Action; 12] = [
        Action::ManageFacilities,
        Action::ReadDicomSheet,
        Action::ManageUsers,
        Action::ReadStudies,
        Action::UpdateStudy,
        Action::ReadReport,
        Action::WriteReport,
        Action::ReadAudit,
        Action::ManageBans,
        Action::StoreInstances,
        Action::DeleteImages,
        Action::MoveStudies,
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
            // A radiologist reads what facilities sent; sending is theirs.
            ManageFacilities | ReadDicomSheet | ManageUsers | ReadAudit | ManageBans | StoreInstances
            | DeleteImages | MoveStudies => Decision::Deny,
        },
        Role::FacilityUser(own) => match action {
            // Their own facility's staff upload what its modalities could not send.
            ReadStudies | ReadReport | ReadDicomSheet | StoreInstances => match resource_facility {
                Some(facility) if facility == own => Decision::Allow,
                // A listing not tied to one facility is narrowed to theirs by the handler.
                None => Decision::Allow,
                Some(_) => Decision::Hide,
            },
            UpdateStudy | WriteReport | ManageFacilities | ManageUsers | ReadAudit | ManageBans | DeleteImages
            | MoveStudies => Decision::Deny,
        },
    }
}
