//! The evaluator's own metrics, besides the gRPC request counts every service has.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use jixiao_server::metrics::{
    GrpcMetrics, HistogramFamily, Labels, Refresh, seconds_family, set_database_size,
};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use crate::schedule::{Kind, Schedules};
use crate::store::{EvaluatorStore, Trigger};

/// Runs by trigger and outcome with their durations, snapshots, schedule, database size.
#[derive(Debug, Clone)]
pub struct EvaluatorMetrics {
    runs: Family<Labels, Counter>,
    run_seconds: HistogramFamily,
    runs_in_flight: Gauge,
    snapshots_created: Counter,
    snapshots_reused: Counter,
    snapshots: Gauge,
    next_fire: Family<Labels, Gauge>,
    database_bytes: Gauge,
}

/// How a run ended, as a metric label.
#[derive(Debug, Clone, Copy)]
pub enum Outcome {
    /// Snapshots stored.
    Succeeded,
    /// Nothing stored; the run records why.
    Failed,
    /// The evaluator stopped during the run.
    Interrupted,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Succeeded => "succeeded",
            Outcome::Failed => "failed",
            Outcome::Interrupted => "interrupted",
        }
    }
}

impl Default for EvaluatorMetrics {
    fn default() -> Self {
        Self {
            runs: Family::default(),
            run_seconds: seconds_family(),
            runs_in_flight: Gauge::default(),
            snapshots_created: Counter::default(),
            snapshots_reused: Counter::default(),
            snapshots: Gauge::default(),
            next_fire: Family::default(),
            database_bytes: Gauge::default(),
        }
    }
}

impl EvaluatorMetrics {
    /// A registry holding the gRPC metrics and these, and the two sets.
    pub fn registry() -> (Registry, GrpcMetrics, Self) {
        let mut registry = Registry::default();
        let grpc = GrpcMetrics::register(&mut registry);
        let metrics = Self::default();
        let evaluator = registry.sub_registry_with_prefix("jixiao_evaluator");
        evaluator.register(
            "runs",
            "Evaluation runs that ended, by trigger (manual, schedule, catch_up, retry) and outcome (succeeded, failed, interrupted)",
            metrics.runs.clone(),
        );
        evaluator.register(
            "run_duration_seconds",
            "Duration of evaluation runs, by trigger and outcome",
            metrics.run_seconds.clone(),
        );
        evaluator.register(
            "runs_in_flight",
            "Evaluation runs going now",
            metrics.runs_in_flight.clone(),
        );
        evaluator.register(
            "snapshots_created",
            "Snapshots stored by runs",
            metrics.snapshots_created.clone(),
        );
        evaluator.register(
            "snapshots_reused",
            "Snapshots a run found already stored for identical inputs",
            metrics.snapshots_reused.clone(),
        );
        evaluator.register(
            "snapshots",
            "Snapshots in the database",
            metrics.snapshots.clone(),
        );
        evaluator.register(
            "schedule_next_fire_timestamp_seconds",
            "When each schedule fires next, in seconds since 1970 (absent when the schedule is disabled)",
            metrics.next_fire.clone(),
        );
        evaluator.register(
            "database_size_bytes",
            "Size of the SQLite file and its write-ahead log",
            metrics.database_bytes.clone(),
        );
        (registry, grpc, metrics)
    }

    /// A run started.
    pub fn run_started(&self) {
        self.runs_in_flight.inc();
    }

    /// A run ended after `elapsed`.
    pub fn run_ended(&self, trigger: Trigger, outcome: Outcome, elapsed: Duration) {
        self.runs_in_flight.dec();
        let labels: Labels = vec![
            ("trigger", trigger.as_str().to_owned()),
            ("outcome", outcome.as_str().to_owned()),
        ];
        self.runs.get_or_create(&labels).inc();
        self.run_seconds
            .get_or_create(&labels)
            .observe(elapsed.as_secs_f64());
    }

    /// A run stored `created` snapshots and found `reused` already stored.
    pub fn snapshots_stored(&self, created: u64, reused: u64) {
        self.snapshots_created.inc_by(created);
        self.snapshots_reused.inc_by(reused);
    }

    /// Reads the snapshot count, the next fires and the database size at each scrape.
    pub fn refresh(
        &self,
        store: EvaluatorStore,
        database: PathBuf,
        schedules: Option<Schedules>,
    ) -> Refresh {
        let metrics = self.clone();
        let shared = Arc::new((store, database, schedules));
        Arc::new(move || {
            let metrics = metrics.clone();
            let shared = Arc::clone(&shared);
            Box::pin(async move {
                let (store, database, schedules) = &*shared;
                match store.count_snapshots().await {
                    Ok(count) => {
                        metrics.snapshots.set(count);
                    }
                    Err(error) => {
                        tracing::warn!(error = %error, "counting snapshots for the metrics failed")
                    }
                }
                if let Some(schedules) = schedules {
                    let now = Utc::now();
                    for kind in [Kind::Quarterly, Kind::Yearly] {
                        if let Some(next) = schedules.next_fire(kind, now) {
                            metrics
                                .next_fire
                                .get_or_create(&vec![("schedule", kind.name().to_owned())])
                                .set(next.timestamp());
                        }
                    }
                }
                set_database_size(&metrics.database_bytes, database.clone()).await;
            })
        })
    }
}
