//! The schedule: quarterly and yearly snapshots from cron expressions, catch-up of fires missed
//! while the evaluator was down, and retries with backoff.
//!
//! tokio-cron-scheduler only calls [`Scheduler::fire`]; what is ours is everything it does not
//! do: knowing which period a fire is for, catching up after downtime, never overlapping runs
//! of one period (the engine's lock, and no second queued run of a pending period), retrying
//! failures, and stopping cleanly.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Datelike, TimeZone, Utc};
use chrono_tz::Tz;
use croner::Cron;
use croner::parser::{CronParser, Seconds};
use jixiao_domain::Period;
use tokio::sync::watch;
use tokio_cron_scheduler::{Job, JobScheduler};
use tracing::{error, info, warn};

use crate::config::ScheduleConfig;
use crate::engine::{Engine, RunError, RunRequest};
use crate::store::Trigger;

/// Which snapshot a schedule makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The last quarter that ended before the fire.
    Quarterly,
    /// The year before the fire's.
    Yearly,
}

impl Kind {
    /// The name stored with the schedule's progress.
    pub fn name(&self) -> &'static str {
        match self {
            Kind::Quarterly => "quarterly",
            Kind::Yearly => "yearly",
        }
    }
}

/// How early a scheduler may call a job and the fire still be for its coming instant, in hours:
/// more than any daylight-saving offset, far less than the shortest gap between two fires.
const EARLY_FIRE_HOURS: i64 = 3;

/// The longest wait for a schedule's next fire, in days: four years and a day, so that a cron of
/// 29 February (a leap day) is accepted and one of 30 February is not.
const MAX_DAYS_TO_FIRE: i64 = 4 * 366 + 1;

/// The parsed cron expressions, in their time zone.
#[derive(Debug, Clone)]
pub struct Schedules {
    timezone: Tz,
    quarterly: (String, Cron),
    yearly: (String, Cron),
}

fn parse_cron(key: &str, pattern: &str) -> anyhow::Result<Cron> {
    // The same parser settings as tokio-cron-scheduler: six fields, seconds first, and
    // day-of-month AND day-of-week.
    CronParser::builder()
        .seconds(Seconds::Required)
        .dom_and_dow(true)
        .build()
        .parse(pattern)
        .map_err(|error| {
            anyhow::anyhow!(
                "schedule.{key} = {pattern:?} is not a six-field cron expression (seconds first): {error}"
            )
        })
}

impl Schedules {
    /// Parses and checks the configured schedules.
    pub fn new(config: &ScheduleConfig) -> anyhow::Result<Self> {
        let timezone: Tz = config.timezone.parse().map_err(|error| {
            anyhow::anyhow!("schedule.timezone = {:?}: {error}", config.timezone)
        })?;
        let schedules = Self {
            timezone,
            quarterly: (
                config.quarterly_cron.clone(),
                parse_cron("quarterly_cron", &config.quarterly_cron)?,
            ),
            yearly: (
                config.yearly_cron.clone(),
                parse_cron("yearly_cron", &config.yearly_cron)?,
            ),
        };
        // A cron that parses may still never fire (30 February): the scheduler would drop it
        // in silence, and the year's self-evaluation would never run.
        let now = Utc::now();
        for (kind, key) in [
            (Kind::Quarterly, "quarterly_cron"),
            (Kind::Yearly, "yearly_cron"),
        ] {
            let fires_in_time = schedules
                .next_fire(kind, now)
                .is_some_and(|next| next - now <= chrono::Duration::days(MAX_DAYS_TO_FIRE));
            if !fires_in_time {
                anyhow::bail!(
                    "schedule.{key} = {:?} does not fire within {} years (a day no month has, such as 30 February?): the {} evaluation would never run",
                    schedules.cron(kind).0,
                    MAX_DAYS_TO_FIRE / 365,
                    kind.name()
                );
            }
        }
        Ok(schedules)
    }

    fn cron(&self, kind: Kind) -> &(String, Cron) {
        match kind {
            Kind::Quarterly => &self.quarterly,
            Kind::Yearly => &self.yearly,
        }
    }

