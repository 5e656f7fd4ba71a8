//! `jixiao-evaluator`: runs the evaluator service alone.

use std::collections::HashMap;
use std::path::PathBuf;

use clap::Parser;
use jixiao_evaluator::{EvaluatorConfig, EvaluatorServer};
use jixiao_server::config::{Sources, detect_table, load};

/// The jixiao evaluator service. Configuration: defaults, then the file, then
/// JIXIAO_EVALUATOR_* environment variables, then flags.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// TOML configuration file (its keys at the top level, or under [evaluator]).
    #[arg(long, env = "JIXIAO_CONFIG")]
    config: Option<PathBuf>,
    /// Address to serve on, for example 0.0.0.0:50052.
    #[arg(long)]
    listen: Option<String>,
    /// Directory of the SQLite file.
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// The ingestion service, for example http://127.0.0.1:50051.
    #[arg(long)]
    ingest_endpoint: Option<String>,
    /// Any other setting, as key=value (for example schedule.enabled=false).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    settings: Vec<String>,
    /// Log lines as text or as JSON.
    #[arg(long, env = "JIXIAO_LOG_FORMAT", value_enum, default_value_t)]
    log_format: jixiao_server::telemetry::LogFormat,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    jixiao_server::exit_code(run().await)
}

async fn run() -> anyhow::Result<()> {
    let args = Args::parse();
    jixiao_server::telemetry::init(args.log_format);
    let env: HashMap<String, String> = std::env::vars().collect();
    let mut overrides = jixiao_server::config::parse_settings(&args.settings)?;
    if let Some(listen) = args.listen {
        overrides.push(("listen".to_owned(), listen));
    }
    if let Some(data_dir) = args.data_dir {
        overrides.push(("data_dir".to_owned(), data_dir.display().to_string()));
    }
    if let Some(endpoint) = args.ingest_endpoint {
        overrides.push(("ingest_endpoint".to_owned(), endpoint));
    }
    let file_table = match &args.config {
        Some(path) => detect_table(path, "evaluator")?,
        None => None,
    };
    let config: EvaluatorConfig = load(&Sources {
        file: args.config.as_deref(),
        file_table,
        env: &env,
        env_prefix: "JIXIAO_EVALUATOR_",
        overrides,
    })?;
    EvaluatorServer::build(config)
        .await?
        .run_until_stopped(jixiao_server::grpc::shutdown_signal())
        .await
}
