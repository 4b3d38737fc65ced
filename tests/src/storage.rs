//! The storage a test's Noctis runs on: a fresh embedded data directory, or fresh
//! tables and bucket on the emulator `make test` started. The test keeps its own
//! handle on the same storage to arrange facilities and inspect results.

use noctis_core::Ports;
use noctis_core::aws::{self, AwsClients};
use noctis_core::config::{AwsConfig, Config};
use noctis_core::domain::{
    Actor, AllowedNetworks, EmailAddress, Facility, FacilityDraft, FacilityName, LicenseNumber, MoveDestinations, now,
};
use noctis_core::usecases::facilities::{NewFacility, register_facility};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Embedded,
    Aws,
}

pub struct Storage {
    pub kind: Kind,
    pub ports: Ports,
    /// `NOCTIS_*` variables that point a Noctis process at this storage.
    pub env: Vec<(String, String)>,
    pub aws: Option<AwsConfig>,
    _dir: Option<tempfile::TempDir>,
}

impl std::fmt::Debug for Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Storage").field("kind", &self.kind).field("env", &self.env).finish_non_exhaustive()
    }
}

impl Storage {
    pub async fn new(kind: Kind) -> Self {
        match kind {
            Kind::Embedded => Self::embedded().await,
            Kind::Aws => Self::aws(None).await,
        }
    }

    pub async fn embedded() -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let ports = noctis_core::embedded::open(dir.path()).await.expect("the embedded backend opens");
        let env = vec![
            ("NOCTIS_STORAGE__BACKEND".into(), "embedded".into()),
            ("NOCTIS_STORAGE__DATA_DIR".into(), dir.path().display().to_string()),
        ];
        Self { kind: Kind::Embedded, ports, env, aws: None, _dir: Some(dir) }
    }

    /// Fresh resources on `endpoint`, or on the emulator `make test` exports.
    pub async fn aws(endpoint: Option<String>) -> Self {
        let endpoint = endpoint.unwrap_or_else(emulator_endpoint);
        let run = uuid::Uuid::new_v4().simple().to_string();
        let mut config = Config::default().aws;
        config.endpoint_url = Some(endpoint);
        config.table_prefix = format!("e{}-", &run[..12]);
        config.bucket = format!("noctis-e2e-{}", &run[..20]);
        let clients = AwsClients::with_credentials(&config, "testing", "testing").await;
        aws::provision(&clients, &config).await.expect("the emulator takes the bucket and tables");
        Self::on_aws(config).await
    }

    /// The bucket and tables something else created (Terraform, in the deployed
    /// suite), used as they are: nothing is provisioned here.
    pub async fn existing_aws(bucket: &str, table_prefix: &str) -> Self {
        let mut config = Config::default().aws;
        config.endpoint_url = Some(emulator_endpoint());
        config.bucket = bucket.to_owned();
        config.table_prefix = table_prefix.to_owned();
        Self::on_aws(config).await
    }

    async fn on_aws(config: AwsConfig) -> Self {
        let clients = AwsClients::with_credentials(&config, "testing", "testing").await;
        let env = vec![
            ("NOCTIS_STORAGE__BACKEND".into(), "aws".into()),
            ("NOCTIS_AWS__ENDPOINT_URL".into(), config.endpoint_url.clone().unwrap_or_default()),
            ("NOCTIS_AWS__BUCKET".into(), config.bucket.clone()),
            ("NOCTIS_AWS__TABLE_PREFIX".into(), config.table_prefix.clone()),
            ("NOCTIS_AWS__REGION".into(), config.region.clone()),
            ("AWS_ACCESS_KEY_ID".into(), "testing".into()),
            ("AWS_SECRET_ACCESS_KEY".into(), "testing".into()),
        ];
        Self { kind: Kind::Aws, ports: aws::ports(&clients, &config), env, aws: Some(config), _dir: None }
    }

    /// Another storage on the same objects with an empty index and registry:
    /// what a site has left after losing its database.
    pub async fn beside_with_an_empty_index(&self) -> Storage {
        match (&self.aws, &self._dir) {
            (Some(config), _) => {
                let mut config = config.clone();
                let run = uuid::Uuid::new_v4().simple().to_string();
                config.table_prefix = format!("r{}-", &run[..12]);
                let clients = AwsClients::with_credentials(&config, "testing", "testing").await;
                aws::provision(&clients, &config).await.expect("the emulator takes the new tables");
                Self::on_aws(config).await
            }
            (None, Some(dir)) => {
                let fresh = tempfile::tempdir().expect("a temporary directory");
                std::os::unix::fs::symlink(dir.path().join("objects"), fresh.path().join("objects"))
                    .expect("the objects are shared");
                let ports = noctis_core::embedded::open(fresh.path()).await.expect("the embedded backend opens");
                let env = vec![
                    ("NOCTIS_STORAGE__BACKEND".into(), "embedded".into()),
                    ("NOCTIS_STORAGE__DATA_DIR".into(), fresh.path().display().to_string()),
                ];
                Self { kind: Kind::Embedded, ports, env, aws: None, _dir: Some(fresh) }
            }
            (None, None) => panic!("an embedded storage keeps its directory"),
        }
    }

    /// Clients for the emulator this storage lives on (AWS storage only).
    pub async fn aws_clients(&self) -> AwsClients {
        let config = self.aws.as_ref().expect("AWS storage");
        AwsClients::with_credentials(config, "testing", "testing").await
    }

    /// Registers an active facility called `name`; its AE title is generated.
    pub async fn facility(&self, name: &str) -> Facility {
        self.facility_with_networks(name, &[]).await
    }

    pub async fn facility_with_networks(&self, name: &str, networks: &[&str]) -> Facility {
        self.facility_registered(name, networks, MoveDestinations::default()).await
    }

    /// A facility with the C-MOVE destinations `destinations`.
    pub async fn facility_with_destinations(&self, name: &str, destinations: &[(&str, &str, u16)]) -> Facility {
        let raw: Vec<(String, String, u32)> = destinations
            .iter()
            .map(|(ae, host, port)| ((*ae).to_owned(), (*host).to_owned(), u32::from(*port)))
            .collect();
        self.facility_registered(name, &[], MoveDestinations::parse(&raw).expect("valid destinations")).await
    }

    async fn facility_registered(
        &self,
        name: &str,
        networks: &[&str],
        move_destinations: MoveDestinations,
    ) -> Facility {
        let draft = FacilityDraft {
            name: FacilityName::parse(name).expect("name"),
            address: "1 Test Street".into(),
            phone: "+1 555 0100".into(),
            email: EmailAddress::parse("pacs@test.example").expect("email"),
            license_number: LicenseNumber::parse(&format!("LIC-{}", uuid::Uuid::new_v4())).expect("licence"),
            allowed_networks: AllowedNetworks::parse(networks).expect("networks"),
            move_destinations,
            retention: None,
        };
        let request = NewFacility { draft, ae_title: None, first_user: None };
        let (registry, audit) = (self.ports.facilities.as_ref(), self.ports.audit.as_ref());
        register_facility(registry, audit, &Actor::System, request, now())
            .await
            .expect("the facility registers")
            .facility
    }
}

