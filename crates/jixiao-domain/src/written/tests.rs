use proptest::prelude::*;

use super::*;

fn d(text: &str) -> Decimal {
    text.parse().unwrap()
}

fn quantity_of(reading: &TargetReading) -> (&Comparator, bool, &Quantity) {
    match reading {
        TargetReading::Quantity {
            comparator,
            inferred,
            quantity,
        } => (comparator, *inferred, quantity),
        other => panic!("not a quantity: {other:?}"),
    }
}

#[test]
fn every_level1_label_reads_as_its_group() {
    for (level, aliases) in LEVEL1_LABELS {
        for alias in *aliases {
            assert_eq!(read_level1(alias).unwrap(), *level, "{alias}");
            assert_eq!(
                read_level1(&format!("{alias}指标")).unwrap(),
                *level,
                "{alias}指标"
            );
        }
    }
    assert_eq!(read_level1(" 产出指标(70分) ").unwrap(), Level1::Output);
    assert_eq!(read_level1("产出指标（50分）").unwrap(), Level1::Output);
    assert_eq!(
        read_level1("服务对象满意度指标").unwrap(),
        Level1::Satisfaction
    );
    let refused = read_level1("制度").unwrap_err();
    assert!(refused.contains("\"制度\""), "{refused}");
    assert!(refused.contains("产出"), "{refused}");
}

#[test]
fn known_level2_labels_are_normalised_and_others_kept_as_written() {
    for (name, aliases) in LEVEL2_LABELS {
        for alias in *aliases {
            assert_eq!(read_level2(alias), *name, "{alias}");
            assert_eq!(read_level2(&format!("{alias}指标")), *name, "{alias}指标");
        }
    }
    for kept in [
        "经济成本指标",
        "日效性指标",
        "群众满意度指标",
        "预算配置",
        "",
    ] {
        assert_eq!(read_level2(kept), kept.trim());
    }
}

#[test]
fn every_comparator_spelling_reads_before_a_number() {
    for (word, comparator) in COMPARATOR_PREFIXES {
        let reading = read_target(&format!("{word}50个"), None, "数量").unwrap();
        let (found, inferred, quantity) = quantity_of(&reading);
        assert_eq!(found, comparator, "{word}");
        assert!(!inferred);
        assert_eq!(quantity.value, d("50"));
        assert_eq!(quantity.unit_word, "个");
        // And as a comparator of its own.
        assert_eq!(word.parse::<Comparator>().unwrap(), *comparator, "{word}");
    }
    for (word, comparator) in COMPARATOR_SUFFIXES {
        let reading = read_target(&format!("98%{word}"), None, "时效").unwrap();
        assert_eq!(quantity_of(&reading).0, comparator, "{word}");
    }
    let reading = read_target("控制在5%以内", None, "").unwrap();
    assert_eq!(*quantity_of(&reading).0, Comparator::AtMost);
}

#[test]
fn a_missing_comparator_is_inferred_from_the_direction_or_the_level2() {
    let reading = read_target("100", None, "质量").unwrap();
    assert_eq!(
        quantity_of(&reading),
        (
            &Comparator::AtLeast,
            true,
            &Quantity {
                value: d("100"),
                unit: None,
                unit_word: String::new(),
            }
        )
    );
    let reading = read_target("20万元", None, "成本").unwrap();
    assert_eq!(*quantity_of(&reading).0, Comparator::AtMost);
    assert!(quantity_of(&reading).1);
    let reading = read_target("20万元", Some(Comparator::AtLeast), "成本").unwrap();
    assert_eq!(*quantity_of(&reading).0, Comparator::AtLeast);
    // Direction written before the comparator: the comparator wins, nothing is inferred.
    let reading = read_target("正向 小于等于 1个", None, "数量").unwrap();
    assert_eq!(quantity_of(&reading).0, &Comparator::AtMost);
    assert!(!quantity_of(&reading).1);
    let reading = read_target("反向 3次", None, "数量").unwrap();
    assert_eq!(quantity_of(&reading).0, &Comparator::AtMost);
    assert_eq!(read_direction("正向").unwrap(), Some(Comparator::AtLeast));
    assert_eq!(read_direction("").unwrap(), None);
    assert!(read_direction("向上").unwrap_err().contains("正向"));
}

