//! The authorisation matrix: every route × every role × own/other facility,
//! expected statuses derived from `access::decide` — the same table the
//! handlers call. A route missing from `ROUTES` fails the coverage test.

use std::collections::BTreeSet;

use axum::http::{Method, StatusCode};
use noctis_api::access::{Action, Decision, decide};
use noctis_core::domain::{BanPolicy, FacilityId, Role, now};
use noctis_e2e::api::{Api, facility_id, seed_instance};
use noctis_e2e::storage::Kind;
use serde_json::{Value, json};

noctis_e2e::on_both_backends!(every_route_answers_every_role_as_the_rules_say);

/// Which facility's data a request touches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    /// No facility (listings, users, audit, …).
    None,
    Own,
    Other,
}

struct Route {
    method: Method,
    /// OpenAPI path template.
    template: &'static str,
    /// `None`: any signed-in user may call it.
    action: Option<Action>,
    scopes: &'static [Scope],
    success: StatusCode,
}

const NONE: &[Scope] = &[Scope::None];
const BOTH: &[Scope] = &[Scope::Own, Scope::Other];

fn routes(kind: Kind) -> Vec<Route> {
    use Action::*;
    let r = |method: Method, template, action, scopes, success| Route { method, template, action, scopes, success };
    let file_success = if kind == Kind::Aws { StatusCode::TEMPORARY_REDIRECT } else { StatusCode::OK };
    vec![
        r(Method::GET, "/api/v1/me", None, NONE, StatusCode::OK),
        r(Method::GET, "/api/v1/auth/session", None, NONE, StatusCode::OK),
        // Reached by every signed-in user; the matrix's wrong current password is refused by field.
        r(Method::POST, "/api/v1/me/password", None, NONE, StatusCode::BAD_REQUEST),
        r(Method::POST, "/api/v1/facilities", Some(ManageFacilities), NONE, StatusCode::CREATED),
        r(Method::GET, "/api/v1/facilities", Some(ManageFacilities), NONE, StatusCode::OK),
        r(Method::GET, "/api/v1/facilities/export", Some(ManageFacilities), NONE, StatusCode::OK),
        r(Method::GET, "/api/v1/facilities/ae-title", Some(ManageFacilities), NONE, StatusCode::OK),
        r(Method::GET, "/api/v1/facilities/directory", Some(ReadStudies), NONE, StatusCode::OK),
        r(Method::GET, "/api/v1/facilities/{id}", Some(ManageFacilities), BOTH, StatusCode::OK),
        r(Method::PATCH, "/api/v1/facilities/{id}", Some(ManageFacilities), BOTH, StatusCode::OK),
        r(Method::POST, "/api/v1/facilities/{id}/activate", Some(ManageFacilities), BOTH, StatusCode::OK),
        r(Method::POST, "/api/v1/facilities/{id}/deactivate", Some(ManageFacilities), BOTH, StatusCode::OK),
        r(Method::GET, "/api/v1/facilities/{id}/stats", Some(ManageFacilities), BOTH, StatusCode::OK),
        r(Method::GET, "/api/v1/facilities/{id}/dicom-config", Some(ReadDicomSheet), BOTH, StatusCode::OK),
        r(Method::POST, "/api/v1/users", Some(ManageUsers), NONE, StatusCode::CREATED),
        r(Method::GET, "/api/v1/users", Some(ManageUsers), NONE, StatusCode::OK),
        r(Method::GET, "/api/v1/users/{id}", Some(ManageUsers), NONE, StatusCode::OK),
        r(Method::PATCH, "/api/v1/users/{id}", Some(ManageUsers), NONE, StatusCode::OK),
        r(Method::GET, "/api/v1/studies", Some(ReadStudies), NONE, StatusCode::OK),
        r(Method::GET, "/api/v1/studies/{id}", Some(ReadStudies), BOTH, StatusCode::OK),
        r(Method::PATCH, "/api/v1/studies/{id}", Some(UpdateStudy), BOTH, StatusCode::OK),
        r(Method::GET, "/api/v1/studies/{id}/instances/{sop_instance_uid}/file", Some(ReadStudies), BOTH, file_success),
        r(Method::GET, "/api/v1/studies/{id}/archive", Some(ReadStudies), BOTH, file_success),
        r(Method::PUT, "/api/v1/studies/{id}/report", Some(WriteReport), BOTH, StatusCode::OK),
        r(Method::GET, "/api/v1/studies/{id}/report", Some(ReadReport), BOTH, StatusCode::OK),
        r(Method::GET, "/api/v1/activity", Some(ReadStudies), NONE, StatusCode::OK),
        r(Method::GET, "/api/v1/audit", Some(ReadAudit), NONE, StatusCode::OK),
        r(Method::GET, "/api/v1/audit/refusals", Some(ReadAudit), NONE, StatusCode::OK),
        r(Method::GET, "/api/v1/receivers", Some(ReadAudit), NONE, StatusCode::OK),
        r(Method::GET, "/api/v1/security/bans", Some(ManageBans), NONE, StatusCode::OK),
        r(Method::DELETE, "/api/v1/security/bans/{address}", Some(ManageBans), NONE, StatusCode::NO_CONTENT),
        // Last, and each request on a study sent again first (`World::resend`): a deletion or a move takes it.
        r(
            Method::DELETE,
            "/api/v1/studies/{id}/series/{series_instance_uid}/instances/{sop_instance_uid}",
            Some(DeleteImages),
            BOTH,
            StatusCode::OK,
        ),
        r(
            Method::DELETE,
            "/api/v1/studies/{id}/series/{series_instance_uid}",
            Some(DeleteImages),
            BOTH,
            StatusCode::OK,
        ),
        r(Method::DELETE, "/api/v1/studies/{id}", Some(DeleteImages), BOTH, StatusCode::OK),
        r(Method::POST, "/api/v1/studies/{id}/move", Some(MoveStudies), BOTH, StatusCode::OK),
    ]
}

