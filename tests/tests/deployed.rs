//! The stack as Terraform deploys it (envs/localstack, applied to the emulator by
//! `scripts/infra emulator-test`, which `make test` runs): the tables and bucket
//! Terraform created must be the ones the AWS adapter expects, and the receiver
//! and API, configured exactly as the task definition and the function are,
//! must work on them.
//!
//! These tests need that applied stack, so a plain `cargo test` lists them as
//! ignored; the infra script runs them with `--ignored` and the stack's outputs
//! in NOCTIS_TEST_DEPLOYED_OUTPUTS.

use std::collections::BTreeMap;
use std::process::{Command, Stdio};

use noctis_core::aws::{TableNames, schema};
use noctis_core::domain::FacilityId;
use noctis_e2e::api::PASSWORD;
use noctis_e2e::api_server::ApiServer;
use noctis_e2e::balancer::Balancer;
use noctis_e2e::dcmtk::{echoscu, storescu};
use noctis_e2e::receiver::{Receiver, SCP_AE_TITLE};
use noctis_e2e::storage::{Storage, emulator_endpoint};
use noctis_e2e::testdata;
use serde_json::{Value, json};

/// `terraform output -json` of envs/localstack.
struct Deployed(Value);

impl Deployed {
    fn load() -> Self {
        let raw = std::env::var("NOCTIS_TEST_DEPLOYED_OUTPUTS")
            .expect("NOCTIS_TEST_DEPLOYED_OUTPUTS is not set: run scripts/infra emulator-test");
        Self(serde_json::from_str(&raw).expect("terraform output -json"))
    }

    fn string(&self, name: &str) -> String {
        self.0[name]["value"].as_str().unwrap_or_else(|| panic!("output {name}")).to_owned()
    }

    /// A map output as environment pairs.
    fn environment(&self, name: &str) -> Vec<(String, String)> {
        let map = self.0[name]["value"].as_object().unwrap_or_else(|| panic!("output {name}"));
        map.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned())).collect()
    }

    async fn storage(&self) -> Storage {
        Storage::existing_aws(&self.string("bucket_name"), &self.string("table_prefix")).await
    }

    /// What the stack routes where, and the receiver's secrets, read back
    /// from the emulator (tests/scripts/deployed_routing.py).
    fn routing(&self) -> Value {
        let secrets = self.0["receiver_secrets"]["value"].to_string();
        let args =
            [emulator_endpoint(), self.string("distribution_id"), self.string("dicomweb_origin_target"), secrets];
        let read = noctis_e2e::python::run("deployed_routing.py", &args);
        assert!(read.success, "{}", read.stderr);
        read.json()
    }
}

/// A `DescribeTable` answer in the form of `schema::create_table_inputs`,
/// with lists sorted so order does not matter.
fn described(table: &aws_sdk_dynamodb::types::TableDescription, ttl_attribute: Option<&str>) -> Value {
    let keys = |schema: &[aws_sdk_dynamodb::types::KeySchemaElement]| -> Vec<Value> {
        schema.iter().map(|k| json!({"AttributeName": k.attribute_name(), "KeyType": k.key_type().as_str()})).collect()
    };
    let mut value = json!({
        "TableName": table.table_name(),
        "BillingMode": table.billing_mode_summary().and_then(|b| b.billing_mode()).map(|m| m.as_str()),
        "KeySchema": keys(table.key_schema()),
        "AttributeDefinitions": table.attribute_definitions().iter()
            .map(|a| json!({"AttributeName": a.attribute_name(), "AttributeType": a.attribute_type().as_str()}))
            .collect::<Vec<_>>(),
    });
    if !table.global_secondary_indexes().is_empty() {
        value["GlobalSecondaryIndexes"] = table
            .global_secondary_indexes()
            .iter()
            .map(|i| {
                json!({
                    "IndexName": i.index_name(),
                    "KeySchema": keys(i.key_schema()),
                    "Projection": {"ProjectionType": i.projection().and_then(|p| p.projection_type()).map(|t| t.as_str())},
                })
            })
            .collect();
    }
    if let Some(attribute) = ttl_attribute {
        value["x-noctis-ttl-attribute"] = json!(attribute);
    }
    sorted(value)
}

