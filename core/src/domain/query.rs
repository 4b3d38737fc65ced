//! Queries over the index in DICOM's terms (PS3.4 C.2–C.4): the information
//! model and level asked for, the keys to match, and how each kind of value
//! matches. C-FIND speaks this today; QIDO-RS will too. No I/O here.

use super::{InstanceSummary, SeriesSummary, StudySummary};

/// PS3.4 C.3: the two information models Noctis answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryModel {
    PatientRoot,
    StudyRoot,
}

/// PS3.4 C.3: Query/Retrieve Level, top to bottom.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum QueryLevel {
    Patient,
    Study,
    Series,
    Image,
}

impl QueryLevel {
    /// The (0008,0052) value: `PATIENT`, `STUDY`, `SERIES` or `IMAGE`.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw.trim() {
            "PATIENT" => Some(QueryLevel::Patient),
            "STUDY" => Some(QueryLevel::Study),
            "SERIES" => Some(QueryLevel::Series),
            "IMAGE" => Some(QueryLevel::Image),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            QueryLevel::Patient => "PATIENT",
            QueryLevel::Study => "STUDY",
            QueryLevel::Series => "SERIES",
            QueryLevel::Image => "IMAGE",
        }
    }
}

/// How a kind of value matches (PS3.4 C.2.2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    /// Single value or wildcard matching, case-sensitive (LO, SH, CS).
    Text,
    /// As text, but case-insensitive, as PS3.4 C.2.2.2.1 allows for names.
    PersonName,
    /// Single value or a list of UIDs (C.2.2.2.2).
    Uid,
    /// Single value or a range (C.2.2.2.5); string order is time order.
    DateOrTime,
    /// An integer string, matched as a number.
    Number,
    /// A multi-valued code string: any of the listed codes matches.
    AnyCode,
    /// Known to Noctis but only ever returned (counts, availability).
    ReturnOnly,
}

/// The attributes Noctis matches and returns, with their tag and level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attribute {
    PatientName,
    PatientId,
    PatientBirthDate,
    PatientSex,
    NumberOfPatientRelatedStudies,
    NumberOfPatientRelatedSeries,
    NumberOfPatientRelatedInstances,
    StudyInstanceUid,
    StudyDate,
    StudyTime,
    AccessionNumber,
    StudyId,
    StudyDescription,
    ReferringPhysicianName,
    ModalitiesInStudy,
    NumberOfStudyRelatedSeries,
    NumberOfStudyRelatedInstances,
    SeriesInstanceUid,
    Modality,
    SeriesNumber,
    SeriesDescription,
    NumberOfSeriesRelatedInstances,
    SopInstanceUid,
    SopClassUid,
    InstanceNumber,
    InstanceAvailability,
}

impl Attribute {
    pub const ALL: [Attribute; 26] = [
        Attribute::PatientName,
        Attribute::PatientId,
        Attribute::PatientBirthDate,
        Attribute::PatientSex,
        Attribute::NumberOfPatientRelatedStudies,
        Attribute::NumberOfPatientRelatedSeries,
        Attribute::NumberOfPatientRelatedInstances,
        Attribute::StudyInstanceUid,
        Attribute::StudyDate,
        Attribute::StudyTime,
        Attribute::AccessionNumber,
        Attribute::StudyId,
        Attribute::StudyDescription,
        Attribute::ReferringPhysicianName,
        Attribute::ModalitiesInStudy,
        Attribute::NumberOfStudyRelatedSeries,
        Attribute::NumberOfStudyRelatedInstances,
        Attribute::SeriesInstanceUid,
        Attribute::Modality,
        Attribute::SeriesNumber,
        Attribute::SeriesDescription,
        Attribute::NumberOfSeriesRelatedInstances,
        Attribute::SopInstanceUid,
        Attribute::SopClassUid,
        Attribute::InstanceNumber,
        Attribute::InstanceAvailability,
    ];