impl Storage {
    /// The stored Part-10 object of a test file sent by `facility`, if any.
    pub async fn stored_object(&self, facility: &Facility, file: &crate::testdata::TestFile) -> Option<Vec<u8>> {
        use noctis_core::domain::{ObjectKey, Uid};
        use tokio::io::AsyncReadExt;
        let uid = |s: &str| Uid::parse(s).expect("a valid UID");
        let key = ObjectKey::for_instance(
            facility.id,
            &uid(&file.study_instance_uid),
            &uid(&file.series_instance_uid),
            &uid(&file.sop_instance_uid),
        );
        let mut reader = self.ports.objects.read(&key).await.expect("the object store answers")?;
        let mut bytes = Vec::new();
        reader.read_to_end(&mut bytes).await.expect("the object reads");
        Some(bytes)
    }

    /// The audit events of `kind` for `facility` in the last hour, newest first.
    pub async fn recent_audit_events(
        &self,
        facility: &Facility,
        kind: noctis_core::domain::AuditKind,
    ) -> Vec<noctis_core::domain::AuditEvent> {
        use noctis_core::domain::{AuditQuery, PageLimit, PageRequest};
        let now = noctis_core::domain::now();
        let query = AuditQuery {
            from: now - chrono::Duration::hours(1),
            to: now + chrono::Duration::hours(1),
            facility_id: Some(facility.id),
            actor: None,
            kind: Some(kind),
        };
        let page = PageRequest::first(PageLimit::new(100).expect("a page size"));
        self.ports.audit.query(&query, &page).await.expect("reads the audit trail").items
    }

    pub async fn study(&self, facility: &Facility, study_uid: &str) -> Option<noctis_core::domain::StudyDetail> {
        use noctis_core::domain::{StudyId, Uid};
        let id = StudyId::for_study(facility.id, &Uid::parse(study_uid).expect("a valid UID"));
        self.ports.studies.get_study(id).await.expect("the index answers")
    }
}

/// The emulator `make test` (localstack/emulator run) exports.
pub fn emulator_endpoint() -> String {
    std::env::var("NOCTIS_TEST_AWS_ENDPOINT")
        .expect("NOCTIS_TEST_AWS_ENDPOINT is not set: run the suites with `make test` (or localstack/emulator run)")
}

/// Splits a Part-10 file into its File Meta transfer syntax and its data set.
pub fn split_part10(bytes: &[u8]) -> (String, &[u8]) {
    let meta = Part10Meta::read(bytes);
    (meta.transfer_syntax_uid, &bytes[meta.dataset_offset..])
}

