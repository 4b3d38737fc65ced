//! Deleting a study, a series or an instance: objects and index rows go
//! together, and an interrupted deletion is finished later.
//!
//! The order is what makes it safe to stop anywhere. The deletion is written
//! down first (`begin_deletion`); then its objects are removed; last, in one
//! step of the index, its rows go, the aggregates follow, the audit event is
//! written and the deletion is forgotten (`finish_deletion`). Stopped before
//! the last step, the rows still name every object the deletion takes, so
//! finishing it (`finish_interrupted`, which the receivers' sweep runs)
//! removes the objects still there and then the rows: no object is left
//! without its row, and no row without its object, once it has finished.

use std::time::Duration;

use futures_util::{StreamExt, TryStreamExt, stream};

use super::UseCaseError;
use crate::domain::{Actor, Deletion, DeletionCause, DeletionScope, StudyDetail, Timestamp, now};
use crate::ports::{ObjectStore, StoreError, StudyIndex};

/// How many objects a deletion removes at once.
const CONCURRENT_REMOVALS: usize = 16;

/// Deletes `scope` of `study` as `actor` asked at `at`. `NotFound` when the
/// scope names a series or instance the study does not hold.
pub async fn delete(
    index: &dyn StudyIndex,
    objects: &dyn ObjectStore,
    actor: &Actor,
    study: &StudyDetail,
    scope: DeletionScope,
    at: Timestamp,
) -> Result<Deletion, UseCaseError> {
    let mut deletion = Deletion {
        id: uuid::Uuid::new_v4(),
        study: study.study.id,
        facility_id: study.study.facility_id,
        study_instance_uid: study.study.study_instance_uid.clone(),
        scope,
        requested_by: actor.clone(),
        requested_at: at,
        instances: 0,
        bytes: 0,
        cause: DeletionCause::Requested,
    };
    // What it takes is what `Deletion::takes` says, counted once here for its audit event.
    let taken: Vec<u64> = study.instances.iter().filter(|i| deletion.takes(i)).map(|i| i.size_bytes).collect();
    deletion.instances = taken.len() as u64;
    deletion.bytes = taken.iter().fold(0u64, |sum, size| sum.saturating_add(*size));
    if deletion.instances == 0 && deletion.scope != DeletionScope::Study {
        return Err(UseCaseError::NotFound);
    }
    begin_and_carry_out(index, objects, &deletion).await?;
    Ok(deletion)
}

/// Writes `deletion` down, then carries it out: the way every deletion starts.
pub(super) async fn begin_and_carry_out(
    index: &dyn StudyIndex,
    objects: &dyn ObjectStore,
    deletion: &Deletion,
) -> Result<(), StoreError> {
    index.begin_deletion(deletion).await?;
    carry_out(index, objects, deletion).await
}

/// Finishes every deletion begun more than `older_than` ago and not
/// finished: its process stopped. Finishing is idempotent, so racing a
/// deletion still running, or another sweep, does no harm. Returns how many
/// it finished.
pub async fn finish_interrupted(
    index: &dyn StudyIndex,
    objects: &dyn ObjectStore,
    older_than: Duration,
) -> Result<usize, StoreError> {
    let cutoff = now() - chrono::Duration::from_std(older_than).unwrap_or(chrono::Duration::MAX);
    let mut finished = 0;
    for deletion in index.pending_deletions().await? {
        if deletion.requested_at > cutoff {
            continue;
        }
        carry_out(index, objects, &deletion).await?;
        tracing::info!(deletion = %deletion.id, study = %deletion.study, "finished an interrupted deletion");
        finished += 1;
    }
    Ok(finished)
}

/// Removes the objects the deletion takes that are still there, then its rows.
async fn carry_out(index: &dyn StudyIndex, objects: &dyn ObjectStore, deletion: &Deletion) -> Result<(), StoreError> {
    if let Some(detail) = index.get_study(deletion.study).await? {
        let keys: Vec<_> =
            detail.instances.iter().filter(|i| deletion.takes(i)).map(|i| i.object_key.clone()).collect();
        // A bounded number at a time; the first failure stops the deletion, to be resumed.
        stream::iter(keys)
            .map(|key| async move { objects.delete(&key).await })
            .buffer_unordered(CONCURRENT_REMOVALS)
            .try_for_each(|()| async { Ok(()) })
            .await?;
    }
    index.finish_deletion(deletion, &deletion.audit_event()).await
}
