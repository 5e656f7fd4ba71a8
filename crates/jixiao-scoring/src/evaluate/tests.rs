//! The rules of scoring, one by one, and the worked example of the source report.

use std::collections::HashMap;

use jixiao_domain::{Catalog, Comparator, Level1, Period};
use proptest::prelude::*;
use rust_decimal::Decimal;

use super::{Evaluation, Light, evaluate, score_row};
use crate::framework::Framework;
use crate::inputs::{Department, Inputs, MetricInfo, Point, TargetRow, TargetSet};
use crate::{AtMostRule, FlagCode};

fn d(text: &str) -> Decimal {
    text.parse().unwrap()
}

/// Builds inputs the way an export would deliver them.
#[derive(Default)]
struct Given {
    departments: Vec<Department>,
    target_sets: HashMap<String, TargetSet>,
    points: Vec<Point>,
    sequence: i64,
}

impl Given {
    fn new() -> Self {
        let mut given = Self::default();
        given.department("DEPT", None);
        given
    }

    fn department(&mut self, code: &str, parent: Option<&str>) -> &mut Self {
        self.departments.push(Department {
            code: code.into(),
            name: format!("{code} 名称"),
            parent_code: parent.map(Into::into),
        });
        self
    }

    fn point(&mut self, department: &str, metric: &str, period: &str, value: &str) -> &mut Self {
        self.point_from(department, metric, period, value, "budget", "")
    }

    fn point_from(
        &mut self,
        department: &str,
        metric: &str,
        period: &str,
        value: &str,
        source: &str,
        note: &str,
    ) -> &mut Self {
        self.sequence += 1;
        self.points.push(Point {
            department_code: department.into(),
            metric_code: metric.into(),
            period: period.parse().unwrap(),
            value: d(value),
            source: source.into(),
            project_code: "".into(),
            note: note.into(),
            sequence: self.sequence,
        });
        self
    }

    fn targets(&mut self, department: &str, rows: Vec<TargetRow>) -> &mut Self {
        self.target_sets.insert(
            department.into(),
            TargetSet {
                overall_target: String::new(),
                overall_result: String::new(),
                revision: 1,
                targets: rows,
                framework: String::new(),
            },
        );
        self
    }

    fn inputs(&self) -> Inputs {
        let metrics = Catalog::starter()
            .iter()
            .map(|metric| {
                (
                    metric.code.clone(),
                    MetricInfo {
                        temporal: metric.temporal,
                        additive: metric.additive,
                        unit: metric.kind.canonical_unit().code.to_owned(),
                    },
                )
            })
            .collect();
        Inputs::new(
            metrics,
            self.departments.clone(),
            self.target_sets.clone(),
            self.points.clone(),
            self.sequence,
        )
    }

    fn evaluate(&self, period: &str) -> Evaluation {
        evaluate(
            &Framework::central_2020(),
            &self.inputs(),
            "DEPT",
            period.parse().unwrap(),
        )
    }
}

fn row(
    code: &str,
    level1: Level1,
    metric: &str,
    comparator: Comparator,
    target: &str,
    weight: &str,
) -> TargetRow {
    TargetRow {
        indicator_code: code.into(),
        name: format!("指标 {code}"),
        level1,
        level2: "数量".into(),
        metric_code: metric.into(),
        comparator,
        target: d(target),
        unit: "count".into(),
        weight: d(weight),
        target_high: None,
        kind: None,
        target_text: String::new(),
        comparator_inferred: false,
        unit_as_sent: "count".into(),
        reported_score: None,
        level1_text: String::new(),
        unit_word: String::new(),
        review_reason: String::new(),
        read_note: String::new(),
        suspect: String::new(),
        weight_missing: false,
    }
}

fn flags(evaluation: &Evaluation, code: &str) -> usize {
    evaluation
        .flags
        .iter()
        .filter(|flag| flag.code == code)
        .count()
}

fn figure<'a>(evaluation: &'a Evaluation, code: &str, name: &str) -> &'a str {
    let flag = evaluation
        .flags
        .iter()
        .find(|flag| flag.code == code)
        .unwrap_or_else(|| panic!("no {code} flag in {:?}", evaluation.flags));
    flag.figures
        .iter()
        .find(|(figure, _)| figure == name)
        .map(|(_, value)| value.as_str())
        .unwrap_or_else(|| panic!("{code} has no figure {name}"))
}

fn full_marks_targets() -> Vec<TargetRow> {
    vec![
        row(
            "O1",
            Level1::Output,
            "land.supervision.inspected",
            Comparator::AtLeast,
            "480",
            "30",
        ),
        row(
            "O2",
            Level1::Output,
            "land.supply.parcels",
            Comparator::AtLeast,
            "70",
            "20",
        ),
        row(
            "E1",
            Level1::Outcome,
            "land.transfer.revenue",
            Comparator::AtLeast,
            "1500000",
            "30",
        ),
        row(
            "S1",
            Level1::Satisfaction,
            "satisfaction.rate",
            Comparator::AtLeast,
            "100",
            "10",
        ),
    ]
}

/// SCORING.md §6: the source report's 2022 figures.
#[test]
fn the_worked_example_of_the_source_report() {
    let mut given = Given::new();
    given
        .point("DEPT", "budget.executed", "2022", "790.85")
        .point("DEPT", "budget.adjusted", "2022", "816.10")
        .point("DEPT", "budget.initial", "2022", "789.64")
        .point("DEPT", "budget.execution_rate_reported", "2022", "96.61")
        .point_from("DEPT", "land.transfer.area", "2022", "2684.45", "land", "")
        .point_from(
            "DEPT",
            "land.transfer.area",
            "2022",
            "2301.75",
            "report",
            "",
        )
        .point("DEPT", "land.supervision.inspected", "2022", "487")
        .point("DEPT", "land.supply.parcels", "2022", "76")
        .point("DEPT", "land.transfer.revenue", "2022", "2055500")
        .point("DEPT", "satisfaction.rate", "2022", "94.4")
        .point("DEPT", "procurement.contracts_filed_late", "2022", "1")
        .point("DEPT", "procurement.sme_field_missing", "2022", "1")
        .targets("DEPT", full_marks_targets());
    let evaluation = given.evaluate("2022");

    assert_eq!(evaluation.budget.score, d("9.69"));
    assert_eq!(evaluation.budget.rate, Some(d("96.91")));
    assert_eq!(
        figure(&evaluation, "reported_rate_mismatch", "reported_percent"),
        "96.61"
    );
    assert_eq!(
        figure(&evaluation, "reported_rate_mismatch", "computed_percent"),
        "96.91"
    );
    assert_eq!(
        figure(&evaluation, "reported_rate_mismatch", "difference_points"),
        "0.30"
    );
    assert_eq!(
        flags(&evaluation, "large_adjustment"),
        0,
        "3.35% is no large adjustment"
    );
    assert_eq!(
        flags(&evaluation, "large_unspent"),
        0,
        "3.09% is not largely unspent"
    );
    assert_eq!(figure(&evaluation, "source_conflict", "land"), "2684.45");
    assert_eq!(figure(&evaluation, "source_conflict", "report"), "2301.75");

    // 87.94 of the other 90 points: satisfaction 94.4% of 100 earns 9.44 of 10, and the two
    // procurement problems of the report deduct 0.5 and 1.
    assert_eq!(evaluation.indicator_total, d("89.44"));
    assert_eq!(evaluation.deduction_total, d("1.5"));
    assert_eq!(evaluation.total, d("97.63"));
    assert_eq!(evaluation.grade, "优");
    let reasons: Vec<&str> = evaluation
        .deductions
        .iter()
        .map(|rule| rule.reason.as_str())
        .collect();
    assert_eq!(reasons[0], "政府采购合同未在签订后2个工作日内备案");
    assert_eq!(evaluation.budget.light, Light::Green);
}

