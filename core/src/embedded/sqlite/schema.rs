//! The embedded schema, the one place it is written down. Migrations are
//! numbered by `PRAGMA user_version`.

use rusqlite::Connection;

use crate::ports::StoreError;

const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE facilities (
    id          TEXT PRIMARY KEY,
    ae_title    TEXT NOT NULL UNIQUE,
    license_key TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    revision    INTEGER NOT NULL,
    record      TEXT NOT NULL
);
CREATE TABLE users (
    id       TEXT PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    revision INTEGER NOT NULL,
    record   TEXT NOT NULL
);
CREATE TABLE studies (
    id          TEXT PRIMARY KEY,
    facility_id TEXT NOT NULL,
    listing_key TEXT NOT NULL,
    record      TEXT NOT NULL
);
CREATE INDEX studies_by_listing ON studies (listing_key);
CREATE INDEX studies_by_facility ON studies (facility_id, listing_key);
CREATE TABLE series (
    study_id   TEXT NOT NULL REFERENCES studies (id),
    series_uid TEXT NOT NULL,
    record     TEXT NOT NULL,
    PRIMARY KEY (study_id, series_uid)
);
CREATE TABLE instances (
    study_id   TEXT NOT NULL REFERENCES studies (id),
    series_uid TEXT NOT NULL,
    sop_uid    TEXT NOT NULL,
    record     TEXT NOT NULL,
    PRIMARY KEY (study_id, series_uid, sop_uid)
);
CREATE TABLE audit_events (
    id          TEXT PRIMARY KEY,
    sort_key    TEXT NOT NULL,
    facility_id TEXT,
    actor_key   TEXT NOT NULL,
    record      TEXT NOT NULL
);
CREATE INDEX audit_by_time ON audit_events (sort_key);
CREATE INDEX audit_by_facility ON audit_events (facility_id, sort_key);
CREATE INDEX audit_by_actor ON audit_events (actor_key, sort_key);
CREATE TABLE ban_failures (
    address      TEXT PRIMARY KEY,
    window_index INTEGER NOT NULL,
    failures     INTEGER NOT NULL
);
CREATE TABLE bans (
    address    TEXT PRIMARY KEY,
    expires_at TEXT NOT NULL,
    record     TEXT NOT NULL
);
"#,
    r#"
CREATE TABLE reports (
    study_id TEXT PRIMARY KEY,
    revision INTEGER NOT NULL,
    record   TEXT NOT NULL
);
"#,
    // Kept by record_instance in its own transaction; a data directory from
    // before starts from what its studies already hold.
    r#"
CREATE TABLE facility_totals (
    facility_id      TEXT PRIMARY KEY,
    studies          INTEGER NOT NULL,
    instances        INTEGER NOT NULL,
    bytes            INTEGER NOT NULL,
    last_received_at TEXT NOT NULL
);
INSERT INTO facility_totals (facility_id, studies, instances, bytes, last_received_at)
SELECT facility_id, COUNT(*), SUM(json_extract(record, '$.instance_count')),
       SUM(json_extract(record, '$.total_bytes')), MAX(json_extract(record, '$.last_received_at'))
FROM studies GROUP BY facility_id;
"#,
    // Kept by the audit log as association events are appended; a data
    // directory from before starts from the events it already holds.
    r#"
CREATE TABLE association_counts (
    facility_id TEXT NOT NULL,
    day         TEXT NOT NULL,
    accepted    INTEGER NOT NULL,
    rejected    INTEGER NOT NULL,
    PRIMARY KEY (facility_id, day)
);
INSERT INTO association_counts (facility_id, day, accepted, rejected)
SELECT facility_id, substr(sort_key, 1, 10),
       SUM(json_extract(record, '$.kind') = 'association_accepted'),
       SUM(json_extract(record, '$.kind') = 'association_rejected')
FROM audit_events
WHERE facility_id IS NOT NULL
  AND json_extract(record, '$.kind') IN ('association_accepted', 'association_rejected')
