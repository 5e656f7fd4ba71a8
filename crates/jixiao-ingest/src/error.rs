//! The service's errors and their one mapping to gRPC statuses.

use jixiao_domain::Violation;
use jixiao_storage::StoreError;
use tonic::Status;

/// Why an ingestion request failed.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The request is invalid; each violation names a field.
    #[error("{}", Violation::join(.0))]
    Invalid(Vec<Violation>),
    /// The caller's token may not do this.
    #[error("{0}")]
    PermissionDenied(String),
    /// Storage refused or failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<Vec<Violation>> for IngestError {
    fn from(violations: Vec<Violation>) -> Self {
        IngestError::Invalid(violations)
    }
}

impl IngestError {
    /// Places the error of a stream message at `messages[index]`, saying that the messages
    /// before it were committed.
    pub fn in_stream_message(self, index: i64) -> Self {
        let prefix = |violations: Vec<Violation>| {
            let mut placed: Vec<Violation> = violations
                .into_iter()
                .map(|violation| {
                    Violation::new(
                        format!("messages[{index}].{}", violation.field),
                        violation.description,
                    )
                })
                .collect();
            placed.push(Violation::new(
                "messages",
                format!("the {index} messages before messages[{index}] were committed"),
            ));
            placed
        };
        match self {
            IngestError::Invalid(violations) => IngestError::Invalid(prefix(violations)),
            IngestError::Store(StoreError::Invalid(violations)) => {
                IngestError::Invalid(prefix(violations))
            }
            other => other,
        }
    }
}

impl From<IngestError> for Status {
    fn from(error: IngestError) -> Self {
        match error {
            IngestError::Invalid(violations) => jixiao_server::grpc::invalid_argument(&violations),
            IngestError::PermissionDenied(message) => Status::permission_denied(message),
            IngestError::Store(store_error) => match store_error {
                StoreError::Invalid(violations) => {
                    jixiao_server::grpc::invalid_argument(&violations)
                }
                StoreError::RequestIdReused { .. } => Status::already_exists(format!(
                    "{store_error}; use a new request_id for a new request"
                )),
                StoreError::NotFound(message) => Status::not_found(message),
                StoreError::ExportStalled { .. } | StoreError::ExportTooLong { .. } => {
                    Status::aborted(store_error.to_string())
                }
                StoreError::ExportBusy { .. } => Status::unavailable(store_error.to_string()),
                StoreError::Database(_)
                | StoreError::Migrate(_)
                | StoreError::Corrupt(_)
                | StoreError::Commit(_)
                | StoreError::Io { .. } => {
                    tracing::error!(error = %store_error, "storage failed");
                    Status::internal("internal storage error; the service log has the cause")
                }
            },
        }
    }
}
