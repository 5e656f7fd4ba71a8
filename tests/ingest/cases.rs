//! The published tables of `tests/data/field/cases.json`, entered as written over gRPC: each
//! case's rows go into SetTargets with their labels, target texts and weights as printed. A case
//! whose weights add up under central-2020 is accepted; the others are refused naming each
//! group's sum and the expected total (TABLES.md §3).

use jixiao::ingest::v1 as pb;

use crate::field::{case, cases, written_targets};
use crate::support::TestIngest;

#[tokio::test]
async fn every_case_is_accepted_as_written_or_refused_naming_its_sums() {
    let mut ingest = TestIngest::start().await;
    let mut accepted = Vec::new();
    let mut projects = 0;
    for case in cases() {
        case.register(&mut ingest.client).await;
        projects += usize::from(case.is_project());
        match ingest.client.set_targets(case.set_targets()).await {
            Ok(answer) => {
                let stored = answer.into_inner().target_set.unwrap();
                assert_eq!(stored.targets.len(), case.indicators.len(), "{}", case.id);
                assert_eq!(stored.project_code, case.subject().project_code);
                // The text as written is kept beside what was read.
                for (row, target) in case.indicators.iter().zip(&stored.targets) {
                    assert_eq!(
                        target.target_text,
                        row.target_text.clone().unwrap_or_default().trim(),
                        "{}",
                        case.id
                    );
                }
                accepted.push(case.id);
            }
            // Reading is total (TABLES.md §0): no table is refused for its words, its groups or
            // its weights.
            Err(status) => panic!("{}: {status:?}", case.id),
        }
    }
    assert_eq!(projects, 14, "14 of the 18 tables score a project");
    assert_eq!(accepted.len(), 18, "every table is stored: {accepted:?}");
}

#[tokio::test]
async fn a_table_whose_groups_make_110_is_stored_as_written() {
    // Its weights are the evaluator's to judge (weights_incomplete), never a refusal.
    let mut ingest = TestIngest::start().await;
    ingest.upsert("ZJ-WATER", "中江县水利局", "").await;
    let case = case("F07");
    let stored = ingest
        .client
        .set_targets(pb::SetTargetsRequest {
            department_code: "ZJ-WATER".into(),
            year: 2022,
            targets: written_targets(&case),
            request_id: String::new(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .target_set
        .unwrap();
    assert_eq!(stored.targets.len(), case.indicators.len());
    let weights: u32 = stored
        .targets
        .iter()
        .map(|target| target.weight.parse::<u32>().unwrap())
        .sum();
    assert_eq!(
        weights, 100,
        "70 + 20 + 10 of rows, with the budget's 10 they make 110"
    );
}

#[tokio::test]
async fn rows_as_written_are_read_and_sent_back_with_what_was_read() {
    let mut ingest = TestIngest::start().await;
    ingest.upsert("TX-TOWN", "棠溪镇人民政府", "").await;
    let case = case("F01");
    let stored = ingest
        .client
        .set_targets(pb::SetTargetsRequest {
            department_code: "TX-TOWN".into(),
            year: 2022,
            targets: written_targets(&case),
            request_id: String::new(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .target_set
        .unwrap();
    let row = |index: usize| &stored.targets[index];
    // ≥50个: a count of 个, self-reported.
    assert_eq!(row(0).level1, "产出");
    assert_eq!(row(0).level1_as_written, "产出指标");
    assert_eq!(row(0).level2, "数量");
    assert_eq!(row(0).comparator, ">=");
    assert_eq!(row(0).target_value, "50");
    assert_eq!(row(0).measure_kind, "count");
    assert_eq!(row(0).unit_as_written, "个");
    assert!(!row(0).comparator_inferred);
    // ≥100百分比: percent.
    assert_eq!(row(1).unit, "percent");
    // 严格执行相关制度规定: qualitative.
    assert_eq!(row(2).comparator, "qualitative");
    // ≤90万元: money, 90 万元.
    assert_eq!(row(4).comparator, "<=");
    assert_eq!(row(4).target_value_canonical, "90");
    assert_eq!(row(4).canonical_unit, "wan_yuan");
    // 社会效益指标 → 社会; 满意度指标 kept as written.
    assert_eq!(row(6).level2, "社会");
    assert_eq!(row(9).level2, "满意度指标");
    // The last row prints nothing: qualitative, its target inferred.
    assert_eq!(row(9).comparator, "qualitative");
    assert!(row(9).comparator_inferred);
}