/// Routes anyone may call, signed in or not.
const PUBLIC: &[(&str, &str)] = &[
    ("GET", "/healthz"),
    ("POST", "/api/v1/auth/login"),
    ("POST", "/api/v1/auth/session"),
    ("DELETE", "/api/v1/auth/session"),
    ("GET", "/api/v1/openapi.json"),
];

#[test]
fn every_documented_route_has_a_row_in_the_matrix() {
    let document = noctis_api::openapi_document();
    let mut documented = BTreeSet::new();
    for (path, item) in &document.paths.paths {
        for (method, operation) in [
            ("GET", &item.get),
            ("POST", &item.post),
            ("PUT", &item.put),
            ("PATCH", &item.patch),
            ("DELETE", &item.delete),
        ] {
            if operation.is_some() {
                documented.insert((method.to_owned(), path.clone()));
            }
        }
    }
    let mut covered: BTreeSet<(String, String)> =
        routes(Kind::Embedded).iter().map(|r| (r.method.to_string(), r.template.to_owned())).collect();
    covered.extend(
        PUBLIC.iter().filter(|(_, p)| *p != "/api/v1/openapi.json").map(|(m, p)| ((*m).to_owned(), (*p).to_owned())),
    );
    assert_eq!(documented, covered, "each documented route needs access rules in ROUTES (or a place in PUBLIC)");
}

struct World {
    own: FacilityId,
    other: FacilityId,
    own_study: String,
    other_study: String,
    user_id: String,
}

impl World {
    fn path(&self, template: &str, scope: Scope) -> String {
        let (facility, study) = match scope {
            Scope::Other => (self.other, &self.other_study),
            _ => (self.own, &self.own_study),
        };
        let (series, sop) = if scope == Scope::Other { ("2.1.1", "2.1.1.1") } else { ("1.1.1", "1.1.1.1") };
        template
            .replace("{id}/instances", &format!("{study}/instances"))
            .replace("/studies/{id}", &format!("/studies/{study}"))
            .replace("/facilities/{id}", &format!("/facilities/{facility}"))
            .replace("/users/{id}", &format!("/users/{}", self.user_id))
            .replace("{series_instance_uid}", series)
            .replace("{sop_instance_uid}", sop)
            .replace("{address}", "198.51.100.99")
            .replace("/facilities/ae-title", "/facilities/ae-title?name=Matrix%20Clinic")
    }

    /// Sends the scope's study again, as its modality would, when the route
    /// about to be called deletes from it: each role meets a study to delete.
    async fn resend(&self, api: &Api, route: &Route, scope: Scope) {
        let takes_the_study = route.method == Method::DELETE || route.template.ends_with("/move");
        if !takes_the_study || !route.template.starts_with("/api/v1/studies/") {
            return;
        }
        match scope {
            Scope::Other => seed_instance(&api.storage, self.other, "2.1", "2.1.1", "2.1.1.1", "MR", "ROE^RICH").await,
            _ => seed_instance(&api.storage, self.own, "1.1", "1.1.1", "1.1.1.1", "CT", "DOE^JANE").await,
        };
    }

    fn body(&self, method: &Method, template: &str, scope: Scope) -> Option<Value> {
        let unique = uuid::Uuid::new_v4().simple().to_string();
        match (method.as_str(), template) {
            ("POST", "/api/v1/facilities") => {
                Some(json!({"name": format!("New {}", &unique[..8]), "email": "n@x.example", "license_number": unique}))
            }
            ("POST", "/api/v1/users") => Some(
                json!({"username": format!("u{}", &unique[..10]), "password": noctis_e2e::api::PASSWORD, "email": "u@x.example", "role": "radiologist"}),
            ),
            ("PATCH", "/api/v1/facilities/{id}") => Some(json!({"phone": "+1 555 0123"})),
            ("PATCH", "/api/v1/users/{id}") => Some(json!({"verified": true})),
            ("PATCH", "/api/v1/studies/{id}") => Some(json!({"status": "in_review"})),
            ("PUT", "/api/v1/studies/{id}/report") => Some(json!({"body": "Findings.", "status": "final"})),
            // Each facility's study moves to the other facility.
            ("POST", "/api/v1/studies/{id}/move") => {
                Some(json!({"facility_id": if scope == Scope::Other { self.own } else { self.other }}))
            }
            ("POST", "/api/v1/me/password") => {
                Some(json!({"current_password": "not the password", "new_password": "a new passphrase here"}))
            }
            ("POST", _) => Some(json!({})),
            _ => None,
        }
    }
}