    /// The first fire of `kind` after `now`.
    pub fn next_fire(&self, kind: Kind, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.cron(kind)
            .1
            .find_next_occurrence(&now.with_timezone(&self.timezone), false)
            .ok()
            .map(|fire| fire.with_timezone(&Utc))
    }

    /// The period a fire at `at` is for: the last quarter that ended before it, or the year
    /// before its own, in the schedule's time zone. It depends on the date only, never on the
    /// time of day the cron names. `None` when that period is outside the years jixiao holds
    /// ([`jixiao_domain::period::MIN_YEAR`] to `MAX_YEAR`).
    pub fn period_for(&self, kind: Kind, at: DateTime<Utc>) -> Option<Period> {
        let local = at.with_timezone(&self.timezone);
        let year = local.year();
        match kind {
            Kind::Quarterly => {
                let quarter = (local.month() as u8 - 1) / 3 + 1;
                let (year, quarter) = if quarter == 1 {
                    (year - 1, 4)
                } else {
                    (year, quarter - 1)
                };
                Period::quarter(year, quarter).ok()
            }
            Kind::Yearly => Period::year(year - 1).ok(),
        }
    }

    /// The start of the month after `period` ends, in the schedule's time zone: the first
    /// instant at which a fire is for `period`. Where the zone skips local midnight that day
    /// (a daylight-saving gap), the first local time that exists.
    fn end_of(&self, period: Period) -> Option<DateTime<Utc>> {
        let (year, month) = (period.year_number(), u32::from(period.end_month()) + 1);
        let (year, month) = if month > 12 {
            (year + 1, month - 12)
        } else {
            (year, month)
        };
        (0..24).find_map(|hour| {
            self.timezone
                .with_ymd_and_hms(year, month, 1, hour, 0, 0)
                .earliest()
                .map(|time| time.with_timezone(&Utc))
        })
    }

    /// The scheduled instant of a fire handled at `now`, by the cron in the schedule's zone,
    /// never by the wall clock: the next one the cron names when it is at most
    /// [`EARLY_FIRE_HOURS`] ahead (a scheduler may call a job early by a daylight-saving
    /// offset: Europe/Berlin's 1 January fire at 22:00Z), else the last one at or before `now`
    /// (a job runs a little after its instant, which may already be the next day, or the next
    /// period).
    pub fn scheduled_instant(&self, kind: Kind, now: DateTime<Utc>) -> DateTime<Utc> {
        let cron = &self.cron(kind).1;
        let local = now.with_timezone(&self.timezone);
        let next = cron
            .find_next_occurrence(&local, false)
            .ok()
            .map(|fire| fire.with_timezone(&Utc))
            .filter(|next| *next - now <= chrono::Duration::hours(EARLY_FIRE_HOURS));
        next.or_else(|| {
            cron.find_previous_occurrence(&local, true)
                .ok()
                .map(|fire| fire.with_timezone(&Utc))
        })
        .unwrap_or(now)
    }

    /// The periods of the fires in `(after, now]`, oldest first, each once, each exactly the
    /// period [`Schedules::period_for`] gives its fire. One cron look-up per period: after a
    /// fire for period P, the next fire that can be for another period is at the end of the
    /// period after P.
    pub fn missed_periods(
        &self,
        kind: Kind,
        after: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Vec<Period> {
        let cron = &self.cron(kind).1;
        let mut periods = Vec::new();
        let (mut from, mut inclusive) = (after, false);
        while let Ok(fire) =
            cron.find_next_occurrence(&from.with_timezone(&self.timezone), inclusive)
        {
            let fire = fire.with_timezone(&Utc);
            if fire > now {
                break;
            }
            let Some(period) = self.period_for(kind, fire) else {
                // Before the years jixiao holds: the fires of later periods may still be.
                from = fire;
                inclusive = false;
                continue;
            };
            periods.push(period);
            let Some(next_from) = next_period(kind, period).and_then(|next| self.end_of(next))
            else {
                break;
            };
            (from, inclusive) = (next_from, true);
        }
        periods
    }
}

fn next_period(kind: Kind, period: Period) -> Option<Period> {
    match kind {
        Kind::Quarterly => {
            let quarter = period.quarter_number()?;
            if quarter == 4 {
                Period::quarter(period.year_number() + 1, 1).ok()
            } else {
                Period::quarter(period.year_number(), quarter + 1).ok()
            }
        }
        Kind::Yearly => Period::year(period.year_number() + 1).ok(),
    }
}

/// Runs scheduled, caught-up and retried evaluations.
#[derive(Debug)]
pub struct Scheduler {
    engine: Arc<Engine>,
    schedules: Schedules,
    config: ScheduleConfig,
    /// Runs queued or going (period and departments): a fire for one of them is skipped.
    pending: Mutex<HashSet<String>>,
    stop: watch::Sender<bool>,
}

impl Scheduler {
    /// A scheduler over `engine`.
    pub fn new(engine: Arc<Engine>, config: &ScheduleConfig) -> anyhow::Result<Arc<Self>> {
        Ok(Arc::new(Self {
            engine,
            schedules: Schedules::new(config)?,
            config: config.clone(),
            pending: Mutex::new(HashSet::new()),
            stop: watch::channel(false).0,
        }))
    }

