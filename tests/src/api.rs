//! The API router in-process, on a test's storage, driven with HTTP requests.

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use noctis_api::AppState;
use noctis_core::Config;
use noctis_core::domain::FacilityId;
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::storage::{Kind, Storage};

pub const ADMIN: &str = "admin";
pub const PASSWORD: &str = "correct horse battery staple";
/// The key tokens are signed with: a receiver given it (`NOCTIS_API__TOKEN_SECRET`)
/// accepts this API's tokens on DICOMweb.
pub const TOKEN_SECRET: &str = "a test secret of at least thirty-two bytes";

pub struct Api {
    pub storage: Storage,
    pub state: AppState,
    pub router: Router,
    pub admin: String,
}

impl std::fmt::Debug for Api {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Api").finish_non_exhaustive()
    }
}

#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub json: Value,
    pub bytes: Vec<u8>,
}

impl Reply {
    /// The string at a JSON pointer (`/items/0/id`); a reply without one fails
    /// the test, naming what came instead.
    pub fn text(&self, pointer: &str) -> String {
        match self.json.pointer(pointer).and_then(Value::as_str) {
            Some(text) => text.to_owned(),
            None => panic!("no string at {pointer} in the {} reply {}", self.status, self.json),
        }
    }

    /// A header's value; a reply without it fails the test.
    pub fn header(&self, name: &str) -> String {
        match self.headers.get(name).and_then(|v| v.to_str().ok()) {
            Some(value) => value.to_owned(),
            None => panic!("no {name} header in the {} reply {:?}", self.status, self.headers),
        }
    }
}

/// One page of the worklist, as a client reads it.
#[derive(Debug, serde::Deserialize)]
pub struct WorklistPage {
    pub items: Vec<WorklistStudy>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, serde::Deserialize)]
pub struct WorklistStudy {
    pub id: String,
    pub study_instance_uid: String,
    pub patient_name: Option<String>,
    pub status: String,
    pub priority: String,
}

impl Api {
    pub async fn start(kind: Kind) -> Self {
        Self::start_on(Storage::new(kind).await, ADMIN).await
    }

    /// The router on `kind` storage, with `configure` applied to its configuration.
    pub async fn start_configured(kind: Kind, configure: impl FnOnce(&mut Config)) -> Self {
        Self::start_on_with(Storage::new(kind).await, ADMIN, configure).await
    }

    /// The router on `storage`, with an administrator called `admin` signed in.
    pub async fn start_on(storage: Storage, admin: &str) -> Self {
        Self::start_on_with(storage, admin, |_| ()).await
    }

    async fn start_on_with(storage: Storage, admin: &str, configure: impl FnOnce(&mut Config)) -> Self {
        let mut config = Config::default();
        config.api.token_secret = noctis_core::config::TokenSecret::parse(TOKEN_SECRET).ok();
        config.api.login_attempts = 5;
        if let Some(aws) = &storage.aws {
            config.aws = aws.clone();
            config.storage.backend = noctis_core::config::BackendKind::Aws;
        }
        configure(&mut config);
        let state =
            noctis_api::bootstrap::state_with_ports(config, storage.ports.clone()).await.expect("the API state builds");
        noctis_api::bootstrap::create_admin(&state, admin, PASSWORD.into(), false).await.expect("an administrator");
        let router = noctis_api::router(state.clone());
        let mut api = Self { storage, state, router, admin: String::new() };
        api.admin = api.login(admin, PASSWORD).await;
        api
    }

