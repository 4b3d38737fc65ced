//! The DynamoDB schema, the one place it is written down (Terraform's `registry`
//! module mirrors it). Every table has a string partition key `pk`; `studies` and
//! `audit` add a sort key. Attribute names used by indexes are prefixed `gsi_`
//! and written only when set, since an index key cannot be null.

use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection, ProjectionType,
    ScalarAttributeType, TableStatus, TimeToLiveSpecification,
};

use crate::ports::StoreError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableNames {
    pub facilities: String,
    pub users: String,
    pub studies: String,
    pub audit: String,
    pub bans: String,
    /// Facilities' totals and daily activity, and the receipts that make
    /// adding to them idempotent: small, so a transaction on it stays cheap.
    pub counters: String,
}

impl TableNames {
    pub fn with_prefix(prefix: &str) -> Self {
        Self {
            facilities: format!("{prefix}facilities"),
            users: format!("{prefix}users"),
            studies: format!("{prefix}studies"),
            audit: format!("{prefix}audit"),
            bans: format!("{prefix}bans"),
            counters: format!("{prefix}counters"),
        }
    }
}

pub const PK: &str = "pk";
pub const SK: &str = "sk";
/// `studies`: every study's meta item, newest first (keys only; items are fetched after).
pub const STUDIES_BY_RECEIVED: &str = "by_received";
/// `studies`: one facility's studies, newest first (keys only).
pub const STUDIES_BY_FACILITY: &str = "by_facility";
/// `studies`: instance rows not yet counted by a settlement, sparse (only
/// marked rows carry its keys), sixteen partitions, oldest first (keys only).
pub const STUDIES_UNSETTLED: &str = "unsettled";
/// `audit`: one facility's events, newest first.
pub const AUDIT_BY_FACILITY: &str = "by_facility";
/// `audit`: one actor's events, newest first.
pub const AUDIT_BY_ACTOR: &str = "by_actor";
/// `bans` and `counters`: expiry time in epoch seconds, for DynamoDB's TTL sweeper.
pub const TTL_ATTRIBUTE: &str = "expires_epoch";

struct TableSpec {
    name: String,
    sort_key: bool,
    string_attributes: &'static [&'static str],
    indexes: Vec<(&'static str, &'static str, &'static str, ProjectionType)>,
    ttl: bool,
}

fn specs(names: &TableNames) -> Vec<TableSpec> {
    vec![
        TableSpec {
            name: names.facilities.clone(),
            sort_key: false,
            string_attributes: &[],
            indexes: vec![],
            ttl: false,
        },
        TableSpec { name: names.users.clone(), sort_key: false, string_attributes: &[], indexes: vec![], ttl: false },
        TableSpec {
            name: names.studies.clone(),
            sort_key: true,
            string_attributes: &["gsi_all", "gsi_facility", "listing_key", "gsi_unsettled", "unsettled_at"],
            indexes: vec![
                (STUDIES_BY_RECEIVED, "gsi_all", "listing_key", ProjectionType::KeysOnly),
                (STUDIES_BY_FACILITY, "gsi_facility", "listing_key", ProjectionType::KeysOnly),
                (STUDIES_UNSETTLED, "gsi_unsettled", "unsettled_at", ProjectionType::KeysOnly),
            ],
            ttl: false,
        },
        TableSpec {
            name: names.audit.clone(),
            sort_key: true,
            string_attributes: &["gsi_facility", "gsi_actor"],
            indexes: vec![
                (AUDIT_BY_FACILITY, "gsi_facility", SK, ProjectionType::All),
                (AUDIT_BY_ACTOR, "gsi_actor", SK, ProjectionType::All),
            ],
            ttl: false,
        },
        TableSpec { name: names.bans.clone(), sort_key: false, string_attributes: &[], indexes: vec![], ttl: true },
        TableSpec { name: names.counters.clone(), sort_key: true, string_attributes: &[], indexes: vec![], ttl: true },
    ]
}

fn key(name: &str, kind: KeyType) -> Result<KeySchemaElement, StoreError> {
    KeySchemaElement::builder().attribute_name(name).key_type(kind).build().map_err(StoreError::backend)
}

fn string_attribute(name: &str) -> Result<AttributeDefinition, StoreError> {
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(ScalarAttributeType::S)
        .build()
        .map_err(StoreError::backend)
}

