//! The worklist over HTTP: paging, filters, detail, download and workflow, one
//! behaviour per test, on a facility with six studies.

use axum::http::StatusCode;
use noctis_core::domain::FacilityId;
use noctis_e2e::api::{Api, facility_id, seed_instance};
use noctis_e2e::storage::Kind;
use serde_json::json;

noctis_e2e::on_both_backends!(
    pages_visit_every_study_once_in_either_order,
    the_worklist_filters_by_modality_and_patient,
    a_bad_filter_is_refused_naming_its_parameter,
    a_study_shows_its_series_and_instances,
    an_instance_downloads_as_stored,
    a_missing_instance_is_not_found,
    a_workflow_change_shows_in_the_worklist_filter,
    facility_statistics_count_its_studies_and_instances,
    daily_activity_counts_today_per_facility_and_a_facility_user_sees_theirs,
);

/// An API with one facility: five studies of one instance each, CT and MR in
/// turn for DOE^JANE, then a US study for SMITH^ANNA (the newest).
async fn six_studies(kind: Kind) -> (Api, FacilityId) {
    let api = Api::start(kind).await;
    let facility = facility_id(&api.facility("Mercy").await);
    for i in 0..5 {
        let modality = if i % 2 == 0 { "CT" } else { "MR" };
        let (study, series, sop) = (format!("1.4.{i}"), format!("1.4.{i}.1"), format!("1.4.{i}.1.1"));
        seed_instance(&api.storage, facility, &study, &series, &sop, modality, "DOE^JANE").await;
    }
    seed_instance(&api.storage, facility, "1.4.9", "1.4.9.1", "1.4.9.1.1", "US", "SMITH^ANNA").await;
    (api, facility)
}

async fn smith_study_id(api: &Api) -> String {
    let page = api.worklist("patient=smith").await;
    assert_eq!(page.items.len(), 1, "{page:?}");
    page.items[0].id.clone()
}

async fn pages_visit_every_study_once_in_either_order(kind: Kind) {
    let (api, _) = six_studies(kind).await;
    let walk = |order: &'static str| {
        let api = &api;
        async move {
            let mut seen = Vec::new();
            let mut query = format!("limit=4{order}");
            loop {
                let page = api.worklist(&query).await;
                seen.extend(page.items.iter().map(|s| s.study_instance_uid.clone()));
                match page.next_cursor {
                    Some(cursor) => query = format!("limit=4{order}&cursor={cursor}"),
                    None => break,
                }
            }
            seen
        }
    };
    let newest = ["1.4.9", "1.4.4", "1.4.3", "1.4.2", "1.4.1", "1.4.0"];
    assert_eq!(walk("").await, newest);
    assert_eq!(walk("&order=newest").await, newest);
    let mut oldest = newest;
    oldest.reverse();
    assert_eq!(walk("&order=oldest").await, oldest);
}

async fn the_worklist_filters_by_modality_and_patient(kind: Kind) {
    let (api, _) = six_studies(kind).await;
    let ct: Vec<_> = api.worklist("modality=ct").await.items.into_iter().map(|s| s.study_instance_uid).collect();
    assert_eq!(ct, ["1.4.4", "1.4.2", "1.4.0"], "modality matches whatever its case");
    let smith = api.worklist("patient=smith").await.items;
    assert_eq!(smith.iter().map(|s| s.patient_name.as_deref()).collect::<Vec<_>>(), [Some("SMITH^ANNA")]);
}

async fn a_bad_filter_is_refused_naming_its_parameter(kind: Kind) {
    let (api, _) = six_studies(kind).await;
    for (query, field) in [
        ("limit=0", Some("limit")),
        ("cursor=garbage", Some("cursor")),
        ("order=alphabetical", Some("order")),
        ("status=lost", None),
    ] {
        let bad = api.get(&format!("/api/v1/studies?{query}"), &api.admin).await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{query}: {}", bad.json);
        if let Some(field) = field {
            assert_eq!(bad.text("/error/field"), field, "{query}");
        }
    }
}

async fn a_study_shows_its_series_and_instances(kind: Kind) {
    let (api, _) = six_studies(kind).await;
    let study = smith_study_id(&api).await;
    let detail = api.get(&format!("/api/v1/studies/{study}"), &api.admin).await;
    assert_eq!(detail.status, StatusCode::OK, "{}", detail.json);
    assert_eq!(detail.text("/instances/0/sop_instance_uid"), "1.4.9.1.1");
    assert_eq!(detail.text("/series/0/modality"), "US");
}

