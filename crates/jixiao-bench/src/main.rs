//! `jixiao-bench`: measures the real services, each workload beside its baseline measured in the
//! same run, and prints one table.
//!
//! Run it on a release build: `cargo build --release --bins && target/release/jixiao-bench`.
//! It starts `jixiao-ingest` and `jixiao-evaluator` (found next to itself, or in `--bin-dir`)
//! on port 0 with fresh data directories, so that their peak memory is their own.
//!
//! Workloads (sizes are flags):
//! 1. bulk ingest: departments × metrics × quarters points over StreamMetrics from one client;
//!    baseline: the same rows inserted with rusqlite, prepared statements in transactions of
//!    10,000, into a fresh file with the same schema and durability;
//! 2. small pushes: concurrent clients each sending PushMetrics with one point; baselines: one
//!    SQLite transaction per point at the same durability, and a tonic echo of the same message;
//! 3. year evaluation: RunEvaluation of the year over workload 1's data (three-level hierarchy,
//!    20 targets per top-level department); baseline: one SQL `GROUP BY department` over the
//!    same points.

mod baseline;
mod data;
mod echo;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Parser;
use jixiao::evaluator::v1 as evaluator_pb;
use jixiao::evaluator::v1::evaluator_service_client::EvaluatorServiceClient;
use jixiao::ingest::v1 as pb;
use jixiao::ingest::v1::ingest_service_client::IngestServiceClient;
use jixiao_testkit::Process;
use tonic::transport::Channel;

/// Benchmark of jixiao's services against baselines measured in the same run.
#[derive(Debug, Clone, Parser)]
#[command(about)]
pub struct Args {
    /// Departments (a three-level hierarchy: about 1% top level, 10% second level).
    #[arg(long, default_value_t = 10_000)]
    pub departments: usize,
    /// Metrics per department (at most 25).
    #[arg(long, default_value_t = 25)]
    pub metrics: usize,
    /// Quarters per metric (at most 4).
    #[arg(long, default_value_t = 4)]
    pub quarters: usize,
    /// Points per StreamMetrics message.
    #[arg(long, default_value_t = 5_000)]
    pub batch: usize,
    /// Small pushes in all.
    #[arg(long, default_value_t = 100_000)]
    pub requests: usize,
    /// Concurrent clients of the small pushes.
    #[arg(long, default_value_t = 64)]
    pub clients: usize,
    /// Repetitions of each workload.
    #[arg(long, default_value_t = 3)]
    pub repetitions: usize,
    /// Directory of the jixiao-ingest and jixiao-evaluator binaries (default: next to this one).
    #[arg(long)]
    pub bin_dir: Option<PathBuf>,
}

/// One workload's measurements over the repetitions.
struct Row {
    workload: &'static str,
    unit: &'static str,
    values: Vec<f64>,
    peak_rss: Vec<u64>,
    baseline_name: &'static str,
    baseline: Vec<f64>,
    /// Whether a larger figure is better (rates) or worse (durations).
    higher_is_better: bool,
    note: String,
}

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[sorted.len() / 2]
}

fn format_figure(value: f64) -> String {
    if value >= 100.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.3}")
    }
}

fn print_table(rows: &[Row]) {
    println!();
    println!(
        "{:<15} {:<12} {:>12} {:>25} {:>16} {:<28} {:>12} {:>7}",
        "workload",
        "unit",
        "median",
        "min–max",
        "server peak RSS",
        "baseline",
        "baseline med",
        "ratio"
    );
    for row in rows {
        let min = row.values.iter().copied().fold(f64::INFINITY, f64::min);
        let max = row.values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let baseline = median(&row.baseline);
        let value = median(&row.values);
        let ratio = if row.higher_is_better {
            value / baseline
        } else {
            baseline / value
        };
        let rss = row.peak_rss.iter().copied().max().unwrap_or(0);
        println!(
            "{:<15} {:<12} {:>12} {:>25} {:>12.1} MiB {:<28} {:>12} {:>7.2}",
            row.workload,
            row.unit,
            format_figure(value),
            format!("{}–{}", format_figure(min), format_figure(max)),
            rss as f64 / 1024.0 / 1024.0,
            row.baseline_name,
            format_figure(baseline),
            ratio
        );
        if !row.note.is_empty() {
            println!("{:<15} {}", "", row.note);
        }
    }
    println!();
    println!(
        "ratio: the figure over its baseline for rates, the baseline over the figure for durations (higher is better)"
    );
}

