//! C-GET requests (PS3.4 C.4.3) translated into the retrieve use case, and each
//! stored instance opened at its data set for its C-STORE sub-operation: the
//! object streams from the store, never held whole.

use std::sync::Arc;

use noctis_core::domain::{InstanceSummary, Query, QueryLevel, QueryModel, now};
use noctis_core::ports::{AuditLog, ObjectReader, ObjectStore, StudyIndex};
use noctis_core::usecases::query::{FindError, Requester};
use noctis_core::usecases::retrieve::{RetrieveOutcome, instances_to_retrieve, record_retrieve};
use noctis_wire::command::{Reply, status};
use noctis_wire::part10::{PART10_PREFIX_LEN, dataset_offset};
use noctis_wire::transfer_syntax::DataSetEncoding;
use tokio::io::AsyncReadExt;

use crate::intake::Origin;
use crate::query::read_request;

/// What every association's C-GET requests share.
#[derive(Debug)]
pub struct RetrieveService {
    pub index: Arc<dyn StudyIndex>,
    pub objects: Arc<dyn ObjectStore>,
    pub audit: Arc<dyn AuditLog>,
    /// The most studies, series or instances one C-GET may match.
    pub max_matches: usize,
}

/// A C-GET's query and the instances it retrieves, in sending order.
#[derive(Debug)]
pub struct RetrievePlan {
    pub query: Query,
    pub instances: Vec<InstanceSummary>,
}

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("the indexed object is missing from the store")]
    Missing,
    #[error(transparent)]
    Store(#[from] noctis_core::ports::StoreError),
    #[error("reading the stored object: {0}")]
    Read(#[from] std::io::Error),
    #[error(transparent)]
    NotPart10(#[from] noctis_wire::part10::Part10Error),
}

impl RetrieveService {
    /// The instances the identifier `bytes` asks for, from the facility the
    /// association was admitted for; or the refusal to send as the final response.
    pub async fn plan(
        &self,
        bytes: &[u8],
        model: QueryModel,
        transfer_syntax: &str,
        origin: &Origin,
    ) -> Result<RetrievePlan, Reply> {
        let request = read_request(bytes, model, DataSetEncoding::of(transfer_syntax).elements)?;
        if request.query.level == QueryLevel::Patient {
            return Err(Reply::failure(status::DATASET_MISMATCH, "retrieve by STUDY, SERIES or IMAGE"));
        }
        match instances_to_retrieve(self.index.as_ref(), requester(origin), &request.query, self.max_matches).await {
            Ok(instances) => Ok(RetrievePlan { query: request.query, instances }),
            Err(FindError::TooMany(limit)) => Err(Reply::failure(
                status::UNABLE_TO_PERFORM_SUB_OPERATIONS,
                format!("more than {limit} matches: narrow the request"),
            )),
            Err(FindError::Store(e)) => {
                tracing::error!(error = %e, "could not plan a C-GET");
                Err(Reply::failure(status::UNABLE_TO_PROCESS, "the index is unavailable"))
            }
        }
    }

    /// The stored object of `instance`, read up to where its data set starts.
    pub async fn open_dataset(&self, instance: &InstanceSummary) -> Result<ObjectReader, OpenError> {
        let mut reader = self.objects.read(&instance.object_key).await?.ok_or(OpenError::Missing)?;
        let mut prefix = [0u8; PART10_PREFIX_LEN];
        reader.read_exact(&mut prefix).await?;
        let rest_of_meta = (dataset_offset(&prefix)? - PART10_PREFIX_LEN) as u64;
        tokio::io::copy(&mut (&mut reader).take(rest_of_meta), &mut tokio::io::sink()).await?;
        Ok(reader)
    }

    pub async fn record(&self, origin: &Origin, query: &Query, outcome: RetrieveOutcome) {
        record_retrieve(self.audit.as_ref(), requester(origin), query, outcome, now()).await;
    }
}

fn requester(origin: &Origin) -> Requester<'_> {
    origin.requester()
}
