//! The evaluator service's configuration.

use std::path::PathBuf;

use jixiao_server::auth::{AuthConfig, Secret};
use jixiao_server::config::{Validate, check_range};
use jixiao_server::grpc::ConnectionLimits;
use jixiao_server::tls::{ClientTls, ServerTls};
use serde::{Deserialize, Serialize};

/// Everything the evaluator can be configured with. Every field has a default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct EvaluatorConfig {
    /// Address to serve gRPC on.
    pub listen: String,
    /// Address of the Prometheus metrics endpoint (`GET /metrics`), for example
    /// 127.0.0.1:9152; empty: off.
    pub metrics_listen: String,
    /// Directory of the SQLite file.
    pub data_dir: PathBuf,
    /// Name of the SQLite file inside `data_dir`.
    pub database_file: String,
    /// The ingestion service, for example `http://127.0.0.1:50051`.
    pub ingest_endpoint: String,
    /// How long reading a year's inputs may take, in seconds.
    pub ingest_timeout_seconds: u64,
    /// The evaluator's own token for the ingestion service (it needs the scope `read`).
    pub ingest_token: Secret,
    /// TLS towards the ingestion service (use an `https://` endpoint).
    pub ingest_tls: ClientTls,
    /// One framework file, loaded beside the shipped ones (it may replace a shipped one of the
    /// same name) and the default of both subject kinds unless `default_frameworks` says
    /// otherwise. Read again at every run, so that a broken edit fails runs visibly instead of
    /// going unnoticed.
    pub framework_file: Option<PathBuf>,
    /// A directory whose every `*.toml` file is a framework, loaded beside the shipped ones
    /// (`central-2020`, `hubei-2020`, `hunan-department-2020`) at every run; a target set
    /// names the framework it is scored under (TABLES.md §4).
    pub frameworks_dir: Option<PathBuf>,
    /// The framework of subjects whose target set names none: `department` (部门整体) and
    /// `project` (项目支出); empty: `framework_file`'s, else `central-2020`.
    pub default_frameworks: jixiao_scoring::DefaultFrameworks,
    /// How long a shutdown waits for requests and runs in flight, in seconds.
    pub shutdown_grace_seconds: u64,
    /// The schedule.
    pub schedule: ScheduleConfig,
    /// Bearer tokens of this service; none: it runs open.
    pub auth: AuthConfig,
    /// TLS of this service; off unless a certificate and key are set.
    pub tls: ServerTls,
    /// Per-connection and per-request limits: deadline, HTTP/2 streams, keepalive.
    pub limits: ConnectionLimits,
}

/// When snapshots are made without being asked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ScheduleConfig {
    /// Whether the schedule runs at all.
    pub enabled: bool,
    /// Time zone of the cron expressions.
    pub timezone: String,
    /// Six-field cron (seconds first) for the quarterly snapshot; each fire evaluates the
    /// last quarter that ended before it. Default: 02:00 on the first day of each quarter.
    pub quarterly_cron: String,
    /// Six-field cron for the yearly self-evaluation; each fire evaluates the previous year.
    /// Default: 03:00 on 1 March.
    pub yearly_cron: String,
    /// At start, how many days back to look for fires missed while the evaluator was down,
    /// the first time it starts on a data directory (afterwards it knows its last fire).
    pub catch_up_days: u32,
    /// Attempts of a scheduled run before it is left failed (visible in ListRuns).
    pub max_attempts: u32,
    /// First wait before a retry, in seconds; it doubles with each attempt.
    pub retry_initial_seconds: u64,
    /// Longest wait between retries, in seconds.
    pub retry_max_seconds: u64,
}

impl Default for EvaluatorConfig {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:50052".to_owned(),
            metrics_listen: String::new(),
            data_dir: PathBuf::from("./data"),
            database_file: "evaluator.sqlite".to_owned(),
            ingest_endpoint: "http://127.0.0.1:50051".to_owned(),
            ingest_timeout_seconds: 600,
            ingest_token: Secret::default(),
            ingest_tls: ClientTls::default(),
            framework_file: None,
            frameworks_dir: None,
            default_frameworks: jixiao_scoring::DefaultFrameworks::default(),
            shutdown_grace_seconds: 30,
            schedule: ScheduleConfig::default(),
            auth: AuthConfig::default(),
            tls: ServerTls::default(),
            limits: ConnectionLimits::default(),
        }
    }
}

