//! The ingestion service's configuration.

use std::path::PathBuf;

use jixiao_domain::{Catalog, GroupWeights, MetricDef};
use jixiao_server::auth::AuthConfig;
use jixiao_server::config::{Validate, check_range};
use jixiao_server::grpc::ConnectionLimits;
use jixiao_server::tls::ServerTls;
use serde::{Deserialize, Serialize};

/// Everything the ingestion service can be configured with. Every field has a default, so an
/// empty file is a valid configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct IngestConfig {
    /// Address to serve gRPC on.
    pub listen: String,
    /// Address of the Prometheus metrics endpoint (`GET /metrics`), for example
    /// 127.0.0.1:9151; empty: off.
    pub metrics_listen: String,
    /// Directory of the SQLite file.
    pub data_dir: PathBuf,
    /// Name of the SQLite file inside `data_dir`.
    pub database_file: String,
    /// `synchronous = FULL`: an acknowledged point survives a power loss, not only a crash.
    pub durable: bool,
    /// How long a shutdown waits for requests in flight.
    pub shutdown_grace_seconds: u64,
    /// Size limits.
    pub limits: Limits,
    /// The weight of each level-1 group that the weights of a target set naming no framework
    /// must sum to.
    pub group_weights: GroupWeights,
    /// A directory of framework files (`*.toml`), loaded beside the shipped ones at start: a
    /// target set naming a framework is checked against its groups, computed rows and budget
    /// weight (TABLES.md §4). Point the evaluator's `frameworks_dir` at the same directory.
    pub frameworks_dir: Option<PathBuf>,
    /// Metrics added to the starter catalog.
    pub metrics: Vec<MetricDef>,
    /// Bearer tokens; none: the service runs open.
    pub auth: AuthConfig,
    /// TLS; off unless a certificate and key are set.
    pub tls: ServerTls,
}

/// Limits, always on; each refusal says which limit and how to stay within it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Limits {
    /// Most points in one PushMetrics request or one StreamMetrics message.
    pub max_points_per_request: usize,
    /// Most points in one StreamMetrics stream.
    pub max_points_per_stream: usize,
    /// Largest gRPC message accepted, in bytes.
    pub max_message_bytes: usize,
    /// Most requests served at once; more are refused with RESOURCE_EXHAUSTED.
    pub max_concurrent_requests: usize,
    /// Most StreamMetrics and ExportInputs streams open at once.
    pub max_concurrent_streams: usize,
    /// How long, in seconds, an ExportInputs reader may leave the next item untaken before the
    /// export is cut off with ABORTED (a stalled reader would otherwise hold a database
    /// snapshot, which keeps the WAL from being checkpointed, and a read connection).
    pub export_stall_seconds: u64,
    /// Per-connection and per-request limits: deadline, HTTP/2 streams, keepalive.
    pub connection: ConnectionLimits,
}

impl Default for IngestConfig {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:50051".to_owned(),
            metrics_listen: String::new(),
            data_dir: PathBuf::from("./data"),
            database_file: "ingest.sqlite".to_owned(),
            durable: true,
            shutdown_grace_seconds: 10,
            limits: Limits::default(),
            group_weights: GroupWeights::default(),
            frameworks_dir: None,
            metrics: Vec::new(),
            auth: AuthConfig::default(),
            tls: ServerTls::default(),
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_points_per_request: 50_000,
            max_points_per_stream: 10_000_000,
            max_message_bytes: 16 * 1024 * 1024,
            max_concurrent_requests: 512,
            max_concurrent_streams: 32,
            export_stall_seconds: 30,
            connection: ConnectionLimits::default(),
        }
    }
}