async fn every_route_answers_every_role_as_the_rules_say(kind: Kind) {
    let api = Api::start(kind).await;
    let own = facility_id(&api.facility("Own Clinic").await);
    let other = facility_id(&api.facility("Other Clinic").await);
    let own_study = seed_instance(&api.storage, own, "1.1", "1.1.1", "1.1.1.1", "CT", "DOE^JANE").await.to_string();
    let other_study = seed_instance(&api.storage, other, "2.1", "2.1.1", "2.1.1.1", "MR", "ROE^RICH").await.to_string();
    let radiologist = api.user_token("matrix.radiologist", "radiologist", None).await;
    let facility_user = api.user_token("matrix.facility", "facility_user", Some(own)).await;
    let user_id = api.get("/api/v1/me", &radiologist).await.text("/id");
    // Every existing report route needs a report to read, and a facility reads
    // only what was signed off: the administrator finalises one first.
    for study in [&own_study, &other_study] {
        let reply = api
            .request(
                Method::PUT,
                &format!("/api/v1/studies/{study}/report"),
                Some(&api.admin),
                Some(json!({"body": "Seed.", "status": "final"})),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK);
    }
    let world = World { own, other, own_study, other_study, user_id };
    let roles = [
        ("administrator", Role::Administrator, api.admin.clone()),
        ("radiologist", Role::Radiologist, radiologist),
        ("facility_user", Role::FacilityUser(own), facility_user),
    ];
    let ban = BanPolicy {
        threshold: 1,
        window: std::time::Duration::from_secs(60),
        ban_for: std::time::Duration::from_secs(600),
    };
    let mut checked = 0;
    for route in routes(kind) {
        for scope in route.scopes {
            let path = world.path(route.template, *scope);
            // Unsigned requests are refused on every protected route.
            let anonymous =
                api.request(route.method.clone(), &path, None, world.body(&route.method, route.template, *scope)).await;
            assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED, "{} {path} without a token", route.method);
            for (name, role, token) in &roles {
                if route.template == "/api/v1/security/bans/{address}" {
                    let address = "198.51.100.99".parse().expect("ip");
                    api.storage.ports.bans.record_failure(address, "test", &ban, now()).await.expect("bans");
                }
                let facility = match scope {
                    Scope::None => None,
                    Scope::Own => Some(world.own),
                    Scope::Other => Some(world.other),
                };
                let expected = match route.action.map(|a| decide(*role, a, facility)) {
                    None | Some(Decision::Allow) => route.success,
                    Some(Decision::Deny) => StatusCode::FORBIDDEN,
                    Some(Decision::Hide) => StatusCode::NOT_FOUND,
                };
                world.resend(&api, &route, *scope).await;
                let reply = api
                    .request(
                        route.method.clone(),
                        &path,
                        Some(token),
                        world.body(&route.method, route.template, *scope),
                    )
                    .await;
                assert_eq!(reply.status, expected, "{name} {} {path} ({scope:?}): {:?}", route.method, reply.json);
                if reply.status.is_client_error() {
                    assert!(reply.json["error"]["code"].is_string(), "JSON error body for {name} {path}");
                }
                checked += 1;
            }
        }
    }
    assert!(checked > 90, "{checked} combinations checked");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_facility_user_lists_only_their_own_studies() {
    let api = Api::start(Kind::Embedded).await;
    let own = facility_id(&api.facility("Own Clinic").await);
    let other = facility_id(&api.facility("Other Clinic").await);
    seed_instance(&api.storage, own, "1.1", "1.1.1", "1.1.1.1", "CT", "DOE^JANE").await;
    seed_instance(&api.storage, other, "2.1", "2.1.1", "2.1.1.1", "MR", "ROE^RICH").await;
    let token = api.user_token("own.user", "facility_user", Some(own)).await;
    let listed = api.get("/api/v1/studies", &token).await;
    let facilities: Vec<&str> =
        listed.json["items"].as_array().into_iter().flatten().filter_map(|s| s["facility_id"].as_str()).collect();
    assert_eq!(facilities, [own.to_string()]);
    let asked_other = api.get(&format!("/api/v1/studies?facility_id={other}"), &token).await;
    assert_eq!(asked_other.status, StatusCode::FORBIDDEN);
    let everything = api.get("/api/v1/studies", &api.admin).await;
    assert_eq!(everything.json["items"].as_array().map(Vec::len), Some(2));
}
