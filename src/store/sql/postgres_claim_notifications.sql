-- Claims up to $5 due notifications of the endpoints in $4 for $1 until $2; SKIP LOCKED:
-- replicas' workers claiming at once each get different rows.
UPDATE notifications n SET lease_owner = $1, lease_until = $2, attempts = n.attempts + 1
FROM (SELECT id FROM notifications
      WHERE status = 'pending' AND next_attempt_at <= $3
        AND (lease_until IS NULL OR lease_until < $3) AND endpoint = ANY($4)
      ORDER BY next_attempt_at LIMIT $5 FOR UPDATE SKIP LOCKED) due
WHERE n.id = due.id
RETURNING n.id, n.endpoint, n.event, n.body, n.attempts
