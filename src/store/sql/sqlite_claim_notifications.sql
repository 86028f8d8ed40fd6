-- Claims up to ?5 due notifications of the endpoints in ?4 (a JSON array) for ?1 until ?2.
UPDATE notifications SET lease_owner = ?1, lease_until = ?2, attempts = attempts + 1
WHERE id IN (SELECT id FROM notifications
    WHERE status = 'pending' AND next_attempt_at <= ?3
      AND (lease_until IS NULL OR lease_until < ?3)
      AND endpoint IN (SELECT value FROM json_each(?4))
    ORDER BY next_attempt_at LIMIT ?5)
RETURNING id, endpoint, event, body, attempts