GROUP BY facility_id, substr(sort_key, 1, 10);
"#,
    // Receivers report themselves here; the API lists those recently heard from.
    r#"
CREATE TABLE receivers (
    id          TEXT PRIMARY KEY,
    reported_at TEXT NOT NULL,
    record      TEXT NOT NULL
);
CREATE INDEX receivers_by_report ON receivers (reported_at);
"#,
    // Kept by record_instance in the same transaction as the totals; a data
    // directory from before starts from the studies and instances it holds.
    r#"
CREATE TABLE daily_activity (
    facility_id TEXT NOT NULL,
    day         TEXT NOT NULL,
    studies     INTEGER NOT NULL,
    instances   INTEGER NOT NULL,
    PRIMARY KEY (day, facility_id)
);
INSERT INTO daily_activity (facility_id, day, studies, instances)
SELECT facility_id, day, SUM(studies), SUM(instances) FROM (
    SELECT facility_id, substr(json_extract(record, '$.first_received_at'), 1, 10) AS day,
           1 AS studies, 0 AS instances
    FROM studies
    UNION ALL
    SELECT studies.facility_id, substr(json_extract(instances.record, '$.received_at'), 1, 10), 0, 1
    FROM instances JOIN studies ON studies.id = instances.study_id
)
GROUP BY facility_id, day;
"#,
    // Kept by the audit log as refusals are appended; a data directory from
    // before starts from the refusals it already holds.
    r#"
CREATE TABLE refusal_counts (
    hour     TEXT NOT NULL,
    reason   TEXT NOT NULL,
    refusals INTEGER NOT NULL,
    PRIMARY KEY (hour, reason)
);
INSERT INTO refusal_counts (hour, reason, refusals)
SELECT substr(sort_key, 1, 13),
       CASE WHEN length(json_extract(record, '$.details.reason')) BETWEEN 1 AND 64
            THEN json_extract(record, '$.details.reason') ELSE 'unspecified' END,
       COUNT(*)
FROM audit_events
WHERE json_extract(record, '$.kind') = 'association_rejected'
GROUP BY 1, 2;
"#,
    // Storage Commitment names an instance by its SOP Instance UID alone.
    r#"
CREATE INDEX instances_by_sop ON instances (sop_uid);
"#,
    // Deletions begun and not finished, so that an interrupted one is finished.
    r#"
CREATE TABLE deletions (
    id           TEXT PRIMARY KEY,
    requested_at TEXT NOT NULL,
    record       TEXT NOT NULL
);
"#,
];

pub(super) fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(StoreError::backend)?;
    let applied: usize = tx.pragma_query_value(None, "user_version", |row| row.get(0)).map_err(StoreError::backend)?;
    for (number, sql) in MIGRATIONS.iter().enumerate().skip(applied) {
        tx.execute_batch(sql).map_err(StoreError::backend)?;
        tx.pragma_update(None, "user_version", number + 1).map_err(StoreError::backend)?;
    }
    tx.commit().map_err(StoreError::backend)
}

/// Test support: the schema as it was after migration `version`, to check that
/// a data directory from then migrates with what it holds.
#[cfg(test)]
pub(super) fn roll_back(conn: &Connection, version: usize) {
    // What each migration after the first created, in order.
    const CREATED: &[&str] = &[
        "TABLE reports",
        "TABLE facility_totals",
        "TABLE association_counts",
        "TABLE receivers",
        "TABLE daily_activity",
        "TABLE refusal_counts",
        "INDEX instances_by_sop",
        "TABLE deletions",
    ];
    assert_eq!(CREATED.len() + 1, MIGRATIONS.len(), "every migration is listed here");
    for created in CREATED[version.saturating_sub(1)..].iter().rev() {
        conn.execute_batch(&format!("DROP {created};")).expect("drops what a later migration created");
    }
    conn.pragma_update(None, "user_version", version).expect("sets the version");
}
