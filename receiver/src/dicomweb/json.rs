//! DICOM JSON (PS3.18 F.2) for what the index knows: query matches and the
//! store-instances response. An element is `"GGGGEEEE": {"vr", "Value"?}`;
//! person names are objects, integer strings are numbers (F.2.3).

use noctis_core::domain::{Attribute, QueryRow};
use serde_json::{Map, Value, json};

/// Retrieve URL (0008,1190), UR.
pub const RETRIEVE_URL: (u16, u16) = (0x0008, 0x1190);

pub fn key((group, element): (u16, u16)) -> String {
    format!("{group:04X}{element:04X}")
}

/// PS3.6's VR of each attribute Noctis indexes.
fn vr(attribute: Attribute) -> &'static str {
    match attribute {
        Attribute::PatientName | Attribute::ReferringPhysicianName => "PN",
        Attribute::PatientId | Attribute::StudyDescription | Attribute::SeriesDescription => "LO",
        Attribute::PatientBirthDate | Attribute::StudyDate => "DA",
        Attribute::StudyTime => "TM",
        Attribute::PatientSex
        | Attribute::ModalitiesInStudy
        | Attribute::Modality
        | Attribute::InstanceAvailability => "CS",
        Attribute::AccessionNumber | Attribute::StudyId => "SH",
        Attribute::NumberOfPatientRelatedStudies
        | Attribute::NumberOfPatientRelatedSeries
        | Attribute::NumberOfPatientRelatedInstances
        | Attribute::NumberOfStudyRelatedSeries
        | Attribute::NumberOfStudyRelatedInstances
        | Attribute::NumberOfSeriesRelatedInstances
        | Attribute::SeriesNumber
        | Attribute::InstanceNumber => "IS",
        Attribute::StudyInstanceUid
        | Attribute::SeriesInstanceUid
        | Attribute::SopInstanceUid
        | Attribute::SopClassUid => "UI",
    }
}

/// One element: its VR, and its values when it has any.
pub fn element(vr: &str, values: Vec<Value>) -> Value {
    if values.is_empty() { json!({"vr": vr}) } else { json!({"vr": vr, "Value": values}) }
}

fn attribute_element(attribute: Attribute, values: Vec<String>) -> Value {
    let vr = vr(attribute);
    let values = values
        .into_iter()
        .map(|value| match vr {
            "PN" => json!({"Alphabetic": value}),
            "IS" => value.trim().parse::<i64>().map(Value::from).unwrap_or(Value::String(value)),
            _ => Value::String(value),
        })
        .collect();
    element(vr, values)
}

/// A match as a QIDO-RS result: every attribute the index holds at the
/// match's level and above, and where to retrieve it.
pub fn query_row(row: &QueryRow, attributes: &[Attribute], retrieve_url: String) -> Value {
    let mut object = Map::new();
    for attribute in attributes {
        object.insert(key(attribute.tag()), attribute_element(*attribute, row.values(*attribute)));
    }
    object.insert(key(RETRIEVE_URL), element("UR", vec![Value::String(retrieve_url)]));
    Value::Object(object)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_objects_numbers_are_numbers_and_empty_has_no_value() {
        assert_eq!(
            attribute_element(Attribute::PatientName, vec!["Doe^Jane".into()]),
            json!({"vr": "PN", "Value": [{"Alphabetic": "Doe^Jane"}]})
        );
        assert_eq!(attribute_element(Attribute::SeriesNumber, vec!["7".into()]), json!({"vr": "IS", "Value": [7]}));
        assert_eq!(attribute_element(Attribute::StudyDate, vec![]), json!({"vr": "DA"}));
        assert_eq!(key((0x0020, 0x000D)), "0020000D");
    }
}
