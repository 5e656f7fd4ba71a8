-- The evaluator service's schema: runs, immutable snapshots, and the schedule's progress.
-- Decimals are TEXT; the full explanation of a snapshot is the scoring crate's Evaluation as JSON.

CREATE TABLE runs (
    id                INTEGER PRIMARY KEY,
    period            TEXT NOT NULL,
    trigger           TEXT NOT NULL,   -- schedule, manual, catch_up, retry
    status            TEXT NOT NULL,   -- running, succeeded, failed, interrupted
    attempt           INTEGER NOT NULL,
    department_codes  TEXT NOT NULL,   -- JSON array; empty: every top-level department
    started_at        TEXT NOT NULL,
    finished_at       TEXT,
    error             TEXT NOT NULL DEFAULT '',
    snapshots_created INTEGER NOT NULL DEFAULT 0,
    snapshots_reused  INTEGER NOT NULL DEFAULT 0,
    request_id        TEXT,
    request_digest    TEXT
);
CREATE INDEX runs_by_request_id ON runs (request_id) WHERE request_id IS NOT NULL;
CREATE INDEX runs_by_period ON runs (period, id);

-- Snapshots are written only in the transaction that marks their run succeeded, and never
-- changed afterwards.
CREATE TABLE snapshots (
    id                INTEGER PRIMARY KEY,
    department_code   TEXT NOT NULL,
    period            TEXT NOT NULL,
    year              INTEGER NOT NULL,
    framework_name    TEXT NOT NULL,
    framework_version TEXT NOT NULL,
    input_watermark   INTEGER NOT NULL,
    input_digest      TEXT NOT NULL,
    trigger           TEXT NOT NULL,
    run_id            INTEGER NOT NULL REFERENCES runs (id),
    evaluated_at      TEXT NOT NULL,
    total             TEXT NOT NULL,
    grade             TEXT NOT NULL,
    flag_count        INTEGER NOT NULL,
    evaluation        TEXT NOT NULL
);
CREATE INDEX snapshots_by_department ON snapshots (department_code, period, id);
CREATE INDEX snapshots_by_year ON snapshots (year, id);

-- Which snapshot answered each department of a run (a new one, or an identical existing one).
CREATE TABLE run_snapshots (
    run_id      INTEGER NOT NULL REFERENCES runs (id),
    snapshot_id INTEGER NOT NULL REFERENCES snapshots (id),
    reused      INTEGER NOT NULL,
    PRIMARY KEY (run_id, snapshot_id)
) WITHOUT ROWID;

-- The last fire time of each schedule that was handled, for catch-up after downtime.
CREATE TABLE schedule_state (
    schedule     TEXT PRIMARY KEY,
    last_fire_at TEXT NOT NULL
) WITHOUT ROWID;
