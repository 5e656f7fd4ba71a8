//! The schedule: a seconds-level cron fires, a failed scheduled run is retried, and fires missed
//! while the evaluator was down are caught up at start.

use std::time::Duration;

use chrono::{Datelike, Utc};
use jixiao::evaluator::v1 as pb;
use jixiao_evaluator::config::ScheduleConfig;
use sqlx::Connection;

use crate::ingest_support::{TestIngest, test_config};
use crate::support::{TestEvaluator, evaluator_config, push_bureau_year};

/// The last quarter that ended before now in Asia/Shanghai, which a quarterly fire now is for.
fn last_completed_quarter() -> (i32, String) {
    let now = Utc::now().with_timezone(&chrono_tz::Asia::Shanghai);
    let quarter = (now.month() - 1) / 3 + 1;
    let (year, quarter) = if quarter == 1 {
        (now.year() - 1, 4)
    } else {
        (now.year(), quarter - 1)
    };
    (year, format!("{year}-Q{quarter}"))
}

fn every_second() -> ScheduleConfig {
    ScheduleConfig {
        enabled: true,
        quarterly_cron: "* * * * * *".into(),
        // Never in the test's lifetime: 00:00:00 on 1 January.
        yearly_cron: "0 0 0 1 1 *".into(),
        catch_up_days: 0,
        max_attempts: 10,
        retry_initial_seconds: 1,
        retry_max_seconds: 1,
        ..ScheduleConfig::default()
    }
}

#[tokio::test]
async fn a_seconds_level_schedule_fires_and_makes_the_quarterly_snapshot() {
    let (year, period) = last_completed_quarter();
    let mut ingest = TestIngest::start().await;
    push_bureau_year(&mut ingest, year).await;
    let temp = tempfile::tempdir().unwrap();
    let mut config = evaluator_config(temp.path(), ingest.address);
    config.schedule = every_second();
    let mut evaluator = TestEvaluator::start(config).await;

    let run = evaluator
        .wait_for_run(Duration::from_secs(30), |run| {
            run.trigger() == pb::RunTrigger::Schedule && run.status() == pb::RunStatus::Succeeded
        })
        .await;
    assert_eq!(run.period, period);
    let score = evaluator
        .client
        .get_score(pb::GetScoreRequest {
            department_code: "BY".into(),
            period: period.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(!score.total.is_empty());
    let snapshots = evaluator
        .client
        .list_snapshots(pb::ListSnapshotsRequest {
            department_code: "BY".into(),
            year: 0,
            page_size: 100,
            page_token: String::new(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .snapshots;
    assert_eq!(
        snapshots.len(),
        1,
        "every later fire reuses the unchanged snapshot"
    );
    assert_eq!(snapshots[0].trigger(), pb::RunTrigger::Schedule);
    evaluator.stop().await;
    ingest.stop().await;
}

#[tokio::test]
async fn a_failed_scheduled_run_is_retried_until_the_ingestion_service_is_back() {
    let (year, period) = last_completed_quarter();
    let mut ingest = TestIngest::start().await;
    push_bureau_year(&mut ingest, year).await;
    let address = ingest.address;
    let ingest_dir = ingest.stop().await.unwrap();

    let temp = tempfile::tempdir().unwrap();
    let mut config = evaluator_config(temp.path(), address);
    config.schedule = every_second();
    let mut evaluator = TestEvaluator::start(config).await;
    let failed = evaluator
        .wait_for_run(Duration::from_secs(30), |run| {
            run.status() == pb::RunStatus::Failed
        })
        .await;
    assert_eq!(failed.period, period);
    assert!(failed.error.contains("unavailable"), "{}", failed.error);

    let mut ingest_config = test_config(ingest_dir.path());
    ingest_config.listen = address.to_string();
    let ingest = TestIngest::start_with(ingest_config).await;
    let retried = evaluator
        .wait_for_run(Duration::from_secs(30), |run| {
            run.trigger() == pb::RunTrigger::Retry && run.status() == pb::RunStatus::Succeeded
        })
        .await;
    assert_eq!(retried.period, period);
    assert!(retried.attempt > 1);
    evaluator.stop().await;
    ingest.stop().await;
    drop(ingest_dir);
}

#[tokio::test]
async fn fires_missed_while_the_evaluator_was_down_are_caught_up_at_start() {
    let (year, period) = last_completed_quarter();
    let mut ingest = TestIngest::start().await;
    push_bureau_year(&mut ingest, year).await;
    let temp = tempfile::tempdir().unwrap();
    let mut config = evaluator_config(temp.path(), ingest.address);
    config.schedule = ScheduleConfig {
        enabled: true,
        // Every midnight in Shanghai: the last fire was less than a day ago.
        quarterly_cron: "0 0 0 * * *".into(),
        yearly_cron: "0 0 0 1 1 *".into(),
        catch_up_days: 0,
        ..config.schedule
    };

    // First start: nothing to catch up, and the schedule's progress is recorded.
    let mut evaluator = TestEvaluator::start(config.clone()).await;
    assert!(evaluator.runs().await.is_empty());
    evaluator.stop().await;

    // The evaluator was down for two days: its last handled fire is two days old.
    let database = temp.path().join("evaluator.sqlite");
    let mut connection =
        sqlx::SqliteConnection::connect(&format!("sqlite://{}", database.display()))
            .await
            .unwrap();
    let two_days_ago = (Utc::now() - chrono::Duration::days(2)).to_rfc3339();
    let updated =
        sqlx::query("UPDATE schedule_state SET last_fire_at = ? WHERE schedule = 'quarterly'")
            .bind(two_days_ago)
            .execute(&mut connection)
            .await
            .unwrap();
    assert_eq!(updated.rows_affected(), 1);
    connection.close().await.unwrap();

    let mut evaluator = TestEvaluator::start(config).await;
    let caught_up = evaluator
        .wait_for_run(Duration::from_secs(30), |run| {
            run.trigger() == pb::RunTrigger::CatchUp && run.status() == pb::RunStatus::Succeeded
        })
        .await;
    assert_eq!(caught_up.period, period);
    assert_eq!(caught_up.snapshots_created, 1);
    evaluator.stop().await;
    ingest.stop().await;
}