#[test]
fn units_full_width_forms_separators_and_spaces_are_read() {
    for (text, value, word, kind) in [
        ("≥50个", "50", "个", MetricKind::Count),
        ("≧735人次", "735", "人次", MetricKind::Count),
        ("﹦72890元", "72890", "元", MetricKind::Money),
        ("═100%", "100", "%", MetricKind::Percent),
        ("≥100百分比", "100", "百分比", MetricKind::Percent),
        ("１００％", "100", "%", MetricKind::Percent),
        ("≥1,000人", "1000", "人", MetricKind::Count),
        ("≥ 266 米", "266", "米", MetricKind::Length),
        ("≥50厘米", "50", "厘米", MetricKind::Length),
        ("2天以内", "2", "天", MetricKind::DurationDays),
        ("≤10次", "10", "次", MetricKind::Count),
        ("20000万美元", "20000", "万美元", MetricKind::ForeignMoney),
        ("5000吨", "5000", "吨", MetricKind::Mass),
        ("3平方公里", "3", "平方公里", MetricKind::LandArea),
        ("≤5个工作日", "5", "个工作日", MetricKind::WorkingDays),
        ("0起", "0", "起", MetricKind::Count),
    ] {
        let reading = read_target(text, None, "数量").unwrap();
        let (_, _, quantity) = quantity_of(&reading);
        assert_eq!(quantity.value, d(value), "{text}");
        assert_eq!(quantity.unit_word, word, "{text}");
        assert_eq!(quantity.kind(), kind, "{text}");
    }
    // Exact conversions into the canonical unit.
    let reading = read_target("≥50厘米", None, "").unwrap();
    assert_eq!(quantity_of(&reading).2.canonical(), Some(d("0.50")));
    let reading = read_target("≤1329120.67元", None, "").unwrap();
    assert_eq!(quantity_of(&reading).2.canonical(), Some(d("132.912067")));
}

#[test]
fn ranges_read_with_either_end_carrying_the_unit() {
    for text in ["90%-100%", "90%～100%", "90%至100%", "90-100%", "90%~100%"] {
        match read_target(text, None, "").unwrap() {
            TargetReading::Range { low, high } => {
                assert_eq!((low.value, high.value), (d("90"), d("100")), "{text}");
                assert_eq!(low.unit_word, "%", "{text}");
                assert_eq!(high.kind(), MetricKind::Percent);
            }
            other => panic!("{text}: {other:?}"),
        }
    }
    assert!(
        read_target("100%-90%", None, "")
            .unwrap_err()
            .contains("low end")
    );
    assert!(
        read_target("90%-100个", None, "")
            .unwrap_err()
            .contains("different units")
    );
}

#[test]
fn words_are_qualitative_and_malformed_figures_are_refused() {
    for text in [
        "效果明显",
        "有效",
        "合规",
        "显著提升",
        "严格执行相关制度规定",
        "在项目计划完成时间内完成",
        "2021年12月完成",
        "春节前下达50%,6月底前全部下达;每个未按进度扣0.5分",
        "高",
        "<=100% 计5分;每超1个百分点扣0.5分,扣完为止",
        "=0 3分;0-10% 2分;10-20% 1分;20-30% 0.5分;>30% 0",
        "(text; order garbled in the copy)",
        "控制在预算范围内",
        "不低于上年",
        "12月底前",
        "2023年12月31日前完成",
        "2022年1月-12月",
        "达到95%以上",
    ] {
        assert_eq!(
            read_target(text, None, "").unwrap(),
            TargetReading::Qualitative,
            "{text}"
        );
    }
    for (text, expected) in [
        ("12,5", "thousands separator"),
        ("50abc", "not a unit"),
        ("≥50furlongs", "not a unit"),
        ("", "is empty"),
        ("≥", "not a target"),
        ("≥50个以内", "disagree"),
        ("1e3", "not a unit"),
        ("≥50公尺", "not a unit"),
    ] {
        let refused = read_target(text, None, "").unwrap_err();
        assert!(refused.contains(expected), "{text}: {refused}");
    }
}

