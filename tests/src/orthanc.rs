//! Orthanc from Debian, the reference archive: with its own storage on free
//! loopback ports, and the settings a test adds (its DICOMweb plugin, say).

use std::process::{Child, Command, Stdio};

use serde_json::{Value, json};

use crate::bench::free_port;

pub const ORTHANC_AE: &str = "ORTHANC";
/// Debian's `orthanc-dicomweb` package puts its plugin here.
pub const DICOMWEB_PLUGIN: &str = "/usr/share/orthanc/plugins/libOrthancDicomWeb.so";

pub struct Orthanc {
    child: Child,
    pub dicom_port: u16,
    pub http_port: u16,
    _dir: tempfile::TempDir,
}

impl std::fmt::Debug for Orthanc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Orthanc").field("http_port", &self.http_port).finish_non_exhaustive()
    }
}

impl Orthanc {
    /// Orthanc with no plugins, every peer allowed to store, find and get
    /// (as Noctis allows a registered facility), and `settings` on top.
    pub fn start(settings: Value) -> Self {
        let dir = tempfile::tempdir().expect("a directory");
        let (dicom_port, http_port) = (free_port(), free_port());
        let mut config = json!({
            "Name": "noctis-tests",
            "StorageDirectory": dir.path().join("storage"),
            "IndexDirectory": dir.path().join("index"),
            "DicomAet": ORTHANC_AE,
            "DicomPort": dicom_port,
            "HttpPort": http_port,
            "RemoteAccessAllowed": false,
            "AuthenticationEnabled": false,
            "Plugins": [],
            "DicomCheckCalledAet": false,
            "DicomAlwaysAllowStore": true,
            "DicomAlwaysAllowFind": true,
            "DicomAlwaysAllowGet": true,
            "LimitFindResults": 0,
            "SaveJobs": false,
        });
        if let (Some(config), Some(settings)) = (config.as_object_mut(), settings.as_object()) {
            config.extend(settings.clone());
        }
        let path = dir.path().join("orthanc.json");
        std::fs::write(&path, config.to_string()).expect("writes the configuration");
        let child = Command::new("Orthanc")
            .arg(format!("--logfile={}", dir.path().join("orthanc.log").display()))
            .arg(&path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("Orthanc runs (make test installs it from Debian)");
        crate::bench::wait_for_port(dicom_port);
        crate::bench::wait_for_port(http_port);
        Self { child, dicom_port, http_port, _dir: dir }
    }

    /// What Orthanc logged so far (its errors, for a failing test's message).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self._dir.path().join("orthanc.log")).unwrap_or_default()
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.http_port)
    }
}

impl Drop for Orthanc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
