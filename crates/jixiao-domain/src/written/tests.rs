use proptest::prelude::*;

use super::*;
use crate::label::Level1;

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

fn not_judged(reading: TargetReading) -> String {
    match reading {
        TargetReading::NotJudged { reason } => reason,
        other => panic!("judged: {other:?}"),
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
    assert_eq!(read_level1("产出指标(50)").unwrap(), Level1::Output);
    assert_eq!(
        read_level1("满意度指标（10）").unwrap(),
        Level1::Satisfaction
    );
    assert_eq!(read_level1("产出指标（50分）").unwrap(), Level1::Output);
    assert_eq!(read_level1("效益指标（30分）").unwrap(), Level1::Outcome);
    assert_eq!(
        read_level1("服务对象满意度指标").unwrap(),
        Level1::Satisfaction
    );
    let unknown = read_level1("制度").unwrap_err();
    assert!(unknown.contains("\"制度\""), "{unknown}");
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
        let reading = read_target(&format!("{word}50个"), None, "数量");
        let (found, inferred, quantity) = quantity_of(&reading);
        assert_eq!(found, comparator, "{word}");
        assert!(!inferred);
        assert_eq!(quantity.value, d("50"));
        assert_eq!(quantity.unit_word, "个");
        // And as a comparator of its own.
        assert_eq!(word.parse::<Comparator>().unwrap(), *comparator, "{word}");
    }
    for (word, comparator) in COMPARATOR_SUFFIXES {
        let reading = read_target(&format!("98%{word}"), None, "时效");
        assert_eq!(quantity_of(&reading).0, comparator, "{word}");
    }
    let reading = read_target("控制在5%以内", None, "");
    assert_eq!(*quantity_of(&reading).0, Comparator::AtMost);
}

#[test]
fn a_number_among_words_is_never_dropped() {
    for (text, comparator, value, unit) in [
        ("达到预计值 2100", Comparator::AtLeast, "2100", ""),
        ("完成率达到95%", Comparator::AtLeast, "95", "%"),
        ("达到目标值 95%", Comparator::AtLeast, "95", "%"),
        ("确保覆盖率98%", Comparator::AtLeast, "98", "%"),
        ("力争完成12个", Comparator::AtLeast, "12", "个"),
        ("控制在90万元以内", Comparator::AtMost, "90", "万元"),
        ("达到95%以上", Comparator::AtLeast, "95", "%"),
        ("不少于12 种", Comparator::AtLeast, "12", "种"),
        (">=530元/人*月", Comparator::AtLeast, "530", "元/人*月"),
        ("<=5300元/户", Comparator::AtMost, "5300", "元/户"),
    ] {
        let reading = read_target(text, None, "数量");
        let (found, inferred, quantity) = quantity_of(&reading);
        assert_eq!((found, inferred), (&comparator, false), "{text}");
        assert_eq!(quantity.value, d(value), "{text}");
        assert_eq!(quantity.unit_word, unit, "{text}");
    }
    // The explanation says where the number was found; a plain target says nothing.
    let reading = read_target("达到预计值 2100", None, "");
    assert!(target_note("达到预计值 2100", &reading).contains("2100"));
    assert_eq!(target_note("≥50个", &read_target("≥50个", None, "")), "");
    // A figure without a comparator word: inferred, and said.
    let reading = read_target("预计值 45万", None, "数量");
    assert!(quantity_of(&reading).1);
    assert_eq!(quantity_of(&reading).2.unit_word, "万");
}

#[test]
fn a_missing_comparator_is_inferred_from_the_direction_or_the_level2() {
    let reading = read_target("100", None, "质量");
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
    let reading = read_target("20万元", None, "成本");
    assert_eq!(*quantity_of(&reading).0, Comparator::AtMost);
    assert!(quantity_of(&reading).1);
    let reading = read_target("20万元", Some(Comparator::AtLeast), "成本");
    assert_eq!(*quantity_of(&reading).0, Comparator::AtLeast);
    // Direction written before the comparator: the comparator wins, nothing is inferred.
    let reading = read_target("正向 小于等于 1个", None, "数量");
    assert_eq!(quantity_of(&reading).0, &Comparator::AtMost);
    assert!(!quantity_of(&reading).1);
    let reading = read_target("反向 3次", None, "数量");
    assert_eq!(quantity_of(&reading).0, &Comparator::AtMost);
    assert_eq!(read_direction("正向"), Some(Comparator::AtLeast));
    assert_eq!(read_direction(""), None);
    assert_eq!(read_direction("向上"), None);
}

