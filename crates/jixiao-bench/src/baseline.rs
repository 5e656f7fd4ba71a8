//! Baselines measured in the same run: the raw limits of SQLite through rusqlite, with the same
//! schema (the ingestion service's migrations) and the same durability (WAL, synchronous=FULL).

use std::path::Path;
use std::time::Instant;

use rusqlite::{Connection, params};

const SCHEMA: [&str; 2] = [
    include_str!("../../jixiao-storage/migrations/0001_ingest.sql"),
    include_str!("../../jixiao-storage/migrations/0002_pushed_by.sql"),
];

const INSERT_CURRENT: &str = "INSERT INTO current_points (year, department_code, metric_code, period, \
    project_code, source, value, value_as_sent, unit_as_sent, note, revision, sequence, received_at, \
    request_id, pushed_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 1, ?11, ?12, NULL, '')";
const INSERT_REVISION: &str = "INSERT INTO point_revisions (year, department_code, metric_code, period, \
    project_code, source, revision, value, value_as_sent, unit_as_sent, note, sequence, received_at, \
    request_id, pushed_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1, ?7, ?8, ?9, ?10, ?11, ?12, NULL, '')";

fn fresh_database() -> anyhow::Result<(tempfile::TempDir, Connection)> {
    let dir = tempfile::tempdir()?;
    let connection = Connection::open(dir.path().join("baseline.sqlite"))?;
    connection.pragma_update(None, "journal_mode", "WAL")?;
    connection.pragma_update(None, "synchronous", "FULL")?;
    for migration in SCHEMA {
        connection.execute_batch(migration)?;
    }
    Ok((dir, connection))
}

/// Inserts one point's two rows (current value and revision), as the service does.
fn insert<'a>(
    current: &mut rusqlite::Statement<'a>,
    revision: &mut rusqlite::Statement<'a>,
    point: &jixiao::ingest::v1::MetricPoint,
    sequence: i64,
) -> rusqlite::Result<()> {
    let received_at = "2026-01-01T00:00:00.000000Z";
    for statement in [current, revision] {
        statement.execute(params![
            crate::data::YEAR,
            point.department_code,
            point.metric_code,
            point.period,
            point.project_code,
            "bench",
            point.value,
            point.value,
            point.unit,
            point.note,
            sequence,
            received_at,
        ])?;
    }
    Ok(())
}

/// Points per second inserted in transactions of 10,000 with prepared statements.
pub fn bulk_insert(departments: usize, metrics: usize, quarters: usize) -> anyhow::Result<f64> {
    let (_dir, mut connection) = fresh_database()?;
    let started = Instant::now();
    let mut sequence = 0i64;
    let mut points = (0..departments).flat_map(|department| {
        (0..metrics.min(25)).flat_map(move |metric| {
            (0..quarters.min(4)).map(move |quarter| crate::data::point(department, metric, quarter))
        })
    });
    loop {
        let transaction = connection.transaction()?;
        let mut inserted = 0;
        {
            let mut current = transaction.prepare_cached(INSERT_CURRENT)?;
            let mut revision = transaction.prepare_cached(INSERT_REVISION)?;
            for point in points.by_ref().take(10_000) {
                sequence += 1;
                insert(&mut current, &mut revision, &point, sequence)?;
                inserted += 1;
            }
        }
        transaction.commit()?;
        if inserted < 10_000 {
            break;
        }
    }
    Ok(sequence as f64 / started.elapsed().as_secs_f64())
}

/// Commits per second, one transaction per point.
pub fn commit_per_point(count: usize) -> anyhow::Result<f64> {
    let (_dir, mut connection) = fresh_database()?;
    let started = Instant::now();
    for index in 0..count {
        let transaction = connection.transaction()?;
        {
            let mut current = transaction.prepare_cached(INSERT_CURRENT)?;
            let mut revision = transaction.prepare_cached(INSERT_REVISION)?;
            insert(
                &mut current,
                &mut revision,
                &crate::data::small_point(0, index),
                index as i64 + 1,
            )?;
        }
        transaction.commit()?;
    }
    Ok(count as f64 / started.elapsed().as_secs_f64())
}

/// Seconds of one `GROUP BY department` over the year's points in the service's own file.
pub fn group_by(data_dir: &Path) -> anyhow::Result<f64> {
    let connection = Connection::open_with_flags(
        data_dir.join("ingest.sqlite"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )?;
    let started = Instant::now();
    let mut statement = connection.prepare(
        "SELECT department_code, COUNT(*), SUM(CAST(value AS REAL)) FROM current_points \
         WHERE year = ?1 GROUP BY department_code",
    )?;
    let groups = statement
        .query_map([crate::data::YEAR], |row| row.get::<_, i64>(1))?
        .count();
    anyhow::ensure!(groups > 0, "the GROUP BY found no points");
    Ok(started.elapsed().as_secs_f64())
}
