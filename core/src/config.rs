//! Configuration: built-in defaults → `noctis.toml` (optional) → `NOCTIS_*`
//! environment variables, `__` separating levels (`NOCTIS_DICOM__AE_TITLE`).
//! Loaded once at start-up and passed down; nothing else reads the environment.

use std::net::{IpAddr, Ipv4Addr};
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};

use secrecy::{ExposeSecret, SecretString};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Deserializer, Serialize};

use crate::domain::AeTitle;

pub const DEFAULT_CONFIG_FILE: &str = "noctis.toml";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Config {
    pub storage: StorageConfig,
    pub aws: AwsConfig,
    pub dicom: DicomConfig,
    pub api: ApiConfig,
    pub log: LogConfig,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StorageConfig {
    pub backend: BackendKind,
    /// Where the embedded backend keeps its database and objects.
    pub data_dir: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BackendKind {
    Embedded,
    Aws,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AwsConfig {
    pub region: String,
    /// An emulator or private endpoint (`http://127.0.0.1:4566`); unset for AWS itself.
    pub endpoint_url: Option<String>,
    pub bucket: String,
    /// Prepended to every DynamoDB table name (`noctis-` gives `noctis-facilities`, …).
    pub table_prefix: String,
    /// Instances larger than one part go to S3 as a multipart upload of parts this big.
    pub multipart_part_size_mib: PartSizeMib,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DicomConfig {
    /// The called AE title modalities must address.
    pub ae_title: AeTitle,
    pub bind: IpAddr,
    pub port: u16,
    /// Largest P-DATA-TF PDU we accept (advertised in A-ASSOCIATE-AC).
    pub max_pdu_length: MaxPduLength,
    /// PS3.8 9.1.5: how long a peer may take to send its A-ASSOCIATE-RQ, or to
    /// close after a release, before the connection is dropped.
    pub artim_timeout_secs: u64,
    /// How long an established association may stay silent.
    pub idle_timeout_secs: u64,
    /// On SIGTERM, how long running associations get to finish.
    pub shutdown_grace_secs: u64,
    /// On SIGTERM, how long the receiver still accepts new associations while
    /// `/healthz` answers 503, so a balancer that finds receivers by health
    /// checks stops sending before the listener closes. Behind an NLB target
    /// group it can stay 0: ECS deregisters a task before it signals it.
    pub drain_delay_secs: u64,
    /// How long a registry answer (facility found, or not) is reused.
    pub facility_cache_secs: u64,
    /// How often the receiver reports itself to the receiver registry, which
    /// the API's dashboard reads.
    pub heartbeat_secs: u64,
    /// How often a long association settles the studies it stores into, so
    /// the worklist's counts follow a transfer under way (each association
    /// also settles them when it ends). Cloud backend only: the embedded one
    /// counts as it records.
    pub settle_secs: u64,
    /// Instances recorded this long ago whose study was never settled (their
    /// receiver was killed first) are settled by a sweep that runs this often;
    /// the same sweep finishes deletions begun this long ago and not finished.
    pub abandoned_settle_secs: u64,
    /// How much of an instance's start is held to read its header.
    pub header_buffer_kib: u32,
    /// The most matches one C-FIND returns; a query matching more is refused
    /// with A700 and an Error Comment asking to narrow it.
    pub max_query_results: NonZeroUsize,
    /// HTTP port for `/healthz` and `/metrics` (load balancer and scraping).
    pub health_port: u16,
    /// HTTP port for DICOMweb under `/dicomweb` (STOW-RS, QIDO-RS, WADO-RS):
    /// the data plane's, streamed, with no Lambda payload limit.
    pub web_port: u16,
    /// Behind a load balancer that sends a PROXY protocol v2 header (an AWS NLB
    /// target group with `proxy_protocol_v2`): every connection must start with
    /// one, and its source address is the peer that admission, bans and limits see.
    pub proxy_protocol: bool,
    /// DICOM over TLS (PS3.15 B.1) on its own port; absent: no TLS port.
    pub tls: Option<DicomTlsConfig>,
    pub limits: AssociationLimits,
    pub bans: BanConfig,
}

/// The TLS port's certificate and key. Each is a PEM file's path, or the PEM
/// text itself (as a secrets manager injects it into the environment).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DicomTlsConfig {
    #[serde(default = "default_tls_port")]
    pub port: u16,
    /// The certificate chain, leaf first.
    pub certificate: String,
    pub private_key: Secret,
    /// When set, peers must present a certificate issued by one of these CAs
    /// (PEM path or text): mutual TLS as DICOM's secure transport profiles allow.
    #[serde(default)]
    pub client_ca: Option<String>,
}

fn default_tls_port() -> u16 {
    2762
}

/// Associations above these are refused with A-ASSOCIATE-RJ 2/3/2 (transient,
/// local limit exceeded), so a well-behaved modality retries later.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssociationLimits {
    /// Per receiver process.
    pub max_associations: NonZeroUsize,
    pub max_per_address: NonZeroUsize,
    pub max_per_facility: NonZeroUsize,
    /// Connections from one address not yet past admission (PROXY header, TLS
    /// handshake, A-ASSOCIATE-RQ). Past it, the address's further connections
    /// are closed unread, so one address cannot take the slots others need.
    #[serde(default = "default_max_pending_per_address")]
    pub max_pending_per_address: NonZeroUsize,
}

fn default_max_pending_per_address() -> NonZeroUsize {
    NonZeroUsize::new(16).unwrap_or(NonZeroUsize::MIN)
}

/// `threshold` failed admissions within `window_secs` ban the address for `duration_secs`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BanConfig {
    pub threshold: u32,
    pub window_secs: u64,
    pub duration_secs: u64,
}

impl BanConfig {
    pub fn policy(&self) -> crate::domain::BanPolicy {
        crate::domain::BanPolicy {
            threshold: self.threshold.max(1),
            window: std::time::Duration::from_secs(self.window_secs.max(1)),
            ban_for: std::time::Duration::from_secs(self.duration_secs),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogConfig {
    pub format: LogFormat,
    /// A tracing filter, e.g. `info` or `noctis_receiver=debug,info`.
    pub filter: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Json,
    Text,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiConfig {
    pub bind: IpAddr,
    pub port: u16,
    /// HMAC key for sign-in tokens. Required on the AWS backend (from a secret);
    /// the embedded backend keeps a generated one in its data directory.
    pub token_secret: Option<TokenSecret>,
    pub token_ttl_secs: u64,
    /// Failed sign-ins allowed per address and per username in `login_window_secs`.
    pub login_attempts: u32,
    pub login_window_secs: u64,
    /// What a facility's DICOM sheet tells its IT staff to connect to.
    pub public_dicom_host: String,
    pub public_dicom_port: u16,
    /// 0 when the deployment offers no DICOM TLS port.
    pub public_dicom_tls_port: u16,
    /// On Lambda: the administrator created on first start when none exists
    /// (its password comes from the NOCTIS_ADMIN_PASSWORD secret).
    pub bootstrap_admin: Option<String>,
    /// The built web console (`make console` writes `api-lambda/web/dist`);
    /// without one, `/` answers that the console is not built.
    pub console_dir: Option<PathBuf>,
    /// The local server's stand-in for the load balancer's path routing:
    /// requests under `/dicomweb` are forwarded to the receiver's DICOMweb
    /// listener at this URL (`make run`: `http://127.0.0.1:8082`), so the
    /// console and DICOMweb share one origin. Unset on Lambda.
    pub dicomweb_upstream: Option<String>,
    /// Set when a CloudFront distribution is in front (Terraform sets it): the
    /// value of its `x-noctis-origin` header. Requests bearing it are taken to
    /// come from the viewer its `CloudFront-Viewer-Address` names.
    pub edge_secret: Option<Secret>,
}

/// A key or password from configuration: redacted from `Debug` and from
/// serialised configuration, zeroed when dropped.
#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub struct Secret(SecretString);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(SecretString::from(value.into()))
    }

    /// The value itself, for the one call that needs it.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

impl Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str("[redacted]")
    }
}

/// The sign-in token key: a secret of at least `MIN_LEN` characters.
#[derive(Debug, Clone, Serialize)]
#[serde(transparent)]
pub struct TokenSecret(Secret);

impl TokenSecret {
    pub const MIN_LEN: usize = 32;

    pub fn parse(value: impl Into<String>) -> Result<Self, String> {
        let value = value.into();
        if value.chars().count() < Self::MIN_LEN {
            return Err(format!("must have at least {} characters", Self::MIN_LEN));
        }
        Ok(Self(Secret::new(value)))
    }

    pub fn expose(&self) -> &str {
        self.0.expose()
    }
}

impl<'de> Deserialize<'de> for TokenSecret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        TokenSecret::parse(String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// PS3.8 D.1: the largest PDU we accept, between 4 KiB and 16 MiB.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct MaxPduLength(u32);

impl MaxPduLength {
    pub fn get(&self) -> u32 {
        self.0
    }
}

impl<'de> Deserialize<'de> for MaxPduLength {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let length = u32::deserialize(d)?;
        if !(4096..=16 * 1024 * 1024).contains(&length) {
            return Err(serde::de::Error::custom(format!("{length} is outside 4096..=16777216")));
        }
        Ok(Self(length))
    }
}

/// S3 parts are at least 5 MiB (all but the last); capped so memory per
/// association stays small.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct PartSizeMib(u32);

impl PartSizeMib {
    pub fn bytes(&self) -> usize {
        self.0 as usize * 1024 * 1024
    }
}

impl<'de> Deserialize<'de> for PartSizeMib {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mib = u32::deserialize(d)?;
        if !(5..=64).contains(&mib) {
            return Err(serde::de::Error::custom(format!("{mib} MiB is outside 5..=64 MiB")));
        }
        Ok(Self(mib))
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            storage: StorageConfig { backend: BackendKind::Embedded, data_dir: PathBuf::from("./var/noctis") },
            aws: AwsConfig {
                region: "us-east-1".to_owned(),
                endpoint_url: None,
                bucket: "noctis-instances".to_owned(),
                table_prefix: "noctis-".to_owned(),
                multipart_part_size_mib: PartSizeMib(8),
            },
            dicom: DicomConfig {
                ae_title: AeTitle::parse("NOCTIS_SCP").unwrap_or_else(|_| unreachable!("a valid literal")),
                bind: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
                port: 11112,
                max_pdu_length: MaxPduLength(262_144),
                artim_timeout_secs: 30,
                idle_timeout_secs: 300,
                shutdown_grace_secs: 30,
                drain_delay_secs: 0,
                facility_cache_secs: 5,
                heartbeat_secs: 15,
                settle_secs: 30,
                abandoned_settle_secs: 60,
                header_buffer_kib: 256,
                max_query_results: NonZeroUsize::new(1000).unwrap_or(NonZeroUsize::MIN),
                health_port: 8081,
                web_port: 8082,
                proxy_protocol: false,
                tls: None,
                limits: AssociationLimits {
                    max_associations: NonZeroUsize::new(200).unwrap_or(NonZeroUsize::MIN),
                    max_per_address: NonZeroUsize::new(32).unwrap_or(NonZeroUsize::MIN),
                    max_per_facility: NonZeroUsize::new(64).unwrap_or(NonZeroUsize::MIN),
                    max_pending_per_address: default_max_pending_per_address(),
                },
                bans: BanConfig { threshold: 10, window_secs: 600, duration_secs: 3600 },
            },
            api: ApiConfig {
                bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
                port: 8080,
                token_secret: None,
                token_ttl_secs: 8 * 3600,
                login_attempts: 10,
                login_window_secs: 900,
                public_dicom_host: "localhost".to_owned(),
                public_dicom_port: 11112,
                public_dicom_tls_port: 2762,
                bootstrap_admin: None,
                console_dir: None,
                dicomweb_upstream: None,
                edge_secret: None,
            },
            log: LogConfig { format: LogFormat::Json, filter: "info".to_owned() },
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration file {0} does not exist")]
    MissingFile(PathBuf),
    #[error("invalid configuration: {0}")]
    Invalid(#[from] Box<figment::Error>),
}

impl Config {
    /// Loads the configuration. `explicit_file` comes from `--config` or
    /// `NOCTIS_CONFIG` and must exist; otherwise `noctis.toml` is read if present.
    pub fn load(explicit_file: Option<&Path>) -> Result<Self, ConfigError> {
        // Each setting's rules are its type's, checked here as it is read.
        Self::figment(explicit_file)?.extract().map_err(|e| ConfigError::Invalid(Box::new(e)))
    }

    pub fn figment(explicit_file: Option<&Path>) -> Result<Figment, ConfigError> {
        let file = match explicit_file {
            Some(path) if !path.exists() => return Err(ConfigError::MissingFile(path.to_owned())),
            Some(path) => path.to_owned(),
            None => PathBuf::from(DEFAULT_CONFIG_FILE),
        };
        Ok(Figment::from(Serialized::defaults(Config::default()))
            .merge(Toml::file(file))
            // Variables that configure the binaries rather than Noctis itself are not keys.
            .merge(Env::prefixed("NOCTIS_").split("__").ignore(&["config", "admin_password", "test_aws_endpoint"])))
    }
}

#[cfg(test)]
// figment's Jail fixes the closure's error type.
#[allow(clippy::result_large_err)]
mod tests {
    use super::*;

    #[test]
    fn defaults_then_file_then_environment() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "noctis.toml",
                "[dicom]\nae_title = \"from_file\"\nport = 104\n[storage]\nbackend = \"aws\"",
            )?;
            jail.set_env("NOCTIS_DICOM__PORT", "11113");
            jail.set_env("NOCTIS_AWS__ENDPOINT_URL", "http://127.0.0.1:4566");
            let config = Config::load(None).map_err(|e| e.to_string())?;
            assert_eq!(config.dicom.ae_title.as_str(), "FROM_FILE");
            assert_eq!(config.dicom.port, 11113);
            assert_eq!(config.storage.backend, BackendKind::Aws);
            assert_eq!(config.aws.endpoint_url.as_deref(), Some("http://127.0.0.1:4566"));
            assert_eq!(config.api.port, 8080);
            Ok(())
        });
    }

    #[test]
    fn an_invalid_value_names_its_key() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("NOCTIS_DICOM__AE_TITLE", "WAY_TOO_LONG_FOR_DICOM");
            let message = Config::load(None).err().map(|e| e.to_string().to_lowercase()).expect("the load is refused");
            assert!(message.contains("dicom.ae_title"), "{message}");
            assert!(message.contains("at most 16"), "{message}");
            Ok(())
        });
        figment::Jail::expect_with(|jail| {
            jail.set_env("NOCTIS_STORAGE__BACKEND", "postgres");
            let message = Config::load(None).err().map(|e| e.to_string().to_lowercase()).expect("the load is refused");
            assert!(message.contains("storage.backend"), "{message}");
            Ok(())
        });
        figment::Jail::expect_with(|jail| {
            jail.set_env("NOCTIS_AWS__MULTIPART_PART_SIZE_MIB", "2");
            let message = Config::load(None).err().map(|e| e.to_string().to_lowercase()).expect("the load is refused");
            assert!(message.contains("aws.multipart_part_size_mib"), "{message}");
            Ok(())
        });
    }

    #[test]
    fn limits_and_pdu_length_are_refused_out_of_range_at_load() {
        for (key, value, named) in [
            ("NOCTIS_DICOM__LIMITS__MAX_PER_ADDRESS", "0", "dicom.limits.max_per_address"),
            ("NOCTIS_DICOM__MAX_PDU_LENGTH", "1024", "dicom.max_pdu_length"),
            ("NOCTIS_API__TOKEN_SECRET", "short", "api.token_secret"),
        ] {
            figment::Jail::expect_with(|jail| {
                jail.set_env(key, value);
                let message =
                    Config::load(None).err().map(|e| e.to_string().to_lowercase()).expect("the load is refused");
                assert!(message.contains(named), "{key}={value}: {message}");
                Ok(())
            });
        }
    }

    #[test]
    fn secrets_never_show_in_debug_or_serialised_configuration() {
        figment::Jail::expect_with(|jail| {
            let secret = "a token secret of at least thirty-two characters";
            jail.set_env("NOCTIS_API__TOKEN_SECRET", secret);
            jail.set_env("NOCTIS_DICOM__TLS__CERTIFICATE", "cert.pem");
            jail.set_env("NOCTIS_DICOM__TLS__PRIVATE_KEY", "-----BEGIN PRIVATE KEY-----\nc2VjcmV0\n");
            let config = Config::load(None).map_err(|e| e.to_string())?;
            assert_eq!(config.api.token_secret.as_ref().map(TokenSecret::expose), Some(secret));
            let shown = format!("{config:?}") + &serde_json::to_string(&config).map_err(|e| e.to_string())?;
            assert!(!shown.contains(secret), "{shown}");
            assert!(!shown.contains("c2VjcmV0"), "{shown}");
            assert!(shown.contains("[redacted]"), "{shown}");
            Ok(())
        });
    }

    #[test]
    fn an_explicit_file_must_exist() {
        let missing = Path::new("/nonexistent/noctis.toml");
        assert!(matches!(Config::load(Some(missing)), Err(ConfigError::MissingFile(_))));
    }

    #[test]
    fn unknown_keys_in_a_section_are_refused() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("NOCTIS_DICOM__AE_TITEL", "X");
            assert!(Config::load(None).is_err());
            Ok(())
        });
    }
}