    pub async fn request(&self, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> Reply {
        let authorization = token.map(|token| format!("Bearer {token}"));
        let headers: Vec<(&str, &str)> = authorization.iter().map(|value| ("authorization", value.as_str())).collect();
        self.request_with_headers(method, path, &headers, body).await
    }

    /// A request with exactly `headers` (a browser's cookie and CSRF header, say).
    pub async fn request_with_headers(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<Value>,
    ) -> Reply {
        let mut builder = Request::builder().method(method).uri(path);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let request = match body {
            Some(json) => builder.header("content-type", "application/json").body(Body::from(json.to_string())),
            None => builder.body(Body::empty()),
        }
        .expect("a request");
        let response = self.router.clone().oneshot(request).await.expect("the router answers");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.expect("a body").to_bytes().to_vec();
        let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Reply { status, headers, json, bytes }
    }

    /// The peer address of every audit event of `kind` (`none` for those
    /// without one), sorted.
    pub async fn audit_peers(&self, kind: &str) -> Vec<String> {
        let audit = self.get(&format!("/api/v1/audit?kind={kind}"), &self.admin).await;
        let items = audit.json["items"].as_array().unwrap_or_else(|| panic!("audit events: {}", audit.json));
        let mut peers: Vec<String> =
            items.iter().map(|e| e["peer_address"].as_str().unwrap_or("none").to_owned()).collect();
        peers.sort();
        peers
    }

    pub async fn get(&self, path: &str, token: &str) -> Reply {
        self.request(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Reply {
        self.request(Method::POST, path, Some(token), Some(body)).await
    }

    pub async fn patch(&self, path: &str, token: &str, body: Value) -> Reply {
        self.request(Method::PATCH, path, Some(token), Some(body)).await
    }

    /// `GET /api/v1/studies?{query}` as the administrator; anything but 200
    /// fails the test.
    pub async fn worklist(&self, query: &str) -> WorklistPage {
        let reply = self.get(&format!("/api/v1/studies?{query}"), &self.admin).await;
        assert_eq!(reply.status, StatusCode::OK, "worklist {query}: {}", reply.json);
        serde_json::from_value(reply.json).expect("a worklist page")
    }

    pub async fn login(&self, username: &str, password: &str) -> String {
        let reply = self
            .request(
                Method::POST,
                "/api/v1/auth/login",
                None,
                Some(json!({"username": username, "password": password})),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "login of {username}: {:?}", reply.json);
        reply.json["token"].as_str().expect("a token").to_owned()
    }

    /// Registers a facility through the API; returns its JSON.
    pub async fn facility(&self, name: &str) -> Value {
        let body = json!({
            "name": name,
            "address": "1 Test Street",
            "phone": "+1 555 0100",
            "email": "pacs@test.example",
            "license_number": format!("LIC-{}", uuid::Uuid::new_v4()),
        });
        let reply = self.post("/api/v1/facilities", &self.admin, body).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.json);
        reply.json
    }

    /// Creates a user with `role` (and facility) and returns a token for it.
    pub async fn user_token(&self, username: &str, role: &str, facility: Option<FacilityId>) -> String {
        let body = json!({
            "username": username,
            "password": PASSWORD,
            "email": format!("{username}@test.example"),
            "role": role,
            "facility_id": facility,
        });
        let reply = self.post("/api/v1/users", &self.admin, body).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.json);
        self.login(username, PASSWORD).await
    }
}

impl Api {
    /// Registers a facility through the API with its first facility user
    /// (`user`, password `PASSWORD`): its AE title and id.
    /// Every study as an administrator reads it, sorted by Study Instance UID,
    /// without receipt times: what two Noctis holding the same images agree on
    /// (a rebuilt instance was received when its object was written).
    pub async fn studies_in_full(&self) -> Vec<Value> {
        let listed = self.get("/api/v1/studies?limit=100", &self.admin).await;
        let mut studies = Vec::new();
        for item in listed.json["items"].as_array().cloned().unwrap_or_default() {
            let id = item["id"].as_str().expect("an id");
            let mut detail = self.get(&format!("/api/v1/studies/{id}"), &self.admin).await.json;
            without_times(&mut detail);
            studies.push(detail);
        }
        studies.sort_by_key(|study| study["study_instance_uid"].as_str().unwrap_or_default().to_owned());
        studies
    }

    /// The bytes a file route serves, following the presigned URL on AWS.
    pub async fn download(&self, path: &str) -> Vec<u8> {
        let reply = self.get(path, &self.admin).await;
        match reply.status {
            StatusCode::OK => reply.bytes,
            StatusCode::TEMPORARY_REDIRECT => {
                let url = reply.header("location");
                reqwest::get(&url).await.expect("the presigned URL answers").bytes().await.expect("a body").to_vec()
            }
            other => panic!("{path}: {other} {:?}", reply.json),
        }
    }