#[test]
fn actuals_read_as_numbers_bounds_nothing_verdicts_or_statements() {
    assert_eq!(
        read_actual("50", "≥50个").unwrap(),
        ActualReading::Quantity(Quantity {
            value: d("50"),
            unit: None,
            unit_word: String::new()
        })
    );
    match read_actual("≥95%", "≥95%").unwrap() {
        ActualReading::Bound {
            comparator,
            quantity,
        } => {
            assert_eq!(comparator, Comparator::AtLeast);
            assert_eq!(quantity.value, d("95"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(read_actual("无", "100%").unwrap(), ActualReading::Nothing);
    assert_eq!(read_actual("零", "0起").unwrap(), ActualReading::Nothing);
    assert_eq!(
        read_actual("改善学校的办学条件", "改善学校的办学条件").unwrap(),
        ActualReading::SameAsTarget
    );
    assert_eq!(
        read_actual("有资金测算标准", "").unwrap(),
        ActualReading::Statement
    );
    assert_eq!(
        read_actual("2021年12月完成", "2021年12月完成").unwrap(),
        ActualReading::SameAsTarget
    );
    assert!(matches!(
        read_actual("2天以内", "2天以内").unwrap(),
        ActualReading::Bound {
            comparator: Comparator::AtMost,
            ..
        }
    ));
    for (text, expected) in [
        ("约50", "neither a number nor a verdict"),
        ("12,5", "thousands"),
        ("", "empty"),
    ] {
        let refused = read_actual(text, "").unwrap_err();
        assert!(refused.contains(expected), "{text}: {refused}");
    }
}

#[test]
fn every_verdict_word_reads_as_its_verdict() {
    for (verdict, words) in VERDICT_WORDS {
        for word in *words {
            assert_eq!(
                read_actual(word, "").unwrap(),
                ActualReading::Verdict {
                    verdict: *verdict,
                    attainment: None
                },
                "{word}"
            );
        }
    }
    // Inside longer words, the negative ones first.
    for (text, verdict) in [
        ("持续有效", Verdict::Achieved),
        ("有效改善", Verdict::Achieved),
        ("受目的国受众欢迎显著", Verdict::Achieved),
        ("项目未完成", Verdict::NotAchieved),
        ("基本完成任务", Verdict::PartlyAchieved),
        ("未按时完成", Verdict::NotAchieved),
        ("未全部完成", Verdict::NotAchieved),
        ("未能完成", Verdict::NotAchieved),
        ("没有完成", Verdict::NotAchieved),
        ("没有达到", Verdict::NotAchieved),
        ("效果不明显", Verdict::NotAchieved),
        ("不显著", Verdict::NotAchieved),
        ("不够及时", Verdict::NotAchieved),
        ("未有效改善", Verdict::NotAchieved),
        ("部分实现", Verdict::PartlyAchieved),
        ("部分达到", Verdict::PartlyAchieved),
        ("非常显著", Verdict::Achieved),
        ("无偏差完成", Verdict::Achieved),
    ] {
        assert!(
            matches!(read_actual(text, "").unwrap(), ActualReading::Verdict { verdict: found, .. } if found == verdict),
            "{text}"
        );
    }
    assert_eq!(
        read_actual("部分达成 70%", "").unwrap(),
        ActualReading::Verdict {
            verdict: Verdict::PartlyAchieved,
            attainment: Some(d("70"))
        }
    );
    assert_eq!(
        read_actual("达成（95％）", "").unwrap(),
        ActualReading::Verdict {
            verdict: Verdict::Achieved,
            attainment: Some(d("95"))
        }
    );
}

#[test]
fn none_words_read_as_nothing() {
    for word in NONE_WORDS {
        assert_eq!(read_actual(word, "100%").unwrap(), ActualReading::Nothing);
    }
}

fn comparator_word() -> impl Strategy<Value = (&'static str, Comparator)> {
    proptest::sample::select(COMPARATOR_PREFIXES)
}

fn unit_word() -> impl Strategy<Value = &'static str> {
    proptest::sample::select(
        &[
            "", "个", "人次", "万元", "元", "亩", "%", "米", "吨", "天", "次",
        ][..],
    )
}

proptest! {
    /// What the reader reads prints back (comparator, number, unit) to a text it reads the same.
    #[test]
    fn a_read_target_prints_back_to_an_equivalent_text(
        (word, comparator) in comparator_word(),
        mantissa in 0u64..10_000_000_000,
        scale in 0u32..4,
        unit in unit_word(),
        spaces in proptest::bool::ANY,
    ) {
        let value = Decimal::new(mantissa as i64, scale);
        let space = if spaces { " " } else { "" };
        let text = format!("{word}{space}{value}{space}{unit}");
        let reading = read_target(&text, None, "数量").unwrap();
        let TargetReading::Quantity { comparator: found, inferred, quantity } = &reading else {
            panic!("{text}: {reading:?}");
        };
        prop_assert_eq!(*found, comparator);
        prop_assert!(!inferred);
        prop_assert_eq!(quantity.value, value);
        let printed = format!("{}{}", found.as_str(), quantity);
        prop_assert_eq!(read_target(&printed, None, "数量").unwrap(), reading);
    }

    /// No text makes the readers panic; each is read or refused with a reason.
    #[test]
    fn any_text_is_read_or_refused(text in "\\PC{0,24}") {
        if let Err(reason) = read_target(&text, None, "成本") {
            prop_assert!(!reason.is_empty());
        }
        if let Err(reason) = read_actual(&text, "效果明显") {
            prop_assert!(!reason.is_empty());
        }
        let _ = read_level1(&text);
        let _ = read_level2(&text);
    }
}

/// A number as a table may print it: ASCII, or in full-width digits.
fn full_width(text: &str) -> String {
    text.chars()
        .map(|character| match character {
            '0'..='9' | '.' | '%' => {
                char::from_u32(character as u32 - 0x21 + 0xFF01).unwrap_or(character)
            }
            other => other,
        })
        .collect()
}

proptest! {
    /// Suffix comparators, ranges and full-width digits read to what their plain forms read.
    #[test]
    fn suffixes_ranges_and_full_width_forms_read_like_their_plain_forms(
        low in 0u32..10_000,
        span in 1u32..10_000,
        unit in unit_word(),
        (suffix, comparator) in proptest::sample::select(COMPARATOR_SUFFIXES),
        separator in proptest::sample::select(RANGE_SEPARATORS),
        wide in proptest::bool::ANY,
    ) {
        let print = |text: String| if wide { full_width(&text) } else { text };
        let suffixed = read_target(&print(format!("{low}{unit}{suffix}")), None, "数量").unwrap();
        let TargetReading::Quantity { comparator: found, inferred, quantity } = &suffixed else {
            panic!("{suffixed:?}");
        };
        prop_assert_eq!(*found, comparator);
        prop_assert!(!inferred);
        prop_assert_eq!(quantity.value, Decimal::from(low));
        let high = low + span;
        let range = read_target(&print(format!("{low}{unit}{separator}{high}{unit}")), None, "").unwrap();
        match range {
            TargetReading::Range { low: read_low, high: read_high } => {
                prop_assert_eq!(read_low.value, Decimal::from(low));
                prop_assert_eq!(read_high.value, Decimal::from(high));
                prop_assert_eq!(read_low.unit, read_high.unit);
            }
            other => prop_assert!(false, "{other:?}"),
        }
    }
}
