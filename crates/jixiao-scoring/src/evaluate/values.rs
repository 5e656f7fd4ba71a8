//! Windows and values: which points count for the window, sources reconciled, and each
//! metric's department-wide value as of the window (`SCORING.md` §2); the input digest.

use jixiao_domain::{Grain, Period, Temporal};
use rust_decimal::Decimal;
use sha2::Digest;

use super::{Context, Figure, FlagCode, Value, figure, show};
use crate::arith;
use crate::inputs::{Point, TargetRow};

impl<'a> Context<'a> {
    pub(super) fn digest_line(&mut self, line: String) {
        self.digest.update(line.as_bytes());
        self.digest.update(b"\n");
    }

    pub(super) fn digest_header(&mut self, department_code: &str) {
        self.digest_line(format!("as_of {} department {department_code}", self.as_of));
        let scope = self.scope.clone();
        for code in scope {
            if let Some(department) = self.inputs.department(code) {
                let line = format!(
                    "scope {} {} {}",
                    department.code,
                    department.parent_code.as_deref().unwrap_or("-"),
                    department.name
                );
                self.digest_line(line);
            }
        }
    }

    pub(super) fn digest_targets(&mut self, revision: i64, rows: &[TargetRow]) {
        self.digest_line(format!("targets {revision}"));
        for row in rows {
            let line = format!(
                "target {} {} {} {} {} {} {} {} {}",
                row.indicator_code,
                row.level1.code(),
                row.level2,
                row.metric_code,
                row.comparator,
                show(row.target),
                row.unit,
                show(row.weight),
                row.name
            );
            self.digest_line(line);
        }
    }

    /// Keeps the points that count (the year's, without a project, starting inside the window)
    /// and reconciles sources: for each (department, metric, period) the highest priority wins,
    /// then the one received last; differing values raise `source_conflict`.
    pub(super) fn resolve_sources(&mut self) {
        let inputs = self.inputs;
        let scope = self.scope.clone();
        for code in scope {
            let points = inputs.points(code);
            let mut index = 0;
            while index < points.len() {
                // Points are ordered by metric, period, project, source: a group is a run.
                let first = &points[index];
                let mut end = index + 1;
                while end < points.len()
                    && points[end].metric_code == first.metric_code
                    && points[end].period == first.period
                    && points[end].project_code == first.project_code
                {
                    end += 1;
                }
                let group = &points[index..end];
                index = end;
                let subject_point = match self.project {
                    Some(project) => &*first.project_code == project,
                    None => first.project_code.is_empty(),
                };
                if !subject_point || !self.counts_in_window(first) {
                    continue;
                }
                for point in group {
                    let line = format!(
                        "point {} {} {} {} {} {} {}",
                        point.department_code,
                        point.metric_code,
                        point.period,
                        point.source,
                        show(point.value),
                        point.sequence,
                        point.note
                    );
                    self.digest_line(line);
                }
                let framework = self.framework;
                let winner = group
                    .iter()
                    .max_by_key(|point| (framework.priority(&point.source), point.sequence))
                    .expect("a group has a point");
                if group.iter().any(|point| point.value != winner.value) {
                    let mut figures: Vec<(&str, String)> = group
                        .iter()
                        .map(|point| (&*point.source, show(point.value)))
                        .collect();
                    figures.push(("department", code.to_owned()));
                    figures.push(("period", first.period.to_string()));
                    figures.push(("counted", winner.source.to_string()));
                    // Say which rule decided: a higher priority than every other source that
                    // reported another value, or, among sources of equal priority, arrival.
                    let priority = framework.priority(&winner.source);
                    let outranked = group
                        .iter()
                        .filter(|point| point.value != winner.value)
                        .all(|point| framework.priority(&point.source) < priority);
                    let rule = if outranked {
                        "the highest priority among them"
                    } else {
                        "received last among sources of equal priority"
                    };
                    let message = format!(
                        "{} of {code} for {}: sources report different values; {} counts (priority {priority}, {rule})",
                        first.metric_code, first.period, winner.source,
                    );
                    self.flag(
                        FlagCode::SourceConflict,
                        &first.metric_code,
                        message,
                        figures,
                    );
                }
                self.figures
                    .entry((code, &*first.metric_code))
                    .or_default()
                    .push(Figure {
                        period: first.period,
                        value: winner.value,
                        point: winner,
                    });
            }
        }
    }

    /// Whether a point can count in the window: the year's; for a flow, a month or quarter
    /// inside the window, or the year point in the whole-year window; for a stock, a period
    /// starting inside the window.
    pub(super) fn counts_in_window(&self, point: &Point) -> bool {
        let period = point.period;
        if period.year_number() != self.as_of.year_number() {
            return false;
        }
        match self
            .inputs
            .metric(&point.metric_code)
            .map(|info| info.temporal)
        {
            Some(Temporal::Flow) => {
                period.end_month() <= self.window_end
                    && (period.grain() != Grain::Year || self.whole_year)
            }
            Some(Temporal::Stock) | None => period.start_month() <= self.window_end,
        }
    }

