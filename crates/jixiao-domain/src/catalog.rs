//! The metric catalog: every metric a point or a target may name.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::unit::MetricKind;

/// Whether a metric happens during its period or states a level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Temporal {
    /// Happens during the period; summed to date.
    Flow,
    /// A level that holds from its period's start until a later point replaces it.
    Stock,
}

impl Temporal {
    /// The code used in the API.
    pub fn as_str(&self) -> &'static str {
        match self {
            Temporal::Flow => "flow",
            Temporal::Stock => "stock",
        }
    }
}

impl fmt::Display for Temporal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One catalog metric.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetricDef {
    /// Dotted code, for example `budget.executed`.
    pub code: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// What it measures.
    pub kind: MetricKind,
    /// Flow or stock.
    pub temporal: Temporal,
    /// Whether sub-unit values sum to the department's value.
    pub additive: bool,
}

impl MetricDef {
    /// Values may not be negative, except money flows (a reversal can make a period's
    /// spending negative).
    pub fn allows_negative(&self) -> bool {
        self.kind == MetricKind::Money && self.temporal == Temporal::Flow
    }
}

/// The catalog: the starter metrics plus any configured ones, by code.
#[derive(Debug, Clone)]
pub struct Catalog {
    metrics: BTreeMap<String, MetricDef>,
}

impl Default for Catalog {
    fn default() -> Self {
        Self::starter()
    }
}

/// The fund-source lines of a budget block: code, Chinese and English name.
pub const FUND_LINES: [(&str, &str, &str); 5] = [
    (
        "current_appropriation",
        "本年财政拨款",
        "Current-year appropriation",
    ),
    ("carryover", "上年结转资金", "Prior-year carry-over"),
    (
        "special_account",
        "财政专户管理资金",
        "Special-account funds",
    ),
    ("unit_funds", "单位资金", "Unit's own funds"),
    ("other", "其他资金", "Other funds"),
];