    /// Redoes failed or interrupted scheduled runs, catches up fires missed while down, and
    /// starts the cron jobs. Returns the running cron scheduler, to stop at shutdown.
    pub async fn start(self: &Arc<Self>) -> anyhow::Result<JobScheduler> {
        let store = self.engine.store();
        let now = Utc::now();
        let mut queued = HashSet::new();
        for (period, department_codes) in store.runs_to_redo().await? {
            if let Ok(period) = period.parse::<Period>() {
                info!(period = %period, departments = ?department_codes, "redoing a run that was interrupted, or a scheduled run that failed");
                if department_codes.is_empty() {
                    queued.insert(period);
                }
                self.spawn_run(period, department_codes, Trigger::Retry);
            }
        }
        for kind in [Kind::Quarterly, Kind::Yearly] {
            let after = match store.last_fire(kind.name()).await? {
                Some(last) => last,
                None => now - chrono::Duration::days(i64::from(self.config.catch_up_days)),
            };
            for period in self.schedules.missed_periods(kind, after, now) {
                if queued.insert(period) {
                    info!(schedule = kind.name(), period = %period, "catching up a run missed while down");
                    self.spawn_run(period, Vec::new(), Trigger::CatchUp);
                }
            }
            store.set_last_fire(kind.name(), now).await?;
        }
        let scheduler = JobScheduler::new().await?;
        for kind in [Kind::Quarterly, Kind::Yearly] {
            let pattern = self.schedules.cron(kind).0.clone();
            let this = Arc::clone(self);
            let job = Job::new_async_tz(
                pattern.as_str(),
                self.schedules.timezone,
                move |_id, _scheduler| {
                    let this = Arc::clone(&this);
                    Box::pin(async move {
                        let at = this.schedules.scheduled_instant(kind, Utc::now());
                        this.fire(kind, at).await
                    })
                },
            )?;
            scheduler.add(job).await?;
            info!(schedule = kind.name(), cron = %pattern, timezone = %self.schedules.timezone, "schedule armed");
        }
        scheduler.start().await?;
        Ok(scheduler)
    }

    /// Handles one fire of a schedule at `at`.
    pub async fn fire(self: &Arc<Self>, kind: Kind, at: DateTime<Utc>) {
        if *self.stop.borrow() {
            return;
        }
        if let Err(error) = self.engine.store().set_last_fire(kind.name(), at).await {
            error!(error = %error, "recording a schedule fire failed");
        }
        match self.schedules.period_for(kind, at) {
            Some(period) => self.spawn_run(period, Vec::new(), Trigger::Schedule),
            None => {
                warn!(schedule = kind.name(), at = %at, "a fire for a period outside the years jixiao holds; skipped")
            }
        }
    }

    /// Runs `period` for `department_codes` (empty: every top-level department) with retries
    /// in the background, unless such a run is already pending.
    fn spawn_run(
        self: &Arc<Self>,
        period: Period,
        department_codes: Vec<String>,
        trigger: Trigger,
    ) {
        let key = format!("{period} {}", department_codes.join(","));
        if !self
            .pending
            .lock()
            .expect("never poisoned")
            .insert(key.clone())
        {
            tracing::debug!(period = %period, "a scheduled run of this period is already pending");
            return;
        }
        let this = Arc::clone(self);
        tokio::spawn(async move {
            this.run_with_retries(period, department_codes, trigger)
                .await;
            this.pending.lock().expect("never poisoned").remove(&key);
        });
    }

