//! The RPC baseline: a tonic server that answers PushMetrics at once, with the same messages, in
//! this process, driven by the same concurrent clients as the small pushes.

use std::pin::Pin;
use std::time::Instant;

use futures::Stream;
use jixiao::ingest::v1 as pb;
use jixiao::ingest::v1::ingest_service_server::{IngestService, IngestServiceServer};
use tonic::{Request, Response, Status, Streaming};

#[derive(Debug, Default)]
struct Echo;

fn not_measured() -> Status {
    Status::unimplemented("the echo baseline answers PushMetrics only")
}

#[tonic::async_trait]
impl IngestService for Echo {
    async fn upsert_department(
        &self,
        _: Request<pb::UpsertDepartmentRequest>,
    ) -> Result<Response<pb::UpsertDepartmentResponse>, Status> {
        Err(not_measured())
    }
    async fn list_departments(
        &self,
        _: Request<pb::ListDepartmentsRequest>,
    ) -> Result<Response<pb::ListDepartmentsResponse>, Status> {
        Err(not_measured())
    }
    async fn set_targets(
        &self,
        _: Request<pb::SetTargetsRequest>,
    ) -> Result<Response<pb::SetTargetsResponse>, Status> {
        Err(not_measured())
    }
    async fn get_targets(
        &self,
        _: Request<pb::GetTargetsRequest>,
    ) -> Result<Response<pb::GetTargetsResponse>, Status> {
        Err(not_measured())
    }
    async fn report_actuals(
        &self,
        _: Request<pb::ReportActualsRequest>,
    ) -> Result<Response<pb::ReportActualsResponse>, Status> {
        Err(not_measured())
    }
    async fn import_table(
        &self,
        _: Request<pb::ImportTableRequest>,
    ) -> Result<Response<pb::ImportTableResponse>, Status> {
        Err(not_measured())
    }
    async fn upsert_project(
        &self,
        _: Request<pb::UpsertProjectRequest>,
    ) -> Result<Response<pb::UpsertProjectResponse>, Status> {
        Err(not_measured())
    }
    async fn list_projects(
        &self,
        _: Request<pb::ListProjectsRequest>,
    ) -> Result<Response<pb::ListProjectsResponse>, Status> {
        Err(not_measured())
    }
    async fn push_metrics(
        &self,
        request: Request<pb::PushMetricsRequest>,
    ) -> Result<Response<pb::PushMetricsResponse>, Status> {
        let points = request.into_inner().points.len() as i64;
        Ok(Response::new(pb::PushMetricsResponse {
            stored: points,
            ..Default::default()
        }))
    }
    async fn stream_metrics(
        &self,
        _: Request<Streaming<pb::StreamMetricsRequest>>,
    ) -> Result<Response<pb::StreamMetricsResponse>, Status> {
        Err(not_measured())
    }
    async fn list_metric_points(
        &self,
        _: Request<pb::ListMetricPointsRequest>,
    ) -> Result<Response<pb::ListMetricPointsResponse>, Status> {
        Err(not_measured())
    }
    async fn list_metric_definitions(
        &self,
        _: Request<pb::ListMetricDefinitionsRequest>,
    ) -> Result<Response<pb::ListMetricDefinitionsResponse>, Status> {
        Err(not_measured())
    }
    type ExportInputsStream =
        Pin<Box<dyn Stream<Item = Result<pb::ExportInputsResponse, Status>> + Send>>;
    async fn export_inputs(
        &self,
        _: Request<pb::ExportInputsRequest>,
    ) -> Result<Response<Self::ExportInputsStream>, Status> {
        Err(not_measured())
    }
}

/// Requests per second of the echo under the small pushes' clients.
pub async fn rate(args: &crate::Args) -> anyhow::Result<f64> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(IngestServiceServer::new(Echo))
            .serve_with_incoming_shutdown(tokio_stream_listener(listener), async move {
                let _ = stopped.await;
            }),
    );
    let per_client = args.requests.div_ceil(args.clients.max(1));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for client_index in 0..args.clients {
        let mut client = jixiao::ingest::v1::ingest_service_client::IngestServiceClient::connect(
            format!("http://{address}"),
        )
        .await?;
        tasks.push(tokio::spawn(async move {
            for request in 0..per_client {
                client
                    .push_metrics(pb::PushMetricsRequest {
                        validate_only: false,
                        request_id: String::new(),
                        source: "bench".into(),
                        points: vec![crate::data::small_point(client_index, request)],
                    })
                    .await?;
            }
            anyhow::Ok(per_client)
        }));
    }
    let mut requests = 0;
    for task in tasks {
        requests += task.await??;
    }
    let rate = requests as f64 / started.elapsed().as_secs_f64();
    let _ = stop.send(());
    server.await??;
    Ok(rate)
}

fn tokio_stream_listener(
    listener: tokio::net::TcpListener,
) -> impl Stream<Item = std::io::Result<tokio::net::TcpStream>> {
    futures::stream::unfold(listener, |listener| async move {
        let accepted = listener.accept().await.map(|(stream, _)| stream);
        Some((accepted, listener))
    })
}
