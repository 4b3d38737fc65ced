use async_trait::async_trait;
use aws_sdk_dynamodb::Client;

use super::is_condition_failure;
use super::schema::{PK, SK};
use super::studies::{REPORT_SK, key, study_pk};
use super::{TableNames, get_item, n, read_record, record_item, s};
use crate::domain::{Report, StudyId};
use crate::ports::{ReportStore, StoreError};

/// A study's report lives in the study's partition of `studies` (sort key
/// `report`), so a study and everything about it stay together.
#[derive(Debug, Clone)]
pub struct DynamoReportStore {
    client: Client,
    table: String,
}

impl DynamoReportStore {
    pub fn new(client: Client, tables: TableNames) -> Self {
        Self { client, table: tables.studies }
    }
}

#[async_trait]
impl ReportStore for DynamoReportStore {
    async fn get(&self, study: StudyId) -> Result<Option<Report>, StoreError> {
        get_item(&self.client, &self.table, key(&study_pk(study), REPORT_SK))
            .await?
            .map(|item| read_record(&item))
            .transpose()
    }

    async fn save(&self, report: &Report) -> Result<Report, StoreError> {
        let next = report.revised();
        let item =
            record_item(&[(PK, s(study_pk(next.study_id))), (SK, s(REPORT_SK))], &next, &[("rev", n(next.revision))])?;
        let put = self.client.put_item().table_name(&self.table).set_item(Some(item));
        let put = if report.revision == 0 {
            put.condition_expression("attribute_not_exists(pk)")
        } else {
            put.condition_expression("rev = :rev").expression_attribute_values(":rev", n(report.revision))
        };
        match put.send().await {
            Ok(_) => Ok(next),
            Err(e) if is_condition_failure(&e) => Err(StoreError::StaleRevision { expected: report.revision }),
            Err(e) => Err(StoreError::backend(e)),
        }
    }
}