#[test]
fn each_quarter_scales_flow_targets_and_budget_by_t() {
    let mut given = Given::new();
    given
        .point("DEPT", "budget.adjusted", "2022", "1000")
        .targets(
            "DEPT",
            vec![
                row(
                    "O1",
                    Level1::Output,
                    "land.supply.parcels",
                    Comparator::AtLeast,
                    "80",
                    "50",
                ),
                row(
                    "E1",
                    Level1::Outcome,
                    "land.transfer.revenue",
                    Comparator::AtLeast,
                    "400",
                    "30",
                ),
                row(
                    "S1",
                    Level1::Satisfaction,
                    "satisfaction.rate",
                    Comparator::AtLeast,
                    "90",
                    "10",
                ),
            ],
        );
    for (quarter, spent) in [(1, "100"), (2, "150"), (3, "200"), (4, "250")] {
        given.point(
            "DEPT",
            "budget.executed",
            &format!("2022-Q{quarter}"),
            spent,
        );
        given.point(
            "DEPT",
            "land.supply.parcels",
            &format!("2022-Q{quarter}"),
            "20",
        );
        given.point(
            "DEPT",
            "land.transfer.revenue",
            &format!("2022-Q{quarter}"),
            "50",
        );
    }
    given.point("DEPT", "satisfaction.rate", "2022-Q1", "81");

    let q1 = given.evaluate("2022-Q1");
    assert_eq!(q1.time_factor, d("0.25"));
    // E = 100, A × t = 250: 10 × 0.4.
    assert_eq!(q1.budget.score, d("4"));
    assert_eq!(q1.budget.progress, Some(d("40")));
    assert_eq!(q1.budget.light, Light::Red);
    assert_eq!(q1.indicators[0].window_target, d("20"));
    assert_eq!(q1.indicators[0].score, d("50"));
    // 50 of a window target of 100: half the weight.
    assert_eq!(q1.indicators[1].score, d("15"));
    assert_eq!(q1.indicators[1].light, Light::Red);
    // A stock target is not scaled: 81 of 90.
    assert_eq!(q1.indicators[2].window_target, d("90"));
    assert_eq!(q1.indicators[2].score, d("9"));

    let q2 = given.evaluate("2022-Q2");
    assert_eq!(q2.time_factor, d("0.5"));
    assert_eq!(q2.budget.score, d("5"), "E = 250 of A × t = 500");
    let q3 = given.evaluate("2022-Q3");
    assert_eq!(q3.budget.score, d("6"), "E = 450 of A × t = 750");
    assert_eq!(q3.budget.light, Light::Yellow, "progress 60% is yellow");
    let q4 = given.evaluate("2022-Q4");
    let year = given.evaluate("2022");
    assert_eq!(q4.budget.score, d("7"));
    assert_eq!(q4.total, year.total, "Q4 and the year see the same figures");
    assert_eq!(flags(&year, "large_unspent"), 1, "30% unspent");
    assert_eq!(
        flags(&q4, "large_unspent"),
        0,
        "large_unspent is yearly only"
    );
}

#[test]
fn a_target_of_zero_follows_each_comparators_rule() {
    let mut given = Given::new();
    given
        .point("DEPT", "land.supervision.reminders", "2022", "3")
        .point("DEPT", "procurement.contracts", "2022", "0")
        .point("DEPT", "land.certificate.extensions", "2022", "2")
        .targets(
            "DEPT",
            vec![
                row(
                    "O1",
                    Level1::Output,
                    "land.supervision.reminders",
                    Comparator::AtLeast,
                    "0",
                    "20",
                ),
                row(
                    "O2",
                    Level1::Output,
                    "procurement.contracts",
                    Comparator::AtMost,
                    "0",
                    "15",
                ),
                row(
                    "O3",
                    Level1::Output,
                    "land.certificate.extensions",
                    Comparator::AtMost,
                    "0",
                    "15",
                ),
                row(
                    "E1",
                    Level1::Outcome,
                    "land.certificate.extensions",
                    Comparator::Equal,
                    "0",
                    "30",
                ),
                row(
                    "S1",
                    Level1::Satisfaction,
                    "satisfaction.rate",
                    Comparator::AtLeast,
                    "90",
                    "10",
                ),
            ],
        );
    let evaluation = given.evaluate("2022");
    let scores: Vec<(Decimal, Light)> = evaluation
        .indicators
        .iter()
        .map(|row| (row.score, row.light))
        .collect();
    assert_eq!(
        scores[0],
        (d("20"), Light::Green),
        ">= with T = 0 earns the weight"
    );
    assert_eq!(
        scores[1],
        (d("15"), Light::Green),
        "<= with T = 0 and x = 0"
    );
    assert_eq!(scores[2], (d("0"), Light::Red), "<= with T = 0 and x > 0");
    assert_eq!(scores[3], (d("0"), Light::Red), "= with T = 0 and x > 0");
    assert_eq!(
        evaluation.indicators[0].ratio, None,
        "no ratio to a zero target"
    );
}

#[test]
fn at_most_rows_fall_linearly_to_zero_at_twice_the_target() {
    for (actual, expected, light) in [
        ("80", "20", Light::Green),
        ("100", "20", Light::Green),
        ("150", "10", Light::Red),
        ("199", "0.2", Light::Red),
        ("200", "0", Light::Red),
        ("500", "0", Light::Red),
    ] {
        let mut given = Given::new();
        given
            .point("DEPT", "land.idle.disposal_target", "2022", actual)
            .targets(
                "DEPT",
                vec![row(
                    "O1",
                    Level1::Output,
                    "land.idle.disposal_target",
                    Comparator::AtMost,
                    "100",
                    "20",
                )],
            );
        let indicator = &given.evaluate("2022").indicators[0];
        assert_eq!(
            (indicator.score, indicator.light),
            (d(expected), light),
            "x = {actual}"
        );
    }
}

#[test]
fn a_target_without_an_actual_scores_zero_and_is_flagged() {
    let mut given = Given::new();
    given.targets("DEPT", full_marks_targets());
    let evaluation = given.evaluate("2022-Q2");
    assert!(
        evaluation
            .indicators
            .iter()
            .all(|row| row.score.is_zero() && row.light == Light::None && row.actual.is_none())
    );
    assert_eq!(flags(&evaluation, "missing_actual"), 4);
    assert_eq!(flags(&evaluation, "missing_budget"), 1);
    assert_eq!(evaluation.total, Decimal::ZERO);
    assert_eq!(evaluation.grade, "差");
}

#[test]
fn a_yearly_point_counts_over_its_quarters_and_a_difference_is_flagged() {
    let mut given = Given::new();
    given
        .point("DEPT", "land.supply.parcels", "2022-Q1", "10")
        .point("DEPT", "land.supply.parcels", "2022-Q2", "20")
        .point("DEPT", "land.supply.parcels", "2022-Q3", "30")
        .point("DEPT", "land.supply.parcels", "2022-Q4", "16")
        .point("DEPT", "land.supply.parcels", "2022", "80")
        .targets(
            "DEPT",
            vec![row(
                "O1",
                Level1::Output,
                "land.supply.parcels",
                Comparator::AtLeast,
                "100",
                "50",
            )],
        );
    let year = given.evaluate("2022");
    assert_eq!(year.indicators[0].actual, Some(d("80")));
    assert_eq!(
        figure(&year, "subperiod_sum_mismatch", "coarse_value"),
        "80"
    );
    assert_eq!(figure(&year, "subperiod_sum_mismatch", "finer_sum"), "76");
    let half = given.evaluate("2022-Q2");
    assert_eq!(
        half.indicators[0].actual,
        Some(d("30")),
        "a yearly point cannot be split"
    );
    assert_eq!(flags(&half, "subperiod_sum_mismatch"), 0);
}

#[test]
fn a_quarterly_point_counts_over_its_months() {
    let mut given = Given::new();
    given
        .point("DEPT", "budget.executed", "2022-01", "10")
        .point("DEPT", "budget.executed", "2022-02", "10")
        .point("DEPT", "budget.executed", "2022-03", "10")
        .point("DEPT", "budget.executed", "2022-Q1", "35")
        .point("DEPT", "budget.executed", "2022-04", "5")
        .point("DEPT", "budget.executed", "2022-05", "-2")
        .point("DEPT", "budget.adjusted", "2022", "400");
    let evaluation = given.evaluate("2022-Q2");
    assert_eq!(
        evaluation.budget.executed,
        Some(d("38")),
        "Q1's 35 and April-May's 3"
    );
    assert_eq!(
        figure(&evaluation, "subperiod_sum_mismatch", "period"),
        "2022-Q1"
    );
    assert_eq!(
        figure(&evaluation, "subperiod_sum_mismatch", "finer_sum"),
        "30"
    );
}

#[test]
fn additive_metrics_roll_up_over_every_level_and_others_do_not() {
    let mut given = Given::new();
    given
        .department("DEPT.A", Some("DEPT"))
        .department("DEPT.A.1", Some("DEPT.A"))
        .department("DEPT.B", Some("DEPT"))
        .department("ELSE", None)
        .point("DEPT", "land.supply.parcels", "2022", "1")
        .point("DEPT.A", "land.supply.parcels", "2022", "10")
        .point("DEPT.A.1", "land.supply.parcels", "2022", "100")
        .point("DEPT.B", "land.supply.parcels", "2022-Q3", "1000")
        .point("ELSE", "land.supply.parcels", "2022", "10000")
        .point("DEPT.A", "satisfaction.rate", "2022", "99")
        .targets(
            "DEPT",
            vec![
                row(
                    "O1",
                    Level1::Output,
                    "land.supply.parcels",
                    Comparator::AtLeast,
                    "2000",
                    "50",
                ),
                row(
                    "S1",
                    Level1::Satisfaction,
                    "satisfaction.rate",
                    Comparator::AtLeast,
                    "90",
                    "10",
                ),
            ],
        );
    let evaluation = given.evaluate("2022");
    assert_eq!(evaluation.indicators[0].actual, Some(d("1111")));
    assert_eq!(
        evaluation.indicators[1].actual, None,
        "a unit's satisfaction is not the department's"
    );
    assert_eq!(flags(&evaluation, "missing_actual"), 1);
    let unit = evaluate(
        &Framework::central_2020(),
        &given.inputs(),
        "DEPT.A",
        Period::year(2022).unwrap(),
    );
    assert!(
        unit.indicators.is_empty(),
        "a unit without targets has no rows"
    );
    assert_eq!(unit.department_code, "DEPT.A");
}

