//! Starting an evaluator next to an ingestion service, and the data of a department with two
//! levels of units.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use jixiao::evaluator::v1 as pb;
use jixiao::evaluator::v1::evaluator_service_client::EvaluatorServiceClient;
use jixiao::ingest::v1 as ingest_pb;
use jixiao_evaluator::config::ScheduleConfig;
use jixiao_evaluator::{EvaluatorConfig, EvaluatorServer};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::transport::Channel;

use crate::ingest_support::{TestIngest, point};

/// A running evaluator and a client connected to it.
pub struct TestEvaluator {
    pub client: EvaluatorServiceClient<Channel>,
    /// Where it listens, for grpcurl.
    pub address: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<anyhow::Result<()>>>,
}

/// An evaluator configuration on port 0, reading from `ingest`, with the schedule off.
pub fn evaluator_config(data_dir: &Path, ingest: SocketAddr) -> EvaluatorConfig {
    EvaluatorConfig {
        listen: "127.0.0.1:0".into(),
        data_dir: data_dir.to_owned(),
        ingest_endpoint: format!("http://{ingest}"),
        shutdown_grace_seconds: 5,
        schedule: ScheduleConfig {
            enabled: false,
            catch_up_days: 0,
            retry_initial_seconds: 1,
            retry_max_seconds: 1,
            ..ScheduleConfig::default()
        },
        ..EvaluatorConfig::default()
    }
}

impl TestEvaluator {
    pub async fn start(config: EvaluatorConfig) -> Self {
        let server = EvaluatorServer::build(config).await.unwrap();
        let address = server.local_addr();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(server.run_until_stopped(async move {
            let _ = stopped.await;
        }));
        let client = EvaluatorServiceClient::connect(format!("http://{address}"))
            .await
            .unwrap();
        Self {
            client,
            address,
            stop: Some(stop),
            task: Some(task),
        }
    }

    pub async fn stop(mut self) {
        self.stop.take().unwrap().send(()).unwrap();
        self.task.take().unwrap().await.unwrap().unwrap();
    }

    pub async fn evaluate(
        &mut self,
        period: &str,
    ) -> Result<pb::RunEvaluationResponse, tonic::Status> {
        self.client
            .run_evaluation(pb::RunEvaluationRequest {
                period: period.into(),
                department_codes: Vec::new(),
                request_id: String::new(),
            })
            .await
            .map(tonic::Response::into_inner)
    }

    pub async fn runs(&mut self) -> Vec<pb::Run> {
        self.client
            .list_runs(pb::ListRunsRequest {
                page_size: 1000,
                page_token: String::new(),
            })
            .await
            .unwrap()
            .into_inner()
            .runs
    }

    /// Polls ListRuns until a run matches, at most `limit`.
    pub async fn wait_for_run(
        &mut self,
        limit: Duration,
        matches: impl Fn(&pb::Run) -> bool,
    ) -> pb::Run {
        let client = self.client.clone();
        jixiao_testkit::wait_until("matching run", limit, || {
            let mut client = client.clone();
            let matches = &matches;
            async move {
                let runs = client
                    .list_runs(pb::ListRunsRequest {
                        page_size: 1000,
                        page_token: String::new(),
                    })
                    .await
                    .map_err(|status| vec![format!("{status:?}")])?
                    .into_inner()
                    .runs;
                match runs.iter().find(|run| matches(run)) {
                    Some(run) => Ok(run.clone()),
                    None => Err(runs
                        .iter()
                        .map(|run| format!("{run:?}"))
                        .collect::<Vec<_>>()),
                }
            }
        })
        .await
    }

    pub async fn snapshot(&mut self, snapshot_id: &str) -> pb::Snapshot {
        self.client
            .get_snapshot(pb::GetSnapshotRequest {
                snapshot_id: snapshot_id.into(),
            })
            .await
            .unwrap()
            .into_inner()
            .snapshot
            .unwrap()
    }
}

