//! Contract suites: one per port, each run against the embedded adapters and the
//! AWS adapters on the emulator that `make test` starts. A behaviour pinned here
//! holds for both, or the suite fails.

mod support;

mod audit;
mod bans;
mod deletion;
mod facilities;
mod objects;
mod receivers;
mod reports;
mod settlement;
mod studies;
mod users;
