//! ExportInputs: a year's inputs from one read transaction, streamed to a reader that is cut
//! off when it stalls or reads too long.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::time::Duration;

use futures::StreamExt;
use jixiao_domain::Violation;
use sqlx::SqlitePool;
use tokio::sync::mpsc;

use super::departments::department_from_row;
use super::requests::read_sequence;
use super::targets::target_set_from_row;
use super::{EXPORT_BATCH, MAX_ANSWER_BYTES, actuals, approximate_size, projects};
use crate::model::{DepartmentRecord, ExportItem, ExportPoint};
use crate::{StoreError, StoreResult};

/// Reads the export inside one read transaction, so that every item comes from the same view
/// of the database, and sends the items as they are read. Stops early when the receiver is gone.
pub(super) async fn export_view(
    readers: &SqlitePool,
    year: i32,
    department_codes: Vec<String>,
    sender: &Exporter<'_>,
) -> StoreResult<()> {
    let mut tx = readers.begin().await?;
    // The first read fixes the transaction's view of the WAL.
    let watermark = read_sequence(&mut tx).await?;

    let rows =
        sqlx::query("SELECT code, name, parent_code, updated_at FROM departments ORDER BY code")
            .fetch_all(&mut *tx)
            .await?;
    let departments = rows
        .iter()
        .map(department_from_row)
        .collect::<StoreResult<Vec<_>>>()?;
    let mut unknown = Vec::new();
    let in_scope = scope(&departments, &department_codes, &mut unknown);
    if !unknown.is_empty() {
        return Err(StoreError::Invalid(
            unknown
                .into_iter()
                .map(|code| {
                    Violation::new("department_codes", format!("unknown department {code:?}"))
                })
                .collect(),
        ));
    }
    let mut counts = (0i64, 0i64, 0i64);
    for department in &in_scope {
        counts.0 += 1;
        if !sender
            .send(ExportItem::Department((*department).clone()))
            .await?
        {
            return Ok(());
        }
    }
    let wanted: BTreeSet<&str> = in_scope
        .iter()
        .map(|department| department.code.as_str())
        .collect();

    let rows = sqlx::query(
        "SELECT t.department_code, t.project_code, t.year, t.revision, t.targets, t.set_at, \
                t.framework, t.overall_target, t.overall_result \
         FROM target_sets t \
         WHERE t.year = ? AND t.revision = (SELECT MAX(revision) FROM target_sets u \
           WHERE u.department_code = t.department_code AND u.project_code = t.project_code \
           AND u.year = t.year) \
         ORDER BY t.department_code, t.project_code",
    )
    .bind(year)
    .fetch_all(&mut *tx)
    .await?;
    if !projects::export(&mut tx, &wanted, sender).await? {
        return Ok(());
    }
    let mut with_target_sets = BTreeSet::new();
    for row in &rows {
        let target_set = target_set_from_row(row)?;
        if !wanted.contains(target_set.department_code.as_str()) {
            continue;
        }
        counts.1 += 1;
        with_target_sets.insert((
            target_set.department_code.clone(),
            target_set.project_code.clone(),
        ));
        if !sender.send(ExportItem::TargetSet(target_set)).await? {
            return Ok(());
        }
    }
    if !actuals::export(&mut tx, year, &with_target_sets, sender).await? {
        return Ok(());
    }

    let mut batch = Vec::with_capacity(EXPORT_BATCH);
    let mut batch_bytes = 0;
    {
        // One row per department, its points packed into one text value: sqlx's SQLite driver
        // pays about a microsecond per column value and more per row, so a year of a million
        // points crosses it as a few thousand rows. Fields are joined by the unit separator and
        // points by the record separator; codes, sources and notes never hold either, since
        // validation refuses control characters.
        let mut rows = sqlx::query_as::<_, (String, String)>(
            "SELECT department_code, group_concat( \
               metric_code || char(31) || period || char(31) || project_code || char(31) || \
               source || char(31) || value || char(31) || revision || char(31) || \
               sequence || char(31) || note, \
               char(30) ORDER BY metric_code, period, project_code, source) \
             FROM current_points WHERE year = ? \
             GROUP BY department_code ORDER BY department_code",
        )
        .bind(year)
        .fetch(&mut *tx);
        while let Some(row) = rows.next().await {
            let (department_code, packed) = row?;
            if !wanted.contains(department_code.as_str()) {
                continue;
            }
            for point in packed.split('\u{1e}') {
                let point = unpack_point(&department_code, point)?;
                let size = approximate_size(&[
                    &point.department_code,
                    &point.metric_code,
                    &point.period,
                    &point.project_code,
                    &point.source,
                    &point.value,
                    &point.note,
                ]);
                if !batch.is_empty() && batch_bytes + size > MAX_ANSWER_BYTES {
                    counts.2 += batch.len() as i64;
                    let full = std::mem::replace(&mut batch, Vec::with_capacity(EXPORT_BATCH));
                    batch_bytes = 0;
                    if !sender.send(ExportItem::Points(full)).await? {
                        return Ok(());
                    }
                }
                batch_bytes += size;
                batch.push(point);
                if batch.len() == EXPORT_BATCH {
                    counts.2 += batch.len() as i64;
                    let full = std::mem::replace(&mut batch, Vec::with_capacity(EXPORT_BATCH));
                    batch_bytes = 0;
                    if !sender.send(ExportItem::Points(full)).await? {
                        return Ok(());
                    }
                }
            }
        }
    }
    if !batch.is_empty() {
        counts.2 += batch.len() as i64;
        if !sender.send(ExportItem::Points(batch)).await? {
            return Ok(());
        }
    }
    tx.rollback().await?;
    sender
        .send(ExportItem::End {
            watermark,
            departments: counts.0,
            target_sets: counts.1,
            points: counts.2,
        })
        .await?;
    Ok(())
}

