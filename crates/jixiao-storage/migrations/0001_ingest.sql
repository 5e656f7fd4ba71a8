-- The ingestion service's schema. Decimals are TEXT holding the exact decimal as written by
-- rust_decimal (never REAL or NUMERIC, which would turn "10.00" into 10). Keys are natural or
-- ordered: no unique index on random ids, which slows SQLite inserts many times over.

-- One row per counter. `sequence` numbers every change to the inputs (a department, a target
-- set, a point revision); its value is the ingestion watermark.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO meta (key, value) VALUES ('sequence', 0);

CREATE TABLE departments (
    code        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    parent_code TEXT REFERENCES departments (code),
    sequence    INTEGER NOT NULL,
    updated_at  TEXT NOT NULL
) WITHOUT ROWID;

-- Every revision of every department-year's targets; the current one has the highest revision.
-- `targets` is the validated rows as JSON (decimals as strings).
CREATE TABLE target_sets (
    department_code TEXT NOT NULL REFERENCES departments (code),
    year            INTEGER NOT NULL,
    revision        INTEGER NOT NULL,
    targets         TEXT NOT NULL,
    sequence        INTEGER NOT NULL,
    set_at          TEXT NOT NULL,
    request_id      TEXT,
    PRIMARY KEY (department_code, year, revision)
) WITHOUT ROWID;

-- The current revision of each point, keyed by year first so that an export is a range scan.
CREATE TABLE current_points (
    year            INTEGER NOT NULL,
    department_code TEXT NOT NULL,
    metric_code     TEXT NOT NULL,
    period          TEXT NOT NULL,
    project_code    TEXT NOT NULL,
    source          TEXT NOT NULL,
    value           TEXT NOT NULL,
    value_as_sent   TEXT NOT NULL,
    unit_as_sent    TEXT NOT NULL,
    note            TEXT NOT NULL,
    revision        INTEGER NOT NULL,
    sequence        INTEGER NOT NULL,
    received_at     TEXT NOT NULL,
    request_id      TEXT,
    PRIMARY KEY (year, department_code, metric_code, period, project_code, source)
) WITHOUT ROWID;

-- Every revision of every point, the current one included: the history.
CREATE TABLE point_revisions (
    year            INTEGER NOT NULL,
    department_code TEXT NOT NULL,
    metric_code     TEXT NOT NULL,
    period          TEXT NOT NULL,
    project_code    TEXT NOT NULL,
    source          TEXT NOT NULL,
    revision        INTEGER NOT NULL,
    value           TEXT NOT NULL,
    value_as_sent   TEXT NOT NULL,
    unit_as_sent    TEXT NOT NULL,
    note            TEXT NOT NULL,
    sequence        INTEGER NOT NULL,
    received_at     TEXT NOT NULL,
    request_id      TEXT,
    PRIMARY KEY (year, department_code, metric_code, period, project_code, source, revision)
) WITHOUT ROWID;

-- Answers to requests that carried a request_id, so that a retry gets the first answer.
CREATE TABLE requests (
    request_id TEXT PRIMARY KEY,
    method     TEXT NOT NULL,
    digest     TEXT NOT NULL,
    response   TEXT NOT NULL,
    created_at TEXT NOT NULL
);
