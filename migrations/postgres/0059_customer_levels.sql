-- The cycle's assessment of each customer (levels, since when, why) moves out of `customers`
-- into a narrow table of its own. Profiles are written by imports and the API; levels by the
-- cycle. Updating the level columns on `customers` rewrote the whole ~420-byte profile row
-- with an entry in each of its four indexes: 1.07 s and 145 MB of WAL per 100,000 customers
-- on the 1M benchmark, against 0.42 s and 70 MB to insert the same levels here, and 0.42 s /
-- 42 MB to update them (docs/performance.md). The first cycle after an import inserts one row
-- per customer; later cycles update few, in place where the page has room (fillfactor 80).
-- No key to `customers`: the per-row check would lock each customer's row (that cost 8 s of
-- the first cycle for level_history, 0058). The cycle writes levels only for customers that
-- still exist, and forgetting a customer deletes their levels (store/consent.rs); an
-- advisory lock orders the two (store/postgres/levels.rs).
CREATE TABLE customer_levels (
    customer_id    TEXT PRIMARY KEY,
    current_level  SMALLINT NOT NULL,
    target_level   SMALLINT NOT NULL,
    previous_level SMALLINT,              -- NULL until the level changed once
    level_since    TIMESTAMPTZ,           -- NULL for customers assessed before 0040
    assessed_at    TIMESTAMPTZ NOT NULL,
    level_reasons  JSONB NOT NULL
) WITH (fillfactor = 80);

-- Customers never assessed (assessed_at NULL) get no row: no row means "not assessed yet".
INSERT INTO customer_levels
SELECT id, current_level, target_level, previous_level, level_since, assessed_at, level_reasons
FROM customers WHERE assessed_at IS NOT NULL;
ANALYZE customer_levels;

ALTER TABLE customers
    DROP COLUMN current_level,
    DROP COLUMN target_level,
    DROP COLUMN previous_level,
    DROP COLUMN level_since,
    DROP COLUMN assessed_at,
    DROP COLUMN level_reasons;
