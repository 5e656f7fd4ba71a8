//! Open units (TABLES.md §3, §0): a unit is the text that follows a number, whatever it is.
//! Known units convert exactly (`unit.rs`); any other word is kept as written and compares with
//! the same word; a composite unit (`元/户`, `元/人*月`, `万人次`) compares with another of the
//! same denominator, its numerators converted when both are known.

use rust_decimal::Decimal;

use crate::unit::{MetricKind, Unit};

/// A unit word folded for comparison: the product signs `·`, `×`, `x` between words and `*`
/// become `*`, and spaces go (`人·次` and `人*次` are one unit). Full-width forms are already
/// folded by [`super::normalize`].
pub fn fold_unit(word: &str) -> String {
    word.chars()
        .filter(|character| !character.is_whitespace())
        .map(|character| match character {
            '·' | '×' | '•' | '∙' | '⋅' => '*',
            other => other,
        })
        .collect()
}

/// The unit a word names: a known unit (converted exactly), or the word as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnitWord<'a> {
    /// No unit: a bare number.
    Bare,
    /// A unit jixiao converts.
    Known(&'static Unit),
    /// Any other word, folded ([`fold_unit`]).
    AsWritten(&'a str),
}

/// Reads a folded unit word.
pub fn unit_word(folded: &str) -> UnitWord<'_> {
    if folded.is_empty() {
        UnitWord::Bare
    } else if let Some(unit) = Unit::named(folded) {
        UnitWord::Known(unit)
    } else {
        UnitWord::AsWritten(folded)
    }
}

/// The kind a unit word measures: a known unit's, [`MetricKind::AsWritten`] for any other
/// word, and `None` for a bare number.
pub fn kind_of(folded: &str) -> Option<MetricKind> {
    match unit_word(folded) {
        UnitWord::Bare => None,
        UnitWord::Known(unit) => Some(unit.kind),
        UnitWord::AsWritten(_) => Some(MetricKind::AsWritten),
    }
}

/// `value` written in `from` (a folded unit word, empty for a bare number) expressed in the
/// unit of a row whose target was written in `to` (folded; empty when the target had none):
/// in the canonical unit of `to`'s kind when `to` is known, else in `to` itself.
///
/// A bare actual takes the target's unit. Two known units of one kind convert exactly; two
/// words that fold alike compare as they are; composite units with one denominator compare
/// by their numerators (`4.5万元/户` against `≤53000元/户`).
///
/// # Errors
///
/// Why the two cannot be compared: units of different kinds (`吨` against `%`), different
/// words, different denominators, or a figure a decimal cannot hold exactly.
pub fn express_in(value: Decimal, from: &str, to: &str) -> Result<Decimal, String> {
    let exact = |value: Option<Decimal>, word: &str| {
        value.ok_or_else(|| format!("{value:?} {word} cannot be held exactly in a decimal"))
    };
    match (unit_word(from), unit_word(to)) {
        (UnitWord::Bare, UnitWord::Known(unit)) => exact(unit.to_canonical(value), to),
        (UnitWord::Bare, _) => Ok(value),
        (UnitWord::Known(unit), UnitWord::Bare) => exact(unit.to_canonical(value), from),
        (UnitWord::Known(written), UnitWord::Known(target)) if written.kind == target.kind => {
            exact(written.to_canonical(value), from)
        }
        (UnitWord::Known(written), UnitWord::Known(target)) => Err(format!(
            "the actual is in {from} ({}), but the target is in {to} ({})",
            written.kind, target.kind
        )),
        (UnitWord::AsWritten(_), UnitWord::Bare) => Ok(value),
        (_, _) if from == to => Ok(value),
        (_, _) => leading(value, from, to).unwrap_or_else(|| composite(value, from, to)),
    }
}

/// The known unit a word kept as written starts with, when the rest is words rather than a
/// denominator (`个左右` starts with 个; `元/户` is a composite, not 元).
fn leading_unit(word: &str) -> Option<&'static Unit> {
    word.char_indices()
        .map(|(index, character)| index + character.len_utf8())
        .rev()
        .find(|end| !word[*end..].starts_with(['/', '*']) && Unit::named(&word[..*end]).is_some())
        .and_then(|end| Unit::named(&word[..end]))
}

/// Compares by the known units two words start with, when they are of one kind (`20个左右`
/// against `≥18个`, `2万元` against `20000元左右`): in the target's canonical unit, or in its
/// leading unit when the target's word is kept as written.
fn leading(value: Decimal, from: &str, to: &str) -> Option<Result<Decimal, String>> {
    let written = Unit::named(from).or_else(|| leading_unit(from))?;
    let (target, as_written) = match Unit::named(to) {
        Some(unit) => (unit, false),
        None => (leading_unit(to)?, true),
    };
    if written.kind != target.kind {
        return None;
    }
    let canonical = written.to_canonical(value);
    let expressed = if as_written {
        canonical.and_then(|canonical| target.from_canonical(canonical))
    } else {
        canonical
    };
    Some(expressed.ok_or_else(|| format!("{value} {from} cannot be held exactly in {to}")))
}

/// Compares composite units by their numerators when their denominators fold alike.
fn composite(value: Decimal, from: &str, to: &str) -> Result<Decimal, String> {
    let differ =
        || format!("the actual is in {from}, the target in {to}: units jixiao cannot compare");
    let (Some((from_top, from_bottom)), Some((to_top, to_bottom))) =
        (from.split_once('/'), to.split_once('/'))
    else {
        return Err(differ());
    };
    if from_bottom != to_bottom {
        return Err(differ());
    }
    match (Unit::named(from_top), Unit::named(to_top)) {
        (Some(written), Some(target)) if written.kind == target.kind => {
            let canonical = written.to_canonical(value).ok_or_else(differ)?;
            target.from_canonical(canonical).ok_or_else(differ)
        }
        _ => Err(differ()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    #[test]
    fn open_units_compare_by_their_words_and_convert_when_known() {
        assert_eq!(express_in(d("14"), "种", "种"), Ok(d("14")));
        assert_eq!(express_in(d("14"), "", "种"), Ok(d("14")));
        assert_eq!(express_in(d("2"), "万元", "元"), Ok(d("2")));
        assert_eq!(express_in(d("20000"), "元", "万元"), Ok(d("2.0000")));
        assert_eq!(express_in(d("50"), "", "元"), Ok(d("0.0050")));
        assert!(express_in(d("5"), "吨", "%").unwrap_err().contains("mass"));
        assert!(express_in(d("5"), "组", "种").is_err());
        assert_eq!(express_in(d("4.5"), "万元/户", "元/户"), Ok(d("45000")));
        assert_eq!(
            express_in(d("583"), &fold_unit("元/人·月"), &fold_unit("元/人*月")),
            Ok(d("583"))
        );
        assert!(express_in(d("5"), "元/户", "元/人").is_err());
        // A word kept whole compares by the known unit it starts with.
        assert_eq!(express_in(d("20"), "个左右", "parcel"), Ok(d("20")));
        assert_eq!(express_in(d("2"), "万元", "元左右"), Ok(d("20000")));
        assert!(express_in(d("2"), "吨", "元左右").is_err());
        assert_eq!(kind_of("种"), Some(MetricKind::AsWritten));
        assert_eq!(kind_of("万元"), Some(MetricKind::Money));
        assert_eq!(kind_of(""), None);
    }
}
