//! `jixiao serve`: both services and the schedule in one process, configured from the
//! defaults, a TOML file with an `[ingest]` and an `[evaluator]` table, the environment and
//! flags.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;

use jixiao_evaluator::{EvaluatorConfig, EvaluatorServer};
use jixiao_ingest::{IngestConfig, IngestServer};
use jixiao_server::config::{Sources, load, parse_settings};

/// What `jixiao serve` is told.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// TOML configuration file with an [ingest] and an [evaluator] table (see deploy/jixiao.toml).
    #[arg(long, env = "JIXIAO_CONFIG")]
    pub config: Option<PathBuf>,
    /// Directory of both SQLite files.
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// An ingestion setting, as key=value (for example listen=0.0.0.0:50051).
    #[arg(long = "ingest-set", value_name = "KEY=VALUE")]
    pub ingest_settings: Vec<String>,
    /// An evaluator setting, as key=value (for example schedule.enabled=false).
    #[arg(long = "evaluator-set", value_name = "KEY=VALUE")]
    pub evaluator_settings: Vec<String>,
    /// Logs and traces.
    #[command(flatten)]
    pub telemetry: jixiao_server::telemetry::TelemetryArgs,
}

/// Runs both services until a signal stops them.
///
/// # Errors
/// An invalid configuration, or a service that fails to start.
pub async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let env: HashMap<String, String> = std::env::vars().collect();
    let mut ingest_overrides = Vec::new();
    let mut evaluator_overrides = Vec::new();
    if let Some(data_dir) = &args.data_dir {
        let data_dir = data_dir.display().to_string();
        ingest_overrides.push(("data_dir".to_owned(), data_dir.clone()));
        evaluator_overrides.push(("data_dir".to_owned(), data_dir));
    }
    ingest_overrides.extend(parse_settings(&args.ingest_settings)?);
    evaluator_overrides.extend(parse_settings(&args.evaluator_settings)?);
    let mut ingest_config: IngestConfig = load(&Sources {
        file: args.config.as_deref(),
        file_table: Some("ingest"),
        env: &env,
        env_prefix: "JIXIAO_INGEST_",
        overrides: ingest_overrides,
    })?;
    let mut evaluator_config: EvaluatorConfig = load(&Sources {
        file: args.config.as_deref(),
        file_table: Some("evaluator"),
        env: &env,
        env_prefix: "JIXIAO_EVALUATOR_",
        overrides: evaluator_overrides,
    })?;
    // One process, one set of frameworks: a directory given to either service is the other's
    // too, unless each has its own.
    match (
        &ingest_config.frameworks_dir,
        &evaluator_config.frameworks_dir,
    ) {
        (None, Some(directory)) => ingest_config.frameworks_dir = Some(directory.clone()),
        (Some(directory), None) => evaluator_config.frameworks_dir = Some(directory.clone()),
        _ => {}
    }
    let ingest = IngestServer::build(ingest_config).await?;
    // Unless told otherwise, the evaluator reads from the ingestion service of this process,
    // wherever it was bound.
    if evaluator_config.ingest_endpoint == EvaluatorConfig::default().ingest_endpoint {
        let address = ingest.local_addr();
        let host = if address.ip().is_unspecified() {
            IpAddr::V4(Ipv4Addr::LOCALHOST)
        } else {
            address.ip()
        };
        evaluator_config.ingest_endpoint =
            format!("http://{}", std::net::SocketAddr::new(host, address.port()));
    }
    let evaluator = EvaluatorServer::build(evaluator_config).await?;
    tracing::info!(
        ingest = %ingest.local_addr(),
        evaluator = %evaluator.local_addr(),
        "jixiao is running; stop it with Ctrl-C"
    );
    // On a signal, or if either service stops by itself, the evaluator stops first (its runs
    // in flight still read from the ingestion service), then the ingestion service.
    let (stop_evaluator, evaluator_stopping) = tokio::sync::watch::channel(false);
    let (stop_ingest, ingest_stopping) = tokio::sync::watch::channel(false);
    let until = |mut receiver: tokio::sync::watch::Receiver<bool>| async move {
        let _ = receiver.wait_for(|stopping| *stopping).await;
    };
    let mut evaluator_task = tokio::spawn(evaluator.run_until_stopped(until(evaluator_stopping)));
    let mut ingest_task = tokio::spawn(ingest.run_until_stopped(until(ingest_stopping)));
    let mut evaluator_result = None;
    let mut ingest_result = None;
    tokio::select! {
        () = jixiao_server::grpc::shutdown_signal() => {}
        result = &mut evaluator_task => evaluator_result = Some(result),
        result = &mut ingest_task => ingest_result = Some(result),
    }
    let _ = stop_evaluator.send(true);
    let evaluator_result = match evaluator_result {
        Some(result) => result,
        None => evaluator_task.await,
    };
    let _ = stop_ingest.send(true);
    let ingest_result = match ingest_result {
        Some(result) => result,
        None => ingest_task.await,
    };
    evaluator_result?.and(ingest_result?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_all_in_one_sample_configuration_is_valid_for_both_services() {
        let file =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/jixiao.toml");
        let env = HashMap::new();
        let sources = |table, prefix| Sources {
            file: Some(&file),
            file_table: Some(table),
            env: &env,
            env_prefix: prefix,
            overrides: Vec::new(),
        };
        let ingest: IngestConfig = load(&sources("ingest", "JIXIAO_INGEST_")).unwrap();
        let evaluator: EvaluatorConfig = load(&sources("evaluator", "JIXIAO_EVALUATOR_")).unwrap();
        assert_eq!(ingest.listen, "127.0.0.1:50051");
        assert_eq!(evaluator.schedule.timezone, "Asia/Shanghai");
    }
}
