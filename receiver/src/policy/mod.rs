//! Who may associate and how much: admission, the facility cache, and the
//! per-address and per-facility caps.

pub mod admission;
pub mod facility_cache;
pub mod limits;