    /// (group, element), as PS3.6 lists it.
    pub fn tag(self) -> (u16, u16) {
        match self {
            Attribute::PatientName => (0x0010, 0x0010),
            Attribute::PatientId => (0x0010, 0x0020),
            Attribute::PatientBirthDate => (0x0010, 0x0030),
            Attribute::PatientSex => (0x0010, 0x0040),
            Attribute::NumberOfPatientRelatedStudies => (0x0020, 0x1200),
            Attribute::NumberOfPatientRelatedSeries => (0x0020, 0x1202),
            Attribute::NumberOfPatientRelatedInstances => (0x0020, 0x1204),
            Attribute::StudyInstanceUid => (0x0020, 0x000D),
            Attribute::StudyDate => (0x0008, 0x0020),
            Attribute::StudyTime => (0x0008, 0x0030),
            Attribute::AccessionNumber => (0x0008, 0x0050),
            Attribute::StudyId => (0x0020, 0x0010),
            Attribute::StudyDescription => (0x0008, 0x1030),
            Attribute::ReferringPhysicianName => (0x0008, 0x0090),
            Attribute::ModalitiesInStudy => (0x0008, 0x0061),
            Attribute::NumberOfStudyRelatedSeries => (0x0020, 0x1206),
            Attribute::NumberOfStudyRelatedInstances => (0x0020, 0x1208),
            Attribute::SeriesInstanceUid => (0x0020, 0x000E),
            Attribute::Modality => (0x0008, 0x0060),
            Attribute::SeriesNumber => (0x0020, 0x0011),
            Attribute::SeriesDescription => (0x0008, 0x103E),
            Attribute::NumberOfSeriesRelatedInstances => (0x0020, 0x1209),
            Attribute::SopInstanceUid => (0x0008, 0x0018),
            Attribute::SopClassUid => (0x0008, 0x0016),
            Attribute::InstanceNumber => (0x0020, 0x0013),
            Attribute::InstanceAvailability => (0x0008, 0x0056),
        }
    }

    pub fn from_tag(tag: (u16, u16)) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.tag() == tag)
    }

    pub fn kind(self) -> ValueKind {
        match self {
            Attribute::PatientName | Attribute::ReferringPhysicianName => ValueKind::PersonName,
            Attribute::StudyInstanceUid
            | Attribute::SeriesInstanceUid
            | Attribute::SopInstanceUid
            | Attribute::SopClassUid => ValueKind::Uid,
            Attribute::PatientBirthDate | Attribute::StudyDate | Attribute::StudyTime => ValueKind::DateOrTime,
            Attribute::SeriesNumber | Attribute::InstanceNumber => ValueKind::Number,
            Attribute::ModalitiesInStudy => ValueKind::AnyCode,
            Attribute::NumberOfPatientRelatedStudies
            | Attribute::NumberOfPatientRelatedSeries
            | Attribute::NumberOfPatientRelatedInstances
            | Attribute::NumberOfStudyRelatedSeries
            | Attribute::NumberOfStudyRelatedInstances
            | Attribute::NumberOfSeriesRelatedInstances
            | Attribute::InstanceAvailability => ValueKind::ReturnOnly,
            _ => ValueKind::Text,
        }
    }

    /// The level an attribute belongs to, in the Patient Root model (the Study
    /// Root model folds the patient's attributes into the study).
    pub fn level(self) -> QueryLevel {
        match self {
            Attribute::PatientName
            | Attribute::PatientId
            | Attribute::PatientBirthDate
            | Attribute::PatientSex
            | Attribute::NumberOfPatientRelatedStudies
            | Attribute::NumberOfPatientRelatedSeries
            | Attribute::NumberOfPatientRelatedInstances => QueryLevel::Patient,
            Attribute::SeriesInstanceUid
            | Attribute::Modality
            | Attribute::SeriesNumber
            | Attribute::SeriesDescription
            | Attribute::NumberOfSeriesRelatedInstances => QueryLevel::Series,
            Attribute::SopInstanceUid | Attribute::SopClassUid | Attribute::InstanceNumber => QueryLevel::Image,
            _ => QueryLevel::Study,
        }
    }
}

/// A matching key's value, parsed by the kind of its attribute. Universal
/// matching (an empty value, or `*` alone) is no condition at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    Single(String),
    /// `*` for any run of characters, `?` for one.
    Wildcard(String),
    /// Either end may be open.
    Range {
        from: Option<String>,
        to: Option<String>,
    },
    Uids(Vec<String>),
    AnyOf(Vec<String>),
}

