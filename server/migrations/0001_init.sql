-- One store for every vendor family. Each record has an integer `id` (BigChange's
-- int64 ids, foreign keys) and a `uuid` (SalesMap/Introzy/BigChange string ids):
-- two representations of one row, never two rows.

CREATE TABLE workspaces (
    id          INTEGER PRIMARY KEY,
    uuid        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    created_at  TEXT NOT NULL
);

CREATE TABLE tokens (
    id            INTEGER PRIMARY KEY,
    workspace_id  INTEGER NOT NULL REFERENCES workspaces(id),
    -- SHA-256 of the secret; the secret itself is shown once and never stored.
    token_hash    BLOB NOT NULL UNIQUE,
    label         TEXT NOT NULL,
    -- Space-separated OAuth-style scopes.
    scopes        TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    expires_at    TEXT
);

CREATE TABLE organizations (
    id            INTEGER PRIMARY KEY,
    uuid          TEXT NOT NULL UNIQUE,
    workspace_id  INTEGER NOT NULL REFERENCES workspaces(id),
    name          TEXT NOT NULL,
    -- lower(trim(name)), for case-insensitive look-ups by name.
    name_norm     TEXT NOT NULL,
    industry      TEXT,
    website       TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX organizations_by_name ON organizations(workspace_id, name_norm);

CREATE TABLE people (
    id               INTEGER PRIMARY KEY,
    uuid             TEXT NOT NULL UNIQUE,
    workspace_id     INTEGER NOT NULL REFERENCES workspaces(id),
    organization_id  INTEGER REFERENCES organizations(id),
    name             TEXT NOT NULL,
    email            TEXT,
    -- lower(trim(email)); the unique index below is what makes the duplicate rule
    -- hold under concurrency.
    email_norm       TEXT,
    phone            TEXT,
    position         TEXT,
    memo             TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
CREATE UNIQUE INDEX people_unique_email ON people(workspace_id, email_norm)
    WHERE email_norm IS NOT NULL;

CREATE TABLE pipelines (
    id            INTEGER PRIMARY KEY,
    uuid          TEXT NOT NULL UNIQUE,
    workspace_id  INTEGER NOT NULL REFERENCES workspaces(id),
    name          TEXT NOT NULL,
    created_at    TEXT NOT NULL
);

CREATE TABLE pipeline_stages (
    id           INTEGER PRIMARY KEY,
    uuid         TEXT NOT NULL UNIQUE,
    pipeline_id  INTEGER NOT NULL REFERENCES pipelines(id),
    position     INTEGER NOT NULL,
    name         TEXT NOT NULL,
    UNIQUE (pipeline_id, position)
);

CREATE TABLE leads (
    id               INTEGER PRIMARY KEY,
    uuid             TEXT NOT NULL UNIQUE,
    workspace_id     INTEGER NOT NULL REFERENCES workspaces(id),
    name             TEXT NOT NULL,
    person_id        INTEGER REFERENCES people(id),
    organization_id  INTEGER REFERENCES organizations(id),
    pipeline_id      INTEGER REFERENCES pipelines(id),
    stage_id         INTEGER REFERENCES pipeline_stages(id),
    memo             TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    CHECK (person_id IS NOT NULL OR organization_id IS NOT NULL),
    CHECK (stage_id IS NULL OR pipeline_id IS NOT NULL)
);

-- Data-field (custom field) definitions, shared by every family: SalesMap
-- addresses them by `name`, Introzy by `key`, BigChange by `id`.
CREATE TABLE field_definitions (
    id            INTEGER PRIMARY KEY,
    uuid          TEXT NOT NULL UNIQUE,
    workspace_id  INTEGER NOT NULL REFERENCES workspaces(id),
    entity        TEXT NOT NULL CHECK (entity IN ('person', 'lead', 'organization')),
    name          TEXT NOT NULL,
    key           TEXT NOT NULL,
    type          TEXT NOT NULL CHECK (type IN ('text', 'number', 'boolean', 'date', 'select')),
    -- JSON array of allowed values, for 'select'.
    options       TEXT,
    -- For the standard fields that live in a column of the record (email, phone,
    -- position); NULL for fields stored in field_values.
    builtin       TEXT,
    created_at    TEXT NOT NULL,
    UNIQUE (workspace_id, entity, name),
    UNIQUE (workspace_id, entity, key)
);

CREATE TABLE field_values (
    definition_id  INTEGER NOT NULL REFERENCES field_definitions(id),
    record_id      INTEGER NOT NULL,
    -- JSON: a string, number or boolean.
    value          TEXT NOT NULL,
    PRIMARY KEY (definition_id, record_id)
);
