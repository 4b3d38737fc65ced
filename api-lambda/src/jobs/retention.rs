//! The retention job: every facility's retention period applied, from the
//! command line or on Lambda (`NOCTIS_LAMBDA_JOB=retention`).

use noctis_core::Ports;
use noctis_core::domain::now;
use noctis_core::usecases::retention::{
    ExpiredStudy, RetentionMode, RetentionPorts, RetentionSummary, apply_retention,
};

/// The value of `NOCTIS_LAMBDA_JOB` that makes a Lambda function the retention job.
pub const LAMBDA_JOB: &str = "retention";

/// Applies every facility's retention period now, telling `each` of every
/// study deleted (or, on a dry run, that would be).
pub async fn run(
    ports: &Ports,
    mode: RetentionMode,
    each: &mut (dyn FnMut(&ExpiredStudy) + Send),
) -> anyhow::Result<RetentionSummary> {
    let ports = RetentionPorts {
        facilities: ports.facilities.as_ref(),
        index: ports.studies.as_ref(),
        objects: ports.objects.as_ref(),
    };
    let summary = apply_retention(ports, mode, now(), each).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    tracing::info!(
        dry_run = mode == RetentionMode::DryRun,
        facilities = summary.facilities,
        studies = summary.studies,
        instances = summary.instances,
        bytes = summary.bytes,
        "retention applied"
    );
    Ok(summary)
}

/// Serves the retention job on Lambda: each invocation, whatever its event
/// (the schedule's), runs it once and answers its summary.
pub async fn serve_on_lambda(ports: Ports) -> anyhow::Result<()> {
    use lambda_http::{LambdaEvent, service_fn};
    let ports = &ports;
    let handler = service_fn(move |_: LambdaEvent<serde_json::Value>| async move {
        let mut log = |study: &ExpiredStudy| {
            tracing::info!(
                study = %study.study_id,
                facility = %study.facility_id,
                instances = study.instances,
                "study past its retention deleted"
            );
        };
        run(ports, RetentionMode::Delete, &mut log).await.map_err(lambda_http::Error::from)
    });
    lambda_http::lambda_runtime::run(handler).await.map_err(|e| anyhow::anyhow!(e))
}
