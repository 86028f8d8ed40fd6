-- Claims up to $2 due deliveries for $4 until $3 (now: $1), with what rendering them needs.
-- SKIP LOCKED: replicas claiming at once each get different rows, without waiting. Two
-- limited scans, not one `… OR …` ordered scan: with OR, PostgreSQL bitmap-scans and sorts
-- every due row on each claim, which makes draining a queue quadratic in its length.
-- Expired leases first (few: the batches of dead workers), then due rows in time order
-- straight off `deliveries_pending` (the partial index of queued and sending rows).
WITH expired AS (SELECT id FROM deliveries
    WHERE status = 'sending' AND lease_until < $1
    LIMIT $2 FOR UPDATE SKIP LOCKED),
queued AS (SELECT id FROM deliveries
    WHERE status = 'queued' AND next_attempt_at <= $1
    ORDER BY next_attempt_at LIMIT $2 FOR UPDATE SKIP LOCKED),
due AS (SELECT id FROM expired UNION ALL SELECT id FROM queued LIMIT $2),
claimed AS (UPDATE deliveries d SET status = 'sending', lease_until = $3, lease_owner = $4,
    attempts = d.attempts + 1, updated_at = $1 FROM due WHERE d.id = due.id
    RETURNING d.id, d.customer_id, d.campaign, d.occurrence, d.current_level, d.target_level, d.attempts, d.message_id,
        d.unless_since, d.variant, d.send_at)
SELECT claimed.id, claimed.customer_id, c.email, c.name, c.locale, c.timezone, c.attributes, c.subscribed,
    s.reason, claimed.campaign, claimed.occurrence, claimed.current_level::int8, claimed.target_level::int8,
    claimed.attempts, claimed.message_id, claimed.unless_since, claimed.variant, claimed.send_at, c.left_topics
FROM claimed JOIN customers c ON c.id = claimed.customer_id LEFT JOIN suppressions s ON s.email = c.email
