//! The receiver as one value: built from configuration with its sockets bound
//! (so callers and tests learn the ports), then run until a shutdown future fires.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use noctis_core::{Config, Ports};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::commitment::CommitmentService;
use crate::dicomweb::DicomWeb;
use crate::intake::Intake;
use crate::operations::health::{self, HealthState};
use crate::operations::heartbeat::Heartbeat;
use crate::operations::metrics::Metrics;
use crate::operations::repair_sweep::RepairSweep;
use crate::policy::admission::Admission;
use crate::policy::facility_cache::FacilityCache;
use crate::policy::limits::KeyedSemaphore;
use crate::protocol::association::AssociationServices;
use crate::query::QueryService;
use crate::retrieve::RetrieveService;
use crate::settlement::Settling;
use crate::transport::listener::Listener;
use noctis_core::auth::TokenKeys;

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("could not open the storage backend: {0}")]
    Backend(#[from] noctis_core::ports::StoreError),
    #[error(transparent)]
    Tls(#[from] crate::transport::tls::TlsSetupError),
    #[error(transparent)]
    TokenSecret(#[from] noctis_core::auth::SecretError),
    #[error("could not listen on {address}: {source}")]
    Bind { address: SocketAddr, source: std::io::Error },
}

#[derive(Debug)]
pub struct Application {
    dicom: Listener,
    /// After SIGTERM, how long the listener stays open (`dicom.drain_delay_secs`).
    drain_delay: Duration,
    health: TcpListener,
    health_state: HealthState,
    /// DICOMweb's listener and service; none without a token key to check
    /// sign-ins with (the cloud backend with no `api.token_secret`).
    web: Option<(TcpListener, axum::Router)>,
    heartbeat: Heartbeat,
    sweep: RepairSweep,
}

impl Application {
    pub async fn build(config: Config) -> Result<Self, BuildError> {
        let ports = noctis_core::wiring::open_ports(&config).await?;
        Self::build_with_ports(config, ports).await
    }

    pub async fn build_with_ports(config: Config, ports: Ports) -> Result<Self, BuildError> {
        let started = std::time::SystemTime::now();
        let dicom = &config.dicom;
        let limits = &dicom.limits;
        // A receiver killed mid-instance left its partial write behind; every
        // write begun before this start belongs to no running association.
        match ports.objects.remove_abandoned_writes(started).await {
            Ok(0) => {}
            Ok(removed) => tracing::info!(removed, "removed partial writes left by an earlier process"),
            Err(e) => tracing::warn!(error = %e, "could not remove partial writes left by an earlier process"),
        }
        let metrics = Metrics::new();
        let draining = Arc::new(AtomicBool::new(false));
        let heartbeat = Heartbeat {
            registry: ports.receivers.clone(),
            interval: Duration::from_secs(dicom.heartbeat_secs.max(1)),
            metrics: metrics.clone(),
            draining: draining.clone(),
            status: Heartbeat::status_at_start(),
        };
        let admission = Admission {
            scp_ae_title: dicom.ae_title.clone(),
            facilities: FacilityCache::new(ports.facilities.clone(), Duration::from_secs(dicom.facility_cache_secs)),
            audit: ports.audit.clone(),
            bans: ports.bans.clone(),
            ban_policy: dicom.bans.policy(),
            process_slots: Arc::new(Semaphore::new(limits.max_associations.get())),
            address_slots: KeyedSemaphore::new(limits.max_per_address.get()),
            facility_slots: KeyedSemaphore::new(limits.max_per_facility.get()),
        };
        let queries = Arc::new(QueryService {
            index: ports.studies.clone(),
            audit: ports.audit.clone(),
            max_results: dicom.max_query_results.get(),
        });
        let retrieves = Arc::new(RetrieveService {
            index: ports.studies.clone(),
            objects: ports.objects.clone(),
            audit: ports.audit.clone(),
            max_matches: dicom.max_query_results.get(),
        });
        let commitments = Arc::new(CommitmentService { index: ports.studies.clone(), audit: ports.audit.clone() });
        let sweep = RepairSweep {
            index: ports.studies.clone(),
            objects: ports.objects.clone(),
            period: Duration::from_secs(dicom.abandoned_settle_secs.max(1)),
        };
        let store = Arc::new(Intake {
            objects: ports.objects,
            index: ports.studies,
            metrics: metrics.clone(),
            header_buffer: dicom.header_buffer_kib.max(4) as usize * 1024,
        });
        let settling: Arc<Settling> = Arc::default();
        let web = match noctis_core::auth::token_secret(&config).await {
            Ok(secret) => {
                let service = DicomWeb {
                    tokens: TokenKeys::new(&secret, Duration::from_secs(config.api.token_ttl_secs.max(60))),
                    users: ports.users.clone(),
                    facilities: ports.facilities.clone(),
                    audit: ports.audit.clone(),
                    intake: store.clone(),
                    max_results: dicom.max_query_results.get(),
                    settle_interval: Duration::from_secs(dicom.settle_secs),
                    settling: settling.clone(),
                    edge_secret: config.api.edge_secret.clone(),
                    renders: tokio::sync::Semaphore::new(
                        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2),
                    ),
                };
                let listener = bind(SocketAddr::new(dicom.bind, dicom.web_port)).await?;
                Some((listener, crate::dicomweb::router(Arc::new(service))))
            }
            Err(noctis_core::auth::SecretError::Missing) => {
                tracing::warn!("DICOMweb is off: api.token_secret is unset, so no sign-in could be checked");
                None
            }
            Err(e) => return Err(e.into()),
        };
        let shared = Arc::new(AssociationServices {
            admission,
            store,
            queries,
            retrieves,
            commitments,
            metrics: metrics.clone(),
            pending_per_address: KeyedSemaphore::new(limits.max_pending_per_address.get()),
            max_pdu_length: dicom.max_pdu_length.get(),
            artim_timeout: Duration::from_secs(dicom.artim_timeout_secs),
            idle_timeout: Duration::from_secs(dicom.idle_timeout_secs),
            settle_interval: Duration::from_secs(dicom.settle_secs),
            settling,
        });
        let listener = bind(SocketAddr::new(dicom.bind, dicom.port)).await?;
        let tls = match &dicom.tls {
            Some(tls) => {
                Some((bind(SocketAddr::new(dicom.bind, tls.port)).await?, crate::transport::tls::acceptor(tls)?))
            }
            None => None,
        };
        let health = bind(SocketAddr::new(dicom.bind, dicom.health_port)).await?;
        let max = limits.max_associations.get();
        Ok(Self {
            dicom: Listener {
                listener,
                tls,
                proxy_protocol: dicom.proxy_protocol,
                shared,
                connections: Arc::new(Semaphore::new(max.saturating_mul(2).saturating_add(16))),
                shutdown_grace: Duration::from_secs(dicom.shutdown_grace_secs),
            },
            drain_delay: Duration::from_secs(dicom.drain_delay_secs),
            health,
            health_state: HealthState { metrics, draining },
            web,
            heartbeat,
            sweep,
        })
    }

    pub fn dicom_port(&self) -> u16 {
        self.dicom.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    /// The DICOM TLS port, when configured.
    pub fn dicom_tls_port(&self) -> Option<u16> {
        self.dicom.tls.as_ref().and_then(|(listener, _)| listener.local_addr().ok()).map(|a| a.port())
    }

    pub fn health_port(&self) -> u16 {
        self.health.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    /// The DICOMweb port, when DICOMweb is on.
    pub fn web_port(&self) -> Option<u16> {
        self.web.as_ref().and_then(|(listener, _)| listener.local_addr().ok()).map(|a| a.port())
    }

    /// Serves until `shutdown` completes, then stops accepting and lets running
    /// associations finish within the configured grace.
    pub async fn run_until_stopped(self, shutdown: impl Future<Output = ()> + Send + 'static) {
        let draining = self.health_state.draining.clone();
        let (stop_health, health_stopped) = tokio::sync::oneshot::channel::<()>();
        let health = axum::serve(self.health, health::router(self.health_state))
            .with_graceful_shutdown(async move {
                let _ = health_stopped.await;
            })
            .into_future();
        let health_task = tokio::spawn(health);
        // DICOMweb stops with the DICOM listener: a request under way may
        // finish within the grace, as an association may.
        let (stop_web, web_stopped) = tokio::sync::watch::channel(false);
        let web_task = self.web.map(|(listener, router)| {
            let mut stopped = web_stopped.clone();
            let service = router.into_make_service_with_connect_info::<SocketAddr>();
            tokio::spawn(
                axum::serve(listener, service)
                    .with_graceful_shutdown(async move {
                        let _ = stopped.wait_for(|stop| *stop).await;
                    })
                    .into_future(),
            )
        });
        let (stop_heartbeat, heartbeat_stopped) = tokio::sync::oneshot::channel::<()>();
        let heartbeat_task = tokio::spawn(self.heartbeat.run(heartbeat_stopped));
        let (stop_sweep, sweep_stopped) = tokio::sync::oneshot::channel::<()>();
        let sweep_task = tokio::spawn(self.sweep.run(sweep_stopped));
        let drain_delay = self.drain_delay;
        let grace = self.dicom.shutdown_grace;
        self.dicom
            .run(async move {
                shutdown.await;
                draining.store(true, Ordering::Relaxed);
                if !drain_delay.is_zero() {
                    tracing::info!(
                        delay_secs = drain_delay.as_secs(),
                        "shutting down: health says so, still accepting"
                    );
                    tokio::time::sleep(drain_delay).await;
                }
                tracing::info!("shutting down: no new associations");
                // DICOMweb stops taking requests at the same moment, and drains beside the associations.
                let _ = stop_web.send(true);
            })
            .await;
        if let Some(task) = web_task
            && tokio::time::timeout(grace, task).await.is_err()
        {
            tracing::warn!("DICOMweb requests still running at the end of the grace were cut off");
        }
        let _ = stop_sweep.send(());
        let _ = sweep_task.await;
        let _ = stop_heartbeat.send(());
        let _ = heartbeat_task.await;
        let _ = stop_health.send(());
        if let Ok(Err(e)) = health_task.await {
            tracing::warn!(error = %e, "health endpoint ended with an error");
        }
    }
}

async fn bind(address: SocketAddr) -> Result<TcpListener, BuildError> {
    TcpListener::bind(address).await.map_err(|source| BuildError::Bind { address, source })
}