/// Longer than any value Noctis stores (PS3.5: 64 characters a PN group, 64
/// bytes a UID): a longer pattern can match nothing and costs a scan per row.
pub const MAX_KEY_LEN: usize = 1024;
/// A UID list longer than this is a query for everything, spelled slowly.
pub const MAX_UID_LIST: usize = 1000;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    #[error("no Query/Retrieve Level of PATIENT, STUDY, SERIES or IMAGE")]
    Level,
    #[error("{0} is not a level of this information model")]
    LevelNotInModel(&'static str),
    #[error("{0} must be a single value at this level")]
    MissingUniqueKey(&'static str),
    #[error("a matching key is longer than {MAX_KEY_LEN} characters")]
    KeyTooLong,
    #[error("a UID list is longer than {MAX_UID_LIST}")]
    TooManyUids,
}

impl Condition {
    /// `None` for universal matching, or when the kind is never matched on
    /// (PS3.4 C.2.2.1.3: an optional key the SCP cannot match is only returned).
    pub fn parse(kind: ValueKind, raw: &str) -> Result<Option<Self>, QueryError> {
        let raw = raw.trim_matches([' ', '\0']);
        if raw.len() > MAX_KEY_LEN {
            return Err(QueryError::KeyTooLong);
        }
        if raw.is_empty() || (raw.chars().all(|c| c == '*') && kind != ValueKind::DateOrTime) {
            return Ok(None);
        }
        Ok(match kind {
            ValueKind::ReturnOnly => None,
            ValueKind::Uid => {
                let uids: Vec<String> = raw
                    .split('\\')
                    .map(|u| u.trim_matches([' ', '\0']))
                    .filter(|u| !u.is_empty())
                    .map(str::to_owned)
                    .collect();
                if uids.len() > MAX_UID_LIST {
                    return Err(QueryError::TooManyUids);
                }
                Some(Condition::Uids(uids))
            }
            ValueKind::DateOrTime => match raw.split_once('-') {
                Some((from, to)) => {
                    let end = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_owned());
                    Some(Condition::Range { from: end(from), to: end(to) })
                }
                None => Some(Condition::Single(raw.to_owned())),
            },
            ValueKind::AnyCode => {
                Some(Condition::AnyOf(raw.split('\\').map(|c| c.trim().to_owned()).filter(|c| !c.is_empty()).collect()))
            }
            ValueKind::Text | ValueKind::PersonName if raw.contains(['*', '?']) => {
                Some(Condition::Wildcard(raw.to_owned()))
            }
            ValueKind::Text | ValueKind::PersonName | ValueKind::Number => Some(Condition::Single(raw.to_owned())),
        })
    }

    /// Whether a stored value matches. An entity without a value matches no
    /// condition but universal matching.
    pub fn matches(&self, kind: ValueKind, have: &[String]) -> bool {
        let fold = |s: &str| if kind == ValueKind::PersonName { s.to_uppercase() } else { s.to_owned() };
        have.iter().any(|value| match self {
            Condition::Single(want) => match kind {
                ValueKind::Number => {
                    matches!((want.trim().parse::<i64>(), value.trim().parse::<i64>()), (Ok(a), Ok(b)) if a == b)
                }
                _ => fold(want) == fold(value),
            },
            Condition::Wildcard(pattern) => wildcard_matches(&fold(pattern), &fold(value)),
            Condition::Range { from, to } => {
                from.as_deref().is_none_or(|from| value.as_str() >= from)
                    && to.as_deref().is_none_or(|to| in_upper_bound(value, to))
            }
            Condition::Uids(uids) => uids.iter().any(|uid| uid == value),
            Condition::AnyOf(codes) => codes.iter().any(|code| code.eq_ignore_ascii_case(value)),
        })
    }
}

/// A range's upper end includes everything it is a prefix of: `-1200` takes
/// `115959.999` and `1200`, and `-20240131` every time of that day.
fn in_upper_bound(value: &str, to: &str) -> bool {
    value <= to || value.starts_with(to)
}

