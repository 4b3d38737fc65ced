//! The receiver image (receiver/Dockerfile) and the LocalStack compose file. No
//! Docker engine runs here, so the Dockerfile is read by BuildKit's own parser
//! and the compose file as YAML, and both are checked for what the deployment
//! relies on; the health check the image names is run against a real receiver.

use std::process::Command;

use noctis_e2e::receiver::Receiver;
use noctis_e2e::storage::Storage;
use serde_json::Value;

fn instructions() -> Vec<Value> {
    let path = noctis_e2e::workspace_root().join("receiver/Dockerfile");
    let run = noctis_e2e::python::run("parse_dockerfile.py", &[path.display().to_string()]);
    assert!(run.success, "BuildKit's parser reads the Dockerfile: {}{}", run.stdout, run.stderr);
    run.json().as_array().cloned().expect("a list of instructions")
}

fn values(instruction: &Value) -> Vec<String> {
    instruction["value"].as_array().into_iter().flatten().filter_map(|v| v.as_str().map(str::to_owned)).collect()
}

/// The instructions of the last stage: what the running image is.
fn runtime_stage(all: &[Value]) -> Vec<Value> {
    let start = all.iter().rposition(|i| i["cmd"] == "FROM").expect("a FROM");
    all[start..].to_vec()
}

#[test]
fn the_image_is_multi_stage_and_runs_the_receiver_as_a_non_root_user() {
    let all = instructions();
    assert!(all.iter().filter(|i| i["cmd"] == "FROM").count() >= 2, "a build stage and a runtime stage");
    let runtime = runtime_stage(&all);
    assert!(!values(&runtime[0])[0].starts_with("rust:"), "the runtime stage carries no toolchain");

    let user = runtime.iter().rfind(|i| i["cmd"] == "USER").map(values).expect("a USER in the runtime stage");
    let uid = user[0].split(':').next().unwrap_or_default();
    assert!(!matches!(uid, "" | "0" | "root"), "runs as a non-root user, not {uid:?}");

    let copied = runtime.iter().find(|i| i["cmd"] == "COPY").map(values).expect("the binary is copied in");
    let entrypoint = runtime.iter().find(|i| i["cmd"] == "ENTRYPOINT").map(values).expect("an ENTRYPOINT");
    assert_eq!(entrypoint[0], copied[copied.len() - 1], "the entrypoint is the copied receiver binary");
}

#[test]
fn the_build_stage_copies_every_workspace_member() {
    // Cargo refuses to build a workspace whose members are missing.
    let manifest = std::fs::read_to_string(noctis_e2e::workspace_root().join("Cargo.toml")).expect("the manifest");
    let members_line = manifest.lines().find(|l| l.starts_with("members")).expect("a members list");
    let members: Vec<&str> = members_line.split('"').skip(1).step_by(2).collect();
    assert!(members.len() >= 5, "{members:?}");
    let copied: Vec<String> = instructions().iter().filter(|i| i["cmd"] == "COPY").flat_map(values).collect();
    for member in members {
        assert!(copied.iter().any(|c| c == member), "the image build copies {member}: {copied:?}");
    }
}

#[test]
fn the_image_exposes_dicom_dicom_tls_and_health_and_checks_health_with_the_binary() {
    let all = instructions();
    let runtime = runtime_stage(&all);
    let exposed: Vec<String> = runtime.iter().filter(|i| i["cmd"] == "EXPOSE").flat_map(values).collect();
    let defaults = noctis_core::Config::default().dicom;
    for port in ["11112", "2762", &defaults.health_port.to_string()] {
        assert!(exposed.iter().any(|p| p.trim_end_matches("/tcp") == port), "EXPOSE {port}: {exposed:?}");
    }
    let health = runtime.iter().find(|i| i["cmd"] == "HEALTHCHECK").map(values).expect("a HEALTHCHECK");
    let entrypoint = runtime.iter().find(|i| i["cmd"] == "ENTRYPOINT").map(values).expect("an ENTRYPOINT");
    assert_eq!(health, ["CMD".to_owned(), entrypoint[0].clone(), "healthcheck".to_owned()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_health_check_passes_while_the_receiver_serves_and_fails_once_it_is_gone() {
    let storage = Storage::embedded().await;
    let receiver = Receiver::start(&storage);
    let check = |port: u16| {
        Command::new(noctis_e2e::workspace_binary("noctis-receiver"))
            .arg("healthcheck")
            .env("NOCTIS_DICOM__HEALTH_PORT", port.to_string())
            .output()
            .expect("the health check runs")
    };
    let healthy = check(receiver.health_port);
    assert!(healthy.status.success(), "{}", String::from_utf8_lossy(&healthy.stderr));
    let port = receiver.health_port;
    let status = receiver.terminate();
    assert!(status.success());
    let gone = check(port);
    assert!(!gone.status.success(), "a stopped receiver is unhealthy");
}

#[test]
fn the_compose_file_runs_the_receiver_image_on_the_terraform_environments_resources() {
    let root = noctis_e2e::workspace_root();
    let compose = root.join("localstack/docker-compose.yml");
    let run = noctis_e2e::python::run("parse_yaml.py", &[compose.display().to_string()]);
    assert!(run.success, "the compose file is YAML: {}", run.stderr);
    let compose = run.json();

    let mounts: Vec<String> = compose["services"]["localstack"]["volumes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str()?.split(':').next().map(str::to_owned))
        .filter(|source| source.starts_with("./"))
        .collect();
    assert!(!mounts.is_empty());
    for source in mounts {
        assert!(root.join("localstack").join(&source).exists(), "mounted {source} exists");
    }

    let receiver = &compose["services"]["receiver"];
    let dockerfile = receiver["build"]["dockerfile"].as_str().expect("a Dockerfile");
    let context = receiver["build"]["context"].as_str().expect("a build context");
    assert!(root.join("localstack").join(context).join(dockerfile).exists(), "{context}/{dockerfile}");

    // The resources envs/localstack creates, named after its `name` default.
    let variables = std::fs::read_to_string(root.join("infra-terraform/envs/localstack/variables.tf")).expect("tf");
    let block = variables.split("variable \"name\"").nth(1).expect("a name variable");
    let name = block.split("default").nth(1).and_then(|d| d.split('"').nth(1)).expect("a default name");
    let env = &receiver["environment"];
    assert_eq!(env["NOCTIS_AWS__BUCKET"], format!("{name}-instances").as_str());
    assert_eq!(env["NOCTIS_AWS__TABLE_PREFIX"], format!("{name}-").as_str());
    assert_eq!(env["NOCTIS_STORAGE__BACKEND"], "aws");
}
