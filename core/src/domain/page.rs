use serde::{Deserialize, Serialize};

use super::Timestamp;

/// A page size between 1 and `MAX`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageLimit(u32);

impl PageLimit {
    pub const MAX: u32 = 500;
    pub const DEFAULT: PageLimit = PageLimit(50);

    pub fn new(limit: u32) -> Option<Self> {
        (1..=Self::MAX).contains(&limit).then_some(Self(limit))
    }

    pub fn get(&self) -> usize {
        self.0 as usize
    }
}

/// Where the previous page ended: the listing key (`<time>#<uuid>`) of its last
/// item. Listings run newest first, so the next page holds keys below it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Cursor(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the cursor is not one this listing produced")]
pub struct CursorError;

impl Cursor {
    pub fn parse(raw: &str) -> Result<Self, CursorError> {
        let (time, id) = raw.split_once('#').ok_or(CursorError)?;
        chrono::DateTime::parse_from_rfc3339(time).map_err(|_| CursorError)?;
        uuid::Uuid::parse_str(id).map_err(|_| CursorError)?;
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: PageLimit,
    pub after: Option<Cursor>,
}

impl PageRequest {
    pub fn first(limit: PageLimit) -> Self {
        Self { limit, after: None }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<Cursor>,
}

/// Which way a listing walks its keys (receipt times).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ListingOrder {
    #[default]
    NewestFirst,
    OldestFirst,
}

impl ListingOrder {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "newest" => Some(Self::NewestFirst),
            "oldest" => Some(Self::OldestFirst),
            _ => None,
        }
    }
}

/// The keys a listing reads: from `lower` (inclusive, or exclusive once a
/// cursor or batch has moved past it) up to `upper` (exclusive). Walking
/// newest first moves `upper` down past each key read; oldest first moves
/// `lower` up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRange {
    pub lower: Option<String>,
    pub lower_exclusive: bool,
    pub upper: Option<String>,
}

impl KeyRange {
    pub fn new(from: Option<Timestamp>, to: Option<Timestamp>, after: Option<&Cursor>, order: ListingOrder) -> Self {
        let mut range =
            Self { lower: from.map(super::sortable_time), lower_exclusive: false, upper: to.map(super::sortable_time) };
        if let Some(cursor) = after {
            range.move_past(cursor.as_str(), order);
        }
        range
    }

    /// Narrows the range to the keys that come after `key` in `order`.
    pub fn move_past(&mut self, key: &str, order: ListingOrder) {
        match order {
            ListingOrder::NewestFirst => {
                if self.upper.as_deref().is_none_or(|hi| key < hi) {
                    self.upper = Some(key.to_owned());
                }
            }
            ListingOrder::OldestFirst => {
                if self.lower.as_deref().is_none_or(|lo| key >= lo) {
                    self.lower = Some(key.to_owned());
                    self.lower_exclusive = true;
                }
            }
        }
    }

    /// Whether `key` lies in the range; for stores whose queries take only
    /// inclusive bounds.
    pub fn admits(&self, key: &str) -> bool {
        let above = match &self.lower {
            None => true,
            Some(lo) if self.lower_exclusive => key > lo.as_str(),
            Some(lo) => key >= lo.as_str(),
        };
        above && self.upper.as_deref().is_none_or(|hi| key < hi)
    }

    pub fn is_empty(&self) -> bool {
        matches!((&self.lower, &self.upper), (Some(lo), Some(hi)) if lo >= hi)
    }
}

/// Gathers a page from candidates delivered in listing order, in batches: one item
/// past the limit is kept so `next_cursor` is set only when more items exist.
#[derive(Debug)]
pub struct PageCollector<T> {
    limit: usize,
    items: Vec<(String, T)>,
}

impl<T> PageCollector<T> {
    pub fn new(limit: PageLimit) -> Self {
        Self { limit: limit.get(), items: Vec::new() }
    }

    pub fn is_full(&self) -> bool {
        self.items.len() > self.limit
    }

    /// How many more candidates are worth fetching in the next batch.
    pub fn wanted(&self) -> usize {
        (self.limit + 1).saturating_sub(self.items.len()).max(1)
    }

    pub fn push(&mut self, key: String, item: T) {
        if !self.is_full() {
            self.items.push((key, item));
        }
    }

    pub fn finish(mut self) -> Page<T> {
        let next_cursor = if self.items.len() > self.limit {
            self.items.truncate(self.limit);
            self.items.last().map(|(key, _)| Cursor(key.clone()))
        } else {
            None
        };
        Page { items: self.items.into_iter().map(|(_, item)| item).collect(), next_cursor }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_is_set_only_when_more_items_follow() {
        let limit = PageLimit::new(2).expect("valid");
        let mut exact = PageCollector::new(limit);
        exact.push("k3".into(), 3);
        exact.push("k2".into(), 2);
        assert_eq!(exact.finish(), Page { items: vec![3, 2], next_cursor: None });

        let mut more = PageCollector::new(limit);
        for (k, v) in [("k3", 3), ("k2", 2), ("k1", 1)] {
            more.push(k.into(), v);
        }
        assert!(more.is_full());
        assert_eq!(more.finish(), Page { items: vec![3, 2], next_cursor: Some(Cursor("k2".into())) });
    }

    #[test]
    fn cursors_must_look_like_listing_keys() {
        assert!(Cursor::parse("2026-11-27T10:00:00.000000Z#6f1c3a0e-7d8a-4b9e-9a53-2f0f5f1f0c11").is_ok());
        for bad in ["", "abc", "2026-11-27#x", "yesterday#6f1c3a0e-7d8a-4b9e-9a53-2f0f5f1f0c11"] {
            assert_eq!(Cursor::parse(bad), Err(CursorError), "{bad:?}");
        }
    }

    #[test]
    fn the_cursor_tightens_the_upper_bound() {
        let to = chrono::DateTime::from_timestamp(2_000_000_000, 0);
        let cursor = Cursor::parse("2020-01-01T00:00:00.000000Z#6f1c3a0e-7d8a-4b9e-9a53-2f0f5f1f0c11").ok();
        let range = KeyRange::new(None, to, cursor.as_ref(), ListingOrder::NewestFirst);
        assert_eq!(range.upper.as_deref(), cursor.as_ref().map(Cursor::as_str));
        assert_eq!(range.lower, None);
    }

    #[test]
    fn oldest_first_the_cursor_raises_the_lower_bound_past_itself() {
        let from = chrono::DateTime::from_timestamp(1_500_000_000, 0);
        let raw = "2020-01-01T00:00:00.000000Z#6f1c3a0e-7d8a-4b9e-9a53-2f0f5f1f0c11";
        let cursor = Cursor::parse(raw).expect("a cursor");
        let range = KeyRange::new(from, None, Some(&cursor), ListingOrder::OldestFirst);
        assert_eq!((range.lower.as_deref(), range.lower_exclusive, range.upper.as_deref()), (Some(raw), true, None));
        assert!(!range.admits(raw), "the cursor's own key was on the last page");
        assert!(range.admits("2020-01-01T00:00:00.000000Z#6f1c3a0e-7d8a-4b9e-9a53-2f0f5f1f0c12"));
        // A cursor older than `from` leaves `from` in place, inclusive.
        let early =
            Cursor::parse("2001-01-01T00:00:00.000000Z#6f1c3a0e-7d8a-4b9e-9a53-2f0f5f1f0c11").expect("a cursor");
        let range = KeyRange::new(from, None, Some(&early), ListingOrder::OldestFirst);
        assert!(!range.lower_exclusive);
        assert!(range.admits(&super::super::sortable_time(from.expect("a time"))));
    }
}
