-- The name of the token that pushed each revision: the audit trail. Empty when the service ran
-- without tokens.
ALTER TABLE current_points ADD COLUMN pushed_by TEXT NOT NULL DEFAULT '';
ALTER TABLE point_revisions ADD COLUMN pushed_by TEXT NOT NULL DEFAULT '';