async fn an_instance_downloads_as_stored(kind: Kind) {
    let (api, _) = six_studies(kind).await;
    let study = smith_study_id(&api).await;
    let file = api.get(&format!("/api/v1/studies/{study}/instances/1.4.9.1.1/file"), &api.admin).await;
    let content = match kind {
        Kind::Embedded => {
            assert_eq!(file.status, StatusCode::OK);
            assert_eq!(file.header("content-type"), "application/dicom");
            file.bytes
        }
        // S3 serves the bytes itself, through a short-lived presigned URL.
        Kind::Aws => {
            assert_eq!(file.status, StatusCode::TEMPORARY_REDIRECT);
            let location = file.header("location");
            assert!(location.contains("X-Amz-Signature"), "{location}");
            let fetched = reqwest::get(&location).await.expect("the presigned URL answers");
            fetched.bytes().await.expect("bytes").to_vec()
        }
    };
    assert_eq!(content, b"not really DICOM: 1.4.9.1.1");
}

async fn a_missing_instance_is_not_found(kind: Kind) {
    let (api, _) = six_studies(kind).await;
    let study = smith_study_id(&api).await;
    let missing = api.get(&format!("/api/v1/studies/{study}/instances/9.9.9/file"), &api.admin).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

async fn a_workflow_change_shows_in_the_worklist_filter(kind: Kind) {
    let (api, _) = six_studies(kind).await;
    let study = smith_study_id(&api).await;
    let body = json!({"status": "in_review", "priority": "stat"});
    let patched = api.patch(&format!("/api/v1/studies/{study}"), &api.admin, body).await;
    assert_eq!((patched.text("/status"), patched.text("/priority")), ("in_review".into(), "stat".into()));
    let in_review = api.worklist("status=in_review").await.items;
    assert_eq!(in_review.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(), [study.as_str()]);
    assert_eq!((in_review[0].status.as_str(), in_review[0].priority.as_str()), ("in_review", "stat"));
}

async fn facility_statistics_count_its_studies_and_instances(kind: Kind) {
    let (api, facility) = six_studies(kind).await;
    let stats = api.get(&format!("/api/v1/facilities/{facility}/stats"), &api.admin).await;
    assert_eq!(stats.status, StatusCode::OK, "{}", stats.json);
    assert_eq!((stats.json["studies"].as_u64(), stats.json["instances"].as_u64()), (Some(6), Some(6)));
    let bytes: u64 = (0..5).map(|i| format!("not really DICOM: 1.4.{i}.1.1").len() as u64).sum::<u64>()
        + "not really DICOM: 1.4.9.1.1".len() as u64;
    assert_eq!(stats.json["bytes"].as_u64(), Some(bytes));
}

async fn daily_activity_counts_today_per_facility_and_a_facility_user_sees_theirs(kind: Kind) {
    let (api, mercy) = six_studies(kind).await;
    let other = facility_id(&api.facility("Riverside").await);
    seed_instance(&api.storage, other, "2.7.1", "2.7.1.1", "2.7.1.1.1", "CT", "ROE^RICHARD").await;
    seed_instance(&api.storage, other, "2.7.1", "2.7.1.1", "2.7.1.1.2", "CT", "ROE^RICHARD").await;
    let today = chrono::Utc::now().date_naive().to_string();
    let counts = |day: &serde_json::Value| (day["studies"].as_u64(), day["instances"].as_u64());

    let all = api.get("/api/v1/activity", &api.admin).await;
    assert_eq!(all.status, StatusCode::OK, "{}", all.json);
    let days = all.json["days"].as_array().expect("days");
    assert_eq!(days.len(), 7, "a week by default: {}", all.json);
    assert_eq!(days[6]["day"], today.as_str());
    assert_eq!(counts(&days[6]), (Some(7), Some(8)), "every facility today");
    assert!(days[..6].iter().all(|d| counts(d) == (Some(0), Some(0))), "nothing on earlier days");
    let facility_today = |reply: &serde_json::Value, facility: FacilityId| {
        let entry = reply["facilities"]
            .as_array()
            .expect("facilities")
            .iter()
            .find(|f| f["facility_id"] == facility.to_string())
            .cloned();
        entry.map(|f| counts(&f["days"][6]))
    };
    assert_eq!(facility_today(&all.json, mercy), Some((Some(6), Some(6))));
    assert_eq!(facility_today(&all.json, other), Some((Some(1), Some(2))));

    let staff = api.user_token("riverside.staff", "facility_user", Some(other)).await;
    let theirs = api.get("/api/v1/activity?days=1", &staff).await;
    assert_eq!(theirs.status, StatusCode::OK, "{}", theirs.json);
    assert_eq!(theirs.json["days"].as_array().map(Vec::len), Some(1));
    assert_eq!(counts(&theirs.json["days"][0]), (Some(1), Some(2)), "their facility's only");
    assert_eq!(theirs.json["facilities"].as_array().map(Vec::len), Some(1));
    assert_eq!(facility_today(&api.get("/api/v1/activity", &staff).await.json, mercy), None);

    for bad in ["0", "93", "seven"] {
        let reply = api.get(&format!("/api/v1/activity?days={bad}"), &api.admin).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "days={bad}: {}", reply.json);
    }
    assert_eq!(api.get("/api/v1/activity?days=0", &api.admin).await.text("/error/field"), "days");
}