    async fn run_with_retries(
        &self,
        period: Period,
        department_codes: Vec<String>,
        first_trigger: Trigger,
    ) {
        let mut stop = self.stop.subscribe();
        let attempts = self.config.max_attempts.max(1);
        for attempt in 1..=attempts {
            let request = RunRequest {
                period,
                department_codes: department_codes.clone(),
                trigger: if attempt == 1 {
                    first_trigger
                } else {
                    Trigger::Retry
                },
                attempt: attempt as i32,
                request: None,
            };
            match self.engine.run(request).await {
                Ok(_) => return,
                Err(RunError::ShuttingDown) => return,
                Err(error) => {
                    if attempt == attempts {
                        error!(period = %period, attempt, error = %error, "scheduled run failed; no attempts left");
                        return;
                    }
                    let backoff = self.backoff(attempt);
                    warn!(period = %period, attempt, retry_in_seconds = backoff.as_secs(), error = %error, "scheduled run failed; retrying");
                    tokio::select! {
                        () = tokio::time::sleep(backoff) => {}
                        _ = stop.wait_for(|stopping| *stopping) => return,
                    }
                }
            }
        }
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let initial = self.config.retry_initial_seconds.max(1);
        let seconds = initial.saturating_mul(1u64 << (attempt - 1).min(20));
        Duration::from_secs(seconds.min(self.config.retry_max_seconds.max(initial)))
    }

