-- Snapshots of projects (项目支出) beside the department-wide ones: project_code names the
-- project evaluated, empty for a department-wide snapshot.
ALTER TABLE snapshots ADD COLUMN project_code TEXT NOT NULL DEFAULT '';
CREATE INDEX snapshots_by_subject ON snapshots (department_code, project_code, period, id);
