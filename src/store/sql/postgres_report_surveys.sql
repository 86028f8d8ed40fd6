-- Report, part 3: survey answers per campaign, the latest answer per delivery (someone who
-- clicked 3 and then 9 meant 9). events_survey (delivery_id, occurred_at, seq) WHERE kind = 7
-- AND delivery_id IS NOT NULL (migration 0003) holds only linked survey answers, so this
-- reads a sliver of the events; DISTINCT ON keeps the latest per delivery.
SELECT d.campaign,
       COUNT(*),
       SUM(s.score)::int8,
       COUNT(*) FILTER (WHERE s.score >= 9),
       COUNT(*) FILTER (WHERE s.score <= 6)
FROM (
    SELECT DISTINCT ON (delivery_id) delivery_id, round((data ->> 'score')::numeric)::int AS score
    FROM events
    WHERE kind = 7 AND delivery_id IS NOT NULL AND jsonb_typeof(data -> 'score') = 'number'
    ORDER BY delivery_id, occurred_at DESC, seq DESC
) s
JOIN deliveries d ON d.id = s.delivery_id
WHERE s.score BETWEEN 0 AND 10
  AND ($1::text IS NULL OR d.campaign = $1)
  AND ($2::timestamptz IS NULL OR d.created_at >= $2)
  AND ($3::text IS NULL OR EXISTS (SELECT 1 FROM customers c WHERE c.id = d.customer_id AND c.locale = $3))
GROUP BY d.campaign
