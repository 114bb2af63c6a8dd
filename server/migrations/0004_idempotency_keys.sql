-- Idempotency keys: one row per (workspace, key), written in the same transaction as
-- the create it guards, so a retried create can never make a second record.
CREATE TABLE idempotency_keys (
    workspace_id  INTEGER NOT NULL REFERENCES workspaces(id),
    key           TEXT NOT NULL,
    -- SHA-256 of the operation and the parsed request: a reuse with another request
    -- is refused.
    fingerprint   BLOB NOT NULL,
    -- The success body, once answered (NULL while the first request is in flight).
    response      TEXT,
    created_at    TEXT NOT NULL,
    PRIMARY KEY (workspace_id, key)
) WITHOUT ROWID;
CREATE INDEX idempotency_keys_by_age ON idempotency_keys(created_at);