/// `*` and `?` over characters, iteratively: a hostile pattern costs at most
/// pattern × value steps, never a deep recursion.
fn wildcard_matches(pattern: &str, value: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let value: Vec<char> = value.chars().collect();
    let (mut p, mut v) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while v < value.len() {
        match pattern.get(p) {
            Some('*') => {
                star = Some((p, v));
                p += 1;
            }
            Some(c) if *c == '?' || *c == value[v] => {
                p += 1;
                v += 1;
            }
            _ => match star {
                Some((star_p, star_v)) => {
                    p = star_p + 1;
                    v = star_v + 1;
                    star = Some((star_p, star_v + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|c| *c == '*')
}

/// A query, checked against its model: the level exists in it, and every
/// level above the one asked for is pinned by its unique key (PS3.4 C.4.1.2.1,
/// baseline hierarchical search).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    pub model: QueryModel,
    pub level: QueryLevel,
    pub conditions: Vec<(Attribute, Condition)>,
}

impl Query {
    pub fn new(
        model: QueryModel,
        level: QueryLevel,
        conditions: Vec<(Attribute, Condition)>,
    ) -> Result<Self, QueryError> {
        if model == QueryModel::StudyRoot && level == QueryLevel::Patient {
            return Err(QueryError::LevelNotInModel("PATIENT"));
        }
        let query = Self { model, level, conditions };
        let mut pinned = Vec::new();
        if model == QueryModel::PatientRoot && level >= QueryLevel::Study {
            pinned.push((Attribute::PatientId, "PatientID"));
        }
        if level >= QueryLevel::Series {
            pinned.push((Attribute::StudyInstanceUid, "StudyInstanceUID"));
        }
        if level >= QueryLevel::Image {
            pinned.push((Attribute::SeriesInstanceUid, "SeriesInstanceUID"));
        }
        for (attribute, name) in pinned {
            if query.single_value(attribute).is_none() {
                return Err(QueryError::MissingUniqueKey(name));
            }
        }
        Ok(query)
    }

    /// A Study Root query within one study, as QIDO-RS searches a study's
    /// series or instances (PS3.18 10.6.1): the study is pinned, and at the
    /// IMAGE level the series may be too, or the search spans them all.
    pub fn within_study(level: QueryLevel, conditions: Vec<(Attribute, Condition)>) -> Result<Self, QueryError> {
        let query = Self { model: QueryModel::StudyRoot, level, conditions };
        match level {
            QueryLevel::Patient | QueryLevel::Study => Err(QueryError::Level),
            QueryLevel::Series | QueryLevel::Image if query.single_value(Attribute::StudyInstanceUid).is_none() => {
                Err(QueryError::MissingUniqueKey("StudyInstanceUID"))
            }
            QueryLevel::Series | QueryLevel::Image => Ok(query),
        }
    }

    /// The one value a key pins, when it pins exactly one.
    pub fn single_value(&self, attribute: Attribute) -> Option<&str> {
        self.conditions.iter().find(|(a, _)| *a == attribute).and_then(|(_, condition)| match condition {
            Condition::Single(value) => Some(value.as_str()),
            Condition::Uids(uids) if uids.len() == 1 => Some(uids[0].as_str()),
            _ => None,
        })
    }

    /// The study UIDs the query is limited to, when it names them.
    pub fn study_uids(&self) -> Option<&[String]> {
        self.conditions.iter().find_map(|(a, c)| match (a, c) {
            (Attribute::StudyInstanceUid, Condition::Uids(uids)) => Some(uids.as_slice()),
            _ => None,
        })
    }

    /// Whether `row` satisfies every condition at or above the query's level
    /// (keys below it are return keys only, PS3.4 C.4.1.2.1).
    pub fn matches(&self, row: &QueryRow) -> bool {
        self.conditions
            .iter()
            .filter(|(attribute, _)| attribute.level() <= self.level)
            .all(|(attribute, condition)| condition.matches(attribute.kind(), &row.values(*attribute)))
    }
}

/// A patient, as the studies received for them describe: grouped by Patient ID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatientRow {
    pub patient_id: Option<String>,
    pub patient_name: Option<String>,
    pub birth_date: Option<String>,
    pub sex: Option<String>,
    pub studies: u64,
    pub series: u64,
    pub instances: u64,
}

impl PatientRow {
    pub fn of(study: &StudySummary) -> Self {
        let a = &study.attributes;
        Self {
            patient_id: a.patient_id.clone(),
            patient_name: a.patient_name.clone(),
            birth_date: a.patient_birth_date.clone(),
            sex: a.patient_sex.clone(),
            studies: 0,
            series: 0,
            instances: 0,
        }
    }

    pub fn add(&mut self, study: &StudySummary) {
        self.studies += 1;
        self.series += study.series_count;
        self.instances += study.instance_count;
    }
}

/// One match, with what lies above it in the hierarchy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryRow {
    Patient(PatientRow),
    Study(StudySummary),
    Series(StudySummary, SeriesSummary),
    Image(StudySummary, SeriesSummary, InstanceSummary),
}

impl QueryRow {
    fn study(&self) -> Option<&StudySummary> {
        match self {
            QueryRow::Patient(_) => None,
            QueryRow::Study(study) | QueryRow::Series(study, _) | QueryRow::Image(study, _, _) => Some(study),
        }
    }

    fn series(&self) -> Option<&SeriesSummary> {
        match self {
            QueryRow::Series(_, series) | QueryRow::Image(_, series, _) => Some(series),
            _ => None,
        }
    }

    /// The row's value of `attribute` (several for a multi-valued one; none
    /// when it is unknown or lies below the row's level).
    pub fn values(&self, attribute: Attribute) -> Vec<String> {
        let one = |v: Option<&String>| v.cloned().into_iter().collect::<Vec<_>>();
        let count = |n: u64| vec![n.to_string()];
        if let QueryRow::Patient(p) = self {
            return match attribute {
                Attribute::PatientName => one(p.patient_name.as_ref()),
                Attribute::PatientId => one(p.patient_id.as_ref()),
                Attribute::PatientBirthDate => one(p.birth_date.as_ref()),
                Attribute::PatientSex => one(p.sex.as_ref()),
                Attribute::NumberOfPatientRelatedStudies => count(p.studies),
                Attribute::NumberOfPatientRelatedSeries => count(p.series),
                Attribute::NumberOfPatientRelatedInstances => count(p.instances),
                Attribute::InstanceAvailability => vec!["ONLINE".to_owned()],
                _ => Vec::new(),
            };
        }
        let (Some(study), series) = (self.study(), self.series()) else {
            return Vec::new();
        };
        let a = &study.attributes;
        match attribute {
            Attribute::PatientName => one(a.patient_name.as_ref()),
            Attribute::PatientId => one(a.patient_id.as_ref()),
            Attribute::PatientBirthDate => one(a.patient_birth_date.as_ref()),
            Attribute::PatientSex => one(a.patient_sex.as_ref()),
            Attribute::StudyInstanceUid => vec![study.study_instance_uid.to_string()],
            Attribute::StudyDate => one(a.study_date.as_ref()),
            Attribute::StudyTime => one(a.study_time.as_ref()),
            Attribute::AccessionNumber => one(a.accession_number.as_ref()),
            Attribute::StudyId => one(a.study_id.as_ref()),
            Attribute::StudyDescription => one(a.study_description.as_ref()),
            Attribute::ReferringPhysicianName => one(a.referring_physician.as_ref()),
            Attribute::ModalitiesInStudy => study.modalities.clone(),
            Attribute::NumberOfStudyRelatedSeries => count(study.series_count),
            Attribute::NumberOfStudyRelatedInstances => count(study.instance_count),
            Attribute::InstanceAvailability => vec!["ONLINE".to_owned()],
            Attribute::SeriesInstanceUid => series.map(|s| vec![s.series_instance_uid.to_string()]).unwrap_or_default(),
            Attribute::Modality => series.map(|s| one(s.attributes.modality.as_ref())).unwrap_or_default(),
            Attribute::SeriesNumber => {
                series.and_then(|s| s.attributes.series_number).map(|n| vec![n.to_string()]).unwrap_or_default()
            }
            Attribute::SeriesDescription => {
                series.map(|s| one(s.attributes.series_description.as_ref())).unwrap_or_default()
            }
            Attribute::NumberOfSeriesRelatedInstances => series.map(|s| count(s.instance_count)).unwrap_or_default(),
            Attribute::SopInstanceUid | Attribute::SopClassUid | Attribute::InstanceNumber => match self {
                QueryRow::Image(_, _, instance) => match attribute {
                    Attribute::SopInstanceUid => vec![instance.sop_instance_uid.to_string()],
                    Attribute::SopClassUid => vec![instance.sop_class_uid.to_string()],
                    _ => instance.instance_number.map(|n| vec![n.to_string()]).unwrap_or_default(),
                },
                _ => Vec::new(),
            },
            Attribute::NumberOfPatientRelatedStudies
            | Attribute::NumberOfPatientRelatedSeries
            | Attribute::NumberOfPatientRelatedInstances => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn condition(kind: ValueKind, raw: &str) -> Condition {
        Condition::parse(kind, raw).expect("parses").expect("a condition")
    }

    fn matches(kind: ValueKind, raw: &str, value: &str) -> bool {
        condition(kind, raw).matches(kind, &[value.to_owned()])
    }

    #[test]
    fn empty_and_lone_stars_are_universal_matching() {
        assert_eq!(Condition::parse(ValueKind::PersonName, ""), Ok(None));
        assert_eq!(Condition::parse(ValueKind::Text, "**"), Ok(None));
        assert_eq!(Condition::parse(ValueKind::Uid, " \0"), Ok(None));
        assert_eq!(Condition::parse(ValueKind::ReturnOnly, "3"), Ok(None), "counts are never matched on");
    }

    #[test]
    fn wildcards_match_runs_and_single_characters() {
        assert!(matches(ValueKind::PersonName, "DOE*", "DOE^JOHN"));
        assert!(matches(ValueKind::PersonName, "doe^j?hn", "DOE^JOHN"), "names ignore case");
        assert!(!matches(ValueKind::PersonName, "DOE^J?", "DOE^JOHN"));
        assert!(matches(ValueKind::Text, "*-00?", "ACC-001"));
        assert!(!matches(ValueKind::Text, "acc*", "ACC-001"), "other text is case-sensitive");
        assert!(matches(ValueKind::Text, "A*B*C", "AxxBxxBxC"));
        assert!(!matches(ValueKind::Text, "A*B*C", "AxxBxx"));
    }

    #[test]
    fn a_hostile_pattern_is_bounded() {
        let pattern = format!("{}b", "*a".repeat(500));
        let value = "a".repeat(1000);
        assert!(!matches(ValueKind::Text, &pattern, &value));
        assert_eq!(Condition::parse(ValueKind::Text, &"x".repeat(MAX_KEY_LEN + 1)), Err(QueryError::KeyTooLong));
    }

    #[test]
    fn date_ranges_are_inclusive_and_may_be_open() {
        assert!(matches(ValueKind::DateOrTime, "20240101-20240131", "20240131"));
        assert!(matches(ValueKind::DateOrTime, "20240101-", "20250101"));
        assert!(!matches(ValueKind::DateOrTime, "-20231231", "20240101"));
        assert!(matches(ValueKind::DateOrTime, "0800-1200", "115959.999"), "a time range takes fractions");
        assert!(matches(ValueKind::DateOrTime, "20240105", "20240105"));
        assert!(!matches(ValueKind::DateOrTime, "20240105", "20240106"));
    }

    #[test]
    fn uid_lists_numbers_and_code_lists() {
        assert!(matches(ValueKind::Uid, "1.2.3\\1.2.4", "1.2.4"));
        assert!(!matches(ValueKind::Uid, "1.2.3", "1.2.30"));
        assert!(matches(ValueKind::Number, "7", " 07"));
        assert!(matches(ValueKind::AnyCode, "CT\\MR", "MR"));
        assert!(!matches(ValueKind::PersonName, "DOE*", ""), "no value matches no condition");
        assert!(!condition(ValueKind::Text, "X").matches(ValueKind::Text, &[]));
    }

    #[test]
    fn levels_above_the_query_must_be_pinned() {
        let study = |uid: &str| (Attribute::StudyInstanceUid, Condition::Uids(vec![uid.to_owned()]));
        assert_eq!(
            Query::new(QueryModel::StudyRoot, QueryLevel::Series, vec![]),
            Err(QueryError::MissingUniqueKey("StudyInstanceUID"))
        );
        assert!(Query::new(QueryModel::StudyRoot, QueryLevel::Series, vec![study("1.2")]).is_ok());
        assert_eq!(
            Query::new(QueryModel::StudyRoot, QueryLevel::Image, vec![study("1.2")]),
            Err(QueryError::MissingUniqueKey("SeriesInstanceUID"))
        );
        assert_eq!(
            Query::new(QueryModel::PatientRoot, QueryLevel::Study, vec![study("1.2")]),
            Err(QueryError::MissingUniqueKey("PatientID"))
        );
        assert_eq!(
            Query::new(QueryModel::StudyRoot, QueryLevel::Patient, vec![]),
            Err(QueryError::LevelNotInModel("PATIENT"))
        );
        let list = (Attribute::StudyInstanceUid, Condition::Uids(vec!["1.2".into(), "1.3".into()]));
        assert!(Query::new(QueryModel::StudyRoot, QueryLevel::Series, vec![list]).is_err(), "a list pins nothing");
    }

    #[test]
    fn every_attribute_round_trips_its_tag() {
        for attribute in Attribute::ALL {
            assert_eq!(Attribute::from_tag(attribute.tag()), Some(attribute));
        }
    }
}