    /// Stops firing and retrying; runs in flight are the engine's to finish.
    pub async fn stop(&self, mut scheduler: JobScheduler) {
        let _ = self.stop.send(true);
        if let Err(error) = scheduler.shutdown().await {
            warn!(error = %error, "stopping the cron scheduler failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schedules(quarterly: &str, yearly: &str) -> Schedules {
        Schedules::new(&ScheduleConfig {
            quarterly_cron: quarterly.into(),
            yearly_cron: yearly.into(),
            ..ScheduleConfig::default()
        })
        .unwrap()
    }

    fn shanghai(text: &str) -> DateTime<Utc> {
        let naive = chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").unwrap();
        chrono_tz::Asia::Shanghai
            .from_local_datetime(&naive)
            .unwrap()
            .with_timezone(&Utc)
    }

    /// In a zone with daylight saving, a fire called an hour early by the clock (Europe/Berlin's
    /// 1 January 00:00 at 22:00Z) is for the instant the cron names, and evaluates the quarter
    /// that just ended, not the one before it again.
    #[test]
    fn a_fire_called_early_in_a_daylight_saving_zone_is_for_its_own_instant() {
        let schedules = Schedules::new(&ScheduleConfig {
            quarterly_cron: "0 0 0 1 1,4,7,10 *".into(),
            yearly_cron: "0 0 3 1 3 *".into(),
            timezone: "Europe/Berlin".into(),
            ..ScheduleConfig::default()
        })
        .unwrap();
        let early = Utc.with_ymd_and_hms(2025, 12, 31, 22, 0, 0).unwrap();
        let at = schedules.scheduled_instant(Kind::Quarterly, early);
        assert_eq!(at, Utc.with_ymd_and_hms(2025, 12, 31, 23, 0, 0).unwrap());
        assert_eq!(
            schedules
                .period_for(Kind::Quarterly, at)
                .unwrap()
                .to_string(),
            "2025-Q4"
        );
        // Summer time: the 1 July fire is at 22:00Z on 30 June.
        let late = Utc.with_ymd_and_hms(2026, 6, 30, 22, 0, 30).unwrap();
        let at = schedules.scheduled_instant(Kind::Quarterly, late);
        assert_eq!(
            schedules
                .period_for(Kind::Quarterly, at)
                .unwrap()
                .to_string(),
            "2026-Q2"
        );
    }

    #[test]
    fn a_cron_that_never_fires_is_refused_at_start() {
        let error = Schedules::new(&ScheduleConfig {
            yearly_cron: "0 0 3 30 2 *".into(),
            ..ScheduleConfig::default()
        })
        .unwrap_err()
        .to_string();
        assert!(
            error.contains("schedule.yearly_cron") && error.contains("does not fire"),
            "{error}"
        );
        // A leap day fires, if only every fourth year.
        assert!(
            Schedules::new(&ScheduleConfig {
                yearly_cron: "0 0 3 29 2 *".into(),
                ..ScheduleConfig::default()
            })
            .is_ok()
        );
    }

    #[test]
    fn a_fire_is_for_the_last_quarter_that_ended_and_the_previous_year() {
        let schedules = schedules("0 0 2 1 1,4,7,10 *", "0 0 3 1 3 *");
        assert_eq!(
            schedules
                .period_for(Kind::Quarterly, shanghai("2023-01-01 02:00:00"))
                .unwrap()
                .to_string(),
            "2022-Q4"
        );
        assert_eq!(
            schedules
                .period_for(Kind::Quarterly, shanghai("2022-07-01 02:00:00"))
                .unwrap()
                .to_string(),
            "2022-Q2"
        );
        assert_eq!(
            schedules
                .period_for(Kind::Quarterly, shanghai("2022-11-28 12:00:00"))
                .unwrap()
                .to_string(),
            "2022-Q3"
        );
        // 2022-12-31 20:00 UTC is already 2023 in Shanghai.
        let utc_evening = Utc.with_ymd_and_hms(2022, 12, 31, 20, 0, 0).unwrap();
        assert_eq!(
            schedules
                .period_for(Kind::Quarterly, utc_evening)
                .unwrap()
                .to_string(),
            "2022-Q4"
        );
        assert_eq!(
            schedules
                .period_for(Kind::Yearly, shanghai("2023-03-01 03:00:00"))
                .unwrap()
                .to_string(),
            "2022"
        );
    }

    #[test]
    fn missed_fires_give_the_periods_they_were_for() {
        let schedules = schedules("0 0 2 1 1,4,7,10 *", "0 0 3 1 3 *");
        let down = shanghai("2022-03-15 00:00:00");
        let back = shanghai("2022-11-28 00:00:00");
        let quarters: Vec<String> = schedules
            .missed_periods(Kind::Quarterly, down, back)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(quarters, ["2022-Q1", "2022-Q2", "2022-Q3"]);
        let years: Vec<String> = schedules
            .missed_periods(Kind::Yearly, shanghai("2021-12-01 00:00:00"), back)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(years, ["2021"]);
        // Down from just after a fire until just before the next one: nothing was missed.
        assert!(
            schedules
                .missed_periods(
                    Kind::Quarterly,
                    shanghai("2022-07-01 02:00:01"),
                    shanghai("2022-10-01 01:59:59")
                )
                .is_empty()
        );
        // Back exactly at the fire: caught up.
        assert_eq!(
            schedules
                .missed_periods(
                    Kind::Quarterly,
                    shanghai("2022-07-01 02:00:01"),
                    shanghai("2022-10-01 02:00:00")
                )
                .len(),
            1
        );
    }

    #[test]
    fn five_field_crons_and_unknown_time_zones_are_refused() {
        let error = Schedules::new(&ScheduleConfig {
            quarterly_cron: "0 2 1 1,4,7,10 *".into(),
            ..ScheduleConfig::default()
        })
        .unwrap_err();
        assert!(
            error.to_string().contains("schedule.quarterly_cron"),
            "{error}"
        );
        let error = Schedules::new(&ScheduleConfig {
            timezone: "Mars/Olympus".into(),
            ..ScheduleConfig::default()
        })
        .unwrap_err();
        assert!(error.to_string().contains("schedule.timezone"), "{error}");
    }

    fn names(periods: Vec<Period>) -> Vec<String> {
        periods.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn catch_up_gives_the_same_periods_whatever_time_of_day_the_crons_name() {
        // Started on 2026-11-30 with 400 days to catch up: at midnight, at 02:00/03:00, and
        // one second before midnight, the fires are for the same periods.
        let now = shanghai("2026-11-30 10:00:00");
        let after = now - chrono::Duration::days(400);
        for (quarterly, yearly) in [
            ("0 0 0 1 1,4,7,10 *", "0 0 0 1 1 *"),
            ("0 0 2 1 1,4,7,10 *", "0 0 3 1 3 *"),
            ("59 59 23 1 1,4,7,10 *", "59 59 23 1 1 *"),
        ] {
            let schedules = schedules(quarterly, yearly);
            assert_eq!(
                names(schedules.missed_periods(Kind::Quarterly, after, now)),
                ["2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3"],
                "{quarterly}"
            );
            assert_eq!(
                names(schedules.missed_periods(Kind::Yearly, after, now)),
                ["2025"],
                "{yearly}"
            );
        }
    }

    #[test]
    fn a_fire_at_a_periods_end_one_second_after_and_inside_the_next_is_for_that_period() {
        let schedules = schedules("0 0 0 1 1,4,7,10 *", "0 0 0 1 1 *");
        for at in [
            "2026-10-01 00:00:00",
            "2026-10-01 00:00:01",
            "2026-11-15 12:00:00",
            "2026-12-31 23:59:59",
        ] {
            assert_eq!(
                schedules
                    .period_for(Kind::Quarterly, shanghai(at))
                    .unwrap()
                    .to_string(),
                "2026-Q3",
                "{at}"
            );
        }
        assert_eq!(
            schedules
                .period_for(Kind::Quarterly, shanghai("2026-09-30 23:59:59"))
                .unwrap()
                .to_string(),
            "2026-Q2"
        );
        // Catching up from exactly a fire excludes it; from one second before includes it.
        let fire = shanghai("2026-10-01 00:00:00");
        let now = shanghai("2026-11-30 00:00:00");
        assert!(
            schedules
                .missed_periods(Kind::Quarterly, fire, now)
                .is_empty()
        );
        assert_eq!(
            names(schedules.missed_periods(
                Kind::Quarterly,
                fire - chrono::Duration::seconds(1),
                now
            )),
            ["2026-Q3"]
        );
    }

    #[test]
    fn fires_for_periods_before_the_years_jixiao_holds_are_skipped_never_turned_into_years() {
        let schedules = schedules("0 0 2 1 1,4,7,10 *", "0 0 3 1 3 *");
        let now = shanghai("2001-02-01 00:00:00");
        let after = shanghai("1999-06-01 00:00:00");
        assert_eq!(
            names(schedules.missed_periods(Kind::Quarterly, after, now)),
            ["2000-Q1", "2000-Q2", "2000-Q3", "2000-Q4"]
        );
        assert!(
            schedules
                .period_for(Kind::Quarterly, shanghai("2000-02-01 02:00:00"))
                .is_none()
        );
    }

    #[test]
    fn a_fire_handled_late_is_for_the_period_of_its_scheduled_instant() {
        // A cron at the very last second of a quarter, handled a moment later (the next
        // quarter already), is for the quarter it names.
        let schedules = schedules("59 59 23 30 9 *", "59 59 23 31 12 *");
        let late = shanghai("2026-10-01 00:00:02");
        let at = schedules.scheduled_instant(Kind::Quarterly, late);
        assert_eq!(at, shanghai("2026-09-30 23:59:59"));
        assert_eq!(
            schedules
                .period_for(Kind::Quarterly, at)
                .unwrap()
                .to_string(),
            "2026-Q2"
        );
        let at = schedules.scheduled_instant(Kind::Yearly, shanghai("2027-01-01 00:00:01"));
        assert_eq!(
            schedules.period_for(Kind::Yearly, at).unwrap().to_string(),
            "2025"
        );
    }

    #[test]
    fn a_daylight_saving_gap_at_midnight_does_not_cut_catch_up_short() {
        // America/Asuncion skipped 00:00–01:00 on 1 October 2023.
        let schedules = Schedules::new(&ScheduleConfig {
            timezone: "America/Asuncion".into(),
            quarterly_cron: "0 0 2 1 1,4,7,10 *".into(),
            ..ScheduleConfig::default()
        })
        .unwrap();
        let after = Utc.with_ymd_and_hms(2023, 6, 1, 0, 0, 0).unwrap();
        let now = Utc.with_ymd_and_hms(2024, 5, 1, 0, 0, 0).unwrap();
        assert_eq!(
            names(schedules.missed_periods(Kind::Quarterly, after, now)),
            ["2023-Q2", "2023-Q3", "2023-Q4", "2024-Q1"]
        );
    }
}
