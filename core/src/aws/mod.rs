//! The production adapter set: S3 for objects, DynamoDB for everything else.
//! Endpoints are configurable (path-style S3) so LocalStack, moto or MinIO work.

mod dynamodb;
mod s3;

use std::sync::Arc;

use crate::config::AwsConfig;
use crate::ports::Ports;
use crate::ports::StoreError;

use dynamodb::{
    DynamoAuditLog, DynamoBanList, DynamoFacilityRegistry, DynamoReceiverRegistry, DynamoReportStore, DynamoStudyIndex,
    DynamoUserDirectory,
};
pub use dynamodb::{TableNames, schema};
use s3::S3ObjectStore;

/// The SDK clients for one configuration.
#[derive(Debug, Clone)]
pub struct AwsClients {
    pub s3: aws_sdk_s3::Client,
    pub dynamodb: aws_sdk_dynamodb::Client,
}

impl AwsClients {
    /// Credentials and the rest come from the standard AWS chain (environment,
    /// profile, container or instance role); region and endpoint from `config`.
    pub async fn from_config(config: &AwsConfig) -> Self {
        Self::build(config, None).await
    }

    /// Clients with fixed credentials, for emulators that accept any.
    pub async fn with_credentials(config: &AwsConfig, access_key: &str, secret_key: &str) -> Self {
        let credentials = aws_sdk_s3::config::Credentials::new(access_key, secret_key, None, None, "noctis-static");
        Self::build(config, Some(credentials)).await
    }

    async fn build(config: &AwsConfig, credentials: Option<aws_sdk_s3::config::Credentials>) -> Self {
        let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new(config.region.clone()));
        if let Some(credentials) = credentials {
            loader = loader.credentials_provider(credentials);
        }
        if let Some(endpoint) = &config.endpoint_url {
            loader = loader.endpoint_url(endpoint);
        }
        let shared = loader.load().await;
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&shared).force_path_style(config.endpoint_url.is_some()).build(),
        );
        let dynamodb = aws_sdk_dynamodb::Client::new(&shared);
        Self { s3, dynamodb }
    }
}

pub async fn connect(config: &AwsConfig) -> Result<Ports, StoreError> {
    let clients = AwsClients::from_config(config).await;
    Ok(ports(&clients, config))
}

/// The ports over existing clients (tests use this with a fresh table prefix).
pub fn ports(clients: &AwsClients, config: &AwsConfig) -> Ports {
    let tables = TableNames::with_prefix(&config.table_prefix);
    let db = clients.dynamodb.clone();
    Ports {
        facilities: Arc::new(DynamoFacilityRegistry::new(db.clone(), tables.clone())),
        users: Arc::new(DynamoUserDirectory::new(db.clone(), tables.clone())),
        studies: Arc::new(DynamoStudyIndex::new(db.clone(), tables.clone())),
        reports: Arc::new(DynamoReportStore::new(db.clone(), tables.clone())),
        audit: Arc::new(DynamoAuditLog::new(db.clone(), tables.clone())),
        bans: Arc::new(DynamoBanList::new(db.clone(), tables.clone())),
        receivers: Arc::new(DynamoReceiverRegistry::new(db, tables)),
        objects: Arc::new(S3ObjectStore::new(
            clients.s3.clone(),
            config.bucket.clone(),
            config.multipart_part_size_mib.bytes(),
        )),
    }
}

/// Creates the bucket and tables if they are missing: for emulators, tests and
/// `make run` against LocalStack. Production resources come from Terraform.
pub async fn provision(clients: &AwsClients, config: &AwsConfig) -> Result<(), StoreError> {
    s3::ensure_bucket(&clients.s3, &config.bucket).await?;
    dynamodb::schema::ensure_tables(&clients.dynamodb, &TableNames::with_prefix(&config.table_prefix)).await
}