#[test]
fn a_stock_takes_the_latest_period_and_the_finer_on_a_tie() {
    let mut given = Given::new();
    given
        .point("DEPT", "budget.adjusted", "2022", "800")
        .point("DEPT", "budget.adjusted", "2022-Q3", "816.10")
        .point("DEPT", "budget.adjusted", "2022-07", "810")
        .point("DEPT", "budget.adjusted", "2022-Q4", "820")
        .point("DEPT", "budget.executed", "2022", "408");
    assert_eq!(given.evaluate("2022-Q1").budget.adjusted, Some(d("800")));
    assert_eq!(
        given.evaluate("2022-Q3").budget.adjusted,
        Some(d("810")),
        "July beats Q3 on a tie"
    );
    assert_eq!(given.evaluate("2022").budget.adjusted, Some(d("820")));
}

#[test]
fn project_points_never_count_into_the_department() {
    let mut given = Given::new();
    given.point("DEPT", "budget.executed", "2022", "100").point(
        "DEPT",
        "budget.adjusted",
        "2022",
        "100",
    );
    given.points.push(Point {
        project_code: "P1".into(),
        ..given.points[0].clone()
    });
    assert_eq!(given.evaluate("2022").budget.executed, Some(d("100")));
}

#[test]
fn the_higher_priority_source_wins_a_conflict_then_the_latest() {
    let mut given = Given::new();
    given
        .point_from("DEPT", "budget.adjusted", "2022", "900", "budget", "")
        .point_from("DEPT", "budget.adjusted", "2022", "950", "land", "")
        .point_from("DEPT", "budget.executed", "2022", "100", "unranked-a", "")
        .point_from("DEPT", "budget.executed", "2022", "200", "unranked-b", "");
    let evaluation = given.evaluate("2022");
    assert_eq!(
        evaluation.budget.adjusted,
        Some(d("900")),
        "budget (20) beats land (10)"
    );
    assert_eq!(
        evaluation.budget.executed,
        Some(d("200")),
        "equal priority: received last"
    );
    assert_eq!(flags(&evaluation, "source_conflict"), 2);
    // Each explanation says which rule decided.
    let messages: Vec<&str> = evaluation
        .flags
        .iter()
        .filter(|flag| flag.code == "source_conflict")
        .map(|flag| flag.message.as_str())
        .collect();
    assert!(
        messages[0].ends_with("budget counts (priority 20, the highest priority among them)"),
        "{}",
        messages[0]
    );
    assert!(
        messages[1].ends_with(
            "unranked-b counts (priority 0, received last among sources of equal priority)"
        ),
        "{}",
        messages[1]
    );
    let same = {
        let mut given = Given::new();
        given
            .point_from("DEPT", "budget.adjusted", "2022", "900", "budget", "")
            .point_from("DEPT", "budget.adjusted", "2022", "900.00", "land", "");
        given.evaluate("2022")
    };
    assert_eq!(
        flags(&same, "source_conflict"),
        0,
        "equal values are no conflict"
    );
}

#[test]
fn qualitative_rows_score_the_attainment_and_report_its_band() {
    for (attainment, score, band, light) in [
        ("95", "28.5", "达成", Light::Green),
        ("80", "24", "达成", Light::Green),
        ("70", "21", "部分达成", Light::Yellow),
        ("59.99", "18", "未达成", Light::Red),
    ] {
        let mut given = Given::new();
        given
            .point("DEPT", "work.attainment", "2022", attainment)
            .targets(
                "DEPT",
                vec![row(
                    "E1",
                    Level1::Outcome,
                    "work.attainment",
                    Comparator::Qualitative,
                    "100",
                    "30",
                )],
            );
        let indicator = &given.evaluate("2022").indicators[0];
        assert_eq!(indicator.score, d(score), "p = {attainment}");
        assert_eq!(indicator.band.map(|band| band.as_str()), Some(band));
        assert_eq!(indicator.light, light);
    }
}

#[test]
fn lights_go_blue_ahead_and_red_on_a_flow_of_zero() {
    for (actual, light) in [
        ("120", Light::Blue),
        ("119", Light::Green),
        ("79", Light::Yellow),
        ("59", Light::Red),
        ("0", Light::Red),
    ] {
        let mut given = Given::new();
        given
            .point("DEPT", "land.supply.parcels", "2022", actual)
            .targets(
                "DEPT",
                vec![row(
                    "O1",
                    Level1::Output,
                    "land.supply.parcels",
                    Comparator::AtLeast,
                    "100",
                    "50",
                )],
            );
        assert_eq!(
            given.evaluate("2022").indicators[0].light,
            light,
            "x = {actual}"
        );
    }
    // In Q2 the window's target is 50: 45 is 90% of it; 120 of the annual 100 is blue.
    let mut given = Given::new();
    given
        .point("DEPT", "land.supply.parcels", "2022-Q1", "45")
        .targets(
            "DEPT",
            vec![row(
                "O1",
                Level1::Output,
                "land.supply.parcels",
                Comparator::AtLeast,
                "100",
                "50",
            )],
        );
    assert_eq!(given.evaluate("2022-Q2").indicators[0].light, Light::Green);
}

#[test]
fn over_achievement_is_flagged_unless_a_point_explains_it() {
    let targets = vec![row(
        "O1",
        Level1::Output,
        "land.supply.parcels",
        Comparator::AtLeast,
        "100",
        "50",
    )];
    let mut unexplained = Given::new();
    unexplained
        .point("DEPT", "land.supply.parcels", "2022", "130")
        .targets("DEPT", targets.clone());
    let evaluation = unexplained.evaluate("2022");
    assert_eq!(
        figure(&evaluation, "over_achievement", "ratio_percent"),
        "130.00"
    );
    let mut explained = Given::new();
    explained
        .point_from(
            "DEPT",
            "land.supply.parcels",
            "2022",
            "130",
            "land",
            "机场三期扩建用地提前供应",
        )
        .targets("DEPT", targets);
    assert_eq!(flags(&explained.evaluate("2022"), "over_achievement"), 0);
}

#[test]
fn outputs_ahead_of_spending_and_large_adjustments_are_flagged() {
    let mut given = Given::new();
    given
        .point("DEPT", "budget.adjusted", "2022", "1400")
        .point("DEPT", "budget.initial", "2022", "1000")
        .point("DEPT", "budget.executed", "2022", "700")
        .point("DEPT", "land.supervision.inspected", "2022", "487")
        .point("DEPT", "land.supply.parcels", "2022", "76")
        .point("DEPT", "land.transfer.revenue", "2022", "2055500")
        .point("DEPT", "satisfaction.rate", "2022", "100")
        .targets("DEPT", full_marks_targets());
    let evaluation = given.evaluate("2022");
    assert_eq!(evaluation.budget.score, d("5"));
    assert_eq!(
        figure(
            &evaluation,
            "outputs_ahead_of_spending",
            "indicator_share_percent"
        ),
        "100.00"
    );
    assert_eq!(
        figure(&evaluation, "large_adjustment", "adjustment_percent"),
        "40.00"
    );
    assert_eq!(
        figure(&evaluation, "large_unspent", "unspent_percent"),
        "50.00"
    );
}

#[test]
fn deductions_are_capped() {
    let mut given = Given::new();
    given
        .point("DEPT", "procurement.contracts_filed_late", "2022", "7")
        .point("DEPT", "procurement.sme_field_missing", "2022", "3");
    let evaluation = given.evaluate("2022");
    let amounts: Vec<Decimal> = evaluation
        .deductions
        .iter()
        .map(|rule| rule.amount)
        .collect();
    assert_eq!(amounts, [d("2"), d("1")]);
    assert_eq!(evaluation.total, Decimal::ZERO, "the total is floored at 0");
}

