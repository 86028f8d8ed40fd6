-- Experiment report: one row per (campaign, arm) of the deliveries of the given campaigns
-- whose send time is in the period. Every delivery is a recipient whatever its status (the
-- comparison is by assignment); a held-out delivery is the arm `holdout`, the others their
-- variant ('' without variants). Per delivery: a human open / click from the engagement
-- rollup (a primary-key probe); orders of the customer in (send_at, send_at + conversion
-- window] — one range probe of orders_facts (customer_id, occurred_at) per delivery, whose
-- SUM is NULL without orders (not converted) and 0 with only unpriced ones (converted, no
-- revenue); and a level above the delivery's current_level reached in (send_at, send_at +
-- climb window], one range probe of level_history_customer (customer_id, at).
-- $1 campaigns, $2 send_at lower bound or NULL, $3 upper bound, $4 conversion window and
-- $5 climb window in seconds, $6/$7 currencies and their rates.
WITH d AS (
    SELECT d.id, d.customer_id, d.campaign, d.send_at, d.current_level,
           CASE WHEN d.status = 'held_out' THEN 'holdout' ELSE COALESCE(d.variant, '') END AS arm
    FROM deliveries d
    WHERE d.campaign = ANY($1::text[])
      AND ($2::timestamptz IS NULL OR d.send_at >= $2)
      AND d.send_at <= $3
),
per AS (
    SELECT d.campaign, d.arm,
           COALESCE(e.opened, FALSE) AS opened,
           COALESCE(e.clicked, FALSE) AS clicked,
           o.revenue,
           EXISTS (SELECT 1 FROM level_history h
                   WHERE h.customer_id = d.customer_id
                     AND h.at > d.send_at
                     AND h.at <= d.send_at + make_interval(secs => $5::float8)
                     AND h.to_level > d.current_level) AS climbed
    FROM d
    LEFT JOIN delivery_engagement e ON e.delivery_id = d.id
    LEFT JOIN LATERAL (
        SELECT SUM(COALESCE(o.amount * r.rate, 0)) AS revenue
        FROM orders o
        LEFT JOIN UNNEST($6::text[], $7::float8[]) AS r(currency, rate) ON r.currency = o.currency
        WHERE o.customer_id = d.customer_id
          AND o.occurred_at > d.send_at
          AND o.occurred_at <= d.send_at + make_interval(secs => $4::float8)
    ) o ON TRUE
)
SELECT campaign, arm, COUNT(*),
       COUNT(*) FILTER (WHERE opened),
       COUNT(*) FILTER (WHERE clicked),
       COUNT(revenue),
       COALESCE(SUM(revenue), 0)::float8,
       COALESCE(SUM(revenue * revenue), 0)::float8,
       COUNT(*) FILTER (WHERE climbed)
FROM per
GROUP BY campaign, arm
ORDER BY campaign, arm
