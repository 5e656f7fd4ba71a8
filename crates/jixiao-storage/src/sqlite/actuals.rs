//! ReportActuals: the actuals of self-reported target rows, with revisions, and their part of
//! an export.

use std::collections::{BTreeSet, HashSet};

use jixiao_domain::{Period, Violation};
use sqlx::{Row, SqliteConnection};

use super::{
    Exporter, MAX_ANSWER_BYTES, approximate_size, format_time, now, read_sequence, remember,
    replay, target_set_from_row, write_sequence,
};
use crate::model::{ActualRecord, ActualsOutcome, Idempotency, NewActual};
use crate::{StoreError, StoreResult};

/// Stores `actuals` in the transaction `tx` (see [`crate::IngestStore::report_actuals`]).
pub(super) async fn report(
    tx: &mut SqliteConnection,
    actuals: Vec<NewActual>,
    pushed_by: &str,
    idempotency: Option<&Idempotency>,
) -> StoreResult<ActualsOutcome> {
    if let Some(idempotency) = idempotency
        && let Some(answer) = replay(&mut *tx, idempotency).await?
    {
        return Ok(answer);
    }
    let mut violations = Vec::new();
    let mut read = Vec::with_capacity(actuals.len());
    let mut seen = HashSet::new();
    for (index, actual) in actuals.iter().enumerate() {
        let field = |name: &str| format!("actuals[{index}].{name}");
        if !seen.insert((
            actual.department_code.as_str(),
            actual.project_code.as_str(),
            actual.indicator_code.as_str(),
            actual.period,
        )) {
            violations.push(Violation::new(
                field("indicator_code"),
                format!(
                    "the actual of {} for {} appears twice in the request",
                    actual.indicator_code, actual.period
                ),
            ));
            continue;
        }
        let year = actual.period.year_number();
        let target_set = sqlx::query(
            "SELECT department_code, project_code, year, revision, targets, set_at, framework, \
                overall_target, overall_result \
             FROM target_sets WHERE department_code = ? AND project_code = ? AND year = ? \
             ORDER BY revision DESC LIMIT 1",
        )
        .bind(&actual.department_code)
        .bind(&actual.project_code)
        .bind(year)
        .fetch_optional(&mut *tx)
        .await?
        .map(|row| target_set_from_row(&row))
        .transpose()?;
        let Some(target_set) = target_set else {
            let subject = if actual.project_code.is_empty() {
                format!("{:?}", actual.department_code)
            } else {
                format!(
                    "project {:?} of {:?}",
                    actual.project_code, actual.department_code
                )
            };
            violations.push(Violation::new(
                field("department_code"),
                format!("{subject} has no target set for {year}: set its targets first"),
            ));
            continue;
        };
        let Some(row) = target_set
            .targets
            .iter()
            .find(|row| row.indicator_code == actual.indicator_code)
        else {
            violations.push(Violation::new(
                field("indicator_code"),
                format!(
                    "{:?} is not a row of the target set of {} for {year}",
                    actual.indicator_code, actual.department_code
                ),
            ));
            continue;
        };
        if !row.is_self_reported() {
            violations.push(Violation::new(
                field("indicator_code"),
                format!(
                    "{} is bound to the metric {}: push its figures with PushMetrics",
                    row.indicator_code, row.metric_code
                ),
            ));
            continue;
        }
        // Never refused for its words (TABLES.md §0): what cannot be judged says why.
        let (_, read_as) = jixiao_domain::target::read_row_actual(&actual.actual_text, row);
        read.push((actual, read_as));
    }
    if !violations.is_empty() {
        return Err(StoreError::Invalid(violations));
    }
    let at = now();
    let mut sequence = read_sequence(&mut *tx).await?;
    let mut outcome = ActualsOutcome {
        stored: 0,
        revised: 0,
        unchanged: 0,
        watermark: sequence,
        actuals: Vec::with_capacity(read.len()),
    };
    for (actual, read_as) in read {
        let year = actual.period.year_number();
        let period = actual.period.to_string();
        let current = sqlx::query(
            "SELECT revision, actual_text, note, projected_text, likelihood, read_as, sequence, \
               pushed_by FROM row_actuals \
             WHERE year = ? AND department_code = ? AND project_code = ? AND indicator_code = ? \
             AND period = ? ORDER BY revision DESC LIMIT 1",
        )
        .bind(year)
        .bind(&actual.department_code)
        .bind(&actual.project_code)
        .bind(&actual.indicator_code)
        .bind(&period)
        .fetch_optional(&mut *tx)
        .await?;
        let record =
            |revision: i64, sequence: i64, read_as: String, pushed_by: String| ActualRecord {
                department_code: actual.department_code.clone(),
                project_code: actual.project_code.clone(),
                indicator_code: actual.indicator_code.clone(),
                period: period.clone(),
                actual_text: actual.actual_text.clone(),
                note: actual.note.clone(),
                projected_text: actual.projected_text.clone(),
                likelihood: actual.likelihood.clone(),
                read_as,
                revision,
                sequence,
                pushed_by,
            };
        match current {
            Some(row)
                if row.get::<String, _>("actual_text") == actual.actual_text
                    && row.get::<String, _>("note") == actual.note
                    && row.get::<String, _>("projected_text") == actual.projected_text
                    && row.get::<String, _>("likelihood") == actual.likelihood =>
            {
                outcome.unchanged += 1;
                outcome.actuals.push(record(
                    row.get("revision"),
                    row.get("sequence"),
                    row.get("read_as"),
                    row.get("pushed_by"),
                ));
            }
            current => {
                let revision = current
                    .as_ref()
                    .map_or(1, |row| row.get::<i64, _>("revision") + 1);
                if revision == 1 {
                    outcome.stored += 1;
                } else {
                    outcome.revised += 1;
                }
                sequence += 1;
                sqlx::query(
                    "INSERT INTO row_actuals (year, department_code, project_code, \
                       indicator_code, period, revision, actual_text, note, read_as, sequence, \
                       received_at, request_id, pushed_by, projected_text, likelihood) \
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                )
                .bind(year)
                .bind(&actual.department_code)
                .bind(&actual.project_code)
                .bind(&actual.indicator_code)
                .bind(&period)
                .bind(revision)
                .bind(&actual.actual_text)
                .bind(&actual.note)
                .bind(&read_as)
                .bind(sequence)
                .bind(format_time(&at))
                .bind(idempotency.map(|idempotency| &idempotency.request_id))
                .bind(pushed_by)
                .bind(&actual.projected_text)
                .bind(&actual.likelihood)
                .execute(&mut *tx)
                .await?;
                outcome
                    .actuals
                    .push(record(revision, sequence, read_as, pushed_by.to_owned()));
            }
        }
    }
    write_sequence(&mut *tx, sequence).await?;
    outcome.watermark = sequence;
    if let Some(idempotency) = idempotency {
        remember(&mut *tx, idempotency, &outcome, &at).await?;
    }
    Ok(outcome)
}

/// Sends the current actuals of `year` of the departments whose target sets were sent, in
/// batches; `Ok(false)` when the reader is gone.
pub(super) async fn export(
    tx: &mut SqliteConnection,
    year: i32,
    with_target_sets: &BTreeSet<(String, String)>,
    sender: &Exporter<'_>,
) -> StoreResult<bool> {
    const BATCH: usize = 1000;
    let rows = sqlx::query(
        "SELECT a.department_code, a.project_code, a.indicator_code, a.period, a.revision, \
           a.actual_text, a.note, a.projected_text, a.likelihood, a.read_as, a.sequence, \
           a.pushed_by FROM row_actuals a \
         WHERE a.year = ? AND a.revision = (SELECT MAX(revision) FROM row_actuals b \
           WHERE b.year = a.year AND b.department_code = a.department_code \
           AND b.project_code = a.project_code AND b.indicator_code = a.indicator_code \
           AND b.period = a.period) \
         ORDER BY a.department_code, a.project_code, a.indicator_code, a.period",
    )
    .bind(year)
    .fetch_all(&mut *tx)
    .await?;
    let mut batch = Vec::new();
    let mut bytes = 0;
    for row in rows {
        let department_code: String = row.get("department_code");
        let project_code: String = row.get("project_code");
        if !with_target_sets.contains(&(department_code.clone(), project_code.clone())) {
            continue;
        }
        let period: String = row.get("period");
        period
            .parse::<Period>()
            .map_err(|error| StoreError::Corrupt(format!("actual period {period:?}: {error}")))?;
        let record = ActualRecord {
            department_code,
            project_code,
            indicator_code: row.get("indicator_code"),
            period,
            actual_text: row.get("actual_text"),
            note: row.get("note"),
            projected_text: row.get("projected_text"),
            likelihood: row.get("likelihood"),
            read_as: row.get("read_as"),
            revision: row.get("revision"),
            sequence: row.get("sequence"),
            pushed_by: row.get("pushed_by"),
        };
        let size = approximate_size(&[
            &record.department_code,
            &record.project_code,
            &record.indicator_code,
            &record.period,
            &record.actual_text,
            &record.note,
            &record.projected_text,
            &record.likelihood,
            &record.read_as,
            &record.pushed_by,
        ]);
        // Bounded by bytes as well as by count, like the points (MAX_ANSWER_BYTES).
        if !batch.is_empty() && bytes + size > MAX_ANSWER_BYTES {
            bytes = 0;
            if !sender
                .send(crate::ExportItem::Actuals(std::mem::take(&mut batch)))
                .await?
            {
                return Ok(false);
            }
        }
        bytes += size;
        batch.push(record);
        if batch.len() == BATCH {
            bytes = 0;
            if !sender
                .send(crate::ExportItem::Actuals(std::mem::take(&mut batch)))
                .await?
            {
                return Ok(false);
            }
        }
    }
    if !batch.is_empty() {
        return sender.send(crate::ExportItem::Actuals(batch)).await;
    }
    Ok(true)
}