#[test]
fn the_digest_follows_the_inputs_that_count() {
    let mut given = Given::new();
    given
        .point("DEPT", "budget.executed", "2022-Q1", "10")
        .targets("DEPT", full_marks_targets());
    let first = given.evaluate("2022-Q1");
    assert_eq!(given.evaluate("2022-Q1").input_digest, first.input_digest);
    given.point("DEPT", "budget.executed", "2022-Q3", "10");
    assert_eq!(
        given.evaluate("2022-Q1").input_digest,
        first.input_digest,
        "a later quarter does not count in Q1"
    );
    given.point("DEPT", "budget.executed", "2022-02", "1");
    assert_ne!(given.evaluate("2022-Q1").input_digest, first.input_digest);
}

#[test]
fn a_framework_with_other_weights_flags_the_target_weights() {
    let text = crate::CENTRAL_2020
        .replace("weight = \"50\"", "weight = \"45\"")
        .replace(
            "weight = \"10\"\n\n# Level-1",
            "weight = \"15\"\n\n# Level-1",
        );
    let framework = Framework::from_toml(&text).unwrap();
    let mut given = Given::new();
    given.targets("DEPT", full_marks_targets());
    let evaluation = evaluate(
        &framework,
        &given.inputs(),
        "DEPT",
        Period::year(2022).unwrap(),
    );
    assert_eq!(flags(&evaluation, "target_weights_mismatch"), 1);
}

proptest! {
    #[test]
    fn an_indicator_score_lies_within_its_weight(
        comparator in prop_oneof![Just(Comparator::AtLeast), Just(Comparator::AtMost), Just(Comparator::Equal), Just(Comparator::Qualitative)],
        weight in 0i64..5000,
        actual in -1_000_000i64..1_000_000,
        target in 0i64..1_000_000,
    ) {
        let w = Decimal::new(weight, 2);
        let score = super::round2(score_row(comparator, AtMostRule::default(), w, Decimal::new(actual, 2), Decimal::new(target, 2), None).max(Decimal::ZERO).min(w));
        prop_assert!(Decimal::ZERO <= score && score <= w);
    }

    #[test]
    fn an_at_least_score_never_falls_when_the_actual_rises(
        weight in 1i64..5000,
        low in -100_000i64..100_000,
        rise in 0i64..100_000,
        target in 0i64..100_000,
    ) {
        let w = Decimal::new(weight, 2);
        let t = Decimal::new(target, 1);
        let before = score_row(Comparator::AtLeast, AtMostRule::default(), w, Decimal::new(low, 1), t, None).max(Decimal::ZERO);
        let after = score_row(Comparator::AtLeast, AtMostRule::default(), w, Decimal::new(low + rise, 1), t, None).max(Decimal::ZERO);
        prop_assert!(before <= after);
    }

    #[test]
    fn the_total_lies_within_0_and_100(
        executed in -1000i64..100_000,
        adjusted in 0i64..100_000,
        inspected in 0i64..2000,
        late in 0i64..10,
        quarter in 1u8..=4,
    ) {
        let mut given = Given::new();
        given
            .point("DEPT", "budget.executed", "2022-Q1", &executed.to_string())
            .point("DEPT", "budget.adjusted", "2022", &adjusted.to_string())
            .point("DEPT", "land.supervision.inspected", "2022-Q1", &inspected.to_string())
            .point("DEPT", "satisfaction.rate", "2022", "100")
            .point("DEPT", "procurement.contracts_filed_late", "2022-Q1", &late.to_string())
            .targets("DEPT", full_marks_targets());
        let evaluation = given.evaluate(&format!("2022-Q{quarter}"));
        prop_assert!(Decimal::ZERO <= evaluation.total && evaluation.total <= Decimal::from(100));
        prop_assert!(!evaluation.grade.is_empty());
    }
}

#[test]
fn groups_that_differ_but_add_up_are_adjusted_not_mismatched_under_central_2020() {
    let mut targets = full_marks_targets();
    // 产出 40, 效益 40: with 满意度 10 and the budget's 10, still 100.
    targets[1].weight = d("10");
    targets[2].weight = d("40");
    let mut given = Given::new();
    given.targets("DEPT", targets.clone());
    let evaluation = given.evaluate("2022");
    assert_eq!(flags(&evaluation, "group_weights_adjusted"), 1);
    assert_eq!(flags(&evaluation, "target_weights_mismatch"), 0);
    assert_eq!(
        figure(&evaluation, "group_weights_adjusted", "output"),
        "40"
    );
    assert_eq!(
        figure(&evaluation, "group_weights_adjusted", "outcome"),
        "40"
    );
    // Under a fixed framework the same set is a mismatch of two groups.
    let text = crate::CENTRAL_2020.replace(
        "group_weights = \"total_only\"",
        "group_weights = \"fixed\"",
    );
    let fixed = Framework::from_toml(&text).unwrap();
    let evaluation = evaluate(&fixed, &given.inputs(), "DEPT", Period::year(2022).unwrap());
    assert_eq!(flags(&evaluation, "target_weights_mismatch"), 2);
    assert_eq!(flags(&evaluation, "group_weights_adjusted"), 0);
    // Groups that do not add up stay a mismatch under total_only too.
    targets[2].weight = d("30");
    let mut short = Given::new();
    short.targets("DEPT", targets);
    let evaluation = short.evaluate("2022");
    assert_eq!(flags(&evaluation, "target_weights_mismatch"), 1);
    assert_eq!(flags(&evaluation, "group_weights_adjusted"), 0);
}

#[test]
fn a_range_scores_full_inside_as_at_least_below_and_as_at_most_above() {
    let (w, low, high) = (d("10"), d("90"), Some(d("100")));
    for (actual, expected) in [
        ("90", "10"),
        ("95", "10"),
        ("100", "10"),
        ("45", "5"),
        ("110", "9"),
        ("250", "0"),
    ] {
        let score = super::round2(
            score_row(
                Comparator::Range,
                AtMostRule::default(),
                w,
                d(actual),
                low,
                high,
            )
            .max(Decimal::ZERO)
            .min(w),
        );
        assert_eq!(score, d(expected), "{actual}");
    }
}

#[test]
fn a_self_reported_row_scales_by_t_when_its_kind_accumulates() {
    let mut counted = row("O1", Level1::Output, "", Comparator::AtLeast, "100", "50");
    counted.kind = Some(jixiao_domain::MetricKind::Count);
    let mut rate = row("E1", Level1::Outcome, "", Comparator::AtLeast, "90", "30");
    rate.kind = Some(jixiao_domain::MetricKind::Percent);
    let mut given = Given::new();
    given.targets("DEPT", vec![counted, rate]);
    let evaluation = given.evaluate("2022-Q2");
    assert_eq!(evaluation.indicators[0].window_target, d("50"));
    assert_eq!(evaluation.indicators[1].window_target, d("90"));
    // No actual is reported yet: each scores 0, said by missing_actual.
    assert_eq!(flags(&evaluation, "missing_actual"), 2);
}

#[test]
fn a_snapshot_lists_at_most_fifty_flags_of_a_kind_and_counts_the_rest() {
    let mut given = Given::new();
    given.department("DEPT", None);
    for unit in 0..60 {
        let code = format!("DEPT.U{unit:02}");
        given
            .department(&code, Some("DEPT"))
            .point_from(&code, "budget.executed", "2022", "100", "budget", "")
            .point_from(&code, "budget.executed", "2022", "90", "land", "");
    }
    let evaluation = given.evaluate("2022");
    assert_eq!(
        flags(&evaluation, "source_conflict"),
        super::MAX_FLAGS_PER_CODE + 1
    );
    let last = evaluation
        .flags
        .iter()
        .rfind(|flag| flag.code == "source_conflict")
        .unwrap();
    assert_eq!(
        last.message,
        "10 more source_conflict flags of this evaluation are not listed"
    );
    // The sums still count every unit: 60 × 100.
    assert_eq!(evaluation.budget.executed, Some(d("6000")));
}

#[test]
fn a_budget_total_line_left_at_zero_reads_the_sum_of_its_fund_lines() {
    // F01: the 年度资金总额 line reads 0/0/0; the 本年财政拨款 line holds the figures.
    let mut given = Given::new();
    given
        .point("DEPT", "budget.initial", "2022", "0")
        .point("DEPT", "budget.adjusted", "2022", "0")
        .point("DEPT", "budget.executed", "2022", "0")
        .point("DEPT", "budget.initial.current_appropriation", "2022", "90")
        .point(
            "DEPT",
            "budget.adjusted.current_appropriation",
            "2022",
            "89.974",
        )
        .point(
            "DEPT",
            "budget.executed.current_appropriation",
            "2022",
            "89.974",
        );
    let evaluation = given.evaluate("2022");
    assert_eq!(evaluation.budget.score, d("10"));
    assert_eq!(evaluation.budget.adjusted, Some(d("89.974")));
    assert_eq!(flags(&evaluation, "budget_total_missing"), 3);
    assert_eq!(
        figure(&evaluation, "budget_total_missing", "sum"),
        "89.974",
        "the executed line comes first"
    );
    // A stated total wins over its lines, and raises nothing.
    let mut stated = Given::new();
    stated
        .point("DEPT", "budget.adjusted", "2022", "100")
        .point("DEPT", "budget.executed", "2022", "50")
        .point("DEPT", "budget.adjusted.carryover", "2022", "30");
    let evaluation = stated.evaluate("2022");
    assert_eq!(evaluation.budget.adjusted, Some(d("100")));
    assert_eq!(flags(&evaluation, "budget_total_missing"), 0);
}