fn sorted(mut value: Value) -> Value {
    for (list, key) in [("AttributeDefinitions", "AttributeName"), ("GlobalSecondaryIndexes", "IndexName")] {
        if let Some(items) = value[list].as_array_mut() {
            items.sort_by(|a, b| a[key].as_str().cmp(&b[key].as_str()));
        }
    }
    value
}

/// One origin for the console, the API and DICOMweb: the distribution sends
/// /dicomweb/* to the receivers' balancer with a header only it knows, which
/// the balancer requires, and everything else to the API; the balancer's
/// target group is the receivers' web port, health-checked and drained as the
/// DICOM target groups are.
#[test]
#[ignore = "needs the Terraform-applied stack: scripts/infra emulator-test"]
fn the_console_origin_sends_dicomweb_to_the_receivers_and_the_rest_to_the_api() {
    let deployed = Deployed::load();
    let routing = deployed.routing();
    let receiver: BTreeMap<String, String> = deployed.environment("receiver_environment").into_iter().collect();
    let api_host = deployed.string("api_url").trim_start_matches("https://").split('/').next().map(str::to_owned);

    let api = &routing["origins"]["api"];
    assert_eq!(api["domain"].as_str().map(str::to_owned), api_host, "{routing}");
    assert_eq!(api["protocol"], "https-only");
    let default = &routing["behaviours"]["default"];
    assert_eq!(
        (default["origin"].as_str(), default["viewer_protocol"].as_str()),
        (Some("api"), Some("redirect-to-https"))
    );
    let dicomweb = &routing["behaviours"]["/dicomweb/*"];
    assert_eq!(dicomweb["origin"], "dicomweb", "{routing}");
    for behaviour in [default, dicomweb] {
        let methods = behaviour["methods"].as_array().expect("methods");
        assert!(["GET", "POST", "PUT", "DELETE"].iter().all(|m| methods.contains(&json!(m))), "{behaviour}");
        assert_eq!(behaviour["cache_policy"], "4135ea2d-6df8-44a3-9df3-4b5a84be39ad", "nothing is cached");
    }
    // API Gateway answers to its own host; the receivers get the viewer's, for RetrieveURLs.
    // Both get CloudFront's headers, CloudFront-Viewer-Address among them.
    assert_eq!(default["origin_request_policy"], "b689b0a8-53d0-40ab-baf2-68738e2966ac", "all viewer headers but Host");
    assert_eq!(
        dicomweb["origin_request_policy"], "33f36d7e-f396-46d9-90e0-52428a34d9dc",
        "viewer and CloudFront headers"
    );
    assert_eq!(dicomweb["compress"], false, "instances pass byte for byte");

    let origin = &routing["origins"]["dicomweb"];
    assert_eq!(origin["domain"].as_str(), Some(deployed.string("dicomweb_origin_target").as_str()));
    let headers = origin["headers"].as_object().expect("headers");
    let (header, secret) = headers.iter().next().expect("the distribution sends the origin a header");
    let listeners = routing["balancer"]["listeners"].as_array().expect("listeners");
    assert_eq!(listeners.len(), 1, "{routing}");
    let rules = listeners[0]["rules"].as_array().expect("rules");
    let fallback = rules.iter().find(|r| r["default"] == true).expect("a default rule");
    assert_eq!((fallback["action"].as_str(), fallback["status"].as_str()), (Some("fixed-response"), Some("403")));
    let forward = rules.iter().find(|r| r["action"] == "forward").expect("a forwarding rule");
    assert_eq!(forward["conditions"]["header"], json!([header, [secret]]), "only the distribution's requests pass");
    assert_eq!(forward["conditions"]["path"], json!(["/dicomweb/*"]));

    let group = &routing["target_groups"][forward["target_group"].as_str().expect("a target group")];
    assert_eq!(group["port"].to_string(), receiver["NOCTIS_DICOM__WEB_PORT"], "the receivers' web port");
    assert_eq!(group["health_port"].as_str(), Some(receiver["NOCTIS_DICOM__HEALTH_PORT"].as_str()));
    assert_eq!(group["health_path"], "/healthz");
    assert_eq!(
        group["deregistration_delay"].as_str(),
        Some(receiver["NOCTIS_DICOM__SHUTDOWN_GRACE_SECS"].as_str()),
        "a draining receiver's requests get the same grace as its associations"
    );
    let api: BTreeMap<String, String> = deployed.environment("api_environment").into_iter().collect();
    assert_eq!(
        routing["secrets"]["NOCTIS_API__TOKEN_SECRET"].as_str(),
        api.get("NOCTIS_API__TOKEN_SECRET").map(String::as_str),
        "the receivers check sign-ins with the API's secret"
    );
    // The API and the receivers believe CloudFront-Viewer-Address only beside the
    // header the distribution sends both of them.
    assert_eq!(routing["origins"]["api"]["headers"][header], *secret, "the API's origin gets the header too");
    assert_eq!(routing["secrets"]["NOCTIS_API__EDGE_SECRET"], *secret);
    assert_eq!(api.get("NOCTIS_API__EDGE_SECRET").map(String::as_str), secret.as_str());
}