/// Creates each missing table (on-demand billing) and waits until all are active.
pub async fn ensure_tables(client: &Client, names: &TableNames) -> Result<(), StoreError> {
    let specs = specs(names);
    for spec in &specs {
        let mut create = client
            .create_table()
            .table_name(&spec.name)
            .billing_mode(BillingMode::PayPerRequest)
            .key_schema(key(PK, KeyType::Hash)?)
            .attribute_definitions(string_attribute(PK)?);
        if spec.sort_key {
            create = create.key_schema(key(SK, KeyType::Range)?).attribute_definitions(string_attribute(SK)?);
        }
        for attribute in spec.string_attributes {
            create = create.attribute_definitions(string_attribute(attribute)?);
        }
        for (index, hash, range, projection) in &spec.indexes {
            create = create.global_secondary_indexes(
                GlobalSecondaryIndex::builder()
                    .index_name(*index)
                    .key_schema(key(hash, KeyType::Hash)?)
                    .key_schema(key(range, KeyType::Range)?)
                    .projection(Projection::builder().projection_type(projection.clone()).build())
                    .build()
                    .map_err(StoreError::backend)?,
            );
        }
        match create.send().await {
            Ok(_) => {}
            Err(e) if e.as_service_error().is_some_and(|s| s.is_resource_in_use_exception()) => {}
            Err(e) => return Err(StoreError::backend(e)),
        }
    }
    for spec in &specs {
        wait_until_active(client, &spec.name).await?;
        if spec.ttl && !ttl_enabled(client, &spec.name).await? {
            client
                .update_time_to_live()
                .table_name(&spec.name)
                .time_to_live_specification(
                    TimeToLiveSpecification::builder()
                        .enabled(true)
                        .attribute_name(TTL_ATTRIBUTE)
                        .build()
                        .map_err(StoreError::backend)?,
                )
                .send()
                .await
                .map_err(StoreError::backend)?;
        }
    }
    Ok(())
}

/// Each table as the JSON input of DynamoDB's `CreateTable` (and TTL), the form
/// the LocalStack init hook feeds to `awslocal`; a test keeps those files equal to this.
pub fn create_table_inputs(names: &TableNames) -> Vec<(String, serde_json::Value)> {
    use serde_json::json;
    specs(names)
        .into_iter()
        .map(|spec| {
            let mut key_schema = vec![json!({"AttributeName": PK, "KeyType": "HASH"})];
            let mut attributes = vec![json!({"AttributeName": PK, "AttributeType": "S"})];
            if spec.sort_key {
                key_schema.push(json!({"AttributeName": SK, "KeyType": "RANGE"}));
                attributes.push(json!({"AttributeName": SK, "AttributeType": "S"}));
            }
            attributes.extend(spec.string_attributes.iter().map(|a| json!({"AttributeName": a, "AttributeType": "S"})));
            let mut input = json!({
                "TableName": spec.name,
                "BillingMode": "PAY_PER_REQUEST",
                "KeySchema": key_schema,
                "AttributeDefinitions": attributes,
            });
            if !spec.indexes.is_empty() {
                input["GlobalSecondaryIndexes"] = spec
                    .indexes
                    .iter()
                    .map(|(index, hash, range, projection)| {
                        json!({
                            "IndexName": index,
                            "KeySchema": [
                                {"AttributeName": hash, "KeyType": "HASH"},
                                {"AttributeName": range, "KeyType": "RANGE"},
                            ],
                            "Projection": {"ProjectionType": projection.as_str()},
                        })
                    })
                    .collect();
            }
            if spec.ttl {
                input["x-noctis-ttl-attribute"] = json!(TTL_ATTRIBUTE);
            }
            (spec.name, input)
        })
        .collect()
}

async fn ttl_enabled(client: &Client, table: &str) -> Result<bool, StoreError> {
    use aws_sdk_dynamodb::types::TimeToLiveStatus;
    let described = client.describe_time_to_live().table_name(table).send().await.map_err(StoreError::backend)?;
    let status = described.time_to_live_description().and_then(|d| d.time_to_live_status());
    Ok(matches!(status, Some(TimeToLiveStatus::Enabled | TimeToLiveStatus::Enabling)))
}

async fn wait_until_active(client: &Client, table: &str) -> Result<(), StoreError> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    loop {
        let described = client.describe_table().table_name(table).send().await.map_err(StoreError::backend)?;
        if described.table().and_then(|t| t.table_status()) == Some(&TableStatus::Active) {
            return Ok(());
        }
        if tokio::time::Instant::now() > deadline {
            return Err(StoreError::internal(format!("table {table} did not become active")));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `localstack/tables/*.json` are what the LocalStack init hook creates; they
    /// must describe the same tables the adapter uses.
    #[test]
    fn the_localstack_table_files_match_the_adapter_schema() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../localstack/tables");
        let inputs = create_table_inputs(&TableNames::with_prefix("noctis-"));
        // `NOCTIS_WRITE_TABLE_FILES=1 cargo test -p noctis-core the_localstack_table_files` rewrites them.
        if std::env::var_os("NOCTIS_WRITE_TABLE_FILES").is_some() {
            std::fs::create_dir_all(&dir).expect("creates the directory");
            for (name, input) in &inputs {
                let text = serde_json::to_string_pretty(input).expect("serialises") + "\n";
                std::fs::write(dir.join(format!("{name}.json")), text).expect("writes");
            }
        }
        for (name, expected) in &inputs {
            let path = dir.join(format!("{name}.json"));
            let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let committed: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
            assert_eq!(&committed, expected, "{} differs from the schema; regenerate it", path.display());
        }
        let files = std::fs::read_dir(&dir).expect("tables dir").count();
        assert_eq!(files, inputs.len(), "one file per table, no strays");
    }
}
