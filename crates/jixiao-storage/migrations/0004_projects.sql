-- Projects (项目支出) of departments: each is a subject of its own, with target sets, budget
-- figures (points carrying its code), actuals and snapshots.
CREATE TABLE projects (
    code            TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    department_code TEXT NOT NULL REFERENCES departments (code),
    first_year      INTEGER NOT NULL,
    last_year       INTEGER NOT NULL,
    fund_sources    TEXT NOT NULL,   -- JSON array of names (本年财政拨款, 上年结转资金 …)
    sequence        INTEGER NOT NULL,
    updated_at      TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX projects_by_department ON projects (department_code, code);

-- Target sets gain their subject's project (empty: department-wide); the key changes, so the
-- table is rebuilt.
CREATE TABLE target_sets_by_subject (
    department_code TEXT NOT NULL REFERENCES departments (code),
    project_code    TEXT NOT NULL,
    year            INTEGER NOT NULL,
    revision        INTEGER NOT NULL,
    targets         TEXT NOT NULL,
    sequence        INTEGER NOT NULL,
    set_at          TEXT NOT NULL,
    request_id      TEXT,
    PRIMARY KEY (department_code, project_code, year, revision)
) WITHOUT ROWID;
INSERT INTO target_sets_by_subject
    (department_code, project_code, year, revision, targets, sequence, set_at, request_id)
    SELECT department_code, '', year, revision, targets, sequence, set_at, request_id
    FROM target_sets;
DROP TABLE target_sets;
ALTER TABLE target_sets_by_subject RENAME TO target_sets;