impl Default for ScheduleConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            timezone: "Asia/Shanghai".to_owned(),
            quarterly_cron: "0 0 2 1 1,4,7,10 *".to_owned(),
            yearly_cron: "0 0 3 1 3 *".to_owned(),
            catch_up_days: 100,
            max_attempts: 5,
            retry_initial_seconds: 60,
            retry_max_seconds: 3600,
        }
    }
}

impl Validate for EvaluatorConfig {
    /// The ranges of the numeric settings.
    fn validate(&self) -> anyhow::Result<()> {
        const DAY: u64 = 86_400;
        check_range(
            "ingest_timeout_seconds",
            self.ingest_timeout_seconds,
            1..=DAY,
        )?;
        check_range(
            "shutdown_grace_seconds",
            self.shutdown_grace_seconds,
            0..=3_600,
        )?;
        let schedule = &self.schedule;
        check_range(
            "schedule.catch_up_days",
            schedule.catch_up_days,
            0..=MAX_CATCH_UP_DAYS,
        )?;
        check_range("schedule.max_attempts", schedule.max_attempts, 1..=100)?;
        check_range(
            "schedule.retry_initial_seconds",
            schedule.retry_initial_seconds,
            1..=DAY,
        )?;
        check_range(
            "schedule.retry_max_seconds",
            schedule.retry_max_seconds,
            schedule.retry_initial_seconds..=7 * DAY,
        )?;
        self.limits.validate("limits.")
    }
}

/// The longest catch-up window, in days: ten years of missed fires.
pub const MAX_CATCH_UP_DAYS: u32 = 3_660;

impl EvaluatorConfig {
    /// The SQLite file.
    pub fn database_path(&self) -> PathBuf {
        self.data_dir.join(&self.database_file)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_defaults_deserialize_from_an_empty_file() {
        let config: EvaluatorConfig = toml::from_str("").unwrap();
        assert_eq!(config, EvaluatorConfig::default());
        assert_eq!(config.listen, "127.0.0.1:50052");
    }

    #[test]
    fn the_sample_configuration_in_deploy_is_valid() {
        // Through the services' loader, which refuses unknown keys and checks ranges.
        let file =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/evaluator.toml");
        let env = std::collections::HashMap::new();
        let config: EvaluatorConfig =
            jixiao_server::config::load(&jixiao_server::config::Sources {
                file: Some(&file),
                file_table: None,
                env: &env,
                env_prefix: "JIXIAO_EVALUATOR_",
                overrides: Vec::new(),
            })
            .unwrap();
        crate::schedule::Schedules::new(&config.schedule).unwrap();
    }

    #[test]
    fn out_of_range_schedule_settings_are_refused_naming_the_key_and_the_range() {
        let env = std::collections::HashMap::new();
        for (key, value, expected) in [
            (
                "schedule.catch_up_days",
                "100000000",
                "schedule.catch_up_days = 100000000: out of range, expected 0 to 3660",
            ),
            (
                "schedule.max_attempts",
                "0",
                "schedule.max_attempts = 0: out of range, expected 1 to 100",
            ),
            (
                "limits.request_timeout_seconds",
                "0",
                "limits.request_timeout_seconds = 0: out of range, expected 1 to 86400",
            ),
            (
                "schedule.retry_max_seconds",
                "1",
                "schedule.retry_max_seconds = 1: out of range, expected 60 to 604800",
            ),
        ] {
            let error =
                jixiao_server::config::load::<EvaluatorConfig>(&jixiao_server::config::Sources {
                    file: None,
                    file_table: None,
                    env: &env,
                    env_prefix: "JIXIAO_EVALUATOR_",
                    overrides: vec![(key.to_owned(), value.to_owned())],
                })
                .unwrap_err();
            assert_eq!(format!("{error:#}"), expected);
        }
    }
}
