-- MaiaScore customers: a record of its own (a customer profile for training), not a
-- person. `vendor_uuid` is the request's own `uuid` field; `uuid` is our record id.
CREATE TABLE customers (
    id                    INTEGER PRIMARY KEY,
    uuid                  TEXT NOT NULL UNIQUE,
    workspace_id          INTEGER NOT NULL REFERENCES workspaces(id),
    vendor_uuid           TEXT,
    reference_id          TEXT,
    date_of_birth         TEXT,
    address_street        TEXT,
    address_neighborhood  TEXT,
    address_city          TEXT,
    address_state         TEXT,
    address_country       TEXT,
    gender                TEXT,
    marital_status        TEXT,
    published_at          TEXT NOT NULL,
    created_by            TEXT NOT NULL,
    updated_by            TEXT NOT NULL,
    created_at            TEXT NOT NULL,
    updated_at            TEXT NOT NULL
);
-- A reference id names one customer per workspace.
CREATE UNIQUE INDEX customers_unique_reference ON customers(workspace_id, reference_id)
    WHERE reference_id IS NOT NULL;