/// Inputs of `given` with the actuals `(indicator, period, text, sequence)` of DEPT's rows.
fn with_actuals(given: &Given, actuals: &[(&str, &str, &str, i64)]) -> Inputs {
    let mut inputs = given.inputs();
    for (indicator, period, text, sequence) in actuals {
        inputs.add_row_actual(
            "DEPT".into(),
            crate::RowActual {
                indicator_code: (*indicator).into(),
                period: period.parse().unwrap(),
                actual_text: (*text).into(),
                note: String::new(),
                projected_text: String::new(),
                likelihood: String::new(),
                sequence: *sequence,
            },
        );
    }
    inputs.finish();
    inputs
}

fn self_reported(code: &str, comparator: Comparator, target: &str, unit: &str) -> TargetRow {
    let mut row = row(code, Level1::Output, "", comparator, target, "50");
    let unit = jixiao_domain::Unit::by_code(unit).unwrap();
    row.kind = Some(unit.kind);
    row.unit = unit.kind.canonical_unit().code.into();
    row.unit_as_sent = unit.code.into();
    row.target = unit.to_canonical(d(target)).unwrap();
    row
}

/// A monitoring table's Q2 actuals with the unit's projections for the year: a projection
/// short of the target is flagged, one that reaches it or cannot be compared is only shown.
#[test]
fn a_projection_short_of_the_target_is_flagged_at_the_quarter() {
    let mut given = Given::new();
    given.department("DEPT", None).targets(
        "DEPT",
        vec![
            self_reported("O1", Comparator::AtLeast, "100", "count"),
            self_reported("O2", Comparator::AtMost, "5000", "yuan"),
            self_reported("O3", Comparator::AtLeast, "10", "count"),
        ],
    );
    let mut inputs = given.inputs();
    for (code, actual, projected, likelihood) in [
        ("O1", "40", "90", "有可能"),
        ("O2", "2000", "4800", "确定能"),
        ("O3", "6", "按计划推进", ""),
    ] {
        inputs.add_row_actual(
            "DEPT".into(),
            crate::RowActual {
                indicator_code: code.into(),
                period: "2022-Q2".parse().unwrap(),
                actual_text: actual.into(),
                note: String::new(),
                projected_text: projected.into(),
                likelihood: likelihood.into(),
                sequence: 1,
            },
        );
    }
    inputs.finish();
    let evaluation = evaluate(
        &Framework::central_2020(),
        &inputs,
        "DEPT",
        "2022-Q2".parse().unwrap(),
    );
    let shortfalls: Vec<&str> = evaluation
        .flags
        .iter()
        .filter(|flag| flag.code == FlagCode::ProjectedShortfall)
        .map(|flag| flag.subject.as_str())
        .collect();
    assert_eq!(shortfalls, ["O1"]);
    assert_eq!(evaluation.indicators[0].projected_text, "90");
    assert_eq!(evaluation.indicators[0].likelihood, "有可能");
    assert_eq!(evaluation.indicators[2].projected_text, "按计划推进");
    // The Q2 actual is the year to date: 40 of the window's 50.
    assert_eq!(evaluation.indicators[0].actual, Some(d("40")));
}

#[test]
fn a_bare_actual_is_in_the_unit_the_target_was_written_in() {
    let mut given = Given::new();
    given.department("DEPT", None).targets(
        "DEPT",
        vec![
            // ≥50厘米 against 50: 0.5 米 of 0.5 米.
            self_reported("O1", Comparator::AtLeast, "50", "centimetre"),
            // ≤5000元 against 4800: 0.48 万元 of 0.5 万元.
            self_reported("O2", Comparator::AtMost, "5000", "yuan"),
        ],
    );
    let inputs = with_actuals(
        &given,
        &[("O1", "2022", "50", 1), ("O2", "2022", "4800", 2)],
    );
    let evaluation = evaluate(
        &Framework::central_2020(),
        &inputs,
        "DEPT",
        Period::year(2022).unwrap(),
    );
    assert_eq!(evaluation.indicators[0].actual, Some(d("0.50")));
    assert_eq!(evaluation.indicators[0].score, d("50"));
    assert_eq!(evaluation.indicators[1].actual, Some(d("0.4800")));
    assert_eq!(evaluation.indicators[1].score, d("50"));
    assert_eq!(flags(&evaluation, "over_achievement"), 0);
}

#[test]
fn the_years_actual_wins_over_q4s_and_an_attainment_outside_its_band_is_held_at_its_edge() {
    let mut given = Given::new();
    let mut qualitative = row(
        "E1",
        Level1::Outcome,
        "",
        Comparator::Qualitative,
        "100",
        "30",
    );
    qualitative.unit = "percent".into();
    qualitative.unit_as_sent = "percent".into();
    given.department("DEPT", None).targets(
        "DEPT",
        vec![
            self_reported("O1", Comparator::AtLeast, "100", "count"),
            qualitative,
        ],
    );
    // The year's figure was reported first, a Q4 monitoring figure after it.
    let inputs = with_actuals(
        &given,
        &[
            ("O1", "2022", "100", 1),
            ("O1", "2022-Q4", "60", 2),
            ("E1", "2022", "未达成 95%", 3),
        ],
    );
    let evaluation = evaluate(
        &Framework::central_2020(),
        &inputs,
        "DEPT",
        Period::year(2022).unwrap(),
    );
    assert_eq!(evaluation.indicators[0].actual, Some(d("100")));
    // 未达成 lies below 60 in central-2020: 95 is held at 59.99.
    assert_eq!(evaluation.indicators[1].actual, Some(d("59.99")));
    assert_eq!(
        evaluation.indicators[1].band.map(|band| band.as_str()),
        Some("未达成")
    );
    assert!(
        evaluation.indicators[1]
            .read_as
            .contains("outside the band")
    );
}

#[test]
fn a_reported_rate_is_compared_at_the_precision_it_was_written_with() {
    for (reported, flagged) in [
        ("89.7", false),
        ("90", false),
        ("89.72", false),
        ("89.70", true),
    ] {
        let mut given = Given::new();
        given
            .point("DEPT", "budget.adjusted", "2022", "100")
            .point("DEPT", "budget.executed", "2022", "89.715")
            .point("DEPT", "budget.execution_rate_reported", "2022", reported);
        let evaluation = given.evaluate("2022");
        assert_eq!(
            flags(&evaluation, "reported_rate_mismatch") == 1,
            flagged,
            "{reported}"
        );
    }
    // 31.00% printed against a computed 31.08%: a real slip.
    let mut given = Given::new();
    given
        .point("DEPT", "budget.adjusted", "2022", "100")
        .point("DEPT", "budget.executed", "2022", "31.08")
        .point("DEPT", "budget.execution_rate_reported", "2022", "31.00");
    let evaluation = given.evaluate("2022");
    assert_eq!(
        figure(&evaluation, "reported_rate_mismatch", "difference_points"),
        "0.08"
    );
}

#[test]
fn at_most_rows_score_linearly_to_zero_at_2t_or_by_ratio_as_the_framework_says() {
    // The rule texts' comparison (cases.md §2): 8.00 against 7.50 at 1.25 T, 5.26 against 1.00
    // at 1.9 T, 4.00 against 0.00 at 2.5 T.
    let (w, t) = (d("10"), d("100"));
    for (x, linear, ratio) in [
        ("100", "10", "10"),
        ("125", "7.5", "8"),
        ("190", "1", "5.26"),
        ("250", "0", "4"),
    ] {
        let score = |rule| {
            super::round2(
                score_row(Comparator::AtMost, rule, w, d(x), t, None)
                    .max(Decimal::ZERO)
                    .min(w),
            )
        };
        assert_eq!(score(AtMostRule::LinearToZeroAt2t), d(linear), "{x}");
        assert_eq!(score(AtMostRule::Ratio), d(ratio), "{x}");
    }
    let text = crate::CENTRAL_2020.replace("[indicators]\n", "[indicators]\nat_most = \"ratio\"\n");
    let framework = Framework::from_toml(&text).unwrap();
    assert_eq!(framework.indicators.at_most, AtMostRule::Ratio);
}

