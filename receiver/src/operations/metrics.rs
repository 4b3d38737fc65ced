//! Receiver metrics in the Prometheus text format, served on the health port.

use std::sync::Arc;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabels {
    pub outcome: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StatusLabels {
    pub status: String,
}

#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    /// `outcome` is `accepted` or the rejection reason.
    pub associations: Family<OutcomeLabels, Counter>,
    pub associations_active: Gauge,
    /// `status` is the C-STORE response status in hex.
    pub instances: Family<StatusLabels, Counter>,
    pub bytes_stored: Counter,
    /// `status` is the C-FIND final response status in hex.
    pub queries: Family<StatusLabels, Counter>,
    /// `status` is the C-GET final response status in hex.
    pub retrieves: Family<StatusLabels, Counter>,
    /// Instances sent by C-GET sub-operations, by the requester's C-STORE status.
    pub retrieved: Family<StatusLabels, Counter>,
    /// Seconds from the last data byte to "stored and indexed".
    pub store_seconds: Histogram,
}

impl Metrics {
    pub fn new() -> Arc<Self> {
        let mut registry = Registry::with_prefix("noctis_receiver");
        let associations = Family::<OutcomeLabels, Counter>::default();
        let associations_active = Gauge::default();
        let instances = Family::<StatusLabels, Counter>::default();
        let bytes_stored = Counter::default();
        let queries = Family::<StatusLabels, Counter>::default();
        let retrieves = Family::<StatusLabels, Counter>::default();
        let retrieved = Family::<StatusLabels, Counter>::default();
        let store_seconds = Histogram::new(exponential_buckets(0.001, 2.0, 16));
        registry.register("associations", "Associations by outcome", associations.clone());
        registry.register("associations_active", "Associations in progress", associations_active.clone());
        registry.register("instances", "C-STORE requests by response status", instances.clone());
        registry.register("stored_bytes", "Bytes of instances stored", bytes_stored.clone());
        registry.register("queries", "C-FIND requests by final response status", queries.clone());
        registry.register("retrieves", "C-GET requests by final response status", retrieves.clone());
        registry.register("retrieved_instances", "C-GET sub-operations by the requester's status", retrieved.clone());
        registry.register(
            "store_seconds",
            "Time to store and index an instance after its last byte",
            store_seconds.clone(),
        );
        Arc::new(Self {
            registry,
            associations,
            associations_active,
            instances,
            bytes_stored,
            queries,
            retrieves,
            retrieved,
            store_seconds,
        })
    }

    pub fn association(&self, outcome: &str) {
        self.associations.get_or_create(&OutcomeLabels { outcome: outcome.to_owned() }).inc();
    }

    pub fn instance(&self, status: u16) {
        self.instances.get_or_create(&StatusLabels { status: format!("{status:04X}") }).inc();
    }

    pub fn query(&self, status: u16) {
        self.queries.get_or_create(&StatusLabels { status: format!("{status:04X}") }).inc();
    }

    pub fn retrieve(&self, status: u16) {
        self.retrieves.get_or_create(&StatusLabels { status: format!("{status:04X}") }).inc();
    }

    pub fn retrieved(&self, status: u16) {
        self.retrieved.get_or_create(&StatusLabels { status: format!("{status:04X}") }).inc();
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        if let Err(e) = prometheus_client::encoding::text::encode(&mut out, &self.registry) {
            tracing::warn!(error = %e, "could not render metrics");
        }
        out
    }
}
