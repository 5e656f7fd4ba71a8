//! `jixiao-evaluator`: runs the evaluator service alone.

use clap::Parser;
use jixiao_evaluator::{EvaluatorConfig, EvaluatorServer};
use jixiao_server::config::ServiceArgs;

/// The jixiao evaluator service. Configuration: defaults, then the file, then
/// JIXIAO_EVALUATOR_* environment variables, then flags.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    #[command(flatten)]
    service: ServiceArgs,
    /// The ingestion service, for example http://127.0.0.1:50051.
    #[arg(long)]
    ingest_endpoint: Option<String>,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    jixiao_server::exit_code(run().await)
}

async fn run() -> anyhow::Result<()> {
    let args = Args::parse();
    let more = args
        .ingest_endpoint
        .map(|endpoint| ("ingest_endpoint".to_owned(), endpoint))
        .into_iter()
        .collect();
    jixiao_server::telemetry::run_with(&args.service.telemetry, "jixiao-evaluator", async {
        // Loaded once logging is up, so that ignored variables are logged.
        let config: EvaluatorConfig = args.service.load("evaluator", "JIXIAO_EVALUATOR_", more)?;
        EvaluatorServer::build(config)
            .await?
            .run_until_stopped(jixiao_server::grpc::shutdown_signal())
            .await
    })
    .await
}
