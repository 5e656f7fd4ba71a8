//! Evaluation runs: read the inputs, score every department, and store the snapshots and the
//! run's success in one transaction. Runs of one period never overlap; a run that fails stores
//! nothing and is recorded with its error; a shutdown waits for runs in flight, within a limit,
//! and records the rest as interrupted.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use jixiao_domain::Period;
use jixiao_scoring::{
    Adjustment, Evaluation, FrameworkSources, Frameworks, Inputs, apply_adjustments, evaluate,
    evaluate_project,
};
use tokio::sync::Notify;
use tracing::{info, warn};

use crate::inputs::{self, IngestClient, InputsError};
use crate::metrics::{EvaluatorMetrics, Outcome};
use crate::store::{
    DepartmentFailure, EvaluatorStore, RunRecord, RunStart, RunStatus, SnapshotSummary, StoreError,
    Trigger,
};

/// Where the frameworks come from: the shipped ones, a directory and a single file, read
/// again at every run so that a broken edit fails runs visibly instead of going unnoticed.
#[derive(Debug, Clone)]
pub struct FrameworkSource {
    sources: FrameworkSources,
}

impl FrameworkSource {
    /// Frameworks read from `sources` (the shipped ones alone when empty).
    pub fn new(sources: FrameworkSources) -> Self {
        Self { sources }
    }

    /// Reads and validates every framework.
    ///
    /// # Errors
    /// Every problem, each naming its file and key.
    pub fn load(&self) -> Result<Frameworks, String> {
        Frameworks::load(&self.sources)
    }
}

/// What a run is asked to do.
#[derive(Debug, Clone)]
pub struct RunRequest {
    /// A quarter or a year.
    pub period: Period,
    /// Departments (empty: every top-level department).
    pub department_codes: Vec<String>,
    /// What started it.
    pub trigger: Trigger,
    /// Attempt number, from 1.
    pub attempt: i32,
    /// The client's request id and the digest of its request, for RunEvaluation.
    pub request: Option<(String, String)>,
}

/// A finished run and the snapshot of each department.
#[derive(Debug, Clone)]
pub struct RunReport {
    /// The run.
    pub run: RunRecord,
    /// One snapshot per department.
    pub snapshots: Vec<SnapshotSummary>,
}

/// Why a run failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// The ingestion service could not be reached.
    Unavailable,
    /// The request named something the inputs do not have.
    Refused,
    /// The framework file is invalid.
    Framework,
    /// Something inside failed.
    Internal,
    /// A shutdown cut the run off.
    Interrupted,
}

/// Why a run did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The evaluator is shutting down and takes no new runs.
    #[error("the evaluator is shutting down and takes no new runs")]
    ShuttingDown,
    /// The request id was used for another request.
    #[error("request id {0:?} was already used by a different request")]
    RequestIdReused(String),
    /// The run was recorded and failed.
    #[error("run {} of {} failed: {reason}", run.id, run.period)]
    Failed {
        /// The run as recorded.
        run: Box<RunRecord>,
        /// Why.
        reason: String,
        /// What kind of failure.
        kind: FailureKind,
    },
    /// The run could not even be recorded.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Runs evaluations. Shared between the gRPC service and the schedule.
#[derive(Debug)]
pub struct Engine {
    store: EvaluatorStore,
    ingest: IngestClient,
    framework: FrameworkSource,
    ingest_timeout: Duration,
    period_locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    active: Mutex<HashSet<i64>>,
    idle: Notify,
    stopping: AtomicBool,
    metrics: EvaluatorMetrics,
}

impl Engine {
    /// An engine storing into `store` and reading inputs through `ingest`, counting its runs
    /// into `metrics`.
    pub fn new(
        store: EvaluatorStore,
        ingest: IngestClient,
        framework: FrameworkSource,
        ingest_timeout: Duration,
        metrics: EvaluatorMetrics,
    ) -> Self {
        Self {
            metrics,
            store,
            ingest,
            framework,
            ingest_timeout,
            period_locks: Mutex::new(HashMap::new()),
            active: Mutex::new(HashSet::new()),
            idle: Notify::new(),
            stopping: AtomicBool::new(false),
        }
    }

