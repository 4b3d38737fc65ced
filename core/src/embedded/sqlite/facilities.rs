use async_trait::async_trait;
use rusqlite::params;

use super::{Database, db_err, optional_record, records, to_json, unique_violation};
use crate::domain::{AeTitle, Facility, FacilityId, Timestamp, User};
use crate::ports::{FacilityRegistry, StoreError, Taken};

#[derive(Debug, Clone)]
pub struct SqliteFacilityRegistry {
    db: Database,
}

impl SqliteFacilityRegistry {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

const UNIQUE_COLUMNS: &[(&str, Taken)] =
    &[("facilities.ae_title", Taken::AeTitle), ("facilities.license_key", Taken::LicenseNumber)];

/// Licence numbers are unique regardless of case ("moh-1" and "MOH-1" are one licence).
pub(crate) fn license_key(facility: &Facility) -> String {
    facility.license_number.unique_key()
}

fn read(conn: &rusqlite::Connection, id: FacilityId) -> Result<Option<Facility>, StoreError> {
    optional_record(conn, "SELECT record FROM facilities WHERE id = ?1", [id.to_string()])
}

fn write(conn: &rusqlite::Connection, facility: &Facility, expected_revision: u64) -> Result<(), StoreError> {
    let changed = conn
        .execute(
            "UPDATE facilities SET ae_title = ?2, license_key = ?3, name = ?4, revision = ?5, record = ?6
             WHERE id = ?1 AND revision = ?7",
            params![
                facility.id.to_string(),
                facility.ae_title.as_str(),
                license_key(facility),
                facility.name.as_str(),
                facility.revision,
                to_json(facility)?,
                expected_revision,
            ],
        )
        .map_err(|e| unique_violation(e, UNIQUE_COLUMNS))?;
    if changed == 0 {
        return Err(match read(conn, facility.id)? {
            Some(_) => StoreError::StaleRevision { expected: expected_revision },
            None => StoreError::NotFound,
        });
    }
    Ok(())
}

#[async_trait]
impl FacilityRegistry for SqliteFacilityRegistry {
    async fn insert(&self, facility: &Facility, first_user: Option<&User>) -> Result<(), StoreError> {
        let facility = facility.clone();
        let first_user = first_user.cloned();
        self.db
            .call(move |conn| {
                let tx = conn.transaction().map_err(db_err)?;
                tx.execute(
                    "INSERT INTO facilities (id, ae_title, license_key, name, revision, record) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![
                        facility.id.to_string(),
                        facility.ae_title.as_str(),
                        license_key(&facility),
                        facility.name.as_str(),
                        facility.revision,
                        to_json(&facility)?,
                    ],
                )
                .map_err(|e| unique_violation(e, UNIQUE_COLUMNS))?;
                if let Some(user) = &first_user {
                    super::users::insert_row(&tx, user)?;
                }
                tx.commit().map_err(db_err)
            })
            .await
    }

    async fn get(&self, id: FacilityId) -> Result<Option<Facility>, StoreError> {
        self.db.call(move |conn| read(conn, id)).await
    }

    async fn find_by_ae_title(&self, ae_title: &AeTitle) -> Result<Option<Facility>, StoreError> {
        let ae_title = ae_title.as_str().to_owned();
        self.db
            .call(move |conn| optional_record(conn, "SELECT record FROM facilities WHERE ae_title = ?1", [ae_title]))
            .await
    }

    async fn list(&self) -> Result<Vec<Facility>, StoreError> {
        self.db.call(|conn| records(conn, "SELECT record FROM facilities ORDER BY name, id", [])).await
    }

    async fn update(&self, facility: &Facility, now: Timestamp) -> Result<Facility, StoreError> {
        let expected = facility.revision;
        let next = facility.revised(now);
        self.db
            .call(move |conn| {
                write(conn, &next, expected)?;
                Ok(next)
            })
            .await
    }

    async fn set_active(&self, id: FacilityId, active: bool, now: Timestamp) -> Result<Facility, StoreError> {
        self.db
            .call(move |conn| {
                let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(db_err)?;
                let stored = read(&tx, id)?.ok_or(StoreError::NotFound)?;
                let facility = Facility { active, ..stored.clone() }.revised(now);
                write(&tx, &facility, stored.revision)?;
                tx.commit().map_err(db_err)?;
                Ok(facility)
            })
            .await
    }
}
