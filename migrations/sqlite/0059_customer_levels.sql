-- The cycle's assessment of each customer (levels, since when, why) moves out of `customers`
-- into a narrow table of its own, as on PostgreSQL (its 0059 says why): profiles are written
-- by imports and the API, levels by the cycle, and a level change no longer rewrites the
-- profile row. WITHOUT ROWID: the rows live in the key's b-tree, no second index.
-- The key to `customers` stays here (SQLite checks it with one lookup, no lock); the cycle
-- writes levels only for customers that still exist, and forgetting a customer deletes their
-- levels first (store/consent.rs).
CREATE TABLE customer_levels (
    customer_id    TEXT PRIMARY KEY REFERENCES customers (id),
    current_level  INTEGER NOT NULL,
    target_level   INTEGER NOT NULL,
    previous_level INTEGER,               -- NULL until the level changed once
    level_since    INTEGER,               -- ms; NULL for customers assessed before 0040
    assessed_at    INTEGER NOT NULL,      -- ms
    level_reasons  TEXT NOT NULL
) WITHOUT ROWID;

-- Customers never assessed (assessed_at NULL) get no row: no row means "not assessed yet".
INSERT INTO customer_levels
SELECT id, current_level, target_level, previous_level, level_since, assessed_at, level_reasons
FROM customers WHERE assessed_at IS NOT NULL;

ALTER TABLE customers DROP COLUMN current_level;
ALTER TABLE customers DROP COLUMN target_level;
ALTER TABLE customers DROP COLUMN previous_level;
ALTER TABLE customers DROP COLUMN level_since;
ALTER TABLE customers DROP COLUMN assessed_at;
ALTER TABLE customers DROP COLUMN level_reasons;
