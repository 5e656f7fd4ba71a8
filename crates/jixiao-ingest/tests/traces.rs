//! End to end: the real `jixiao-ingest` exports its request spans over OTLP/gRPC to a collector
//! (a real OTLP trace service on loopback), continuing the caller's W3C trace.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use jixiao_testkit::{Process, grpcurl};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::any_value::Value;

#[derive(Clone, Default)]
struct Collector {
    received: Arc<Mutex<Vec<ExportTraceServiceRequest>>>,
}

#[tonic::async_trait]
impl TraceService for Collector {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        self.received.lock().unwrap().push(request.into_inner());
        Ok(tonic::Response::new(ExportTraceServiceResponse::default()))
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_spans_reach_the_collector_in_the_callers_trace() {
    let collector = Collector::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let collector_address = listener.local_addr().unwrap();
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(TraceServiceServer::new(collector.clone()))
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener)),
    );

    let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    let parent_id = "00f067aa0ba902b7";
    let endpoint = format!("http://{collector_address}");
    let service = tokio::task::spawn_blocking(move || {
        let mut service = Process::start(
            env!("CARGO_BIN_EXE_jixiao-ingest"),
            &["--listen", "127.0.0.1:0", "--otlp-endpoint", &endpoint],
            &["address"],
        );
        let (ok, answer) = grpcurl(&[
            "-plaintext",
            "-rpc-header",
            "x-request-id: traced-1",
            "-rpc-header",
            &format!("traceparent: 00-{trace_id}-{parent_id}-01"),
            "-d",
            r#"{"department": {"code": "BY", "name": "白云"}}"#,
            service.address("address"),
            "jixiao.ingest.v1.IngestService/UpsertDepartment",
        ]);
        assert!(ok, "{answer}");
        // A stop flushes the spans still buffered.
        assert!(service.terminate(Duration::from_secs(30)));
        service
    })
    .await
    .unwrap();
    drop(service);

    let received = collector.received.lock().unwrap().clone();
    let resource_spans: Vec<_> = received
        .iter()
        .flat_map(|request| request.resource_spans.iter())
        .collect();
    let span = resource_spans
        .iter()
        .flat_map(|resource| resource.scope_spans.iter())
        .flat_map(|scope| scope.spans.iter())
        .find(|span| span.name == "/jixiao.ingest.v1.IngestService/UpsertDepartment")
        .unwrap_or_else(|| panic!("no span of the request among {received:?}"));
    assert_eq!(hex(&span.trace_id), trace_id);
    assert_eq!(hex(&span.parent_span_id), parent_id);
    let attribute = |key: &str| {
        span.attributes
            .iter()
            .find(|attribute| attribute.key == key)
            .and_then(|attribute| attribute.value.as_ref()?.value.clone())
    };
    assert_eq!(
        attribute("request_id"),
        Some(Value::StringValue("traced-1".into()))
    );
    let service_name = resource_spans[0]
        .resource
        .as_ref()
        .unwrap()
        .attributes
        .iter()
        .find(|attribute| attribute.key == "service.name")
        .and_then(|attribute| attribute.value.as_ref()?.value.clone());
    assert_eq!(
        service_name,
        Some(Value::StringValue("jixiao-ingest".into()))
    );
}
