//! Figures at the edges of what a decimal holds, pushed and scored together: whatever the
//! ingestion service accepts can be scored, no handler panics, a refusal is INVALID_ARGUMENT
//! naming the item and field, and one department's figures never stop another's snapshot.

use jixiao::ingest::v1 as ingest_pb;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use rust_decimal::Decimal;
use tonic::Code;

use crate::ingest_support::{TestIngest, point, violations};
use crate::support::{TestEvaluator, evaluator_config, target};

/// A plain decimal anywhere from 10^-28 to 2^96 − 1, as the ingestion service reads them.
fn figure() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => (any::<u32>(), any::<u32>(), any::<u32>(), 0u32..=28).prop_map(|(lo, mid, hi, scale)| {
            Decimal::from_parts(lo, mid, hi, false, scale).to_string()
        }),
        1 => Just("79228162514264337593543950335".to_owned()),
        1 => Just("0.0000000000000000000000000001".to_owned()),
        1 => Just("70000000000000000000000000000".to_owned()),
        1 => Just("10000000000000000000000000".to_owned()),
        1 => (0u32..100_000).prop_map(|value| value.to_string()),
    ]
}

fn comparator() -> impl Strategy<Value = &'static str> {
    proptest::sample::select(&[">=", "<=", "="][..])
}

fn money_unit() -> impl Strategy<Value = &'static str> {
    proptest::sample::select(&["万元", "亿元", "元"][..])
}

#[derive(Debug, Clone)]
struct Case {
    targets: [(String, &'static str); 3],
    budget: [(String, &'static str); 3],
    inspected: [String; 2],
    revenue: (String, &'static str),
    satisfaction: String,
}

fn case() -> impl Strategy<Value = Case> {
    (
        [
            (figure(), comparator()),
            (figure(), comparator()),
            (figure(), comparator()),
        ],
        [
            (figure(), money_unit()),
            (figure(), money_unit()),
            (figure(), money_unit()),
        ],
        [figure(), figure()],
        (figure(), money_unit()),
        figure(),
    )
        .prop_map(|(targets, budget, inspected, revenue, satisfaction)| Case {
            targets,
            budget,
            inspected,
            revenue,
            satisfaction,
        })
}

/// Pushes `points` one request per point, so that a refused one leaves the others stored;
/// a refusal must be INVALID_ARGUMENT naming `points[0]` and a field.
async fn push_each(ingest: &mut TestIngest, points: Vec<ingest_pb::MetricPoint>) -> usize {
    let mut stored = 0;
    for point in points {
        match ingest.push("", "budget", vec![point]).await {
            Ok(_) => stored += 1,
            Err(status) => {
                assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
                let named = violations(&status);
                assert!(
                    named
                        .iter()
                        .all(|(field, _)| field.starts_with("points[0].")),
                    "{named:?}"
                );
            }
        }
    }
    stored
}

#[test]
fn figures_at_the_edges_of_a_decimal_are_refused_or_scored_never_a_panic() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let temp = tempfile::tempdir().unwrap();
    let (ingest, evaluator) = runtime.block_on(async {
        let ingest = TestIngest::start().await;
        let evaluator = TestEvaluator::start(evaluator_config(temp.path(), ingest.address)).await;
        (ingest, evaluator)
    });
    let mut runner = TestRunner::new(Config {
        cases: 32,
        failure_persistence: None,
        ..Config::default()
    });
    let ingest = std::cell::RefCell::new(ingest);
    let next = std::sync::atomic::AtomicUsize::new(0);
    runner
        .run(&case(), |case| {
            let number = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let root = format!("EDGE{number}");
            let (unit_a, unit_b, sane) = (
                format!("{root}.A"),
                format!("{root}.B"),
                format!("SANE{number}"),
            );
            let mut client = evaluator.client.clone();
            let mut ingest = ingest.borrow_mut();
            runtime.block_on(async {
                ingest.upsert(&root, "边界局", "").await;
                ingest.upsert(&unit_a, "边界一科", &root).await;
                ingest.upsert(&unit_b, "边界二科", &root).await;
                ingest.upsert(&sane, "寻常局", "").await;
                let rows = [
                    (
                        "O1",
                        "产出",
                        "数量",
                        "land.supervision.inspected",
                        "宗",
                        "50",
                    ),
                    ("E1", "效益", "经济", "land.transfer.revenue", "亿元", "30"),
                    (
                        "S1",
                        "满意度",
                        "服务对象满意度",
                        "satisfaction.rate",
                        "%",
                        "10",
                    ),
                ];
                let targets: Vec<ingest_pb::Target> = rows
                    .iter()
                    .zip(&case.targets)
                    .map(
                        |((code, level1, level2, metric, unit, weight), (value, comparator))| {
                            let mut row = target(code, level1, level2, metric, value, unit, weight);
                            row.comparator = (*comparator).to_owned();
                            row
                        },
                    )
                    .collect();
                let set = ingest
                    .client
                    .set_targets(ingest_pb::SetTargetsRequest {
                        department_code: root.clone(),
                        year: 2024,
                        targets,
                        request_id: String::new(),
                        ..Default::default()
                    })
                    .await;
                if let Err(status) = &set {
                    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
                    let named = violations(status);
                    assert!(
                        named.iter().all(|(field, _)| field.starts_with("targets[")),
                        "{named:?}"
                    );
                }
                let metrics = ["budget.adjusted", "budget.initial", "budget.executed"];
                let mut points: Vec<_> = metrics
                    .iter()
                    .zip(&case.budget)
                    .map(|(metric, (value, unit))| point(&root, metric, "2024", value, unit))
                    .collect();
                points.push(point(
                    &unit_a,
                    "land.supervision.inspected",
                    "2024-Q1",
                    &case.inspected[0],
                    "宗",
                ));
                points.push(point(
                    &unit_b,
                    "land.supervision.inspected",
                    "2024-Q2",
                    &case.inspected[1],
                    "宗",
                ));
                points.push(point(
                    &unit_a,
                    "land.transfer.revenue",
                    "2024-Q3",
                    &case.revenue.0,
                    case.revenue.1,
                ));
                points.push(point(
                    &root,
                    "satisfaction.rate",
                    "2024",
                    &case.satisfaction,
                    "%",
                ));
                push_each(&mut ingest, points).await;
                push_each(
                    &mut ingest,
                    vec![
                        point(&sane, "budget.adjusted", "2024", "100", "万元"),
                        point(&sane, "budget.executed", "2024", "90", "万元"),
                    ],
                )
                .await;
                for period in ["2024-Q2", "2024"] {
                    let answer = client
                        .run_evaluation(jixiao::evaluator::v1::RunEvaluationRequest {
                            period: period.into(),
                            department_codes: vec![root.clone(), sane.clone()],
                            request_id: String::new(),
                        })
                        .await
                        .unwrap_or_else(|status| panic!("{period}: {status:?}"))
                        .into_inner();
                    let run = answer.run.unwrap();
                    prop_assert!(run.failures.is_empty(), "{:?}", run.failures);
                    let scored: Vec<&str> = answer
                        .snapshots
                        .iter()
                        .map(|snapshot| snapshot.department_code.as_str())
                        .collect();
                    prop_assert_eq!(scored, vec![root.as_str(), sane.as_str()]);
                    for snapshot in &answer.snapshots {
                        let total: Decimal = snapshot.total.parse().unwrap();
                        prop_assert!((Decimal::ZERO..=Decimal::ONE_HUNDRED).contains(&total));
                    }
                }
                Ok(())
            })
        })
        .unwrap();
}
