-- Actuals (实际完成值) of self-reported target rows, as written, per subject (a department, or a
-- project of it: project_code), row and period, every revision kept (the current one is the
-- highest); the audit as for points.
CREATE TABLE row_actuals (
    year            INTEGER NOT NULL,
    department_code TEXT NOT NULL REFERENCES departments (code),
    project_code    TEXT NOT NULL,
    indicator_code  TEXT NOT NULL,
    period          TEXT NOT NULL,
    revision        INTEGER NOT NULL,
    actual_text     TEXT NOT NULL,
    note            TEXT NOT NULL,
    read_as         TEXT NOT NULL,
    sequence        INTEGER NOT NULL,
    received_at     TEXT NOT NULL,
    request_id      TEXT,
    pushed_by       TEXT NOT NULL,
    PRIMARY KEY (year, department_code, project_code, indicator_code, period, revision)
) WITHOUT ROWID;
