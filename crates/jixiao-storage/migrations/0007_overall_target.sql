-- A table's 年度总体目标 block as written (TABLES.md §1): 预期目标 and 实际完成情况, free texts kept
-- with the target set's revision.
ALTER TABLE target_sets ADD COLUMN overall_target TEXT NOT NULL DEFAULT '';
ALTER TABLE target_sets ADD COLUMN overall_result TEXT NOT NULL DEFAULT '';