    pub async fn register_facility(&self, name: &str, user: &str) -> (String, FacilityId) {
        let created = self
            .post(
                "/api/v1/facilities",
                &self.admin,
                serde_json::json!({
                    "name": name, "email": "it@clinic.example", "license_number": format!("LIC-{name}"),
                    "facility_user": {"username": user, "password": PASSWORD, "email": "it@clinic.example"}
                }),
            )
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.json);
        (created.text("/ae_title"), facility_id(&created.json))
    }
}

pub fn facility_id(json: &Value) -> FacilityId {
    json["id"].as_str().and_then(|s| s.parse().ok()).expect("a facility id")
}

/// Stores a small object and indexes it as one instance, as the receiver would.
pub async fn seed_instance(
    storage: &Storage,
    facility: FacilityId,
    study: &str,
    series: &str,
    sop: &str,
    modality: &str,
    patient: &str,
) -> noctis_core::domain::StudyId {
    let instance = SeededInstance { study, series, sop, modality, patient };
    seed_instance_received_at(storage, facility, instance, noctis_core::domain::now()).await
}

/// What `seed_instance_received_at` stores: UIDs, and the attributes a worklist shows.
#[derive(Debug, Clone, Copy)]
pub struct SeededInstance<'a> {
    pub study: &'a str,
    pub series: &'a str,
    pub sop: &'a str,
    pub modality: &'a str,
    pub patient: &'a str,
}

/// `seed_instance` as if it had been received at `received_at`.
pub async fn seed_instance_received_at(
    storage: &Storage,
    facility: FacilityId,
    instance: SeededInstance<'_>,
    received_at: noctis_core::domain::Timestamp,
) -> noctis_core::domain::StudyId {
    use noctis_core::domain::{AeTitle, InstanceRecord, ObjectKey, SeriesAttributes, StudyAttributes, Uid};
    let SeededInstance { study, series, sop, modality, patient } = instance;
    let uid = |s: &str| Uid::parse(s).expect("uid");
    let key = ObjectKey::for_instance(facility, &uid(study), &uid(series), &uid(sop));
    let content = format!("not really DICOM: {sop}").into_bytes();
    write_object(storage, &key, &content).await;
    let record = InstanceRecord {
        facility_id: facility,
        study_instance_uid: uid(study),
        series_instance_uid: uid(series),
        sop_instance_uid: uid(sop),
        sop_class_uid: uid("1.2.840.10008.5.1.4.1.1.2"),
        transfer_syntax_uid: uid("1.2.840.10008.1.2.1"),
        instance_number: Some(1),
        object_key: key,
        size_bytes: content.len() as u64,
        received_at,
        source_ae_title: AeTitle::parse("CT1").expect("ae"),
        study: StudyAttributes {
            patient_name: Some(patient.into()),
            patient_id: Some("P-1".into()),
            ..Default::default()
        },
        series: SeriesAttributes { modality: Some(modality.into()), ..Default::default() },
    };
    storage.ports.studies.record_instance(&record, None).await.expect("indexes");
    // As the receiver does when the association ends.
    storage.ports.studies.settle(&[record.study_id()]).await.expect("settles");
    record.study_id()
}

/// Writes `content` under `key`, as the receiver writes an instance.
pub async fn write_object(storage: &Storage, key: &noctis_core::domain::ObjectKey, content: &[u8]) {
    let mut writer = storage.ports.objects.begin_write(key).await.expect("begins");
    writer.write(content.to_vec().into()).await.expect("writes");
    writer.finish().await.expect("finishes");
}

/// `value` without receipt and update times, its arrays of instances in SOP order.
fn without_times(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.retain(|name, _| !name.ends_with("received_at") && name != "updated_at");
            map.values_mut().for_each(without_times);
        }
        Value::Array(items) => {
            items.iter_mut().for_each(without_times);
            items.sort_by_key(|item| item["sop_instance_uid"].as_str().unwrap_or_default().to_owned());
        }
        _ => {}
    }
}
