-- The departments a run could not score, each with its reason, as a JSON array of
-- {"department_code", "reason"}; the other departments of the run got their snapshots.
ALTER TABLE runs ADD COLUMN failures TEXT NOT NULL DEFAULT '[]';