impl Catalog {
    /// The starter catalog, grounded in the source report. Codes are stable once shipped.
    pub fn starter() -> Self {
        use MetricKind::{Count, FloorArea, LandArea, Money, Percent};
        use Temporal::{Flow, Stock};
        let rows: &[(&str, &str, &str, MetricKind, Temporal, bool)] = &[
            (
                "budget.initial",
                "年初预算数",
                "Initial budget",
                Money,
                Stock,
                true,
            ),
            (
                "budget.adjusted",
                "全年预算数",
                "Adjusted full-year budget",
                Money,
                Stock,
                true,
            ),
            (
                "budget.executed",
                "执行数",
                "Executed expenditure",
                Money,
                Flow,
                true,
            ),
            ("budget.income", "收入", "Income", Money, Flow, true),
            (
                "budget.executed_projected",
                "全年预计执行数",
                "Expenditure projected for the year (monitoring)",
                Money,
                Stock,
                true,
            ),
            (
                "budget.prior_year_final",
                "上年决算数",
                "Prior-year final accounts",
                Money,
                Stock,
                true,
            ),
            (
                "budget.execution_rate_reported",
                "报告的预算执行率",
                "Reported budget execution rate",
                Percent,
                Stock,
                false,
            ),
            (
                "evaluation.total_reported",
                "报告的自评总分",
                "Reported self-evaluation total (points of 100)",
                Percent,
                Stock,
                false,
            ),
            (
                "procurement.contracts",
                "政府采购合同数",
                "Procurement contracts",
                Count,
                Flow,
                true,
            ),
            (
                "procurement.contracts_filed_late",
                "未按时备案的采购合同数",
                "Procurement contracts filed late",
                Count,
                Flow,
                true,
            ),
            (
                "procurement.sme_field_missing",
                "未填写面向中小企业采购金额",
                "SME procurement field missing",
                Count,
                Flow,
                true,
            ),
            (
                "land.approval.submitted.parcels",
                "用地报批上报宗数",
                "Land approval submissions (parcels)",
                Count,
                Flow,
                true,
            ),
            (
                "land.approval.submitted.area",
                "用地报批上报面积",
                "Land approval submissions (area)",
                LandArea,
                Flow,
                true,
            ),
            (
                "land.approval.granted.parcels",
                "用地批复宗数",
                "Land approvals granted (parcels)",
                Count,
                Flow,
                true,
            ),
            (
                "land.approval.granted.area",
                "用地批复面积",
                "Land approvals granted (area)",
                LandArea,
                Flow,
                true,
            ),
            (
                "land.transfer.parcels",
                "出让宗数",
                "Land transferred (parcels)",
                Count,
                Flow,
                true,
            ),
            (
                "land.transfer.area",
                "出让面积",
                "Land transferred (area)",
                LandArea,
                Flow,
                true,
            ),
            (
                "land.transfer.floor_area",
                "出让建筑面积",
                "Land transferred (floor area)",
                FloorArea,
                Flow,
                true,
            ),
            (
                "land.transfer.revenue",
                "土地出让金",
                "Land transfer revenue",
                Money,
                Flow,
                true,
            ),
            (
                "land.supply.parcels",
                "供应宗数",
                "Land supplied (parcels)",
                Count,
                Flow,
                true,
            ),
            (
                "land.supply.area",
                "供应面积",
                "Land supplied (area)",
                LandArea,
                Flow,
                true,
            ),
            (
                "land.supervision.due",
                "到期应巡查宗数",
                "Parcels due for inspection",
                Count,
                Flow,
                true,
            ),
            (
                "land.supervision.inspected",
                "巡查宗数",
                "Parcels inspected",
                Count,
                Flow,
                true,
            ),
            (
                "land.supervision.reminders",
                "催告函",
                "Reminder letters issued",
                Count,
                Flow,
                true,
            ),
            (
                "land.certificate.extensions",
                "批准书延期",
                "Approval certificate extensions",
                Count,
                Flow,
                true,
            ),
            (
                "land.idle.disposal_target",
                "闲置土地处置任务",
                "Idle land disposal target",
                LandArea,
                Flow,
                true,
            ),
            (
                "land.idle.disposed",
                "闲置土地处置",
                "Idle land disposed",
                LandArea,
                Flow,
                true,
            ),
            (
                "evaluation.budget_score_reported",
                "报告的预算执行得分",
                "Reported budget execution score (points)",
                Percent,
                Stock,
                false,
            ),
            // 部门整体 inputs of computed rows (TABLES.md §4; R04, R08, R14).
            (
                "staff.actual",
                "实有在职人数",
                "Staff on the payroll",
                Count,
                Stock,
                true,
            ),
            (
                "staff.approved",
                "核定编制人数",
                "Approved staff establishment",
                Count,
                Stock,
                true,
            ),
            (
                "budget.three_public",
                "“三公”经费支出",
                "Spending on official travel abroad, vehicles and receptions (三公经费)",
                Money,
                Flow,
                true,
            ),
            (
                "budget.three_public_budget",
                "“三公”经费预算数",
                "Budget for 三公经费",
                Money,
                Stock,
                true,
            ),
            (
                "budget.three_public_prior_year",
                "上年“三公”经费支出",
                "Prior-year spending on 三公经费",
                Money,
                Stock,
                true,
            ),
            (
                "budget.key_spending",
                "重点支出安排数",
                "Budget arranged for key expenditure",
                Money,
                Stock,
                true,
            ),
            (
                "budget.carryover_balance",
                "结转结余",
                "Carry-over and balance at year end",
                Money,
                Stock,
                true,
            ),
            (
                "work.attainment",
                "重点工作完成度",
                "Key work attainment",
                Percent,
                Stock,
                false,
            ),
            (
                "satisfaction.rate",
                "满意度",
                "Satisfaction rate",
                Percent,
                Stock,
                false,
            ),
        ];
        let mut metrics: BTreeMap<String, MetricDef> = rows
            .iter()
            .map(|&(code, name_zh, name_en, kind, temporal, additive)| {
                (
                    code.to_owned(),
                    MetricDef {
                        code: code.to_owned(),
                        name_zh: name_zh.to_owned(),
                        name_en: name_en.to_owned(),
                        kind,
                        temporal,
                        additive,
                    },
                )
            })
            .collect();
        // The fund-source lines of a 自评表's budget block (TABLES.md §1), one metric per line
        // and column: `budget.adjusted.current_appropriation` is the 本年财政拨款 line's 全年预算数.
        for (column, column_zh, column_en, temporal) in [
            ("initial", "年初预算数", "initial budget", Stock),
            ("adjusted", "全年预算数", "full-year budget", Stock),
            ("executed", "执行数", "executed", Flow),
        ] {
            for (line, line_zh, line_en) in FUND_LINES {
                let code = format!("budget.{column}.{line}");
                metrics.insert(
                    code.clone(),
                    MetricDef {
                        code,
                        name_zh: format!("{line_zh}{column_zh}"),
                        name_en: format!("{line_en}: {column_en}"),
                        kind: Money,
                        temporal,
                        additive: true,
                    },
                );
            }
        }
        Self { metrics }
    }

