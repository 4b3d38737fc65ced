//! A throwaway PKI for the TLS tests, made with the openssl command line: a CA,
//! a server certificate for 127.0.0.1/localhost and a modality's client
//! certificate, all issued by that CA and valid for a day.

use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(Debug)]
pub struct Pki {
    pub ca: PathBuf,
    pub server_certificate: PathBuf,
    pub server_key: PathBuf,
    pub client_certificate: PathBuf,
    pub client_key: PathBuf,
    _dir: tempfile::TempDir,
}

fn openssl(dir: &Path, args: &[&str]) {
    let output = Command::new("openssl").current_dir(dir).args(args).output().expect("openssl runs");
    assert!(output.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&output.stderr));
}

fn issue(dir: &Path, name: &str, subject: &str, extensions: &str) {
    let key = format!("{name}.key");
    let csr = format!("{name}.csr");
    let ext = format!("{name}.ext");
    std::fs::write(dir.join(&ext), extensions).expect("an extensions file");
    openssl(dir, &["req", "-newkey", "rsa:2048", "-nodes", "-keyout", &key, "-out", &csr, "-subj", subject]);
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "1",
            "-sha256",
            "-extfile",
            &ext,
            "-out",
            &format!("{name}.pem"),
        ],
    );
}

impl Pki {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("a directory");
        let path = dir.path();
        openssl(
            path,
            &[
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                "ca.key",
                "-out",
                "ca.pem",
                "-days",
                "1",
                "-sha256",
                "-subj",
                "/CN=Noctis Test CA",
                "-addext",
                "basicConstraints=critical,CA:TRUE",
                "-addext",
                "keyUsage=critical,keyCertSign,cRLSign",
            ],
        );
        issue(
            path,
            "server",
            "/CN=localhost",
            "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n",
        );
        issue(
            path,
            "client",
            "/CN=CITY_GENERAL modality",
            "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n",
        );
        Self {
            ca: path.join("ca.pem"),
            server_certificate: path.join("server.pem"),
            server_key: path.join("server.key"),
            client_certificate: path.join("client.pem"),
            client_key: path.join("client.key"),
            _dir: dir,
        }
    }
}

impl Default for Pki {
    fn default() -> Self {
        Self::new()
    }
}
