//! Every row of every published table in `tests/data/field/cases.json` is read as written:
//! its level-1 and level-2 labels, its target text, its actual text (TABLES.md §3).

use jixiao_domain::Level1;
use jixiao_domain::written::{
    ActualReading, TargetReading, read_actual, read_level1, read_level2, read_target,
};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct Case {
    id: String,
    indicators: Vec<Row>,
}

#[derive(Debug, Deserialize)]
struct Row {
    level1: String,
    level2: Option<String>,
    name: String,
    target_text: Option<String>,
    actual_text: Option<String>,
}

const CASES: &str = include_str!("../../../tests/data/field/cases.json");

fn cases() -> Vec<Case> {
    serde_json::from_str(CASES).unwrap()
}

#[test]
fn the_copy_of_the_field_cases_is_in_step_with_the_shared_one() {
    let shared =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/field/cases.json");
    // Present beside a working copy and in CI; a clone elsewhere has only the copy.
    if let Ok(text) = std::fs::read_to_string(&shared) {
        assert_eq!(
            text,
            CASES,
            "tests/data/field/cases.json differs from {}: copy it again",
            shared.display()
        );
    }
    assert_eq!(cases().len(), 18);
}

#[test]
fn every_row_of_every_case_is_read_as_written() {
    let mut rows = 0;
    let mut qualitative = 0;
    let mut groups = std::collections::BTreeSet::new();
    for case in cases() {
        for row in &case.indicators {
            let at = format!("{} {}", case.id, row.name);
            let level1 = read_level1(&row.level1).unwrap_or_else(|reason| panic!("{at}: {reason}"));
            groups.insert(level1);
            let level2 = read_level2(row.level2.as_deref().unwrap_or_default());
            let target_text = row.target_text.as_deref().unwrap_or_default();
            if !target_text.is_empty() {
                let reading = read_target(target_text, None, &level2);
                // Every published row is judged by rule: none goes to a reviewer.
                if let TargetReading::NotJudged { reason } = &reading {
                    panic!("{at}: target {reason}");
                }
                if reading == TargetReading::Qualitative {
                    qualitative += 1;
                }
            }
            if let Some(actual) = row.actual_text.as_deref()
                && let ActualReading::NotRead { reason } = read_actual(actual, target_text)
            {
                panic!("{at}: actual {reason}");
            }
            rows += 1;
        }
    }
    assert_eq!(rows, 116);
    assert!(qualitative >= 23, "{qualitative} qualitative targets");
    for group in [
        Level1::Output,
        Level1::Outcome,
        Level1::Satisfaction,
        Level1::Decision,
        Level1::Management,
        Level1::Input,
        Level1::Process,
    ] {
        assert!(groups.contains(&group), "{group}");
    }
}

#[test]
fn the_published_texts_read_as_the_case_notes_say() {
    let find = |id: &str, name: &str| {
        let case = cases().into_iter().find(|case| case.id == id).unwrap();
        let row = case
            .indicators
            .into_iter()
            .find(|row| row.name.starts_with(name))
            .unwrap();
        (row.target_text.unwrap_or_default(), row.actual_text)
    };
    // F07: every actual copies its target, several with ≥ inside: bounds.
    let (target, actual) = find("F07", "安装坡面水标尺");
    assert!(matches!(
        read_actual(actual.as_deref().unwrap(), &target),
        ActualReading::Bound { .. }
    ));
    // F18: 无 reads as nothing, 高 copies its target.
    let (target, actual) = find("F18", "政策性挂账利息补贴保障率");
    assert_eq!(
        read_actual(actual.as_deref().unwrap(), &target),
        ActualReading::Nothing
    );
    let (target, actual) = find("F18", "粮食储备设备维护及安全性");
    assert_eq!(
        read_actual(actual.as_deref().unwrap(), &target),
        ActualReading::SameAsTarget
    );
    // F11: 正向 before the comparator, which decides.
    let (target, _) = find("F11", "宣传美工制作个数");
    assert!(matches!(
        read_target(&target, None, "数量"),
        TargetReading::Quantity {
            comparator: jixiao_domain::Comparator::AtMost,
            inferred: false,
            ..
        }
    ));
    // F04: a bare number on a 成本 row is inferred as <=.
    let (target, _) = find("F04", "成本控制率");
    assert!(matches!(
        read_target(&target, None, "成本"),
        TargetReading::Quantity {
            comparator: jixiao_domain::Comparator::AtMost,
            inferred: true,
            ..
        }
    ));
}
