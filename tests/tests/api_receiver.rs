//! The API and the receiver together, as a facility experiences them: register
//! through the API, send with DCMTK, find the study in the right worklist only,
//! deactivate, and be refused.

use axum::http::StatusCode;
use noctis_e2e::api::{Api, PASSWORD, facility_id};
use noctis_e2e::dcmtk::{echoscu, storescu};
use noctis_e2e::receiver::{Receiver, SCP_AE_TITLE};
use noctis_e2e::storage::Kind;
use noctis_e2e::testdata;
use serde_json::json;

noctis_e2e::on_both_backends!(a_facility_registered_through_the_api_sends_and_sees_only_its_studies);

async fn a_facility_registered_through_the_api_sends_and_sees_only_its_studies(kind: Kind) {
    let api = Api::start(kind).await;
    let receiver = Receiver::start_with(&api.storage, &[("NOCTIS_DICOM__FACILITY_CACHE_SECS", "1")]);
    let create = |name: &str, user: &str| {
        json!({
            "name": name, "email": "it@hospital.example", "license_number": format!("LIC-{name}"),
            "facility_user": {"username": user, "password": PASSWORD, "email": "it@hospital.example"}
        })
    };
    let city = api.post("/api/v1/facilities", &api.admin, create("City General Hospital", "city.it")).await;
    assert_eq!(city.status, StatusCode::CREATED, "{:?}", city.json);
    let other = api.post("/api/v1/facilities", &api.admin, create("Other Clinic", "other.it")).await;
    let ae = city.json["ae_title"].as_str().expect("an AE title").to_owned();
    assert_eq!(ae, "CITY_GENERAL");
    let city_id = facility_id(&city.json);

    let data = testdata::samples();
    let ct = data.files.iter().find(|f| f.name == "CT_small.dcm").expect("sample");
    let run = storescu(receiver.dicom_port, &ae, SCP_AE_TITLE, &["-xe"], &[ct.path.as_path()]);
    assert_eq!(run.store_statuses(), ["Success"], "{}", run.text);

    let city_user = api.login("city.it", PASSWORD).await;
    let other_user = api.login("other.it", PASSWORD).await;
    let seen = api.get("/api/v1/studies", &city_user).await;
    assert_eq!(seen.json["items"][0]["study_instance_uid"], ct.study_instance_uid.as_str());
    assert_eq!(seen.json["items"][0]["instance_count"], 1);
    let study = seen.json["items"][0]["id"].as_str().expect("an id").to_owned();
    let unseen = api.get("/api/v1/studies", &other_user).await;
    assert_eq!(unseen.json["items"].as_array().map(Vec::len), Some(0), "another facility sees nothing");
    assert_eq!(api.get(&format!("/api/v1/studies/{study}"), &other_user).await.status, StatusCode::NOT_FOUND);
    let sheet = api.get(&format!("/api/v1/facilities/{city_id}/dicom-config"), &city_user).await;
    assert_eq!(sheet.json["calling_ae_title"], ae.as_str());
    let other_sheet =
        api.get(&format!("/api/v1/facilities/{}/dicom-config", facility_id(&other.json)), &city_user).await;
    assert_eq!(other_sheet.status, StatusCode::NOT_FOUND);

    let stats = api.get(&format!("/api/v1/facilities/{city_id}/stats"), &api.admin).await;
    assert_eq!((stats.json["studies"].as_u64(), stats.json["instances"].as_u64()), (Some(1), Some(1)));
    assert_eq!(stats.json["associations_accepted"].as_u64(), Some(1));

    let reply = api.post(&format!("/api/v1/facilities/{city_id}/deactivate"), &api.admin, json!({})).await;
    assert_eq!(reply.json["active"], false);
    noctis_e2e::eventually(10, "the deactivation to reach the receiver", || async {
        echoscu(receiver.dicom_port, &ae, SCP_AE_TITLE).text.contains("Calling AE Title Not Recognized").then_some(())
    })
    .await;
    let stats = api.get(&format!("/api/v1/facilities/{city_id}/stats"), &api.admin).await;
    assert!(stats.json["associations_rejected"].as_u64() >= Some(1), "{:?}", stats.json);
}