/// The function Terraform deployed serves the console from its own zip.
#[test]
#[ignore = "needs the Terraform-applied stack: scripts/infra emulator-test"]
fn the_deployed_function_carries_the_console() {
    let deployed = Deployed::load();
    let environment = deployed.environment("api_environment");
    let console_dir = environment.iter().find(|(k, _)| k == "NOCTIS_API__CONSOLE_DIR").map(|(_, v)| v.clone());
    assert_eq!(console_dir.as_deref(), Some("/var/task/console"));
    let package = noctis_e2e::workspace_root().join("target/lambda/noctis-api/bootstrap.zip");
    let read = noctis_e2e::python::run("read_zip.py", &[package.display().to_string()]);
    assert!(read.success, "{}", read.stderr);
    let names: Vec<String> = read.json()["entries"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["name"].as_str().map(str::to_owned))
        .collect();
    assert!(names.contains(&"bootstrap".to_owned()), "{names:?}");
    assert!(names.contains(&"console/index.html".to_owned()), "{names:?}");
    // The zip carries this build, whole: the entry chunks index.html names and
    // the lazily loaded ones (the viewer, its decode worker, the codecs' wasm).
    let dist = noctis_e2e::workspace_root().join("api-lambda/web/dist");
    let mut built: Vec<String> = walk(&dist)
        .iter()
        .map(|path| format!("console/{}", path.strip_prefix(&dist).expect("under dist").display()))
        .collect();
    let mut packaged: Vec<String> = names.iter().filter(|n| n.starts_with("console/")).cloned().collect();
    built.sort();
    packaged.sort();
    assert_eq!(packaged, built, "the zip's console is the build in api-lambda/web/dist");
    let index = std::fs::read_to_string(dist.join("index.html")).expect("built");
    assert!(index.contains("/assets/"), "index.html names its assets");
}

