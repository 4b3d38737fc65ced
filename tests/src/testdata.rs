//! Test images made by `tests/scripts/testdata.py` from pydicom's bundled files.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Deserialize;

/// One file and what pydicom reads from it.
#[derive(Debug, Clone, Deserialize)]
pub struct TestFile {
    pub name: String,
    pub path: PathBuf,
    pub transfer_syntax: String,
    pub sop_class_uid: String,
    pub sop_instance_uid: String,
    pub study_instance_uid: String,
    pub series_instance_uid: String,
    pub patient_id: String,
    pub modality: String,
    pub dataset_offset: usize,
    pub size: u64,
    /// Set for the query archive's files (`archive`); empty otherwise.
    #[serde(default)]
    pub patient_name: String,
    #[serde(default)]
    pub study_date: String,
    #[serde(default)]
    pub accession_number: String,
}

impl TestFile {
    /// The data set bytes as the file holds them (what a SCU sends).
    pub fn dataset(&self) -> Vec<u8> {
        let bytes = std::fs::read(&self.path).expect("reads the test file");
        bytes[self.dataset_offset..].to_vec()
    }

    /// Where Noctis stores this file once `facility` has sent it.
    pub fn object_key(&self, facility: noctis_core::domain::FacilityId) -> noctis_core::domain::ObjectKey {
        let uid = |s: &str| noctis_core::domain::Uid::parse(s).expect("the test file's UIDs are valid");
        noctis_core::domain::ObjectKey::for_instance(
            facility,
            &uid(&self.study_instance_uid),
            &uid(&self.series_instance_uid),
            &uid(&self.sop_instance_uid),
        )
    }
}

#[derive(Debug)]
pub struct TestData {
    pub files: Vec<TestFile>,
    _dir: tempfile::TempDir,
}

fn python() -> PathBuf {
    crate::workspace_root().join(".tools/venv/bin/python")
}

fn generate(args: &[&str]) -> TestData {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let script = crate::workspace_root().join("tests/scripts/testdata.py");
    let status = Command::new(python()).arg(script).arg(dir.path()).args(args).status().expect("python runs");
    assert!(status.success(), "testdata.py failed (make test builds .tools/venv with pydicom)");
    let manifest = std::fs::read_to_string(dir.path().join("manifest.json")).expect("a manifest");
    TestData { files: serde_json::from_str(&manifest).expect("a valid manifest"), _dir: dir }
}

/// One or two files per transfer syntax that pydicom ships.
pub fn samples() -> TestData {
    generate(&[])
}

/// One generated instance of about `megabytes` MB.
pub fn large(megabytes: u32) -> TestData {
    generate(&["--large", &megabytes.to_string(), "large.dcm"])
}

/// Four studies of three patients with known names, dates, accession numbers
/// and series (`tests/scripts/testdata.py --archive` lists them).
pub fn archive() -> TestData {
    generate(&["--archive"])
}

pub fn paths(files: &[&TestFile]) -> Vec<PathBuf> {
    files.iter().map(|f| f.path.clone()).collect()
}

pub fn as_paths(paths: &[PathBuf]) -> Vec<&Path> {
    paths.iter().map(PathBuf::as_path).collect()
}

/// One of pydicom's bundled test files, as it ships.
pub fn pydicom_file(name: &str) -> PathBuf {
    let code = format!("from pydicom.data import get_testdata_file; print(get_testdata_file({name:?}))");
    let output = Command::new(python()).args(["-c", &code]).output().expect("python runs");
    let path = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    assert!(output.status.success() && !path.is_empty(), "pydicom has no bundled {name}");
    PathBuf::from(path)
}
