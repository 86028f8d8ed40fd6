-- Conversions per arm: recipients with an order of the customer in (send_at, send_at +
-- conversion window], with the revenue sum and sum of squares (per recipient: the SUM of
-- its orders, 0 with only unpriced ones — converted, no revenue).
-- $4 conversion window in seconds, $5/$6 currencies and their rates.
, per AS (
    SELECT d.campaign, d.arm, SUM(COALESCE(o.amount * r.rate, 0)) AS revenue
    FROM d
    JOIN (SELECT o.customer_id, o.occurred_at, o.amount, o.currency FROM orders o, span
          WHERE o.occurred_at > span.first
            AND o.occurred_at <= span.last + make_interval(secs => $4::float8)) o
      ON o.customer_id = d.customer_id
    LEFT JOIN UNNEST($5::text[], $6::float8[]) AS r(currency, rate) ON r.currency = o.currency
    WHERE o.occurred_at > d.send_at
      AND o.occurred_at <= d.send_at + make_interval(secs => $4::float8)
    GROUP BY d.id, d.campaign, d.arm
)
SELECT campaign, arm, COUNT(*), SUM(revenue)::float8, SUM(revenue * revenue)::float8
FROM per
GROUP BY campaign, arm
