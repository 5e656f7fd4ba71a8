-- A target set names the scoring framework it is written for (TABLES.md §4); empty: the
-- evaluator's default for its subject's kind.
ALTER TABLE target_sets ADD COLUMN framework TEXT NOT NULL DEFAULT '';
