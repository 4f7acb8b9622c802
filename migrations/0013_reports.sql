-- An inspection lists the issues its deductions opened (GET /api/v1/inspections):
-- without this index each lookup scans every issue (a second and more at a million
-- issues). Partial: only inspection findings carry an inspection_id.
CREATE INDEX issues_inspection_idx ON issues (inspection_id) WHERE inspection_id IS NOT NULL;
