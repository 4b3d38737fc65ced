//! The web console in a real browser, on each backend: the binaries a
//! deployment runs (`noctis-api serve` with the built console, `noctis-receiver`),
//! DCMTK as the modality, and Playwright driving Debian's Chromium through the
//! flows in `tests/browser/`. This file sets the scene (storage, an
//! administrator, a radiologist, another facility with a study of its own)
//! and hands pytest the addresses.

use std::path::PathBuf;
use std::process::Command;

use noctis_core::domain::{Actor, EmailAddress, RoleName, StudyId, Uid, Username, now};
use noctis_core::usecases::users::{NewUser, create_first_administrator, create_user};
use noctis_e2e::api::PASSWORD;
use noctis_e2e::api_server::ApiServer;
use noctis_e2e::dcmtk::storescu;
use noctis_e2e::receiver::{Receiver, SCP_AE_TITLE};
use noctis_e2e::storage::{Kind, Storage};
use noctis_e2e::{testdata, workspace_root};

noctis_e2e::on_both_backends!(the_console_flows_pass_in_a_real_browser);

const ADMIN: &str = "admin";
const RADIOLOGIST: &str = "dr.reed";

async fn the_console_flows_pass_in_a_real_browser(kind: Kind) {
    let console = workspace_root().join("api-lambda/web/dist");
    assert!(console.join("index.html").exists(), "the console is not built: run `make console` (make test does)");
    let python = workspace_root().join(".tools/browser/bin/python");
    assert!(python.exists(), "the browser suite's venv is missing: run `scripts/install-test-tools browser`");

    let storage = Storage::new(kind).await;
    person(&storage, ADMIN, RoleName::Administrator).await;
    person(&storage, RADIOLOGIST, RoleName::Radiologist).await;
    // Another facility, with a study the Riverside staff must never see.
    let northside = storage.facility("Northside Clinic").await;
    let secret = "a browser suite secret of thirty-two bytes+";
    let receiver = Receiver::start_with(
        &storage,
        &[("NOCTIS_DICOM__FACILITY_CACHE_SECS", "1"), ("NOCTIS_API__TOKEN_SECRET", secret)],
    );
    let data = testdata::samples();
    let ct = data.files.iter().find(|f| f.name == "CT_small.dcm").expect("pydicom's CT_small.dcm");
    let sent = storescu(receiver.dicom_port, northside.ae_title.as_str(), SCP_AE_TITLE, &[], &[ct.path.as_path()]);
    assert_eq!(sent.store_statuses(), ["Success"], "{}", sent.text);
    let other_study = StudyId::for_study(northside.id, &Uid::parse(&ct.study_instance_uid).expect("a UID"));

    let mut env = storage.env.clone();
    env.extend([
        ("NOCTIS_API__CONSOLE_DIR".to_owned(), console.display().to_string()),
        ("NOCTIS_API__TOKEN_SECRET".to_owned(), secret.to_owned()),
        ("NOCTIS_API__DICOMWEB_UPSTREAM".to_owned(), receiver.web_url("")),
        ("NOCTIS_API__PUBLIC_DICOM_HOST".to_owned(), "127.0.0.1".to_owned()),
        ("NOCTIS_API__PUBLIC_DICOM_PORT".to_owned(), receiver.dicom_port.to_string()),
    ]);
    let api = ApiServer::start(&env);

    let backend = match kind {
        Kind::Embedded => "embedded",
        Kind::Aws => "aws",
    };
    let screenshots = std::env::var_os("NOCTIS_SCREENSHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target/console-screenshots").join(backend));
    let status = Command::new(python)
        .args(["-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "tests/browser"])
        .current_dir(workspace_root())
        .env("NOCTIS_URL", &api.base_url)
        .env("NOCTIS_BACKEND", backend)
        .env("NOCTIS_ADMIN", ADMIN)
        .env("NOCTIS_RADIOLOGIST", RADIOLOGIST)
        .env("NOCTIS_PASSWORD", PASSWORD)
        .env("NOCTIS_DICOM_PORT", receiver.dicom_port.to_string())
        .env("NOCTIS_CALLED_AE", SCP_AE_TITLE)
        .env("NOCTIS_OTHER_STUDY", other_study.to_string())
        .env("NOCTIS_OTHER_STUDY_UID", &ct.study_instance_uid)
        .env("NOCTIS_AXE", workspace_root().join("api-lambda/web/node_modules/axe-core/axe.min.js"))
        .env("NOCTIS_SCREENSHOTS", &screenshots)
        .status()
        .expect("pytest runs");
    assert!(status.success(), "the browser suite failed on the {backend} backend (its output is above)");
}

async fn person(storage: &Storage, username: &str, role: RoleName) {
    let (users, facilities, audit) =
        (storage.ports.users.as_ref(), storage.ports.facilities.as_ref(), storage.ports.audit.as_ref());
    let request = NewUser {
        username: Username::parse(username).expect("a username"),
        email: EmailAddress::parse(&format!("{username}@hospital.example")).expect("an email"),
        role,
        facility: None,
        password: PASSWORD.to_owned(),
    };
    match role {
        RoleName::Administrator => {
            create_first_administrator(users, facilities, audit, request, now()).await.expect("an administrator");
        }
        _ => {
            create_user(users, facilities, audit, &Actor::System, request, now()).await.expect("a user");
        }
    }
}