    /// The store.
    pub fn store(&self) -> &EvaluatorStore {
        &self.store
    }

    /// The framework source.
    pub fn framework(&self) -> &FrameworkSource {
        &self.framework
    }

    /// Whether a shutdown has begun.
    pub fn is_stopping(&self) -> bool {
        self.stopping.load(Ordering::SeqCst)
    }

    fn period_lock(&self, period: &Period) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self
            .period_locks
            .lock()
            .expect("the lock map is never poisoned");
        Arc::clone(locks.entry(period.to_string()).or_default())
    }

    /// Runs an evaluation to its end. Call it from a spawned task, so that a client that goes
    /// away does not cut the run off halfway.
    pub async fn run(&self, request: RunRequest) -> Result<RunReport, RunError> {
        if self.is_stopping() {
            return Err(RunError::ShuttingDown);
        }
        let lock = self.period_lock(&request.period);
        // Runs of one period wait for each other: they never overlap.
        let _guard = lock.lock().await;
        if self.is_stopping() {
            return Err(RunError::ShuttingDown);
        }
        let period = request.period.to_string();
        let start = self
            .store
            .start_run(
                &period,
                request.trigger,
                request.attempt,
                &request.department_codes,
                request
                    .request
                    .as_ref()
                    .map(|(id, digest)| (id.as_str(), digest.as_str())),
            )
            .await?;
        let run = match start {
            RunStart::Started(run) => run,
            RunStart::Existing(run) => {
                let snapshots = self.store.run_snapshots(run.id).await?;
                return Ok(RunReport { run, snapshots });
            }
            RunStart::RequestIdReused => {
                let request_id = request.request.map(|(id, _)| id).unwrap_or_default();
                return Err(RunError::RequestIdReused(request_id));
            }
        };
        self.active.lock().expect("never poisoned").insert(run.id);
        let started = Instant::now();
        self.metrics.run_started();
        info!(
            run_id = run.id,
            period = %period,
            trigger = run.trigger.as_str(),
            attempt = run.attempt,
            "evaluation run started"
        );
        let outcome = self.execute(&run, request.period).await;
        self.active.lock().expect("never poisoned").remove(&run.id);
        self.idle.notify_waiters();
        let ended = |outcome| {
            self.metrics
                .run_ended(run.trigger, outcome, started.elapsed())
        };
        match outcome {
            Ok(Some((run, snapshots))) => {
                ended(Outcome::Succeeded);
                self.metrics.snapshots_stored(
                    u64::try_from(run.snapshots_created).unwrap_or(0),
                    u64::try_from(run.snapshots_reused).unwrap_or(0),
                );
                info!(
                    run_id = run.id,
                    period = %period,
                    created = run.snapshots_created,
                    reused = run.snapshots_reused,
                    seconds = started.elapsed().as_secs_f64(),
                    "evaluation run succeeded"
                );
                Ok(RunReport { run, snapshots })
            }
            Ok(None) => {
                ended(Outcome::Interrupted);
                let reason = "the evaluator shut down during the run".to_owned();
                warn!(run_id = run.id, period = %period, "evaluation run interrupted");
                Err(self.failed(run, reason, FailureKind::Interrupted).await)
            }
            Err((reason, kind)) => {
                ended(Outcome::Failed);
                warn!(run_id = run.id, period = %period, error = %reason, "evaluation run failed");
                self.store
                    .end_run(run.id, RunStatus::Failed, &reason)
                    .await?;
                Err(self.failed(run, reason, kind).await)
            }
        }
    }

    async fn failed(&self, run: RunRecord, reason: String, kind: FailureKind) -> RunError {
        let run = match self.store.run(run.id).await {
            Ok(Some(stored)) => stored,
            _ => run,
        };
        RunError::Failed {
            run: Box::new(run),
            reason,
            kind,
        }
    }

    /// Reads, scores and stores. `Ok(None)`: the run was marked interrupted meanwhile.
    async fn execute(
        &self,
        run: &RunRecord,
        period: Period,
    ) -> Result<Option<(RunRecord, Vec<SnapshotSummary>)>, (String, FailureKind)> {
        let frameworks = self.framework.load().map_err(|reason| {
            (
                format!("invalid framework: {reason}"),
                FailureKind::Framework,
            )
        })?;
        let adjustments = self
            .store
            .adjustments_of_period(&period.to_string())
            .await
            .map_err(|error| {
                tracing::error!(run_id = run.id, error = %error, "reading the adjustments failed");
                (
                    "reading the adjustments failed; the service log has the cause".to_owned(),
                    FailureKind::Internal,
                )
            })?;
        let reading = Instant::now();
        let (inputs, counts) = inputs::fetch(
            &self.ingest,
            period.year_number(),
            &run.department_codes,
            self.ingest_timeout,
        )
        .await
        .map_err(|error| {
            let kind = match error {
                InputsError::Refused(_) => FailureKind::Refused,
                InputsError::Unavailable(_) | InputsError::Malformed(_) => FailureKind::Unavailable,
            };
            (error.to_string(), kind)
        })?;
        info!(
            run_id = run.id,
            departments = counts.departments,
            target_sets = counts.target_sets,
            points = counts.points,
            watermark = counts.watermark,
            seconds = reading.elapsed().as_secs_f64(),
            "inputs read"
        );
        let scoring = Instant::now();
        let department_codes = run.department_codes.clone();
        let watermark = inputs.watermark;
        // Scoring a large year is CPU work: keep it off the async workers.
        let scored: Vec<Result<Evaluation, DepartmentFailure>> =
            tokio::task::spawn_blocking(move || {
                let codes: Vec<String> = if department_codes.is_empty() {
                    inputs.top_level().into_iter().map(str::to_owned).collect()
                } else {
                    department_codes
                };
                // Every department is scored department-wide, and every project of a
                // department in scope on its own (项目支出), in the same run.
                let in_scope: Vec<&str> =
                    codes.iter().flat_map(|code| inputs.scope(code)).collect();
                let codes: Vec<Subject> = codes
                    .iter()
                    .cloned()
                    .map(Subject::Department)
                    .chain(
                        inputs
                            .projects_of(&in_scope, period.year_number())
                            .into_iter()
                            .map(|code| Subject::Project(code.to_owned())),
                    )
                    .collect();
                // Departments are scored independently: one share of them per core.
                let threads = std::thread::available_parallelism()
                    .map_or(1, usize::from)
                    .min(codes.len())
                    .max(1);
                let share = codes.len().div_ceil(threads).max(1);
                std::thread::scope(|scope| {
                    let workers: Vec<_> = codes
                        .chunks(share)
                        .map(|chunk| {
                            let (frameworks, inputs, adjustments) =
                                (&frameworks, &inputs, &adjustments);
                            scope.spawn(move || {
                                chunk
                                    .iter()
                                    .map(|subject| {
                                        evaluate_one(
                                            frameworks,
                                            inputs,
                                            adjustments,
                                            subject,
                                            period,
                                        )
                                    })
                                    .collect::<Vec<_>>()
                            })
                        })
                        .collect();
                    workers
                        .into_iter()
                        .flat_map(|worker| {
                            worker
                                .join()
                                .expect("evaluate_one catches every panic of scoring")
                        })
                        .collect()
                })
            })
            .await
            .map_err(|error| (format!("scoring failed: {error}"), FailureKind::Internal))?;
        let (mut evaluations, mut failures) = (Vec::new(), Vec::new());
        for result in scored {
            match result {
                Ok(evaluation) => evaluations.push(evaluation),
                Err(failure) => {
                    warn!(run_id = run.id, department = %failure.department_code, reason = %failure.reason, "a department could not be scored; the others are");
                    failures.push(failure);
                }
            }
        }
        let failed = failures.len();
        if failed > MAX_LISTED_FAILURES {
            // A run's record stays small enough for any page of ListRuns; the log has them all.
            failures.truncate(MAX_LISTED_FAILURES - 1);
            failures.push(DepartmentFailure {
                department_code: String::new(),
                reason: format!(
                    "{} more departments could not be scored; the service log names each",
                    failed - failures.len()
                ),
            });
        }
        info!(
            run_id = run.id,
            departments = evaluations.len(),
            failed,
            seconds = scoring.elapsed().as_secs_f64(),
            "departments scored"
        );
        self.store
            .finish_run(run, &evaluations, &failures, watermark)
            .await
            .map_err(|error| {
                tracing::error!(run_id = run.id, error = %error, "storing the snapshots failed");
                (
                    "storing the snapshots failed; the service log has the cause".to_owned(),
                    FailureKind::Internal,
                )
            })
    }

    /// Stops taking runs, waits at most `grace` for runs in flight, then records the rest as
    /// interrupted (their snapshots are never stored: `finish_run` checks the run's status).
    pub async fn shutdown(&self, grace: Duration) {
        self.stopping.store(true, Ordering::SeqCst);
        let deadline = tokio::time::Instant::now() + grace;
        loop {
            let notified = self.idle.notified();
            let remaining: Vec<i64> = self
                .active
                .lock()
                .expect("never poisoned")
                .iter()
                .copied()
                .collect();
            if remaining.is_empty() {
                return;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                for run_id in remaining {
                    warn!(
                        run_id,
                        "evaluation run still going at the end of the shutdown grace period"
                    );
                    if let Err(error) = self
                        .store
                        .end_run(
                            run_id,
                            RunStatus::Interrupted,
                            "the evaluator shut down during the run",
                        )
                        .await
                    {
                        tracing::error!(run_id, error = %error, "recording an interrupted run failed");
                    }
                }
                return;
            }
        }
    }
}

