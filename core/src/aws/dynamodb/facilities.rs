use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{Delete, Put, TransactWriteItem};

use super::{TableNames, get_item, n, pk, read_record, read_string, record_item, s, scan_all, transact};
use crate::domain::{AeTitle, Facility, FacilityId, Timestamp, User};
use crate::ports::retry::retry_contended;
use crate::ports::{FacilityRegistry, StoreError, Taken};

/// Facilities live at `facility#<id>`; their AE title and licence number are
/// claimed by guard items `ae#<TITLE>` and `license#<NUMBER>` written in the same
/// transaction, so the table itself refuses a duplicate.
#[derive(Debug, Clone)]
pub struct DynamoFacilityRegistry {
    client: Client,
    table: String,
    /// A facility's first user is written into the users table in the
    /// facility's own transaction.
    users_table: String,
}

impl DynamoFacilityRegistry {
    pub fn new(client: Client, tables: TableNames) -> Self {
        Self { client, table: tables.facilities, users_table: tables.users }
    }
}

fn facility_pk(id: FacilityId) -> String {
    format!("facility#{id}")
}

fn ae_guard(ae_title: &AeTitle) -> String {
    format!("ae#{ae_title}")
}

fn license_guard(facility: &Facility) -> String {
    format!("license#{}", facility.license_number.unique_key())
}

impl DynamoFacilityRegistry {
    fn put_facility(
        &self,
        facility: &Facility,
        condition: &str,
        revision: Option<u64>,
    ) -> Result<TransactWriteItem, StoreError> {
        let item = record_item(&[("pk", s(facility_pk(facility.id)))], facility, &[("rev", n(facility.revision))])?;
        let mut put = Put::builder().table_name(&self.table).set_item(Some(item)).condition_expression(condition);
        if let Some(rev) = revision {
            put = put.expression_attribute_values(":rev", n(rev));
        }
        Ok(TransactWriteItem::builder().put(put.build().map_err(StoreError::backend)?).build())
    }

    fn claim(&self, guard: String, facility: FacilityId) -> Result<TransactWriteItem, StoreError> {
        let put = Put::builder()
            .table_name(&self.table)
            .item("pk", s(guard))
            .item("facility_id", s(facility.to_string()))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(StoreError::backend)?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    fn release(&self, guard: String, facility: FacilityId) -> Result<TransactWriteItem, StoreError> {
        let delete = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(pk(guard)))
            .condition_expression("facility_id = :id")
            .expression_attribute_values(":id", s(facility.to_string()))
            .build()
            .map_err(StoreError::backend)?;
        Ok(TransactWriteItem::builder().delete(delete).build())
    }

    async fn write(&self, next: &Facility, stored: &Facility) -> Result<(), StoreError> {
        let mut items = vec![self.put_facility(next, "rev = :rev", Some(stored.revision))?];
        let mut guards = Vec::new();
        if next.ae_title != stored.ae_title {
            items.push(self.claim(ae_guard(&next.ae_title), next.id)?);
            guards.push(Taken::AeTitle);
            items.push(self.release(ae_guard(&stored.ae_title), next.id)?);
            guards.push(Taken::AeTitle);
        }
        if license_guard(next) != license_guard(stored) {
            items.push(self.claim(license_guard(next), next.id)?);
            guards.push(Taken::LicenseNumber);
            items.push(self.release(license_guard(stored), next.id)?);
            guards.push(Taken::LicenseNumber);
        }
        match transact(&self.client, items).await? {
            Ok(()) => Ok(()),
            Err(cancelled) if cancelled.failed(0) => Err(StoreError::StaleRevision { expected: stored.revision }),
            Err(cancelled) => {
                let taken = guards.iter().enumerate().find(|(i, _)| cancelled.failed(i + 1)).map(|(_, t)| *t);
                Err(match taken {
                    Some(taken) => StoreError::Conflict(taken),
                    None => StoreError::StaleRevision { expected: stored.revision },
                })
            }
        }
    }
}

#[async_trait]
impl FacilityRegistry for DynamoFacilityRegistry {
    async fn insert(&self, facility: &Facility, first_user: Option<&User>) -> Result<(), StoreError> {
        let mut items = vec![
            self.put_facility(facility, "attribute_not_exists(pk)", None)?,
            self.claim(ae_guard(&facility.ae_title), facility.id)?,
            self.claim(license_guard(facility), facility.id)?,
        ];
        if let Some(user) = first_user {
            items.extend(super::users::insert_items(&self.users_table, user)?);
        }
        match transact(&self.client, items).await? {
            Ok(()) => Ok(()),
            Err(c) if c.failed(1) => Err(StoreError::Conflict(Taken::AeTitle)),
            Err(c) if c.failed(2) => Err(StoreError::Conflict(Taken::LicenseNumber)),
            Err(c) if c.failed(4) => Err(StoreError::Conflict(Taken::Username)),
            Err(c) => Err(StoreError::Backend(format!("facility insert cancelled: {:?}", c.0).into())),
        }
    }

    async fn get(&self, id: FacilityId) -> Result<Option<Facility>, StoreError> {
        get_item(&self.client, &self.table, pk(facility_pk(id))).await?.map(|item| read_record(&item)).transpose()
    }

    async fn find_by_ae_title(&self, ae_title: &AeTitle) -> Result<Option<Facility>, StoreError> {
        let Some(guard) = get_item(&self.client, &self.table, pk(ae_guard(ae_title))).await? else {
            return Ok(None);
        };
        let id: FacilityId = read_string(&guard, "facility_id")?.parse().map_err(StoreError::corrupt)?;
        // The guard and the facility are written together; a facility whose title
        // has since moved does not answer to the old one.
        Ok(self.get(id).await?.filter(|f| f.ae_title == *ae_title))
    }

    async fn list(&self) -> Result<Vec<Facility>, StoreError> {
        let mut facilities = scan_all(&self.client, &self.table, "facility#")
            .await?
            .iter()
            .map(read_record)
            .collect::<Result<Vec<Facility>, _>>()?;
        facilities.sort_by(|a, b| a.name.as_str().cmp(b.name.as_str()).then(a.id.cmp(&b.id)));
        Ok(facilities)
    }

    async fn update(&self, facility: &Facility, now: Timestamp) -> Result<Facility, StoreError> {
        let stored = self.get(facility.id).await?.ok_or(StoreError::NotFound)?;
        if stored.revision != facility.revision {
            return Err(StoreError::StaleRevision { expected: facility.revision });
        }
        let next = facility.revised(now);
        self.write(&next, &stored).await?;
        Ok(next)
    }

    async fn set_active(&self, id: FacilityId, active: bool, now: Timestamp) -> Result<Facility, StoreError> {
        retry_contended("the facility", || async {
            let stored = self.get(id).await?.ok_or(StoreError::NotFound)?;
            let next = Facility { active, ..stored.clone() }.revised(now);
            match self.write(&next, &stored).await {
                Err(StoreError::StaleRevision { .. }) => Ok(None),
                other => other.map(|()| Some(next)),
            }
        })
        .await
    }
}
