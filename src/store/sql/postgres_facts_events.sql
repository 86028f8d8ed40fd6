-- Per-customer evidence from human events of kinds 2–9 (PostgreSQL): an index-only scan of
-- events_facts grouped in customer-id order. $1 referral window start; {SCOPE_AND} a fixed
-- filter per scope naming $2. The last two columns are not evidence: the last complaint of
-- any kind, machine-flagged too, tells the cycle whose complaints the planner needs to see;
-- the last custom event (kind 100), machine-flagged too, whose custom events an `event`
-- trigger must look up.
SELECT customer_id,
       MAX(occurred_at) FILTER (WHERE kind = 2 AND NOT machine),
       MAX(occurred_at) FILTER (WHERE kind = 3 AND NOT machine),
       MAX(occurred_at) FILTER (WHERE kind = 4 AND NOT machine),
       MAX(occurred_at) FILTER (WHERE kind = 5 AND NOT machine),
       MAX(occurred_at) FILTER (WHERE kind = 6 AND NOT machine),
       MAX(occurred_at) FILTER (WHERE kind = 7 AND NOT machine),
       MAX(occurred_at) FILTER (WHERE kind = 9 AND NOT machine),
       COUNT(*) FILTER (WHERE kind = 8 AND NOT machine AND occurred_at >= $1)::int8,
       MAX(occurred_at) FILTER (WHERE kind = 5),
       MAX(occurred_at) FILTER (WHERE kind = 100)
FROM events
WHERE ((kind BETWEEN 2 AND 9 AND (NOT machine OR kind = 5)) OR kind = 100) {SCOPE_AND}
GROUP BY customer_id
ORDER BY customer_id