/// What a run scores: a department department-wide (部门整体), or a project (项目支出).
#[derive(Debug, Clone)]
enum Subject {
    Department(String),
    Project(String),
}

/// Most departments a run lists as not scored; past it, the last entry counts the rest.
const MAX_LISTED_FAILURES: usize = 50;

/// Scores one subject under the framework its target set names (or its kind's default) and
/// applies its adjustments. A target set naming a framework that is not loaded fails this
/// subject alone. Scoring's arithmetic saturates instead of panicking; should any other panic
/// remain, it fails this subject alone, with its message as the reason, and the run goes on
/// with the others.
fn evaluate_one(
    frameworks: &Frameworks,
    inputs: &Inputs,
    adjustments: &HashMap<(String, String), Vec<Adjustment>>,
    subject: &Subject,
    period: Period,
) -> Result<Evaluation, DepartmentFailure> {
    let code = match subject {
        Subject::Department(code) => code.clone(),
        Subject::Project(code) => format!("project {code}"),
    };
    let (named, project) = match subject {
        Subject::Department(code) => (inputs.target_set(code), false),
        Subject::Project(code) => (inputs.project_target_set(code), true),
    };
    let named = named.map_or("", |set| set.framework.as_str());
    let framework = frameworks
        .for_subject(named, project)
        .map_err(|reason| DepartmentFailure {
            department_code: code.clone(),
            reason,
        })?;
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut evaluation = match subject {
            Subject::Department(code) => evaluate(framework, inputs, code, period),
            Subject::Project(code) => evaluate_project(framework, inputs, code, period),
        };
        let key = (
            evaluation.department_code.clone(),
            evaluation.project_code.clone(),
        );
        if let Some(adjustments) = adjustments.get(&key) {
            apply_adjustments(&mut evaluation, framework, adjustments);
        }
        evaluation
    }))
    .map_err(|payload| {
        let message: String = payload
            .downcast_ref::<&str>()
            .map(|text| (*text).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "no message".to_owned())
            .chars()
            .take(300)
            .collect();
        DepartmentFailure {
            department_code: code,
            reason: format!("scoring failed on these figures: {message}"),
        }
    })
}