/// Where an export's items go, how long the reader may leave one untaken, and until when the
/// export may read at all.
pub(super) struct Exporter<'a> {
    pub(super) sender: &'a mpsc::Sender<StoreResult<ExportItem>>,
    pub(super) stall: Duration,
    pub(super) deadline: tokio::time::Instant,
    pub(super) max: Duration,
}

impl Exporter<'_> {
    /// Sends `item`: `Ok(false)` when the reader is gone; [`StoreError::ExportStalled`] when it
    /// took nothing for the stall bound, [`StoreError::ExportTooLong`] when the export reached
    /// its deadline (the caller then ends its read transaction).
    pub(super) async fn send(&self, item: ExportItem) -> StoreResult<bool> {
        let now = tokio::time::Instant::now();
        let too_long = || StoreError::ExportTooLong {
            seconds: self.max.as_secs(),
        };
        if now >= self.deadline {
            return Err(too_long());
        }
        let wait = self.stall.min(self.deadline - now);
        match tokio::time::timeout(wait, self.sender.send(Ok(item))).await {
            Ok(Ok(())) => Ok(true),
            Ok(Err(_)) => Ok(false),
            Err(_) if wait < self.stall => Err(too_long()),
            Err(_) => Err(StoreError::ExportStalled {
                seconds: self.stall.as_secs(),
            }),
        }
    }
}

/// A point of `department_code` packed by the export's query: its fields joined by the unit
/// separator, the note last.
pub(super) fn unpack_point(department_code: &str, packed: &str) -> StoreResult<ExportPoint> {
    let corrupt = || StoreError::Corrupt(format!("packed point {packed:?} of {department_code}"));
    let mut fields = packed.splitn(8, '\u{1f}');
    let mut next = || fields.next().ok_or_else(corrupt);
    Ok(ExportPoint {
        department_code: department_code.to_owned(),
        metric_code: next()?.to_owned(),
        period: next()?.to_owned(),
        project_code: next()?.to_owned(),
        source: next()?.to_owned(),
        value: next()?.to_owned(),
        revision: next()?.parse().map_err(|_| corrupt())?,
        sequence: next()?.parse().map_err(|_| corrupt())?,
        note: next()?.to_owned(),
    })
}

/// The departments in scope, parents before children: all of them when `roots` is empty,
/// else the roots and all their descendants. Unknown roots are reported in `unknown`.
pub(super) fn scope<'a>(
    departments: &'a [DepartmentRecord],
    roots: &[String],
    unknown: &mut Vec<String>,
) -> Vec<&'a DepartmentRecord> {
    let mut children: HashMap<Option<&str>, Vec<&DepartmentRecord>> = HashMap::new();
    for department in departments {
        children
            .entry(department.parent_code.as_deref())
            .or_default()
            .push(department);
    }
    let by_code: HashMap<&str, &DepartmentRecord> = departments
        .iter()
        .map(|department| (department.code.as_str(), department))
        .collect();
    let mut queue: VecDeque<&DepartmentRecord> = VecDeque::new();
    if roots.is_empty() {
        queue.extend(children.get(&None).into_iter().flatten());
    } else {
        let mut seen = BTreeSet::new();
        for root in roots {
            match by_code.get(root.as_str()) {
                Some(department) if seen.insert(root.as_str()) => queue.push_back(department),
                Some(_) => {}
                None => unknown.push(root.clone()),
            }
        }
    }
    // Breadth first from the roots: every parent is sent before its children.
    let mut ordered = Vec::new();
    let mut visited = BTreeSet::new();
    while let Some(department) = queue.pop_front() {
        if !visited.insert(department.code.as_str()) {
            continue;
        }
        ordered.push(department);
        if let Some(children) = children.get(&Some(department.code.as_str())) {
            queue.extend(children.iter().copied());
        }
    }
    ordered
}
