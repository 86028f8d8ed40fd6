-- Report, parts 2 and 3: per campaign, the deliveries with each kind of tracked event and
-- the survey answers (the latest answer per delivery: someone who clicked 3 and then 9 meant
-- 9), from the per-delivery rollup delivery_engagement (migration 0011, report::engagement)
-- rather than the events: one short row per engaged delivery, 2M rows for 10M events, read
-- by a sequential scan into a hash aggregate of a handful of campaigns. The deliveries
-- behind the rows are only read with --since or --locale: without them the constant first
-- half of the OR folds to true in the custom plan and the EXISTS (a primary-key probe per
-- row) is planned away.
-- $1 campaign, $2 created_at lower bound, $3 locale; NULL = no filter.
SELECT e.campaign,
       COUNT(*) FILTER (WHERE e.delivered),
       COUNT(*) FILTER (WHERE e.opened),
       COUNT(*) FILTER (WHERE e.opened_all),
       COUNT(*) FILTER (WHERE e.clicked),
       COUNT(*) FILTER (WHERE e.unsubscribed),
       COUNT(*) FILTER (WHERE e.bounced),
       COUNT(*) FILTER (WHERE e.complained),
       COUNT(*) FILTER (WHERE e.survey_score BETWEEN 0 AND 10),
       SUM(e.survey_score) FILTER (WHERE e.survey_score BETWEEN 0 AND 10)::int8,
       COUNT(*) FILTER (WHERE e.survey_score BETWEEN 9 AND 10),
       COUNT(*) FILTER (WHERE e.survey_score BETWEEN 0 AND 6)
FROM delivery_engagement e
WHERE ($1::text IS NULL OR e.campaign = $1)
  AND (($2::timestamptz IS NULL AND $3::text IS NULL) OR EXISTS (
      SELECT 1 FROM deliveries d
      WHERE d.id = e.delivery_id
        AND ($2::timestamptz IS NULL OR d.created_at >= $2)
        AND ($3::text IS NULL OR EXISTS (SELECT 1 FROM customers c WHERE c.id = d.customer_id AND c.locale = $3))))
GROUP BY e.campaign
