//! What operators and load balancers see: the health endpoint, its probe for
//! the container's health check, and the Prometheus metrics; and what each
//! receiver does in the background (its heartbeat, the settlement sweep).

pub mod health;
pub mod health_probe;
pub mod heartbeat;
pub mod metrics;
pub mod repair_sweep;
