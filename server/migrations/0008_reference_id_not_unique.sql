-- MaiaScore documents no uniqueness for `referenceId`: a client that sends the
-- vendor's own example twice gets two customers (a retry that must not create twice
-- carries an Idempotency-Key). The unique index of 0003 goes; databases that never
-- had it (or already dropped it) are left as they are.
DROP INDEX IF EXISTS customers_unique_reference;
