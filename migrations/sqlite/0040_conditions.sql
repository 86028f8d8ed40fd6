-- Conditions, more triggers and follow-ups (issue 19).

-- The level before the last change and since when the current level holds: the
-- `level_change` trigger (a win-back after a drop) and `level.previous` /
-- `level.days_at_level` of conditions. Written by the cycle with every level change, so the
-- facts stream reads them off the customer row instead of searching level_history.
ALTER TABLE customers ADD COLUMN previous_level INTEGER;   -- NULL until the level changed once
ALTER TABLE customers ADD COLUMN level_since INTEGER;      -- ms; NULL until assessed

-- Backfill from each customer's latest history row (latest by (at, seq)): a first assessment
-- (from_level NULL) gives no previous level but its time. Customers assessed before history
-- was kept for them have no row and stay NULL: no time is better than a made-up one.
UPDATE customers SET (previous_level, level_since) = (
    SELECT h.from_level, h.at FROM level_history h
    WHERE h.customer_id = customers.id
    ORDER BY h.at DESC, h.seq DESC
    LIMIT 1)
WHERE id IN (SELECT customer_id FROM level_history);

-- A follow-up's `unless`: activity since then cancels it at send time (NULL: no `unless`).
ALTER TABLE deliveries ADD COLUMN unless_since INTEGER;   -- ms
-- deliveries.status gains 'cancelled' (an `unless` matched just before sending; the reason
-- in last_error). The column has no CHECK constraint to widen.
