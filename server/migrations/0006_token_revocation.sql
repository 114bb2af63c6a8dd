-- A token is revoked by stamping it, not deleting it: `crm admin token list` still
-- shows it, and when it stopped working. Lookups skip revoked tokens. The column,
-- tokens.revoked_at, is added by this migration's Rust step
-- (`migrations.rs`, `add_revoked_at`) where it is missing: SQLite has no
-- ADD COLUMN IF NOT EXISTS, and a migration must be safe to run again.
CREATE INDEX IF NOT EXISTS tokens_by_workspace ON tokens (workspace_id);
