//! `jixiao-ingest`: runs the ingestion service alone.

use clap::Parser;
use jixiao_ingest::{IngestConfig, IngestServer};
use jixiao_server::config::ServiceArgs;

/// The jixiao ingestion service. Configuration: defaults, then the file, then JIXIAO_INGEST_*
/// environment variables, then flags.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    #[command(flatten)]
    service: ServiceArgs,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    jixiao_server::exit_code(run().await)
}

async fn run() -> anyhow::Result<()> {
    let args = Args::parse();
    jixiao_server::telemetry::run_with(&args.service.telemetry, "jixiao-ingest", async {
        // Loaded once logging is up, so that ignored variables are logged.
        let config: IngestConfig = args.service.load("ingest", "JIXIAO_INGEST_", Vec::new())?;
        IngestServer::build(config)
            .await?
            .run_until_stopped(jixiao_server::grpc::shutdown_signal())
            .await
    })
    .await
}