#[test]
fn units_known_open_and_composite_are_read() {
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
        ("≥12种", "12", "种", MetricKind::AsWritten),
        ("≥50公尺", "50", "公尺", MetricKind::AsWritten),
        ("≥3组", "3", "组", MetricKind::AsWritten),
        ("≥2万人次", "2", "万人次", MetricKind::AsWritten),
        ("≥100人·次", "100", "人*次", MetricKind::AsWritten),
        ("≤583元/人×月", "583", "元/人*月", MetricKind::AsWritten),
        ("≥5km²", "5", "km²", MetricKind::AsWritten),
        ("￥500", "500", "元", MetricKind::Money),
    ] {
        let reading = read_target(text, None, "数量");
        let (_, _, quantity) = quantity_of(&reading);
        assert_eq!(quantity.value, d(value), "{text}");
        assert_eq!(quantity.unit_word, word, "{text}");
        assert_eq!(quantity.kind(), kind, "{text}");
    }
    // Exact conversions into the canonical unit.
    let reading = read_target("≥50厘米", None, "");
    assert_eq!(quantity_of(&reading).2.canonical(), Some(d("0.50")));
    let reading = read_target("≤1329120.67元", None, "");
    assert_eq!(quantity_of(&reading).2.canonical(), Some(d("132.912067")));
}

#[test]
fn ranges_read_with_either_end_carrying_the_unit() {
    for text in ["90%-100%", "90%～100%", "90%至100%", "90-100%", "90%~100%"] {
        match read_target(text, None, "") {
            TargetReading::Range { low, high } => {
                assert_eq!((low.value, high.value), (d("90"), d("100")), "{text}");
                assert_eq!(low.unit_word, "%", "{text}");
                assert_eq!(high.kind(), MetricKind::Percent);
            }
            other => panic!("{text}: {other:?}"),
        }
    }
    assert!(not_judged(read_target("100%-90%", None, "")).contains("low end"));
    assert!(not_judged(read_target("90%-100个", None, "")).contains("different units"));
}

#[test]
fn deadlines_read_as_dates() {
    for (text, year, month, day) in [
        ("9月前", None, 9, None),
        ("2023年12月前", Some(2023), 12, None),
        ("年底前", None, 12, Some(31)),
        ("12月底前", None, 12, Some(31)),
        ("2021年12月完成", Some(2021), 12, None),
        ("2023年12月31日前完成", Some(2023), 12, Some(31)),
    ] {
        assert_eq!(
            read_target(text, None, ""),
            TargetReading::Deadline(WrittenDate { year, month, day }),
            "{text}"
        );
    }
    assert_eq!(
        read_actual("2023年10月", "2023年12月前"),
        ActualReading::Date(WrittenDate {
            year: Some(2023),
            month: 10,
            day: None
        })
    );
    assert!(matches!(
        read_actual("7月", "9月前"),
        ActualReading::Date(_)
    ));
    assert!(matches!(
        read_actual("10月底", "年底前"),
        ActualReading::Date(WrittenDate { day: Some(31), .. })
    ));
}

#[test]
fn words_and_sentences_are_qualitative() {
    for text in [
        "效果明显",
        "有效",
        "合规",
        "显著提升",
        "按期",
        "严格执行相关制度规定",
        "在项目计划完成时间内完成",
        "春节前下达50%,6月底前全部下达;每个未按进度扣0.5分",
        "高",
        "<=100% 计5分;每超1个百分点扣0.5分,扣完为止",
        "=0 3分;0-10% 2分;10-20% 1分;20-30% 0.5分;>30% 0",
        "(text; order garbled in the copy)",
        "控制在预算范围内",
        "不低于上年",
        "2022年1月-12月",
        "≥",
    ] {
        assert_eq!(
            read_target(text, None, ""),
            TargetReading::Qualitative,
            "{text}"
        );
    }
}

