-- Experiment report: one row per (campaign, arm) of the deliveries of the given campaigns
-- whose send time is in the period. Every delivery is a recipient whatever its status (the
-- comparison is by assignment); a held-out delivery is the arm `holdout`, the others their
-- variant ('' without variants). Per delivery: a human open / click from the engagement
-- rollup (its primary key (campaign, delivery_id) is one seek); orders of the customer in
-- (send_at, send_at + conversion window] — one range seek of orders_facts (customer_id,
-- occurred_at) per delivery, whose SUM is NULL without orders (not converted) and 0 with
-- only unpriced ones (converted, no revenue); and a level above the delivery's
-- current_level reached in (send_at, send_at + climb window], one range seek of
-- level_history_customer (customer_id, at).
-- ?1 campaigns (JSON array), ?2 send_at lower bound (ms) or NULL, ?3 upper bound (ms),
-- ?4 conversion window (ms), ?5 climb window (ms), ?6 rates JSON {"EUR": 1.0, …}.
WITH d AS (
    SELECT d.id, d.customer_id, d.campaign, d.send_at, d.current_level,
           CASE WHEN d.status = 'held_out' THEN 'holdout' ELSE COALESCE(d.variant, '') END AS arm
    FROM deliveries d
    WHERE d.campaign IN (SELECT value FROM json_each(?1))
      AND (?2 IS NULL OR d.send_at >= ?2)
      AND d.send_at <= ?3
),
per AS MATERIALIZED (
    SELECT d.campaign, d.arm,
           COALESCE(e.opened, 0) AS opened,
           COALESCE(e.clicked, 0) AS clicked,
           (SELECT SUM(COALESCE(o.amount * r.value, 0.0))
            FROM orders o
            LEFT JOIN json_each(?6) r ON r.key = o.currency
            WHERE o.customer_id = d.customer_id
              AND o.occurred_at > d.send_at
              AND o.occurred_at <= d.send_at + ?4) AS revenue,
           EXISTS (SELECT 1 FROM level_history h
                   WHERE h.customer_id = d.customer_id
                     AND h.at > d.send_at
                     AND h.at <= d.send_at + ?5
                     AND h.to_level > d.current_level) AS climbed
    FROM d
    LEFT JOIN delivery_engagement e ON e.campaign = d.campaign AND e.delivery_id = d.id
)
SELECT campaign, arm, COUNT(*), SUM(opened), SUM(clicked), COUNT(revenue),
       TOTAL(revenue), TOTAL(revenue * revenue), SUM(climbed)
FROM per
GROUP BY campaign, arm
ORDER BY campaign, arm
