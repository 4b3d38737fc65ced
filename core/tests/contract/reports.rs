use noctis_core::domain::{Intent, Report, ReportStatus, StudyId, UserId, now};
use noctis_core::ports::StoreError;

use crate::support::Fixture;

crate::contract_tests!(a_saved_report_reads_back_with_its_history, a_save_from_a_stale_revision_is_refused,);

async fn a_saved_report_reads_back_with_its_history(fx: &Fixture) {
    let study = StudyId::new_random();
    let author = UserId::new_random();
    assert_eq!(fx.ports.reports.get(study).await.expect("reads"), None);
    let draft = Report::save(None, study, "Draft findings", Intent::Draft, author, now()).expect("draft");
    let saved = fx.ports.reports.save(&draft).await.expect("stores the draft");
    let stored = fx.ports.reports.get(study).await.expect("reads").expect("exists");
    assert_eq!((stored.revision, &stored), (1, &saved), "the store bumps the revision and returns what it holds");
    let signed = Report::save(Some(stored), study, "Final findings", Intent::Final, author, now()).expect("final");
    fx.ports.reports.save(&signed).await.expect("stores the final");
    let stored = fx.ports.reports.get(study).await.expect("reads").expect("exists");
    let amended = Report::save(Some(stored), study, "Amended findings", Intent::Final, author, now()).expect("amend");
    let saved = fx.ports.reports.save(&amended).await.expect("stores the amendment");
    let stored = fx.ports.reports.get(study).await.expect("reads").expect("exists");
    assert_eq!(stored, saved);
    assert_eq!(stored.revision, 3);
    let history: Vec<_> = stored.versions.iter().map(|v| (v.version, v.status, v.body.as_str())).collect();
    assert_eq!(history, [(1, ReportStatus::Final, "Final findings"), (2, ReportStatus::Amended, "Amended findings")]);
}

async fn a_save_from_a_stale_revision_is_refused(fx: &Fixture) {
    let study = StudyId::new_random();
    let author = UserId::new_random();
    let first = Report::save(None, study, "One", Intent::Draft, author, now()).expect("draft");
    let first = fx.ports.reports.save(&first).await.expect("stores");
    let racing = Report::save(None, study, "Two", Intent::Draft, author, now()).expect("draft");
    let err = fx.ports.reports.save(&racing).await.expect_err("a second first save loses");
    assert!(matches!(err, StoreError::StaleRevision { .. }), "{err:?}");
    let next = Report::save(Some(first.clone()), study, "Three", Intent::Draft, author, now()).expect("edit");
    fx.ports.reports.save(&next).await.expect("stores");
    let stale = Report::save(Some(first), study, "Four", Intent::Draft, author, now()).expect("edit");
    let err = fx.ports.reports.save(&stale).await.expect_err("stale");
    assert!(matches!(err, StoreError::StaleRevision { .. }), "{err:?}");
    let stored = fx.ports.reports.get(study).await.expect("reads").expect("exists");
    assert_eq!(stored.current().map(|v| v.body.as_str()), Some("Three"));
}
