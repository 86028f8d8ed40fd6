-- Conditions, more triggers and follow-ups (issue 19).

-- The level before the last change and since when the current level holds: the
-- `level_change` trigger (a win-back after a drop) and `level.previous` /
-- `level.days_at_level` of conditions. Written by the cycle with every level change, so the
-- facts stream reads them off the customer row instead of searching level_history.
-- SMALLINT like the other level columns. Nullable columns without a default: added without
-- rewriting the table.
ALTER TABLE customers
    ADD COLUMN previous_level SMALLINT,      -- NULL until the level changed once
    ADD COLUMN level_since TIMESTAMPTZ;      -- NULL until assessed

-- Backfill from each customer's latest history row (latest by (at, seq)): a first assessment
-- (from_level NULL) gives no previous level but its time. Customers assessed before history
-- was kept for them have no row and stay NULL: no time is better than a made-up one.
UPDATE customers c SET previous_level = h.from_level, level_since = h.at
FROM (SELECT DISTINCT ON (customer_id) customer_id, from_level, at
      FROM level_history
      ORDER BY customer_id, at DESC, seq DESC) h
WHERE c.id = h.customer_id;

-- A follow-up's `unless`: activity since then cancels it at send time (NULL: no `unless`).
ALTER TABLE deliveries ADD COLUMN unless_since TIMESTAMPTZ;
-- deliveries.status gains 'cancelled' (an `unless` matched just before sending; the reason
-- in last_error). The column has no CHECK constraint to widen.
