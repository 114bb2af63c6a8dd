-- Introzy and BigChange persons carry more than SalesMap's: split names, contact
-- numbers, job details and flags. `name` stays the display name every family shows.
ALTER TABLE people ADD COLUMN first_name TEXT;
ALTER TABLE people ADD COLUMN last_name TEXT;
ALTER TABLE people ADD COLUMN title TEXT;
ALTER TABLE people ADD COLUMN mobile TEXT;
ALTER TABLE people ADD COLUMN landline TEXT;
ALTER TABLE people ADD COLUMN extension TEXT;
ALTER TABLE people ADD COLUMN department TEXT;
ALTER TABLE people ADD COLUMN address TEXT;
ALTER TABLE people ADD COLUMN is_opted_out INTEGER NOT NULL DEFAULT 0;
ALTER TABLE people ADD COLUMN is_connector INTEGER NOT NULL DEFAULT 0;
ALTER TABLE people ADD COLUMN is_solution_provider INTEGER NOT NULL DEFAULT 0;
ALTER TABLE people ADD COLUMN is_full_user INTEGER NOT NULL DEFAULT 0;

-- A company name identifies one organization per workspace (case-insensitively), so
-- creating "by name" links or creates exactly one, even under concurrency.
DROP INDEX organizations_by_name;
CREATE UNIQUE INDEX organizations_unique_name ON organizations(workspace_id, name_norm);
