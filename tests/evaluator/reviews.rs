//! ListPendingReviews: the rows the rules could not judge, across subjects, paged, until a
//! reviewer scores them.

use jixiao::evaluator::v1 as pb;
use jixiao::ingest::v1 as ingest_pb;

use crate::ingest_support::TestIngest;
use crate::support::{TestEvaluator, evaluator_config};

/// A table of `unit` (and `project`) whose two last rows the rules cannot judge: a target of
/// two measures with the printed 得分 6, and an actual that states without a verdict, without
/// a printed 得分.
fn table(unit: &str, project: Option<&str>) -> ingest_pb::ImportTableRequest {
    let row = |code: &str, target: &str, weight: &str, printed: &str| ingest_pb::Target {
        indicator_code: code.into(),
        name: format!("指标{code}"),
        level1: "产出指标".into(),
        level2: "数量指标".into(),
        target_text: target.into(),
        weight: weight.into(),
        reported_score: printed.into(),
        ..Default::default()
    };
    let actual = |code: &str, text: &str| ingest_pb::RowActual {
        indicator_code: code.into(),
        period: "2022".into(),
        actual_text: text.into(),
        ..Default::default()
    };
    ingest_pb::ImportTableRequest {
        department: Some(ingest_pb::Department {
            code: unit.into(),
            name: format!("{unit}单位"),
            ..Default::default()
        }),
        project: project.map(|code| ingest_pb::Project {
            code: code.into(),
            name: format!("{code}项目"),
            ..Default::default()
        }),
        year: 2022,
        targets: vec![
            row("R01", "≥12种", "80", ""),
            row("R02", "≥50%且≤80万元", "6", "6"),
            row("R03", "资金结余", "4", ""),
        ],
        actuals: vec![
            actual("R01", "14种"),
            actual("R02", "60%"),
            actual("R03", "有结余"),
        ],
        ..Default::default()
    }
}

async fn all_pages(evaluator: &mut TestEvaluator, department: &str) -> Vec<pb::PendingReview> {
    let mut reviews = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = evaluator
            .client
            .list_pending_reviews(pb::ListPendingReviewsRequest {
                period: "2022".into(),
                department_code: department.into(),
                page_size: 1,
                page_token,
            })
            .await
            .unwrap()
            .into_inner();
        assert!(page.reviews.len() <= 1);
        reviews.extend(page.reviews);
        if page.next_page_token.is_empty() {
            return reviews;
        }
        page_token = page.next_page_token;
    }
}

#[tokio::test]
async fn rows_the_rules_cannot_judge_are_listed_across_subjects_until_a_reviewer_scores_them() {
    let temp = tempfile::tempdir().unwrap();
    let mut ingest = TestIngest::start().await;
    let mut evaluator = TestEvaluator::start(evaluator_config(temp.path(), ingest.address)).await;
    for request in [
        table("UA", None),
        table("UB", None),
        table("UB", Some("UB-P1")),
    ] {
        ingest.client.import_table(request).await.unwrap();
    }
    evaluator
        .client
        .run_evaluation(pb::RunEvaluationRequest {
            period: "2022".into(),
            department_codes: Vec::new(),
            request_id: String::new(),
        })
        .await
        .unwrap();

    let reviews = all_pages(&mut evaluator, "").await;
    let listed: Vec<(&str, &str, &str, bool)> = reviews
        .iter()
        .map(|review| {
            (
                review.department_code.as_str(),
                review.project_code.as_str(),
                review.indicator_code.as_str(),
                review.awaiting_review,
            )
        })
        .collect();
    assert_eq!(
        listed,
        [
            ("UA", "", "R02", false),
            ("UA", "", "R03", true),
            ("UB", "", "R02", false),
            ("UB", "", "R03", true),
            ("UB", "UB-P1", "R02", false),
            ("UB", "UB-P1", "R03", true),
        ]
    );
    let printed = &reviews[0];
    assert_eq!(
        (printed.reported_score.as_str(), printed.score.as_str()),
        ("6", "6.00")
    );
    assert_eq!(printed.target_text, "≥50%且≤80万元");
    assert!(!printed.review_reason.is_empty());
    assert_eq!(reviews[1].actual_text, "有结余 (2022)");
    assert_eq!(all_pages(&mut evaluator, "UB").await.len(), 4);

    // A reviewer scores UA's R03: it leaves the list; the others stay.
    evaluator
        .client
        .adjust_score(pb::AdjustScoreRequest {
            department_code: "UA".into(),
            period: "2022".into(),
            indicator_code: "R03".into(),
            score: "4".into(),
            reason: "结余已说明原因".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let left = all_pages(&mut evaluator, "UA").await;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].indicator_code, "R02");

    // Refusals name the field.
    let status = evaluator
        .client
        .list_pending_reviews(pb::ListPendingReviewsRequest {
            period: "2022-Q5".into(),
            page_token: "not a token".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::InvalidArgument);
    assert!(status.message().contains("period") && status.message().contains("page_token"));
}