/// central-2020 with `[budget]` replaced by `budget` (a TOML table body) and `extra` top-level
/// keys.
fn framework_with(budget: &str, extra: &str) -> Framework {
    const SHIPPED: &str = "[budget]\n# Weight of budget execution (预算执行率): min(weight, weight × E / (A × t)).\nweight = \"10\"\n";
    assert!(crate::CENTRAL_2020.contains(SHIPPED));
    let text = crate::CENTRAL_2020.replace(SHIPPED, &format!("{extra}\n[budget]\n{budget}\n"));
    Framework::from_toml(&text).unwrap_or_else(|error| panic!("{error}"))
}

fn budget_score(framework: &Framework, initial: &str, adjusted: &str, executed: &str) -> Decimal {
    let mut given = Given::new();
    given
        .point("DEPT", "budget.initial", "2022", initial)
        .point("DEPT", "budget.adjusted", "2022", adjusted)
        .point("DEPT", "budget.executed", "2022", executed);
    evaluate(
        framework,
        &given.inputs(),
        "DEPT",
        Period::year(2022).unwrap(),
    )
    .budget
    .score
}

#[test]
fn budget_execution_scores_by_the_frameworks_rule_denominator_and_rounding() {
    // F04 (Hebei prints whole points): 37.24 / 43.2 = 86.20% → 8.62 → 9.
    let hebei = framework_with("weight = \"10\"", "rounding = \"whole_points\"");
    assert_eq!(budget_score(&hebei, "43.2", "43.2", "37.24"), d("9"));
    assert_eq!(
        budget_score(&Framework::central_2020(), "43.2", "43.2", "37.24"),
        d("8.62")
    );
    // R02: 15 points at or above 90%, one point off per point below.
    let r02 = framework_with(
        "weight = \"10\"\nrule = \"threshold\"\nfull_at = \"90\"\npoints_per_point = \"1\"",
        "",
    );
    assert_eq!(budget_score(&r02, "100", "100", "95"), d("10"));
    assert_eq!(budget_score(&r02, "100", "100", "85"), d("5"));
    assert_eq!(budget_score(&r02, "100", "100", "70"), d("0"));
    // R13: full above 95%, proportional below.
    let r13 = framework_with(
        "weight = \"10\"\nrule = \"threshold\"\nfull_at = \"95\"",
        "",
    );
    assert_eq!(budget_score(&r13, "100", "100", "76"), d("8"));
    // Bands, highest first.
    let bands = framework_with(
        "weight = \"10\"\nrule = \"bands\"\n[[budget.bands]]\nmin_percent = \"90\"\nscore = \"10\"\n[[budget.bands]]\nmin_percent = \"80\"\nscore = \"6\"",
        "",
    );
    assert_eq!(budget_score(&bands, "100", "100", "92"), d("10"));
    assert_eq!(budget_score(&bands, "100", "100", "85"), d("6"));
    assert_eq!(budget_score(&bands, "100", "100", "50"), d("0"));
    // R05: divided by the initial budget.
    let r05 = framework_with("weight = \"10\"\ndenominator = \"initial\"", "");
    assert_eq!(budget_score(&r05, "200", "100", "100"), d("5"));
    // A threshold without full_at, or bands without a band, is refused at load.
    let text = crate::CENTRAL_2020.replace(
        "weight = \"10\"\n\n# Level-1 groups",
        "weight = \"10\"\nrule = \"threshold\"\n\n# Level-1 groups",
    );
    let error = Framework::from_toml(&text).unwrap_err().to_string();
    assert!(error.contains("budget.full_at"), "{error}");
}

#[test]
fn equal_rows_can_be_exact_and_over_achievement_can_count_as_missed() {
    let row = |comparator| {
        vec![row(
            "O1",
            Level1::Output,
            "land.supervision.inspected",
            comparator,
            "100",
            "50",
        )]
    };
    let score = |framework: &Framework, comparator, actual: &str| {
        let mut given = Given::new();
        given
            .targets("DEPT", row(comparator))
            .point("DEPT", "land.supervision.inspected", "2022", actual)
            .point_from(
                "DEPT",
                "land.supervision.inspected",
                "2022",
                actual,
                "land",
                "说明",
            );
        evaluate(
            framework,
            &given.inputs(),
            "DEPT",
            Period::year(2022).unwrap(),
        )
        .indicators[0]
            .score
    };
    let central = Framework::central_2020();
    assert_eq!(score(&central, Comparator::Equal, "90"), d("45"));
    assert_eq!(score(&central, Comparator::Equal, "140"), d("50"));
    let text = crate::CENTRAL_2020.replace(
        "qualitative_achieved = \"80\"",
        "equal = \"exact\"\nover_achievement = \"missed\"\nqualitative_achieved = \"80\"",
    );
    let strict = Framework::from_toml(&text).unwrap();
    assert_eq!(score(&strict, Comparator::Equal, "100"), d("50"));
    assert_eq!(score(&strict, Comparator::Equal, "90"), d("0"));
    // 130% of the target (flags.over_achievement_ratio 1.3) counts as missed; 129% does not.
    assert_eq!(score(&strict, Comparator::AtLeast, "129"), d("50"));
    assert_eq!(score(&strict, Comparator::AtLeast, "130"), d("0"));
}

#[test]
fn a_reported_total_is_compared_with_the_computed_one_at_its_precision() {
    let mut given = Given::new();
    given
        .targets("DEPT", full_marks_targets())
        .point("DEPT", "budget.adjusted", "2022", "816.10")
        .point("DEPT", "budget.executed", "2022", "790.85");
    let computed = given.evaluate("2022").total;
    // The total printed to whole points (97.24 → 97) agrees; 98 does not.
    let rounded =
        computed.round_dp_with_strategy(0, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    given.point(
        "DEPT",
        "evaluation.total_reported",
        "2022",
        &rounded.to_string(),
    );
    assert_eq!(flags(&given.evaluate("2022"), "reported_total_mismatch"), 0);
    let mut off = Given::new();
    off.targets("DEPT", full_marks_targets())
        .point("DEPT", "budget.adjusted", "2022", "816.10")
        .point("DEPT", "budget.executed", "2022", "790.85")
        .point(
            "DEPT",
            "evaluation.total_reported",
            "2022",
            &(rounded + Decimal::ONE).to_string(),
        );
    let evaluation = off.evaluate("2022");
    assert_eq!(flags(&evaluation, "reported_total_mismatch"), 1);
    // Compared at the precision written: 98 against the computed total rounded to 97.
    assert_eq!(
        figure(&evaluation, "reported_total_mismatch", "difference_points"),
        "1.00"
    );
}

fn shipped(name: &str) -> Framework {
    crate::Frameworks::shipped()
        .get(name)
        .unwrap()
        .framework
        .clone()
}

fn row_score<'a>(evaluation: &'a Evaluation, code: &str) -> &'a super::IndicatorScore {
    evaluation
        .indicators
        .iter()
        .find(|row| row.indicator_code == code)
        .unwrap_or_else(|| panic!("no row {code}"))
}

