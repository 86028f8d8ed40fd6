-- Takes the named lease ($1) for $2 until $3 when it is free, expired at $4 or already $2's.
INSERT INTO engine_state (name, lease_owner, lease_until) VALUES ($1, $2, $3)
ON CONFLICT (name) DO UPDATE SET lease_owner = excluded.lease_owner, lease_until = excluded.lease_until
WHERE engine_state.lease_until IS NULL OR engine_state.lease_until < $4 OR engine_state.lease_owner = $2
RETURNING name