/// What a Part-10 file's File Meta Information says, and where its data set starts.
#[derive(Debug, Clone)]
pub struct Part10Meta {
    pub sop_class_uid: String,
    pub sop_instance_uid: String,
    pub transfer_syntax_uid: String,
    pub dataset_offset: usize,
}

impl Part10Meta {
    pub fn read(bytes: &[u8]) -> Self {
        // The preamble is free for applications' use (PS3.10 7.1): any bytes.
        assert!(bytes.len() > 144 && &bytes[128..132] == b"DICM", "a Part-10 file");
        // (0002,0000) UL: 4 tag + 2 VR + 2 length + 4 value, then the rest of group 2.
        let group_length = u32::from_le_bytes([bytes[140], bytes[141], bytes[142], bytes[143]]) as usize;
        let dataset_offset = 144 + group_length;
        let meta = &bytes[144..dataset_offset];
        let string = |element| find_meta_string(meta, element).unwrap_or_default();
        Self {
            sop_class_uid: string(0x0002),
            sop_instance_uid: string(0x0003),
            transfer_syntax_uid: string(0x0010),
            dataset_offset,
        }
    }
}

/// An explicit-VR-LE string element of group 0002 by element number.
fn find_meta_string(mut meta: &[u8], element: u16) -> Option<String> {
    while meta.len() >= 8 {
        let elem = u16::from_le_bytes([meta[2], meta[3]]);
        let vr = &meta[4..6];
        let (len, header) = if matches!(vr, b"OB" | b"OW" | b"UN" | b"SQ" | b"UT" | b"UC" | b"UR") {
            (u32::from_le_bytes([meta[8], meta[9], meta[10], meta[11]]) as usize, 12)
        } else {
            (u16::from_le_bytes([meta[6], meta[7]]) as usize, 8)
        };
        let value = meta.get(header..header + len)?;
        if elem == element {
            return Some(String::from_utf8_lossy(value).trim_end_matches(['\0', ' ']).to_owned());
        }
        meta = &meta[header + len..];
    }
    None
}

impl Storage {
    /// Uploads begun and neither completed nor aborted (AWS), or files still in
    /// the staging area or open as unnamed files (embedded): what a dropped
    /// instance must not leave.
    pub async fn unfinished_writes(&self) -> usize {
        match (&self.aws, &self._dir) {
            (Some(config), _) => {
                let clients = self.aws_clients().await;
                let listed =
                    clients.s3.list_multipart_uploads().bucket(&config.bucket).send().await.expect("lists uploads");
                listed.uploads().len()
            }
            (None, Some(dir)) => {
                let objects = dir.path().join("objects");
                let staged = std::fs::read_dir(objects.join(".staging")).map(|d| d.count()).unwrap_or(0);
                staged + unnamed_files_open_under(&objects)
            }
            (None, None) => 0,
        }
    }
}

/// Objects being written as unnamed files (`O_TMPFILE`) under `root`, by any
/// process: /proc names such a file `<its folder>/#<inode> (deleted)`.
fn unnamed_files_open_under(root: &std::path::Path) -> usize {
    let Ok(processes) = std::fs::read_dir("/proc") else { return 0 };
    processes
        .filter_map(Result::ok)
        .filter_map(|process| std::fs::read_dir(process.path().join("fd")).ok())
        .flatten()
        .filter_map(Result::ok)
        .filter_map(|fd| std::fs::read_link(fd.path()).ok())
        .filter(|target| {
            target.starts_with(root)
                && target
                    .file_name()
                    .and_then(|name| name.to_str())
                    .is_some_and(|name| name.starts_with('#') && name.ends_with(" (deleted)"))
        })
        .count()
}

/// A moto server of a test's own, so the test can stop it mid-transfer.
pub struct PrivateEmulator {
    child: std::process::Child,
    pub endpoint: String,
    _dir: tempfile::TempDir,
}

impl std::fmt::Debug for PrivateEmulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrivateEmulator").field("endpoint", &self.endpoint).finish_non_exhaustive()
    }
}

impl PrivateEmulator {
    pub async fn start() -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let port_file = dir.path().join("port");
        let child = std::process::Command::new(crate::workspace_root().join(".tools/venv/bin/python"))
            .arg(crate::workspace_root().join("localstack/moto_serve.py"))
            .arg("127.0.0.1")
            .arg(&port_file)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("moto starts");
        let port = crate::eventually(30, "moto to report its port", || async {
            std::fs::read_to_string(&port_file).ok().and_then(|p| p.trim().parse::<u16>().ok())
        })
        .await;
        let endpoint = format!("http://127.0.0.1:{port}");
        let probe = format!("{endpoint}/moto-api/");
        crate::eventually(30, "moto to answer", || async { reqwest::get(&probe).await.ok().map(|_| ()) }).await;
        Self { child, endpoint, _dir: dir }
    }

    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for PrivateEmulator {
    fn drop(&mut self) {
        self.kill();
    }
}