fn walk(folder: &std::path::Path) -> Vec<std::path::PathBuf> {
    let entries = std::fs::read_dir(folder).unwrap_or_else(|e| panic!("{}: {e}", folder.display()));
    entries
        .map(|entry| entry.expect("a readable entry").path())
        .flat_map(|path| if path.is_dir() { walk(&path) } else { vec![path] })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the Terraform-applied stack: scripts/infra emulator-test"]
async fn the_tables_terraform_created_are_the_adapters_schema() {
    let deployed = Deployed::load();
    let storage = deployed.storage().await;
    let dynamodb = storage.aws_clients().await.dynamodb;
    let expected = schema::create_table_inputs(&TableNames::with_prefix(&deployed.string("table_prefix")));
    assert_eq!(expected.len(), 6);
    for (name, input) in expected {
        let table = dynamodb.describe_table().table_name(&name).send().await.unwrap_or_else(|e| {
            panic!("Terraform created no table {name}: {e:?}");
        });
        let ttl = dynamodb.describe_time_to_live().table_name(&name).send().await.expect("TTL answers");
        let ttl_attribute = ttl
            .time_to_live_description()
            .filter(|d| d.time_to_live_status().is_some_and(|s| s.as_str() == "ENABLED"))
            .and_then(|d| d.attribute_name());
        let table = table.table().expect("a description");
        assert_eq!(described(table, ttl_attribute), sorted(input), "table {name} differs from the adapter's schema");

        let backups = dynamodb.describe_continuous_backups().table_name(&name).send().await.expect("backups answer");
        let pitr = backups
            .continuous_backups_description()
            .and_then(|d| d.point_in_time_recovery_description())
            .and_then(|p| p.point_in_time_recovery_status())
            .map(|s| s.as_str().to_owned());
        assert_eq!(pitr.as_deref(), Some("ENABLED"), "point-in-time recovery on {name}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the Terraform-applied stack: scripts/infra emulator-test"]
async fn the_bucket_terraform_created_is_private_versioned_encrypted_and_archived() {
    let deployed = Deployed::load();
    let bucket = deployed.string("bucket_name");
    let s3 = deployed.storage().await.aws_clients().await.s3;

    // Versioning, by behaviour: an overwrite keeps the earlier bytes. (moto's
    // GetBucketVersioning answer has a root element the Rust SDK rejects.)
    let key = format!("deployed-suite/{}", uuid::Uuid::new_v4());
    for body in ["first", "second"] {
        s3.put_object().bucket(&bucket).key(&key).body(body.as_bytes().to_vec().into()).send().await.expect("a write");
    }
    let versions = s3.list_object_versions().bucket(&bucket).prefix(&key).send().await.expect("versions answer");
    assert_eq!(versions.versions().len(), 2, "both versions are kept");

    let encryption = s3.get_bucket_encryption().bucket(&bucket).send().await.expect("encryption answers");
    let rule = encryption
        .server_side_encryption_configuration()
        .and_then(|c| c.rules().first())
        .and_then(|r| r.apply_server_side_encryption_by_default())
        .expect("a default encryption rule");
    assert_eq!(rule.sse_algorithm().as_str(), "aws:kms");
    assert!(rule.kms_master_key_id().is_some_and(|k| k.contains(":key/")), "a customer-managed key: {rule:?}");

    let block = s3.get_public_access_block().bucket(&bucket).send().await.expect("public access block answers");
    let block = block.public_access_block_configuration().expect("a configuration");
    assert_eq!(
        (
            block.block_public_acls(),
            block.ignore_public_acls(),
            block.block_public_policy(),
            block.restrict_public_buckets()
        ),
        (Some(true), Some(true), Some(true), Some(true))
    );

    let lifecycle = s3.get_bucket_lifecycle_configuration().bucket(&bucket).send().await.expect("lifecycle answers");
    let rules = lifecycle.rules();
    assert!(rules.iter().any(|r| !r.transitions().is_empty()), "instances move to an archive class: {rules:?}");
    assert!(
        rules.iter().any(|r| r.abort_incomplete_multipart_upload().is_some()),
        "unfinished multipart uploads are cleaned up: {rules:?}"
    );
    assert!(
        rules.iter().any(|r| r.filter().and_then(|f| f.prefix()) == Some("exports/")
            && r.expiration().and_then(|e| e.days()) == Some(1)),
        "study zips made for downloads expire after a day: {rules:?}"
    );
}

/// The receiver with the task definition's configuration, its secrets read
/// from Secrets Manager as ECS would; only addresses and the emulator
/// endpoint are this machine's.
fn receiver(deployed: &Deployed, storage: &Storage, routing: &Value) -> Receiver {
    let local = ["NOCTIS_DICOM__BIND", "NOCTIS_DICOM__PORT", "NOCTIS_DICOM__HEALTH_PORT", "NOCTIS_DICOM__WEB_PORT"];
    let mut env: Vec<(String, String)> = deployed
        .environment("receiver_environment")
        .into_iter()
        .filter(|(k, _)| !local.contains(&k.as_str()))
        .collect();
    let secrets = routing["secrets"].as_object().expect("the receiver's secrets");
    env.extend(secrets.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned())));
    env.push(("NOCTIS_DICOM__FACILITY_CACHE_SECS".into(), "1".into()));
    let pairs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    Receiver::start_with(storage, &pairs)
}

/// The function's configuration, pointed at the emulator.
fn api_environment(deployed: &Deployed) -> Vec<(String, String)> {
    let mut env = deployed.environment("api_environment");
    env.extend([
        ("NOCTIS_AWS__ENDPOINT_URL".into(), emulator_endpoint()),
        ("AWS_ACCESS_KEY_ID".into(), "testing".into()),
        ("AWS_SECRET_ACCESS_KEY".into(), "testing".into()),
    ]);
    env
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the Terraform-applied stack: scripts/infra emulator-test"]
async fn a_facility_sends_to_the_deployed_stack_and_its_study_is_served() {
    let deployed = Deployed::load();
    let storage = deployed.storage().await;
    let env = api_environment(&deployed);

    // The first administrator, as the README's deploy steps create it.
    let admin = format!("admin.{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let created = Command::new(noctis_e2e::workspace_binary("noctis-api"))
        .args(["create-admin", "--username", &admin])
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .env("NOCTIS_ADMIN_PASSWORD", PASSWORD)
        .stdout(Stdio::piped())
        .output()
        .expect("create-admin runs");
    assert!(created.status.success(), "create-admin: {}", String::from_utf8_lossy(&created.stdout));

    let api = ApiServer::start(&env);
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("a client");
    let login = |username: String| {
        let http = http.clone();
        let url = api.url("/api/v1/auth/login");
        async move {
            let reply = http.post(url).json(&json!({"username": username, "password": PASSWORD})).send().await;
            let body: Value = reply.expect("login answers").json().await.expect("login JSON");
            body["token"].as_str().unwrap_or_else(|| panic!("signed in: {body}")).to_owned()
        }
    };
    let admin_token = login(admin.clone()).await;

    let suffix = &uuid::Uuid::new_v4().simple().to_string()[..6];
    let facility_user = format!("it.{suffix}");
    let body = json!({
        "name": format!("Harbour Imaging {suffix}"), "email": "it@harbour.example",
        "license_number": format!("LIC-{suffix}"),
        "facility_user": {"username": facility_user, "password": PASSWORD, "email": "it@harbour.example"},
    });
    let reply = http.post(api.url("/api/v1/facilities")).bearer_auth(&admin_token).json(&body).send().await;
    let reply = reply.expect("answers");
    assert_eq!(reply.status(), 201);
    let facility: Value = reply.json().await.expect("facility JSON");
    let ae = facility["ae_title"].as_str().expect("an AE title").to_owned();
    let facility_id: FacilityId = facility["id"].as_str().and_then(|s| s.parse().ok()).expect("an id");

    let sheet: Value = http
        .get(api.url(&format!("/api/v1/facilities/{facility_id}/dicom-config")))
        .bearer_auth(&admin_token)
        .send()
        .await
        .expect("answers")
        .json()
        .await
        .expect("sheet JSON");
    assert_eq!(sheet["host"], deployed.string("dicom_host").as_str(), "the sheet names the load balancer");
    assert_eq!((sheet["port"].as_u64(), sheet["tls_port"].is_null()), (Some(11112), true), "{sheet}");

    let receiver = receiver(&deployed, &storage, &deployed.routing());
    // The task definition expects the NLB's PROXY v2 header; this plays the NLB.
    let nlb = Balancer::start(receiver.dicom_port, "203.0.113.50:41000".parse().expect("an address")).await;
    let echo = echoscu(nlb.port, &ae, SCP_AE_TITLE);
    assert!(echo.success, "C-ECHO from the registered facility: {}", echo.text);
    let data = testdata::samples();
    let files: Vec<_> = data.files.iter().filter(|f| f.transfer_syntax == "1.2.840.10008.1.2.1").take(3).collect();
    assert!(!files.is_empty(), "explicit VR little endian samples");
    let paths = testdata::paths(&files);
    let run = storescu(nlb.port, &ae, SCP_AE_TITLE, &["-xe"], &testdata::as_paths(&paths));
    let errors: Vec<String> = receiver.logs().into_iter().filter(|l| l.contains("\"ERROR\"")).collect();
    assert_eq!(run.store_statuses(), vec!["Success"; files.len()], "{}\nreceiver errors: {errors:#?}", run.text);

    let user_token = login(facility_user).await;
    let list: Value = http
        .get(api.url("/api/v1/studies?limit=50"))
        .bearer_auth(&user_token)
        .send()
        .await
        .expect("answers")
        .json()
        .await
        .expect("worklist JSON");
    let items = list["items"].as_array().expect("items");
    let mut expected: BTreeMap<&str, u64> = BTreeMap::new();
    for file in &files {
        *expected.entry(file.study_instance_uid.as_str()).or_default() += 1;
    }
    let seen: BTreeMap<&str, u64> =
        items.iter().filter_map(|s| Some((s["study_instance_uid"].as_str()?, s["instance_count"].as_u64()?))).collect();
    assert_eq!(seen, expected, "the facility's worklist shows what it sent");

    // The path the distribution sends /dicomweb/* on: the receiver, with the
    // token secret it reads from Secrets Manager, takes the API's sign-in.
    let found: Value = http
        .get(receiver.web_url("/dicomweb/studies"))
        .bearer_auth(&user_token)
        .header("accept", "application/dicom+json")
        .send()
        .await
        .expect("DICOMweb answers")
        .json()
        .await
        .expect("QIDO-RS JSON");
    let studies: std::collections::BTreeSet<&str> =
        found.as_array().into_iter().flatten().filter_map(|s| s["0020000D"]["Value"][0].as_str()).collect();
    assert_eq!(studies, expected.keys().copied().collect(), "QIDO-RS finds the facility's studies: {found}");

    // The file route answers with a presigned URL into the KMS-encrypted bucket.
    let file = files[0];
    let study = items
        .iter()
        .find(|s| s["study_instance_uid"] == file.study_instance_uid.as_str())
        .and_then(|s| s["id"].as_str())
        .expect("the study's id");
    let reply = http
        .get(api.url(&format!("/api/v1/studies/{study}/instances/{}/file", file.sop_instance_uid)))
        .bearer_auth(&user_token)
        .send()
        .await
        .expect("answers");
    assert_eq!(reply.status(), 307);
    let location = reply.headers()["location"].to_str().expect("a URL").to_owned();
    let downloaded = http.get(&location).send().await.expect("S3 answers").bytes().await.expect("bytes");
    let registered = storage.ports.facilities.get(facility_id).await.expect("registry answers").expect("facility");
    let stored = storage.stored_object(&registered, file).await.expect("the object is in the bucket");
    assert_eq!(downloaded.as_ref(), stored.as_slice(), "the presigned URL serves the stored instance");
    assert_eq!(&stored[128..132], b"DICM");

    let audit: Value = http
        .get(api.url(&format!("/api/v1/audit?facility_id={facility_id}&kind=instance_stored")))
        .bearer_auth(&admin_token)
        .send()
        .await
        .expect("answers")
        .json()
        .await
        .expect("audit JSON");
    assert_eq!(audit["items"].as_array().map(Vec::len), Some(files.len()), "one audit event per stored instance");

    let reply = http
        .post(api.url(&format!("/api/v1/facilities/{facility_id}/deactivate")))
        .bearer_auth(&admin_token)
        .send()
        .await
        .expect("answers");
    assert_eq!(reply.status(), 200);
    noctis_e2e::eventually(10, "the deactivation to reach the receiver", || async {
        echoscu(nlb.port, &ae, SCP_AE_TITLE).text.contains("Calling AE Title Not Recognized").then_some(())
    })
    .await;
}
