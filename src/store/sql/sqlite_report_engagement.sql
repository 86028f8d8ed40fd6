-- Report, parts 2 and 3: per campaign, the deliveries with each kind of tracked event and
-- the survey answers (the latest answer per delivery: someone who clicked 3 and then 9 meant
-- 9), from the per-delivery rollup delivery_engagement (migration 0011, report::engagement)
-- rather than the events: one short row per engaged delivery, 2M rows for 10M events.
-- Its primary key (campaign, delivery_id) hands the rows over in campaign order, so the
-- GROUP BY streams with no sort (and --campaign is a range of the key). The deliveries
-- behind the rows are only read with --since or --locale: the constant first half of the
-- OR is true without them and the correlated EXISTS (a primary-key probe) is never run.
-- ?1 campaign, ?2 created_at lower bound (ms), ?3 locale; NULL = no filter.
SELECT e.campaign,
       SUM(e.delivered), SUM(e.opened), SUM(e.opened_all), SUM(e.clicked),
       SUM(e.unsubscribed), SUM(e.bounced), SUM(e.complained),
       SUM(e.survey_score BETWEEN 0 AND 10),
       SUM(CASE WHEN e.survey_score BETWEEN 0 AND 10 THEN e.survey_score END),
       SUM(e.survey_score BETWEEN 9 AND 10),
       SUM(e.survey_score BETWEEN 0 AND 6)
FROM delivery_engagement e
WHERE (?1 IS NULL OR e.campaign = ?1)
  AND ((?2 IS NULL AND ?3 IS NULL) OR EXISTS (
      SELECT 1 FROM deliveries d
      WHERE d.id = e.delivery_id
        AND (?2 IS NULL OR d.created_at >= ?2)
        AND (?3 IS NULL OR EXISTS (SELECT 1 FROM customers c WHERE c.id = d.customer_id AND c.locale = ?3))))
GROUP BY e.campaign
