-- A monitoring table's projection for the year (全年预计完成值) and the unit's word on reaching
-- the target (完成目标可能性), kept with the actual as written (TABLES.md §7).
ALTER TABLE row_actuals ADD COLUMN projected_text TEXT NOT NULL DEFAULT '';
ALTER TABLE row_actuals ADD COLUMN likelihood TEXT NOT NULL DEFAULT '';