/// F20 (R14, Hunan 部门整体): the computed rows of 投入 and 过程 give the published 5, 5, 5, 3 and
/// 6 on figures that meet each rule; the table's own rows fill the rest of each group.
#[test]
fn the_hunan_department_framework_scores_its_computed_rows_by_bands_and_points_off() {
    let framework = shipped("hunan-department-2020");
    let mut given = Given::new();
    for (metric, value) in [
        ("staff.actual", "48"),
        ("staff.approved", "50"),
        ("budget.three_public_budget", "12"),
        ("budget.three_public_prior_year", "12.5"),
        ("budget.three_public", "11.8"),
        ("budget.key_spending", "930"),
        ("budget.adjusted", "1000"),
        ("budget.initial", "1000"),
        ("budget.executed", "990"),
    ] {
        given.point("DEPT", metric, "2022", value);
    }
    let mut rows = vec![
        row(
            "P1",
            Level1::Process,
            "work.attainment",
            Comparator::AtLeast,
            "100",
            "31",
        ),
        row(
            "O1",
            Level1::Output,
            "work.attainment",
            Comparator::AtLeast,
            "100",
            "25",
        ),
        row(
            "E1",
            Level1::Effect,
            "satisfaction.rate",
            Comparator::AtLeast,
            "90",
            "20",
        ),
    ];
    for row in &mut rows {
        row.unit = "percent".into();
    }
    given.targets("DEPT", rows);
    given.point("DEPT", "work.attainment", "2022", "100");
    given.point("DEPT", "satisfaction.rate", "2022", "95");
    let inputs = given.inputs();
    let evaluation = evaluate(&framework, &inputs, "DEPT", "2022".parse().unwrap());
    for (code, score) in [
        ("staff_control_rate", "5"),
        ("three_public_change_rate", "5"),
        ("key_spending_rate", "5"),
        ("budget_adjustment_rate", "3"),
        ("three_public_control_rate", "6"),
    ] {
        assert_eq!(row_score(&evaluation, code).score, d(score), "{code}");
    }
    assert_eq!(
        row_score(&evaluation, "staff_control_rate").actual,
        Some(d("96"))
    );
    assert_eq!(evaluation.budget.score, Decimal::ZERO);
    assert_eq!(evaluation.total, d("100"));
    assert_eq!(flags(&evaluation, "missing_budget"), 0);
    assert_eq!(
        flags(&evaluation, "target_weights_mismatch"),
        0,
        "{:?}",
        evaluation.flags
    );

    // Over the limits: 104% of the staff (5 − 4 × 0.5 = 3), 三公 up 20% (5 − 20 × 0.5 < 0 → 0),
    // key spending 75% (3), an adjustment of 12% (1), 三公 at 103% of its budget (6 − 3 = 3).
    let mut given = Given::new();
    for (metric, value) in [
        ("staff.actual", "52"),
        ("staff.approved", "50"),
        ("budget.three_public_budget", "15"),
        ("budget.three_public_prior_year", "12.5"),
        ("budget.three_public", "15.45"),
        ("budget.key_spending", "840"),
        ("budget.adjusted", "1120"),
        ("budget.initial", "1000"),
    ] {
        given.point("DEPT", metric, "2022", value);
    }
    let evaluation = evaluate(&framework, &given.inputs(), "DEPT", "2022".parse().unwrap());
    for (code, score) in [
        ("staff_control_rate", "3"),
        ("three_public_change_rate", "0"),
        ("key_spending_rate", "3"),
        ("budget_adjustment_rate", "1"),
        ("three_public_control_rate", "3"),
    ] {
        assert_eq!(row_score(&evaluation, code).score, d(score), "{code}");
    }
    let adjustment = row_score(&evaluation, "budget_adjustment_rate");
    assert_eq!(adjustment.actual, Some(d("12")));
    assert!(
        adjustment
            .read_as
            .contains("abs(budget.adjusted - budget.initial)"),
        "{}",
        adjustment.read_as
    );
    assert!(
        adjustment.target_text.contains("≤ 10: 2"),
        "{}",
        adjustment.target_text
    );

    // Undefined and missing: no approved staff (a division by 0), no 三公 figures at all.
    let mut given = Given::new();
    given.point("DEPT", "staff.actual", "2022", "3");
    given.point("DEPT", "staff.approved", "2022", "0");
    let evaluation = evaluate(&framework, &given.inputs(), "DEPT", "2022".parse().unwrap());
    assert_eq!(
        row_score(&evaluation, "staff_control_rate").score,
        Decimal::ZERO
    );
    assert_eq!(flags(&evaluation, "computed_row_undefined"), 1);
    assert!(flags(&evaluation, "missing_actual") >= 4);
}

/// R12 (Sichuan 部门整体, F23): 编制准确 = (1 − 10 × 调剂 / 年初预算) × 10, 0 above a ratio of
/// 0.1; adjustments of 0.2% of the initial budget give the published 9.8.
#[test]
fn a_value_rule_scores_the_formula_itself_within_the_weight() {
    let extra = r#"
[[computed]]
code = "budget_accuracy"
name = "编制准确"
group = "output"
weight = "10"
formula = "(1 - 10 * abs(budget.adjusted - budget.initial) / budget.initial) * 10"
rule = "value"
when_undefined = "zero"
"#;
    let text = crate::CENTRAL_2020.replace("[indicators]\n", &format!("{extra}\n[indicators]\n"));
    let framework = Framework::from_toml(&text).unwrap();
    assert_eq!(framework.weight_plan().groups[0].1, d("40"));
    for (adjusted, score) in [("1002", "9.8"), ("1000", "10"), ("1150", "0")] {
        let mut given = Given::new();
        given.point("DEPT", "budget.initial", "2020", "1000");
        given.point("DEPT", "budget.adjusted", "2020", adjusted);
        let evaluation = evaluate(&framework, &given.inputs(), "DEPT", "2020".parse().unwrap());
        assert_eq!(
            row_score(&evaluation, "budget_accuracy").score,
            d(score),
            "{adjusted}"
        );
    }
}

#[test]
fn computed_rows_with_each_kind_of_error_are_refused_naming_the_key() {
    for (row, expected) in [
        (
            "formula = \"staff.unknown / 2\"\nrule = \"value\"",
            "computed[0].formula: staff.unknown is not a metric",
        ),
        (
            "formula = \"staff.actual / staff.approved\"\nrule = \"value\"",
            "computed[0].when_undefined",
        ),
        (
            "formula = \"staff.actual +\"\nrule = \"value\"",
            "formula = \"staff.actual +\"\n   |           ^^^^^^^^^^^^^^^^\nthe formula ends where",
        ),
        (
            "formula = \"staff.actual\"\nrule = \"bands\"",
            "computed[0].bands",
        ),
        (
            "formula = \"staff.actual\"\nrule = \"points_off\"\nlimit = \"100\"",
            "points_off rule needs limit and a positive per_point",
        ),
        (
            "formula = \"staff.actual\"\nrule = \"proportional\"",
            "computed[0].limit",
        ),
        (
            "formula = \"staff.actual\"\nrule = \"bands\"\nbands = [{ at_least = \"5\", at_most = \"1\", score = \"2\" }]",
            "at_least is above at_most",
        ),
        (
            "formula = \"staff.actual\"\nrule = \"bands\"\nbands = [{ at_least = \"5\", score = \"12\" }]",
            "bands[0].score must lie in [0, weight]",
        ),
        (
            "formula = \"staff.actual\"\nrule = \"sometimes\"",
            "unknown variant",
        ),
    ] {
        let text = crate::CENTRAL_2020.replace(
            "[indicators]\n",
            &format!("[[computed]]\ncode = \"c1\"\nname = \"行\"\ngroup = \"output\"\nweight = \"5\"\n{row}\n\n[indicators]\n"),
        );
        let error = Framework::from_toml(&text).unwrap_err().to_string();
        assert!(error.contains(expected), "{row}: {error}");
    }
    let text = crate::CENTRAL_2020.replace(
        "[indicators]\n",
        "[[computed]]\ncode = \"c1\"\nname = \"行\"\ngroup = \"input\"\nweight = \"5\"\nformula = \"1\"\nrule = \"value\"\n\n[indicators]\n",
    );
    let error = Framework::from_toml(&text).unwrap_err().to_string();
    assert!(
        error.contains("computed[0].group: input is not a group"),
        "{error}"
    );
}

/// Hubei's footnotes (R10): budget 20 × rate, a ≤ row by ratio, qualitative bands 80/50.
#[test]
fn the_hubei_framework_weighs_the_budget_20_and_scores_at_most_rows_by_ratio() {
    let framework = shipped("hubei-2020");
    let mut given = Given::new();
    given.point("DEPT", "budget.adjusted", "2020", "285.84");
    given.point("DEPT", "budget.executed", "2020", "285.84");
    given.point("DEPT", "procurement.contracts", "2020", "125");
    given.point("DEPT", "work.attainment", "2020", "55");
    let mut quality = row(
        "Q1",
        Level1::Output,
        "work.attainment",
        Comparator::Qualitative,
        "100",
        "40",
    );
    quality.unit = "percent".into();
    given.targets(
        "DEPT",
        vec![
            row(
                "C1",
                Level1::Output,
                "procurement.contracts",
                Comparator::AtMost,
                "100",
                "40",
            ),
            quality,
        ],
    );
    let evaluation = evaluate(&framework, &given.inputs(), "DEPT", "2020".parse().unwrap());
    assert_eq!(evaluation.budget.score, d("20"));
    assert_eq!(row_score(&evaluation, "C1").score, d("32"));
    assert_eq!(
        row_score(&evaluation, "Q1").band.map(|band| band.as_str()),
        Some("部分达成")
    );
    assert_eq!(flags(&evaluation, "group_weights_adjusted"), 1);
}

#[test]
fn a_reported_row_score_is_checked_at_the_precision_it_was_written_with() {
    let mut given = Given::new();
    let mut rows = full_marks_targets();
    rows[0].reported_score = Some(d("30.0"));
    rows[1].reported_score = Some(d("18"));
    given.targets("DEPT", rows);
    given.point("DEPT", "land.supervision.inspected", "2022", "480");
    given.point("DEPT", "land.supply.parcels", "2022", "70");
    given.point("DEPT", "budget.adjusted", "2022", "100");
    given.point("DEPT", "budget.executed", "2022", "86.2");
    // The table prints its budget score in whole points: 8.62 printed as 9 is right.
    given.point("DEPT", "evaluation.budget_score_reported", "2022", "9");
    let evaluation = given.evaluate("2022");
    assert_eq!(evaluation.budget.score, d("8.62"));
    let mismatches: Vec<&super::Flag> = evaluation
        .flags
        .iter()
        .filter(|flag| flag.code == "reported_score_mismatch")
        .collect();
    assert_eq!(mismatches.len(), 1, "{mismatches:?}");
    assert_eq!(mismatches[0].subject, "O2");
    assert!(
        mismatches[0]
            .message
            .contains("the table gives 18 points, the rules 20.00"),
        "{}",
        mismatches[0].message
    );
    assert_eq!(row_score(&evaluation, "O1").reported_score, Some(d("30.0")));

    let mut given = Given::new();
    given.targets("DEPT", full_marks_targets());
    given.point("DEPT", "budget.adjusted", "2022", "100");
    given.point("DEPT", "budget.executed", "2022", "86.2");
    given.point("DEPT", "evaluation.budget_score_reported", "2022", "8.5");
    let evaluation = given.evaluate("2022");
    assert!(
        evaluation
            .flags
            .iter()
            .any(|flag| flag.code == "reported_score_mismatch" && flag.subject == "budget")
    );
}