    /// A metric's value for one department alone, as of the window.
    pub(super) fn own_value(
        &mut self,
        code: &'a str,
        metric: &'a str,
        temporal: Temporal,
    ) -> Option<Value> {
        let figures = self.figures.get(&(code, metric))?.clone();
        match temporal {
            Temporal::Stock => figures
                .iter()
                .max_by_key(|figure| {
                    (
                        figure.period.start_month(),
                        std::cmp::Reverse(figure.period.grain()),
                    )
                })
                .map(|figure| Value {
                    amount: figure.value,
                    noted: !figure.point.note.is_empty(),
                }),
            Temporal::Flow => {
                let mut window: Option<Value> = None;
                let add = |total: &mut Option<Value>, value: Value| {
                    let sum = total.get_or_insert(Value {
                        amount: Decimal::ZERO,
                        noted: false,
                    });
                    sum.amount = arith::add(sum.amount, value.amount);
                    sum.noted |= value.noted;
                };
                for quarter in 1..=(self.window_end / 3) {
                    let quarter_figure = figures
                        .iter()
                        .find(|figure| figure.period.quarter_number() == Some(quarter));
                    let months: Vec<&Figure<'_>> = figures
                        .iter()
                        .filter(|figure| {
                            figure.period.grain() == Grain::Month
                                && figure.period.containing_quarter() == Some(quarter)
                        })
                        .collect();
                    let month_sum = (!months.is_empty()).then(|| Value {
                        amount: arith::sum(months.iter().map(|figure| figure.value)),
                        noted: months.iter().any(|figure| !figure.point.note.is_empty()),
                    });
                    let quarter_value = match (quarter_figure, month_sum) {
                        (Some(figure), month_sum) => {
                            if let Some(month_sum) = month_sum
                                && month_sum.amount != figure.value
                            {
                                self.mismatch(
                                    code,
                                    metric,
                                    figure.period,
                                    figure.value,
                                    month_sum.amount,
                                    "months",
                                );
                            }
                            Some(Value {
                                amount: figure.value,
                                noted: !figure.point.note.is_empty(),
                            })
                        }
                        (None, month_sum) => month_sum,
                    };
                    if let Some(value) = quarter_value {
                        add(&mut window, value);
                    }
                }
                if self.whole_year
                    && let Some(year) = figures
                        .iter()
                        .find(|figure| figure.period.grain() == Grain::Year)
                {
                    if let Some(sum) = window
                        && sum.amount != year.value
                    {
                        self.mismatch(
                            code,
                            metric,
                            year.period,
                            year.value,
                            sum.amount,
                            "quarters and months",
                        );
                    }
                    return Some(Value {
                        amount: year.value,
                        noted: !year.point.note.is_empty(),
                    });
                }
                window
            }
        }
    }

    pub(super) fn mismatch(
        &mut self,
        code: &str,
        metric: &str,
        period: Period,
        coarse: Decimal,
        sum: Decimal,
        finer: &str,
    ) {
        let unit = self
            .inputs
            .metric(metric)
            .map(|info| info.unit.clone())
            .unwrap_or_default();
        let message = format!(
            "{metric} of {code}: the {period} figure {} differs from the sum of its {finer}, {}; the {period} figure counts",
            figure(coarse, &unit),
            figure(sum, &unit)
        );
        self.flag(
            FlagCode::SubperiodSumMismatch,
            metric,
            message,
            vec![
                ("department", code.to_owned()),
                ("period", period.to_string()),
                ("coarse_value", show(coarse)),
                ("finer_sum", show(sum)),
            ],
        );
    }

    /// A metric's department-wide value as of the window: summed over the scope when additive,
    /// the department's own otherwise. `None` when no point counts.
    pub(super) fn value(&mut self, metric: &'a str) -> Option<Value> {
        if let Some(value) = self.values.get(metric) {
            return *value;
        }
        let value = self.compute_value(metric);
        self.values.insert(metric, value);
        value
    }

    pub(super) fn compute_value(&mut self, metric: &'a str) -> Option<Value> {
        let info = self.inputs.metric(metric)?;
        let scope = self.scope.clone();
        if !info.additive {
            return self.own_value(scope[0], metric, info.temporal);
        }
        let mut total: Option<Value> = None;
        for code in scope {
            if let Some(value) = self.own_value(code, metric, info.temporal) {
                let sum = total.get_or_insert(Value {
                    amount: Decimal::ZERO,
                    noted: false,
                });
                sum.amount = arith::add(sum.amount, value.amount);
                sum.noted |= value.noted;
            }
        }
        total
    }
}
