//! The ingestion service's own metrics, besides the gRPC request counts every service has.

use std::path::PathBuf;
use std::sync::Arc;

use jixiao_domain::Violation;
use jixiao_server::metrics::{GrpcMetrics, Labels, Refresh, set_database_size};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::error::IngestError;

/// Points stored and refused, stream sizes, database size.
#[derive(Debug, Clone)]
pub struct IngestMetrics {
    points_stored: Counter,
    points_unchanged: Counter,
    points_refused: Family<Labels, Counter>,
    violations: Family<Labels, Counter>,
    stream_points: Histogram,
    database_bytes: Gauge,
}

/// Why a batch of points was refused, as a metric label.
#[derive(Debug, Clone, Copy)]
pub enum Refusal {
    /// A field was invalid (`jixiao_ingest_violations_total` says which).
    Invalid,
    /// The token may not push for a department.
    PermissionDenied,
    /// A request id was reused for a different request.
    RequestIdReused,
    /// A stream went over `limits.max_points_per_stream`.
    OverLimit,
    /// Storage failed.
    Internal,
}

impl Refusal {
    fn as_str(self) -> &'static str {
        match self {
            Refusal::Invalid => "invalid",
            Refusal::PermissionDenied => "permission_denied",
            Refusal::RequestIdReused => "request_id_reused",
            Refusal::OverLimit => "over_limit",
            Refusal::Internal => "internal",
        }
    }
}

impl IngestMetrics {
    /// A registry holding the gRPC metrics and these, and the two sets.
    pub fn registry() -> (Registry, GrpcMetrics, Self) {
        let mut registry = Registry::default();
        let grpc = GrpcMetrics::register(&mut registry);
        let ingest = registry.sub_registry_with_prefix("jixiao_ingest");
        let metrics = Self {
            points_stored: Counter::default(),
            points_unchanged: Counter::default(),
            points_refused: Family::default(),
            violations: Family::default(),
            // 1 to about 16 million points.
            stream_points: Histogram::new(exponential_buckets(1.0, 4.0, 13)),
            database_bytes: Gauge::default(),
        };
        ingest.register(
            "points_stored",
            "Point revisions stored (new points and changed values)",
            metrics.points_stored.clone(),
        );
        ingest.register(
            "points_unchanged",
            "Points pushed again with the value already stored (nothing written)",
            metrics.points_unchanged.clone(),
        );
        ingest.register(
            "points_refused",
            "Points in refused batches (a batch is refused whole), by reason",
            metrics.points_refused.clone(),
        );
        ingest.register(
            "violations",
            "Validation failures of refused requests, by field (indexes removed)",
            metrics.violations.clone(),
        );
        ingest.register(
            "stream_points",
            "Points per StreamMetrics stream that ended, committed or not",
            metrics.stream_points.clone(),
        );
        ingest.register(
            "database_size_bytes",
            "Size of the SQLite file and its write-ahead log",
            metrics.database_bytes.clone(),
        );
        (registry, grpc, metrics)
    }

    /// Counts a stored batch.
    pub fn stored(&self, stored: u64, unchanged: u64) {
        self.points_stored.inc_by(stored);
        self.points_unchanged.inc_by(unchanged);
    }

    /// Counts a refused batch of `points` points.
    pub fn refused(&self, points: usize, error: &IngestError) {
        let reason = match error {
            IngestError::Invalid(violations)
            | IngestError::Store(jixiao_storage::StoreError::Invalid(violations)) => {
                self.count_violations(violations);
                Refusal::Invalid
            }
            IngestError::PermissionDenied(_) => Refusal::PermissionDenied,
            IngestError::Store(jixiao_storage::StoreError::RequestIdReused { .. }) => {
                Refusal::RequestIdReused
            }
            IngestError::Store(_) => Refusal::Internal,
        };
        self.refused_for(points, reason);
    }

    /// Counts `points` refused for `reason`.
    pub fn refused_for(&self, points: usize, reason: Refusal) {
        self.points_refused
            .get_or_create(&vec![("reason", reason.as_str().to_owned())])
            .inc_by(points as u64);
    }

    fn count_violations(&self, violations: &[Violation]) {
        for violation in violations {
            self.violations
                .get_or_create(&vec![("field", field_pattern(&violation.field))])
                .inc();
        }
    }

    /// Counts a stream that ended after `points` points.
    pub fn stream_ended(&self, points: usize) {
        self.stream_points.observe(points as f64);
    }

    /// Reads the database size at each scrape.
    pub fn refresh(&self, database: PathBuf) -> Refresh {
        let gauge = self.database_bytes.clone();
        let database = Arc::new(database);
        Arc::new(move || {
            let gauge = gauge.clone();
            let database = Arc::clone(&database);
            Box::pin(async move { set_database_size(&gauge, database.to_path_buf()).await })
        })
    }
}

/// A violation's field with its indexes removed, so that the label has few values:
/// `points[3].value` becomes `points[].value`.
fn field_pattern(field: &str) -> String {
    let mut pattern = String::with_capacity(field.len());
    let mut in_index = false;
    for character in field.chars() {
        match character {
            '[' => {
                in_index = true;
                pattern.push('[');
            }
            ']' => {
                in_index = false;
                pattern.push(']');
            }
            _ if in_index => {}
            _ => pattern.push(character),
        }
    }
    pattern
}

#[cfg(test)]
mod tests {
    use super::field_pattern;

    #[test]
    fn fields_lose_their_indexes() {
        assert_eq!(field_pattern("points[3].value"), "points[].value");
        assert_eq!(
            field_pattern("messages[12].points[0].unit"),
            "messages[].points[].unit"
        );
        assert_eq!(field_pattern("source"), "source");
    }
}
