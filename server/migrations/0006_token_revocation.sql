-- A token is revoked by stamping it, not deleting it: `crm admin token list` still
-- shows it, and when it stopped working. Lookups skip revoked tokens.
ALTER TABLE tokens ADD COLUMN revoked_at TEXT;
CREATE INDEX tokens_by_workspace ON tokens (workspace_id);