fn bin_dir(args: &Args) -> anyhow::Result<PathBuf> {
    match &args.bin_dir {
        Some(dir) => Ok(dir.clone()),
        None => Ok(std::env::current_exe()?
            .parent()
            .ok_or_else(|| anyhow::anyhow!("no directory for the binaries"))?
            .to_owned()),
    }
}

fn start_ingest(dir: &std::path::Path) -> anyhow::Result<Process> {
    let binary = dir.join("jixiao-ingest");
    anyhow::ensure!(
        binary.exists(),
        "{} is missing: build it first (cargo build --release --bins)",
        binary.display()
    );
    Ok(Process::start(
        binary.to_str().unwrap_or_default(),
        &[
            "--listen",
            "127.0.0.1:0",
            "--set",
            "limits.max_concurrent_requests=100000",
        ],
        &["address"],
    ))
}

async fn connect(address: &str) -> anyhow::Result<IngestServiceClient<Channel>> {
    Ok(IngestServiceClient::connect(format!("http://{address}"))
        .await?
        .max_decoding_message_size(64 * 1024 * 1024)
        .max_encoding_message_size(64 * 1024 * 1024))
}

/// Workload 1 on a fresh ingestion service; returns points/s and leaves the service running.
async fn bulk_ingest(args: &Args, service: &Process) -> anyhow::Result<f64> {
    let mut client = connect(service.address("address")).await?;
    data::upsert_departments(&mut client, args.departments).await?;
    let messages = data::stream_messages(args);
    let points = args.departments * args.metrics.min(25) * args.quarters.min(4);
    let started = Instant::now();
    let answer = client
        .stream_metrics(futures::stream::iter(messages))
        .await?
        .into_inner();
    let seconds = started.elapsed().as_secs_f64();
    anyhow::ensure!(
        answer.stored as usize == points,
        "stored {} of {points} points",
        answer.stored
    );
    Ok(points as f64 / seconds)
}

/// Workload 2 on a fresh ingestion service: requests/s, p50 and p99 latency in ms.
async fn small_pushes(args: &Args, service: &Process) -> anyhow::Result<(f64, f64, f64)> {
    let mut admin = connect(service.address("address")).await?;
    data::upsert_departments(&mut admin, 1).await?;
    let per_client = args.requests.div_ceil(args.clients.max(1));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for client_index in 0..args.clients {
        let mut client = connect(service.address("address")).await?;
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(per_client);
            for request in 0..per_client {
                let point = data::small_point(client_index, request);
                let sent = Instant::now();
                client
                    .push_metrics(pb::PushMetricsRequest {
                        validate_only: false,
                        request_id: String::new(),
                        source: "bench".into(),
                        points: vec![point],
                    })
                    .await?;
                latencies.push(sent.elapsed());
            }
            anyhow::Ok(latencies)
        }));
    }
    let mut latencies: Vec<Duration> = Vec::new();
    for task in tasks {
        latencies.extend(task.await??);
    }
    let seconds = started.elapsed().as_secs_f64();
    latencies.sort();
    let percentile = |p: f64| {
        latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)].as_secs_f64()
            * 1000.0
    };
    Ok((
        latencies.len() as f64 / seconds,
        percentile(0.50),
        percentile(0.99),
    ))
}

