-- Reviewer adjustments (TABLES.md §5): a reviewer's score for a row (indicator_code) or for
-- budget execution ('budget') of a subject's period, with the computed score it was made on,
-- the reason, who and when. Never changed or deleted: a later adjustment of the same row
-- supersedes an earlier one. Scores are decimal TEXT.
CREATE TABLE adjustments (
    id              INTEGER PRIMARY KEY,
    department_code TEXT NOT NULL,
    project_code    TEXT NOT NULL,
    period          TEXT NOT NULL,
    indicator_code  TEXT NOT NULL,
    computed_score  TEXT NOT NULL,
    adjusted_score  TEXT NOT NULL,
    reason          TEXT NOT NULL,
    adjusted_by     TEXT NOT NULL,
    adjusted_at     TEXT NOT NULL,
    request_id      TEXT UNIQUE,
    request_digest  TEXT
);
CREATE INDEX adjustments_by_subject ON adjustments (period, department_code, project_code, id);
