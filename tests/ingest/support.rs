//! Starting a real ingestion server on port 0 with a temporary SQLite file, and helpers to read
//! what it stored.

use std::net::SocketAddr;
use std::path::Path;

use jixiao::ingest::v1 as pb;
use jixiao::ingest::v1::ingest_service_client::IngestServiceClient;
use jixiao_ingest::{IngestConfig, IngestServer};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::transport::Channel;
use tonic::{Code, Status};
use tonic_types::StatusExt;

/// A running ingestion server and a client connected to it.
pub struct TestIngest {
    pub client: IngestServiceClient<Channel>,
    pub address: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<anyhow::Result<()>>>,
    _temp: Option<tempfile::TempDir>,
}

/// A configuration on port 0 with its data in `data_dir`.
pub fn test_config(data_dir: &Path) -> IngestConfig {
    IngestConfig {
        listen: "127.0.0.1:0".into(),
        data_dir: data_dir.to_owned(),
        durable: false,
        ..IngestConfig::default()
    }
}

impl TestIngest {
    /// Starts a server on a fresh temporary directory.
    pub async fn start() -> Self {
        let temp = tempfile::tempdir().unwrap();
        let mut ingest = Self::start_with(test_config(temp.path())).await;
        ingest._temp = Some(temp);
        ingest
    }

    /// Starts a server with `config`.
    pub async fn start_with(config: IngestConfig) -> Self {
        Self::start_with_tls(config, &jixiao_server::tls::ClientTls::default()).await
    }

    /// Starts a server with `config`, its client connecting with `tls`.
    pub async fn start_with_tls(config: IngestConfig, tls: &jixiao_server::tls::ClientTls) -> Self {
        let scheme = if tls.is_set() { "https" } else { "http" };
        let server = IngestServer::build(config).await.unwrap();
        let address = server.local_addr();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(server.run_until_stopped(async move {
            let _ = stopped.await;
        }));
        // The listener is bound before the server task runs, so connecting cannot race it.
        let endpoint =
            tonic::transport::Endpoint::from_shared(format!("{scheme}://{address}")).unwrap();
        let channel = tls
            .apply(endpoint, "test")
            .unwrap()
            .connect()
            .await
            .unwrap();
        let client = IngestServiceClient::new(channel);
        Self {
            client,
            address,
            stop: Some(stop),
            task: Some(task),
            _temp: None,
        }
    }

    /// A new channel to the server, for other clients (health, reflection).
    pub async fn channel(&self) -> Channel {
        tonic::transport::Endpoint::from_shared(format!("http://{}", self.address))
            .unwrap()
            .connect()
            .await
            .unwrap()
    }

    /// Stops the server and waits for it; returns the temporary directory, if it owns one.
    pub async fn stop(mut self) -> Option<tempfile::TempDir> {
        self.stop.take().unwrap().send(()).unwrap();
        self.task.take().unwrap().await.unwrap().unwrap();
        self._temp.take()
    }

    pub async fn upsert(&mut self, code: &str, name: &str, parent: &str) -> pb::Department {
        self.client
            .upsert_department(pb::UpsertDepartmentRequest {
                validate_only: false,
                department: Some(pb::Department {
                    code: code.into(),
                    name: name.into(),
                    parent_code: parent.into(),
                    updated_at: None,
                }),
                request_id: String::new(),
            })
            .await
            .unwrap()
            .into_inner()
            .department
            .unwrap()
    }

    pub async fn push(
        &mut self,
        request_id: &str,
        source: &str,
        points: Vec<pb::MetricPoint>,
    ) -> Result<pb::PushMetricsResponse, Status> {
        self.client
            .push_metrics(pb::PushMetricsRequest {
                validate_only: false,
                request_id: request_id.into(),
                source: source.into(),
                points,
            })
            .await
            .map(tonic::Response::into_inner)
    }

    /// Every stored revision of every point, in key order.
    pub async fn all_points(&mut self, include_history: bool) -> Vec<pb::StoredMetricPoint> {
        let mut points = Vec::new();
        let mut page_token = String::new();
        loop {
            let page = self
                .client
                .list_metric_points(pb::ListMetricPointsRequest {
                    include_history,
                    page_size: 1000,
                    page_token,
                    ..Default::default()
                })
                .await
                .unwrap()
                .into_inner();
            points.extend(page.points);
            if page.next_page_token.is_empty() {
                return points;
            }
            page_token = page.next_page_token;
        }
    }

    pub async fn all_departments(&mut self) -> Vec<pb::Department> {
        self.client
            .list_departments(pb::ListDepartmentsRequest {
                page_size: 1000,
                page_token: String::new(),
            })
            .await
            .unwrap()
            .into_inner()
            .departments
    }

    /// Everything stored, to compare before and after a refused request.
    pub async fn state(&mut self) -> (Vec<pb::Department>, Vec<pb::StoredMetricPoint>) {
        (self.all_departments().await, self.all_points(true).await)
    }
}

pub fn point(
    department: &str,
    metric: &str,
    period: &str,
    value: &str,
    unit: &str,
) -> pb::MetricPoint {
    pb::MetricPoint {
        department_code: department.into(),
        metric_code: metric.into(),
        period: period.into(),
        value: value.into(),
        unit: unit.into(),
        project_code: String::new(),
        note: String::new(),
    }
}

/// The `google.rpc.BadRequest` violations of an INVALID_ARGUMENT status, as (field, description).
pub fn violations(status: &Status) -> Vec<(String, String)> {
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    let bad_request = status
        .get_details_bad_request()
        .expect("an INVALID_ARGUMENT carries a google.rpc.BadRequest");
    bad_request
        .field_violations
        .into_iter()
        .map(|violation| (violation.field, violation.description))
        .collect()
}

/// Asserts that `status` is INVALID_ARGUMENT with a violation of `field` whose description
/// contains `reason`, and that the message text repeats it.
pub fn assert_violation(status: &Status, field: &str, reason: &str) {
    let found = violations(status);
    assert!(
        found
            .iter()
            .any(|(found_field, description)| found_field == field && description.contains(reason)),
        "no violation of {field} mentioning {reason:?} in {found:?}"
    );
    assert!(status.message().contains(field), "{}", status.message());
}