fn adjustment(id: i64, code: &str, computed: &str, adjusted: &str) -> crate::Adjustment {
    crate::Adjustment {
        id,
        indicator_code: code.into(),
        computed_score: d(computed),
        adjusted_score: d(adjusted),
        reason: "按整数计分".into(),
        adjusted_by: "reviewer".into(),
        adjusted_at: "2023-03-02T08:00:00Z".into(),
    }
}

/// TABLES.md §5: an adjustment replaces the computed score while that stays what it was, the
/// total and grade follow, a later one supersedes it, and a changed computed score makes it
/// stale.
#[test]
fn adjustments_apply_while_the_computed_score_is_unchanged() {
    let framework = Framework::central_2020();
    let mut given = Given::new();
    given.targets("DEPT", full_marks_targets());
    given.point("DEPT", "budget.adjusted", "2022", "100");
    given.point("DEPT", "budget.executed", "2022", "86.2");
    given.point("DEPT", "land.supervision.inspected", "2022", "480");
    let computed = given.evaluate("2022");
    assert_eq!(computed.budget.score, d("8.62"));
    let mut adjusted = computed.clone();
    crate::apply_adjustments(
        &mut adjusted,
        &framework,
        &[
            adjustment(1, "budget", "8.62", "8"),
            adjustment(2, "budget", "8.62", "9"),
            adjustment(3, "O2", "0", "15"),
        ],
    );
    assert_eq!(adjusted.budget.score, d("9"));
    assert_eq!(adjusted.budget.computed_score, Some(d("8.62")));
    assert_eq!(row_score(&adjusted, "O2").score, d("15"));
    assert_eq!(
        row_score(&adjusted, "O2").computed_score,
        Some(Decimal::ZERO)
    );
    assert_eq!(adjusted.total, computed.total + d("0.38") + d("15"));
    assert_ne!(adjusted.input_digest, computed.input_digest);
    let statuses: Vec<&str> = adjusted
        .adjustments
        .iter()
        .map(|a| a.status.as_str())
        .collect();
    assert_eq!(statuses, ["superseded", "applied", "applied"]);
    let flag = adjusted
        .flags
        .iter()
        .find(|flag| flag.code == "manual_adjustment" && flag.subject == "budget")
        .unwrap();
    assert!(
        flag.message
            .contains("the rules give 8.62, a reviewer set 9.00 by reviewer"),
        "{}",
        flag.message
    );
    assert!(flag.message.contains("按整数计分"), "{}", flag.message);

    // The budget's computed score moves: the adjustment is listed stale and not applied.
    given.point("DEPT", "budget.executed", "2022", "90");
    let mut later = given.evaluate("2022");
    crate::apply_adjustments(
        &mut later,
        &framework,
        &[
            adjustment(2, "budget", "8.62", "9"),
            adjustment(4, "GONE", "1", "2"),
        ],
    );
    assert_eq!(later.budget.score, d("9"));
    assert_eq!(later.budget.computed_score, None);
    assert_eq!(later.adjustments[0].status, crate::AdjustmentStatus::Stale);
    assert_eq!(later.adjustments[1].status, crate::AdjustmentStatus::Stale);
    assert_eq!(flags(&later, "adjustment_stale"), 2);
    assert_eq!(flags(&later, "manual_adjustment"), 0);
}

/// A proportional computed row: `above` (the default) is a ≤ row, w × limit / x; `below` a ≥
/// row, w × x / limit; both at most the weight.
#[test]
fn a_proportional_computed_row_scores_by_its_direction() {
    for (direction, actual, score) in [
        ("", "125", "8"),
        ("", "80", "10"),
        ("direction = \"above\"\n", "125", "8"),
        ("direction = \"below\"\n", "80", "8"),
        ("direction = \"below\"\n", "125", "10"),
    ] {
        let row = format!(
            "[[computed]]\ncode = \"staff_rate\"\nname = \"在职人员控制率\"\ngroup = \"output\"\nweight = \"10\"\nformula = \"staff.actual / staff.approved * 100\"\nrule = \"proportional\"\nlimit = \"100\"\n{direction}when_undefined = \"zero\"\n\n[indicators]\n"
        );
        let framework =
            Framework::from_toml(&crate::CENTRAL_2020.replace("[indicators]\n", &row)).unwrap();
        let mut given = Given::new();
        given.point("DEPT", "staff.actual", "2022", actual);
        given.point("DEPT", "staff.approved", "2022", "100");
        let evaluation = evaluate(&framework, &given.inputs(), "DEPT", "2022".parse().unwrap());
        assert_eq!(
            row_score(&evaluation, "staff_rate").score,
            d(score),
            "{direction} {actual}"
        );
    }
}

/// The flags that compare scores follow the adjusted scores: budget execution adjusted to its
/// full weight is no longer behind the outputs.
#[test]
fn outputs_ahead_of_spending_is_judged_again_on_adjusted_scores() {
    let mut given = Given::new();
    given.targets("DEPT", full_marks_targets());
    for (metric, value) in [
        ("budget.adjusted", "100"),
        ("budget.executed", "80"),
        ("land.supervision.inspected", "480"),
        ("land.supply.parcels", "70"),
        ("land.transfer.revenue", "1500000"),
        ("satisfaction.rate", "100"),
    ] {
        given.point("DEPT", metric, "2022", value);
    }
    let computed = given.evaluate("2022");
    assert_eq!(flags(&computed, "outputs_ahead_of_spending"), 1);
    let mut adjusted = computed.clone();
    crate::apply_adjustments(
        &mut adjusted,
        &Framework::central_2020(),
        &[adjustment(1, "budget", "8", "10")],
    );
    assert_eq!(adjusted.budget.score, d("10"));
    assert_eq!(adjusted.total, d("100"));
    assert_eq!(flags(&adjusted, "outputs_ahead_of_spending"), 0);
}

/// A framework changed under the same name and version gives another input digest, so that its
/// subjects are scored anew rather than answered with the old snapshots; the same rules give the
/// same digest.
#[test]
fn the_input_digest_follows_the_frameworks_content_not_its_version() {
    let mut given = Given::new();
    given.department("DEPT", None).targets(
        "DEPT",
        vec![self_reported("O1", Comparator::AtLeast, "100", "count")],
    );
    let inputs = with_actuals(&given, &[("O1", "2022", "90", 1)]);
    let digest = |framework: &Framework| {
        evaluate(framework, &inputs, "DEPT", Period::year(2022).unwrap()).input_digest
    };
    let shipped = Framework::central_2020();
    let mut changed = shipped.clone();
    changed.lights.blue_at_ratio += Decimal::ONE;
    assert_eq!(changed.version, shipped.version);
    assert_eq!(digest(&shipped), digest(&Framework::central_2020()));
    assert_ne!(digest(&shipped), digest(&changed));
    assert_ne!(shipped.content_digest(), changed.content_digest());
}

/// In-year, a count in a unit kept as written (组) has its window target scaled by t like any
/// count; a unit per something (元/人*月) is a level and keeps its target.
#[test]
fn a_unit_kept_as_written_scales_in_year_unless_it_is_per_something() {
    let mut given = Given::new();
    let mut groups = self_reported("O1", Comparator::AtLeast, "24", "as_written");
    groups.unit_word = "组".into();
    let mut wage = self_reported("O2", Comparator::AtMost, "530", "as_written");
    wage.unit_word = "元/人*月".into();
    given
        .department("DEPT", None)
        .targets("DEPT", vec![groups, wage]);
    let inputs = with_actuals(
        &given,
        &[
            ("O1", "2022-Q2", "12组", 1),
            ("O2", "2022-Q2", "520元/人*月", 2),
        ],
    );
    let evaluation = evaluate(
        &Framework::central_2020(),
        &inputs,
        "DEPT",
        "2022-Q2".parse().unwrap(),
    );
    assert_eq!(evaluation.indicators[0].window_target, d("12"));
    assert_eq!(evaluation.indicators[1].window_target, d("530"));
}