    /// Adds configured metrics. A configured metric may not redefine a shipped code, and a
    /// percent metric may not be additive.
    pub fn with_extra(mut self, extra: Vec<MetricDef>) -> Result<Self, String> {
        for metric in extra {
            crate::department::validate_code(&metric.code)
                .map_err(|reason| format!("metric code {:?} {reason}", metric.code))?;
            if metric.kind == MetricKind::Percent && metric.additive {
                return Err(format!(
                    "metric {:?}: percent metrics are never additive",
                    metric.code
                ));
            }
            if self.metrics.contains_key(&metric.code) {
                return Err(format!("metric {:?} is defined twice", metric.code));
            }
            self.metrics.insert(metric.code.clone(), metric);
        }
        Ok(self)
    }

    /// The metric with this code.
    pub fn get(&self, code: &str) -> Option<&MetricDef> {
        self.metrics.get(code)
    }

    /// Every metric, ordered by code.
    pub fn iter(&self) -> impl Iterator<Item = &MetricDef> {
        self.metrics.values()
    }

    /// How many metrics there are.
    pub fn len(&self) -> usize {
        self.metrics.len()
    }

    /// Whether the catalog is empty (it never is once built from the starter).
    pub fn is_empty(&self) -> bool {
        self.metrics.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_starter_catalog_follows_the_rules_of_kinds() {
        let catalog = Catalog::starter();
        assert!(catalog.len() >= 25);
        for metric in catalog.iter() {
            if metric.kind == MetricKind::Percent {
                assert!(!metric.additive, "{} is a percent", metric.code);
            }
            if matches!(metric.kind, MetricKind::Money | MetricKind::Count) {
                assert!(metric.additive, "{} is money or a count", metric.code);
            }
            if metric.code.starts_with("land.") {
                assert_eq!(metric.temporal, Temporal::Flow, "{}", metric.code);
            }
        }
        let executed = catalog.get("budget.executed").unwrap();
        assert!(executed.allows_negative());
        assert!(!catalog.get("budget.adjusted").unwrap().allows_negative());
        assert!(!catalog.get("land.transfer.area").unwrap().allows_negative());
    }

    #[test]
    fn configured_metrics_extend_but_never_redefine() {
        let extra = MetricDef {
            code: "land.reserve.area".into(),
            name_zh: "土地储备面积".into(),
            name_en: "Land reserve area".into(),
            kind: MetricKind::LandArea,
            temporal: Temporal::Stock,
            additive: true,
        };
        let catalog = Catalog::starter().with_extra(vec![extra.clone()]).unwrap();
        assert!(catalog.get("land.reserve.area").is_some());
        let redefined = MetricDef {
            code: "budget.executed".into(),
            ..extra.clone()
        };
        assert!(Catalog::starter().with_extra(vec![redefined]).is_err());
        let additive_percent = MetricDef {
            code: "x.rate".into(),
            kind: MetricKind::Percent,
            ..extra
        };
        assert!(
            Catalog::starter()
                .with_extra(vec![additive_percent])
                .is_err()
        );
    }
}