impl Validate for IngestConfig {
    /// The ranges of the numeric settings; the weights of `group_weights` must lie in
    /// [0, 100] percent points.
    fn validate(&self) -> anyhow::Result<()> {
        check_range(
            "shutdown_grace_seconds",
            self.shutdown_grace_seconds,
            0..=3_600,
        )?;
        let limits = &self.limits;
        check_range(
            "limits.max_points_per_request",
            limits.max_points_per_request,
            1..=1_000_000,
        )?;
        check_range(
            "limits.max_points_per_stream",
            limits.max_points_per_stream,
            1..=1_000_000_000,
        )?;
        check_range(
            "limits.max_message_bytes",
            limits.max_message_bytes,
            64 * 1024..=1024 * 1024 * 1024,
        )?;
        check_range(
            "limits.max_concurrent_requests",
            limits.max_concurrent_requests,
            1..=100_000,
        )?;
        check_range(
            "limits.max_concurrent_streams",
            limits.max_concurrent_streams,
            1..=10_000,
        )?;
        check_range(
            "limits.export_stall_seconds",
            limits.export_stall_seconds,
            1..=3_600,
        )?;
        limits.connection.validate("limits.connection.")?;
        let hundred = rust_decimal::Decimal::ONE_HUNDRED;
        for (key, weight) in [
            ("group_weights.output", self.group_weights.output),
            ("group_weights.outcome", self.group_weights.outcome),
            (
                "group_weights.satisfaction",
                self.group_weights.satisfaction,
            ),
        ] {
            check_range(key, weight, rust_decimal::Decimal::ZERO..=hundred)?;
        }
        let weights = &self.group_weights;
        let total = weights.output + weights.outcome + weights.satisfaction + weights.budget;
        if weights.rule == jixiao_domain::target::GroupWeightRule::TotalOnly && total != hundred {
            anyhow::bail!(
                "group_weights: output {} + outcome {} + satisfaction {} + budget {} = {}, but with rule = \"total_only\" they must make 100",
                weights.output,
                weights.outcome,
                weights.satisfaction,
                weights.budget,
                total
            );
        }
        Ok(())
    }
}

impl IngestConfig {
    /// The SQLite file.
    pub fn database_path(&self) -> PathBuf {
        self.data_dir.join(&self.database_file)
    }

    /// The frameworks a target set may name: the shipped ones and `frameworks_dir`'s.
    ///
    /// # Errors
    /// Every invalid or unreadable framework file, naming the file and the key.
    pub fn frameworks(&self) -> anyhow::Result<jixiao_scoring::Frameworks> {
        jixiao_scoring::Frameworks::load(&jixiao_scoring::FrameworkSources {
            directory: self.frameworks_dir.clone(),
            ..Default::default()
        })
        .map_err(|reason| anyhow::anyhow!("frameworks: {reason}"))
    }

    /// The catalog: the starter metrics and the configured ones.
    ///
    /// # Errors
    /// When a configured metric is invalid or reuses a code.
    pub fn catalog(&self) -> anyhow::Result<Catalog> {
        Catalog::starter()
            .with_extra(self.metrics.clone())
            .map_err(|reason| anyhow::anyhow!("configuration metrics: {reason}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_defaults_deserialize_from_an_empty_file() {
        let config: IngestConfig = toml::from_str("").unwrap();
        assert_eq!(config, IngestConfig::default());
        assert_eq!(config.listen, "127.0.0.1:50051");
        assert_eq!(
            config.database_path(),
            PathBuf::from("./data/ingest.sqlite")
        );
    }

    #[test]
    fn a_group_weights_table_without_a_rule_keeps_the_fixed_rule_and_total_only_must_add_up() {
        use jixiao_domain::target::GroupWeightRule;
        let old: IngestConfig = toml::from_str(
            "[group_weights]\noutput = \"40\"\noutcome = \"20\"\nsatisfaction = \"20\"\n",
        )
        .unwrap();
        assert_eq!(old.group_weights.rule, GroupWeightRule::Fixed);
        old.validate().unwrap();
        assert_eq!(
            IngestConfig::default().group_weights.rule,
            GroupWeightRule::TotalOnly
        );
        let mut short = IngestConfig::default();
        short.group_weights.output = "40".parse().unwrap();
        let error = short.validate().unwrap_err().to_string();
        assert!(error.contains("must make 100"), "{error}");
    }

    #[test]
    fn the_sample_configuration_in_deploy_is_valid() {
        // Through the services' loader, which refuses unknown keys and checks ranges.
        let file =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/ingest.toml");
        let env = std::collections::HashMap::new();
        let config: IngestConfig = jixiao_server::config::load(&jixiao_server::config::Sources {
            file: Some(&file),
            file_table: None,
            env: &env,
            env_prefix: "JIXIAO_INGEST_",
            overrides: Vec::new(),
        })
        .unwrap();
        config.catalog().unwrap();
    }
}
