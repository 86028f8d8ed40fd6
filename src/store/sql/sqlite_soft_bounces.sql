-- Per customer in the IN list that follows, the soft bounces since their last delivered,
-- open or click event. events_facts (customer_id, occurred_at, kind, …) finds both sides.
SELECT e.customer_id, COUNT(*) FROM events e
WHERE e.kind = 11 AND json_extract(e.data, '$.type') = 'soft'
AND e.occurred_at > COALESCE((SELECT MAX(g.occurred_at) FROM events g
    WHERE g.customer_id = e.customer_id AND g.kind IN (1, 2, 13)), -1)
AND e.customer_id IN
