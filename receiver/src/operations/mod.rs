//! What operators and load balancers see: the health endpoint, its probe for
//! the container's health check, and the Prometheus metrics.

pub mod health;
pub mod health_probe;
pub mod heartbeat;
pub mod metrics;