#[test]
fn what_the_rules_cannot_judge_is_said_never_refused() {
    for (text, expected) in [
        ("12,5", "thousands separator"),
        ("", "empty"),
        ("≥50个以内", "disagree"),
        ("2022年13月", "no month 13"),
        ("≥50%且≤80万元", "2 measures"),
        ("≥1.5公顷10亩", "2 measures"),
        ("1O0%", "\"100%\""),
        ("9l%", "\"91%\""),
    ] {
        let reason = not_judged(read_target(text, None, ""));
        assert!(reason.contains(expected), "{text}: {reason}");
    }
    // A leading 2 where ≥ belongs is read as written, and the intended reading is offered.
    assert_eq!(suspect_reading("295%"), Some("≥95%".to_owned()));
    assert_eq!(
        *quantity_of(&read_target("295%", None, "")).2,
        Quantity {
            value: d("295"),
            unit: Unit::named("%"),
            unit_word: "%".to_owned(),
        }
    );
    assert_eq!(suspect_reading("≥95%"), None);
    assert_eq!(suspect_reading("100 Ohm"), None);
}

#[test]
fn actuals_read_as_numbers_bounds_dates_nothing_verdicts_or_statements() {
    assert_eq!(
        read_actual("50", "≥50个"),
        ActualReading::Quantity(Quantity {
            value: d("50"),
            unit: None,
            unit_word: String::new()
        })
    );
    match read_actual("≥95%", "≥95%") {
        ActualReading::Bound {
            comparator,
            quantity,
        } => {
            assert_eq!(comparator, Comparator::AtLeast);
            assert_eq!(quantity.value, d("95"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(read_actual("无", "100%"), ActualReading::Nothing);
    assert_eq!(read_actual("零", "0起"), ActualReading::Nothing);
    assert_eq!(
        read_actual("改善学校的办学条件", "改善学校的办学条件"),
        ActualReading::SameAsTarget
    );
    assert_eq!(read_actual("有资金测算标准", ""), ActualReading::Statement);
    assert_eq!(
        read_actual("2021年12月完成", "2021年12月完成"),
        ActualReading::SameAsTarget
    );
    assert!(matches!(
        read_actual("2天以内", "2天以内"),
        ActualReading::Bound {
            comparator: Comparator::AtMost,
            ..
        }
    ));
    for (text, value, unit) in [
        ("14种", "14", "种"),
        ("583元/人*月", "583", "元/人*月"),
        ("15组", "15", "组"),
    ] {
        match read_actual(text, "") {
            ActualReading::Quantity(quantity) => {
                assert_eq!(
                    (quantity.value, quantity.unit_word.as_str()),
                    (d(value), unit)
                );
            }
            other => panic!("{text}: {other:?}"),
        }
    }
    assert!(
        matches!(read_actual("约50", ""), ActualReading::QuantityInWords(q) if q.value == d("50"))
    );
    for (text, expected) in [
        ("12,5", "thousands"),
        ("", "empty"),
        ("2022年13月", "no month 13"),
        ("共50%和80个", "numbers"),
        ("1OO%", "\"100%\""),
    ] {
        match read_actual(text, "") {
            ActualReading::NotRead { reason } => {
                assert!(reason.contains(expected), "{text}: {reason}");
            }
            other => panic!("{text}: {other:?}"),
        }
    }
}

#[test]
fn an_actual_converts_into_its_target_unit_or_says_why_not() {
    let value = |actual: &str, target: &str| actual_value(&read_actual(actual, ""), target);
    assert_eq!(value("50", "count"), Ok(d("50")));
    assert_eq!(value("2万元", "元"), Ok(d("2")));
    assert_eq!(value("14种", "种"), Ok(d("14")));
    assert_eq!(value("14", "种"), Ok(d("14")));
    assert_eq!(value("4.5万元/户", "元/户"), Ok(d("45000")));
    assert!(value("5吨", "percent").unwrap_err().contains("mass"));
    assert!(value("有效", "percent").is_err());
}

#[test]
fn every_verdict_word_reads_as_its_verdict() {
    for (verdict, words) in VERDICT_WORDS {
        for word in *words {
            assert_eq!(
                read_actual(word, ""),
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
            matches!(read_actual(text, ""), ActualReading::Verdict { verdict: found, .. } if found == verdict),
            "{text}"
        );
    }
    assert_eq!(
        read_actual("部分达成 70%", ""),
        ActualReading::Verdict {
            verdict: Verdict::PartlyAchieved,
            attainment: Some(d("70"))
        }
    );
    assert_eq!(
        read_actual("达成（95％）", ""),
        ActualReading::Verdict {
            verdict: Verdict::Achieved,
            attainment: Some(d("95"))
        }
    );
}

#[test]
fn none_words_read_as_nothing() {
    for word in NONE_WORDS {
        assert_eq!(read_actual(word, "100%"), ActualReading::Nothing);
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

/// A unit word of 1 to 3 random CJK characters (TABLES.md §0: any unit).
fn any_unit() -> impl Strategy<Value = String> {
    proptest::collection::vec(0x4E00u32..0x9FA5, 1..=3).prop_map(|codes| {
        codes
            .into_iter()
            .filter_map(char::from_u32)
            .collect::<String>()
    })
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
        let reading = read_target(&text, None, "数量");
        let TargetReading::Quantity { comparator: found, inferred, quantity } = &reading else {
            panic!("{text}: {reading:?}");
        };
        prop_assert_eq!(*found, comparator);
        prop_assert!(!inferred);
        prop_assert_eq!(quantity.value, value);
        let printed = format!("{}{}", found.as_str(), quantity);
        prop_assert_eq!(read_target(&printed, None, "数量"), reading);
    }

    /// Any unit word after a number is the unit, kept as written, and an actual in the same
    /// word compares with it (TABLES.md §0).
    #[test]
    fn any_unit_word_is_kept_and_compares_with_itself(
        (word, comparator) in comparator_word(),
        value in 1u32..100_000,
        unit in any_unit(),
    ) {
        let vocabulary = COMPARATOR_PREFIXES
            .iter()
            .chain(COMPARATOR_SUFFIXES)
            .map(|(word, _)| *word);
        prop_assume!(!vocabulary.into_iter().any(|word| unit.contains(word)));
        prop_assume!(!unit.contains(['至', '年', '月', '日', '号']));
        let reading = read_target(&format!("{word}{value}{unit}"), None, "数量");
        let (found, _, quantity) = quantity_of(&reading);
        prop_assert_eq!(*found, comparator);
        prop_assert_eq!(quantity.value, Decimal::from(value));
        let folded = units::fold_unit(&unit);
        let expected = Unit::named(&folded).map_or(folded.clone(), |_| folded.clone());
        prop_assert_eq!(&quantity.unit_word, &expected);
        let actual = read_actual(&format!("{value}{unit}"), "");
        let target_word = Unit::named(&folded).map_or(folded.clone(), |unit| unit.code.to_owned());
        prop_assert!(actual_value(&actual, &target_word).is_ok(), "{:?}", actual);
    }

    /// No text makes the readers panic, and every text reads as something.
    #[test]
    fn any_text_is_read(text in "\\PC{0,24}") {
        if let TargetReading::NotJudged { reason } = read_target(&text, None, "成本") {
            prop_assert!(!reason.is_empty());
        }
        if let ActualReading::NotRead { reason } = read_actual(&text, "效果明显") {
            prop_assert!(!reason.is_empty());
        }
        let _ = suspect_reading(&text);
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
        let suffixed = read_target(&print(format!("{low}{unit}{suffix}")), None, "数量");
        let TargetReading::Quantity { comparator: found, inferred, quantity } = &suffixed else {
            panic!("{suffixed:?}");
        };
        prop_assert_eq!(*found, comparator);
        prop_assert!(!inferred);
        prop_assert_eq!(quantity.value, Decimal::from(low));
        let high = low + span;
        let range = read_target(&print(format!("{low}{unit}{separator}{high}{unit}")), None, "");
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
