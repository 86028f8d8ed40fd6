-- Experiment report, PostgreSQL: the deliveries of the given campaigns whose send time is in
-- the period, the common head of the three arm statements (postgres_experiment_*.sql), which
-- the store runs side by side on connections of their own and adds up per (campaign, arm).
-- Every delivery is a recipient whatever its status (the comparison is by assignment); a
-- held-out delivery is the arm `holdout`, the others their variant ('' without variants).
-- `span` bounds what the conversions and climbs read to the period's send times plus their
-- window. The three parts are hash joins over one scan of orders, level history and the
-- engagement rollup: a probe per delivery (an index descent comparing customer ids under
-- the collation, 400,000 times each for the orders and the level history) took 9 s at 10M
-- events where the scans take under 1 s (docs/performance.md).
-- $1 campaigns, $2 send_at lower bound or NULL, $3 upper bound.
WITH d AS MATERIALIZED (
    SELECT d.id, d.customer_id, d.campaign, d.send_at, d.current_level,
           CASE WHEN d.status = 'held_out' THEN 'holdout' ELSE COALESCE(d.variant, '') END AS arm
    FROM deliveries d
    WHERE d.campaign = ANY($1::text[])
      AND ($2::timestamptz IS NULL OR d.send_at >= $2)
      AND d.send_at <= $3
),
span AS (SELECT MIN(send_at) AS first, MAX(send_at) AS last FROM d)