pub fn target(
    code: &str,
    level1: &str,
    level2: &str,
    metric: &str,
    value: &str,
    unit: &str,
    weight: &str,
) -> ingest_pb::Target {
    ingest_pb::Target {
        indicator_code: code.into(),
        name: format!("{code} {metric}"),
        level1: level1.into(),
        level2: level2.into(),
        metric_code: metric.into(),
        comparator: ">=".into(),
        target_value: value.into(),
        unit: unit.into(),
        weight: weight.into(),
        target_value_canonical: String::new(),
        canonical_unit: String::new(),
        ..Default::default()
    }
}

/// Pushes a year of the bureau BY: units BY.A (with BY.A.1) and BY.B, its targets, and its
/// quarterly figures spread over the units.
pub async fn push_bureau_year(ingest: &mut TestIngest, year: i32) {
    ingest.upsert("BY", "白云区规划和自然资源局", "").await;
    ingest.upsert("BY.A", "土地资源利用和保护中心", "BY").await;
    ingest.upsert("BY.A.1", "用地报批科", "BY.A").await;
    ingest.upsert("BY.B", "供后监管科", "BY").await;
    ingest
        .client
        .set_targets(ingest_pb::SetTargetsRequest {
            department_code: "BY".into(),
            year,
            targets: vec![
                target(
                    "O1",
                    "产出",
                    "数量",
                    "land.supervision.inspected",
                    "480",
                    "宗",
                    "30",
                ),
                target(
                    "O2",
                    "产出",
                    "时效",
                    "land.approval.granted.parcels",
                    "60",
                    "宗",
                    "20",
                ),
                target(
                    "E1",
                    "效益",
                    "经济",
                    "land.transfer.revenue",
                    "150",
                    "亿元",
                    "30",
                ),
                target(
                    "S1",
                    "满意度",
                    "服务对象满意度",
                    "satisfaction.rate",
                    "90",
                    "%",
                    "10",
                ),
            ],
            request_id: String::new(),
            ..Default::default()
        })
        .await
        .unwrap();
    let y = |period: &str| format!("{year}{period}");
    let budget = vec![
        point("BY", "budget.adjusted", &y(""), "800", "万元"),
        point("BY", "budget.initial", &y(""), "780", "万元"),
        point("BY", "budget.execution_rate_reported", &y(""), "75.5", "%"),
        point("BY", "budget.executed", &y("-Q1"), "100", "万元"),
        point("BY.A", "budget.executed", &y("-Q2"), "150", "万元"),
        point("BY.A.1", "budget.executed", &y("-Q3"), "200", "万元"),
        point("BY.B", "budget.executed", &y("-Q4"), "1500000", "元"),
    ];
    ingest.push("", "budget", budget).await.unwrap();
    let mut land = Vec::new();
    for (quarter, inspected, granted, revenue) in [
        ("-Q1", "100", "10", "30"),
        ("-Q2", "120", "20", "50"),
        ("-Q3", "130", "20", "60"),
        ("-Q4", "137", "8", "65.55"),
    ] {
        land.push(point(
            "BY.A.1",
            "land.supervision.inspected",
            &y(quarter),
            inspected,
            "宗",
        ));
        land.push(point(
            "BY.B",
            "land.approval.granted.parcels",
            &y(quarter),
            granted,
            "宗",
        ));
        land.push(point(
            "BY.A",
            "land.transfer.revenue",
            &y(quarter),
            revenue,
            "亿元",
        ));
    }
    land.push(point("BY", "satisfaction.rate", &y("-Q2"), "92", "%"));
    land.push(point("BY", "satisfaction.rate", &y("-Q4"), "95", "%"));
    land.push(point("BY.A", "land.transfer.area", &y(""), "2684.45", "亩"));
    ingest.push("", "land", land).await.unwrap();
    ingest
        .push(
            "",
            "report",
            vec![point("BY.A", "land.transfer.area", &y(""), "2301.75", "亩")],
        )
        .await
        .unwrap();
}
