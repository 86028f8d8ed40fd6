-- Claims up to ?4 due deliveries for ?2 until ?1 (now: ?3). Two limited scans, not one
-- `… OR …` ordered scan: with OR, SQLite collects and sorts every due row on each claim,
-- which makes draining a queue quadratic in its length. Expired leases first (few: at most
-- the batches of dead workers), then due rows in time order straight off `deliveries_due`.
UPDATE deliveries SET status = 'sending', lease_until = ?1, lease_owner = ?2,
    attempts = attempts + 1, updated_at = ?3
WHERE id IN (
    SELECT id FROM (SELECT id FROM deliveries
        WHERE status = 'sending' AND lease_until < ?3 LIMIT ?4)
    UNION ALL
    SELECT id FROM (SELECT id FROM deliveries
        WHERE status = 'queued' AND next_attempt_at <= ?3
        ORDER BY next_attempt_at LIMIT ?4)
    LIMIT ?4)
RETURNING id
