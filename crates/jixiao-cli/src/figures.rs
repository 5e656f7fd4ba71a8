//! How figures print in what people read (explain, the 自评表, the report).

/// A figure as a report prints it: its unit's Chinese name, and money with 2 decimals
/// (`816.1` in `wan_yuan` is `816.10 万元`); `-` when there is none.
pub fn amount(text: &str, unit_code: &str) -> String {
    if text.is_empty() {
        return "-".to_owned();
    }
    let unit = jixiao_domain::Unit::by_code(unit_code);
    let figure = match (unit, text.parse::<rust_decimal::Decimal>()) {
        (Some(unit), Ok(value)) if unit.kind == jixiao_domain::MetricKind::Money => {
            format!(
                "{:.2}",
                value.round_dp_with_strategy(
                    2,
                    rust_decimal::RoundingStrategy::MidpointAwayFromZero
                )
            )
        }
        _ => text.to_owned(),
    };
    match unit {
        Some(unit) if unit.name_zh() == "%" => format!("{figure}%"),
        Some(unit) => format!("{figure} {}", unit.name_zh()),
        None => format!("{figure} {unit_code}"),
    }
}
