//! The service's errors and their one mapping to gRPC statuses.

use jixiao_domain::Violation;
use tonic::Status;

use crate::engine::{FailureKind, RunError};
use crate::store::StoreError;

/// Why an evaluator request failed.
#[derive(Debug, thiserror::Error)]
pub enum EvaluatorError {
    /// The request is invalid; each violation names a field.
    #[error("{}", Violation::join(.0))]
    Invalid(Vec<Violation>),
    /// What the request names does not exist (a snapshot, a department's snapshot).
    #[error("{0}")]
    NotFound(String),
    /// The request cannot be served in the current state (an invalid framework file, a
    /// period not evaluated yet).
    #[error("{0}")]
    FailedPrecondition(String),
    /// The request id was used for another request.
    #[error(
        "request id {0:?} was already used by a different request; use a new request_id for a new request"
    )]
    RequestIdReused(String),
    /// The service cannot serve it now; a retry may (shutting down, ingestion unreachable).
    #[error("{0}")]
    Unavailable(String),
    /// A task of the service failed.
    #[error("{0}")]
    Internal(String),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<RunError> for EvaluatorError {
    fn from(error: RunError) -> Self {
        match error {
            RunError::ShuttingDown => EvaluatorError::Unavailable(
                "the evaluator is shutting down and takes no new runs; retry later".to_owned(),
            ),
            RunError::RequestIdReused(id) => EvaluatorError::RequestIdReused(id),
            RunError::Store(error) => EvaluatorError::Store(error),
            RunError::Failed { run, reason, kind } => {
                let message = format!("run {} of {} failed: {reason}", run.id, run.period);
                match kind {
                    FailureKind::Refused => {
                        EvaluatorError::Invalid(vec![Violation::new("department_codes", message)])
                    }
                    FailureKind::Unavailable | FailureKind::Interrupted => {
                        EvaluatorError::Unavailable(message)
                    }
                    FailureKind::Framework => EvaluatorError::FailedPrecondition(message),
                    FailureKind::Internal => EvaluatorError::Internal(message),
                }
            }
        }
    }
}

impl From<EvaluatorError> for Status {
    fn from(error: EvaluatorError) -> Self {
        match error {
            EvaluatorError::Invalid(violations) => {
                jixiao_server::grpc::invalid_argument(&violations)
            }
            EvaluatorError::NotFound(message) => Status::not_found(message),
            EvaluatorError::FailedPrecondition(message) => Status::failed_precondition(message),
            error @ EvaluatorError::RequestIdReused(_) => Status::already_exists(error.to_string()),
            EvaluatorError::Unavailable(message) => Status::unavailable(message),
            EvaluatorError::Internal(message) => Status::internal(message),
            EvaluatorError::Store(error) => {
                tracing::error!(error = %error, "storage failed");
                Status::internal("internal storage error; the service log has the cause")
            }
        }
    }
}