/// Workload 3: RunEvaluation of the year against `ingest`; returns seconds and the evaluator's
/// peak RSS.
async fn year_evaluation(
    args: &Args,
    dir: &std::path::Path,
    ingest: &Process,
) -> anyhow::Result<(f64, u64, usize)> {
    let mut client = connect(ingest.address("address")).await?;
    data::set_targets(&mut client, args).await?;
    let binary = dir.join("jixiao-evaluator");
    anyhow::ensure!(
        binary.exists(),
        "{} is missing: build it first",
        binary.display()
    );
    let evaluator = Process::start(
        binary.to_str().unwrap_or_default(),
        &[
            "--listen",
            "127.0.0.1:0",
            "--ingest-endpoint",
            &format!("http://{}", ingest.address("address")),
            "--set",
            "schedule.enabled=false",
        ],
        &["address"],
    );
    let mut evaluator_client =
        EvaluatorServiceClient::connect(format!("http://{}", evaluator.address("address"))).await?;
    let started = Instant::now();
    let answer = evaluator_client
        .run_evaluation(evaluator_pb::RunEvaluationRequest {
            period: data::YEAR.to_string(),
            department_codes: Vec::new(),
            request_id: String::new(),
        })
        .await?
        .into_inner();
    let seconds = started.elapsed().as_secs_f64();
    let rss = evaluator.peak_rss_bytes().unwrap_or(0);
    Ok((seconds, rss, answer.snapshots.len()))
}

async fn run(args: Args) -> anyhow::Result<()> {
    let dir = bin_dir(&args)?;
    let points = args.departments * args.metrics.min(25) * args.quarters.min(4);
    println!(
        "jixiao-bench: {} departments × {} metrics × {} quarters = {points} points; {} small pushes from {} clients; {} repetitions",
        args.departments,
        args.metrics,
        args.quarters,
        args.requests,
        args.clients,
        args.repetitions
    );
    let mut bulk = Row {
        workload: "bulk ingest",
        unit: "points/s",
        values: Vec::new(),
        peak_rss: Vec::new(),
        baseline_name: "rusqlite insert, 10k/tx",
        baseline: Vec::new(),
        higher_is_better: true,
        note: String::new(),
    };
    let mut small = Row {
        workload: "small pushes",
        unit: "requests/s",
        values: Vec::new(),
        peak_rss: Vec::new(),
        baseline_name: "one SQLite commit per point",
        baseline: Vec::new(),
        higher_is_better: true,
        note: String::new(),
    };
    let mut echo_rates = Vec::new();
    let mut latencies = Vec::new();
    let mut year = Row {
        workload: "year eval",
        unit: "seconds",
        values: Vec::new(),
        peak_rss: Vec::new(),
        baseline_name: "SQL GROUP BY department",
        baseline: Vec::new(),
        higher_is_better: false,
        note: String::new(),
    };
    for repetition in 1..=args.repetitions {
        eprintln!("repetition {repetition}: bulk ingest");
        bulk.baseline.push(baseline::bulk_insert(
            args.departments,
            args.metrics,
            args.quarters,
        )?);
        let ingest = start_ingest(&dir)?;
        bulk.values.push(bulk_ingest(&args, &ingest).await?);
        bulk.peak_rss.push(ingest.peak_rss_bytes().unwrap_or(0));

        eprintln!("repetition {repetition}: year evaluation");
        let (seconds, rss, snapshots) = year_evaluation(&args, &dir, &ingest).await?;
        year.values.push(seconds);
        year.peak_rss.push(rss);
        year.note = format!("{snapshots} department-wide snapshots; peak RSS is the evaluator's");
        year.baseline.push(baseline::group_by(ingest.data_dir())?);
        drop(ingest);

        eprintln!("repetition {repetition}: small pushes");
        small
            .baseline
            .push(baseline::commit_per_point(args.requests.min(5_000))?);
        echo_rates.push(echo::rate(&args).await?);
        let ingest = start_ingest(&dir)?;
        let (rate, p50, p99) = small_pushes(&args, &ingest).await?;
        small.values.push(rate);
        small.peak_rss.push(ingest.peak_rss_bytes().unwrap_or(0));
        latencies.push((p50, p99));
    }
    let p50 = median(&latencies.iter().map(|(p50, _)| *p50).collect::<Vec<_>>());
    let p99 = median(&latencies.iter().map(|(_, p99)| *p99).collect::<Vec<_>>());
    let echo = median(&echo_rates);
    small.note = format!(
        "latency p50 {p50:.2} ms, p99 {p99:.2} ms; tonic echo of the same message: {echo:.0} requests/s (ratio {:.2})",
        median(&small.values) / echo
    );
    print_table(&[bulk, small, year]);
    Ok(())
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    match runtime.block_on(run(args)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
