//! Hostile input: random field values sent to the RPCs. Nothing panics or hangs, every refusal
//! is a precise INVALID_ARGUMENT naming a field, and a refused request changes nothing.

use jixiao::ingest::v1 as pb;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use tonic::Code;

use crate::support::TestIngest;

fn field(valid: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop_oneof![
        3 => proptest::sample::select(valid).prop_map(str::to_owned),
        1 => "\\PC{0,40}",
        1 => "[ -~]{0,12}",
        1 => Just(String::new()),
        1 => "\\PC{300,600}",
    ]
}

fn metric_point() -> impl Strategy<Value = pb::MetricPoint> {
    (
        field(&["A", "A.1", "NOBODY"]),
        field(&[
            "land.supply.parcels",
            "budget.executed",
            "satisfaction.rate",
        ]),
        field(&["2022", "2022-Q1", "2022-07", "2022-Q5", "2022-13"]),
        field(&["1", "12.5", "-3", "0", "1e3", "NaN", "12,5"]),
        field(&["宗", "万元", "%", "公顷", "ratio"]),
        field(&["", "P1"]),
        field(&["", "说明"]),
    )
        .prop_map(
            |(department_code, metric_code, period, value, unit, project_code, note)| {
                pb::MetricPoint {
                    department_code,
                    metric_code,
                    period,
                    value,
                    unit,
                    project_code,
                    note,
                }
            },
        )
}

fn push_request() -> impl Strategy<Value = pb::PushMetricsRequest> {
    (
        field(&["", "retry-1"]),
        field(&["land", "budget"]),
        proptest::collection::vec(metric_point(), 0..6),
    )
        .prop_map(|(request_id, source, points)| pb::PushMetricsRequest {
            validate_only: false,
            request_id,
            source,
            points,
        })
}

#[test]
fn random_pushes_are_stored_or_refused_precisely_and_refusals_change_nothing() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let ingest = tokio::sync::Mutex::new(runtime.block_on(async {
        let mut ingest = TestIngest::start().await;
        ingest.upsert("A", "甲", "").await;
        ingest.upsert("A.1", "甲一", "A").await;
        ingest
    }));
    let mut runner = TestRunner::new(Config {
        cases: 128,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&push_request(), |request| {
            runtime.block_on(async {
                let mut ingest = ingest.lock().await;
                let before = ingest.all_points(true).await;
                let answer = ingest.client.push_metrics(request.clone()).await;
                match answer {
                    Ok(answer) => {
                        let answer = answer.into_inner();
                        prop_assert_eq!(
                            (answer.stored + answer.unchanged) as usize,
                            request.points.len()
                        );
                    }
                    Err(status) => {
                        prop_assert!(
                            matches!(status.code(), Code::InvalidArgument | Code::AlreadyExists),
                            "{:?}",
                            status
                        );
                        prop_assert!(!status.message().is_empty());
                        prop_assert!(status.message().len() < 8000);
                        prop_assert_eq!(ingest.all_points(true).await, before);
                    }
                }
                Ok(())
            })
        })
        .unwrap();
    runtime.block_on(ingest.into_inner().stop());
}

#[test]
fn random_listing_and_export_requests_never_fail_inside() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let ingest = runtime.block_on(TestIngest::start());
    let mut runner = TestRunner::new(Config {
        cases: 64,
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = (
        field(&["", "A"]),
        any::<i32>(),
        field(&["", "budget.executed"]),
        any::<i32>(),
        field(&["", "7b7d"]),
    );
    runner
        .run(
            &strategy,
            |(department_code, year, metric_code, page_size, page_token)| {
                let mut client = ingest.client.clone();
                runtime.block_on(async {
                    let listed = client
                        .list_metric_points(pb::ListMetricPointsRequest {
                            department_code: department_code.clone(),
                            year,
                            metric_code,
                            page_size,
                            page_token,
                            include_history: year % 2 == 0,
                        })
                        .await;
                    if let Err(status) = listed {
                        prop_assert_eq!(status.code(), Code::InvalidArgument, "{:?}", status);
                    }
                    let exported = client
                        .export_inputs(pb::ExportInputsRequest {
                            year,
                            department_codes: vec![department_code],
                        })
                        .await;
                    match exported {
                        Err(status) => {
                            prop_assert_eq!(status.code(), Code::InvalidArgument, "{:?}", status)
                        }
                        Ok(stream) => {
                            let mut stream = stream.into_inner();
                            loop {
                                match stream.message().await {
                                    Ok(Some(_)) => {}
                                    Ok(None) => break,
                                    Err(status) => {
                                        prop_assert_eq!(
                                            status.code(),
                                            Code::InvalidArgument,
                                            "{:?}",
                                            status
                                        );
                                        break;
                                    }
                                }
                            }
                        }
                    }
                    Ok(())
                })
            },
        )
        .unwrap();
    runtime.block_on(ingest.stop());
}

#[tokio::test]
async fn figures_a_decimal_cannot_hold_in_the_canonical_unit_are_refused_naming_the_item() {
    use crate::support::{assert_violation, point};
    let mut ingest = TestIngest::start().await;
    ingest.upsert("BY", "白云区规划和自然资源局", "").await;
    let cases = [
        ("10000000000000000000000000", "亿元", "budget.adjusted"),
        ("79228162514264337593543950335", "亿元", "budget.executed"),
        ("0.0000000000000000000000000001", "元", "budget.initial"),
        ("7922816251426433759354.395033", "公顷", "land.supply.area"),
    ];
    for (value, unit, metric) in cases {
        let status = ingest
            .push(
                "",
                "budget",
                vec![
                    point("BY", "budget.executed", "2022-Q1", "1", "万元"),
                    point("BY", metric, "2022", value, unit),
                ],
            )
            .await
            .unwrap_err();
        assert_violation(&status, "points[1].value", "cannot be held exactly");
    }
    // Nothing of the refused requests was stored.
    assert!(ingest.all_points(true).await.is_empty());
    // The largest whole 万元 a decimal holds is taken as it is.
    ingest
        .push(
            "",
            "budget",
            vec![point(
                "BY",
                "budget.adjusted",
                "2022",
                "79228162514264337593543950335",
                "万元",
            )],
        )
        .await
        .unwrap();
}
