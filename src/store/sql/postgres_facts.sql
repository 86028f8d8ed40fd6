-- Per-customer facts for the assess cycle (PostgreSQL). Index-only scans over the covering
-- indexes, aggregated per customer; only human events of the kinds that are evidence.
-- $1 orders window start, $2 margin window start, $3 referral window start, $4 the scope's
-- parameter. {SCOPE} is replaced by a fixed filter per scope (every customer: none; touched
-- since $4; the one customer $4), so that each statement gets its own plan.
WITH o AS (
    SELECT customer_id,
           COUNT(*) FILTER (WHERE occurred_at >= $1) AS orders_in_window,
           COALESCE(SUM(margin) FILTER (WHERE occurred_at >= $2), 0) AS margin_in_window,
           MAX(occurred_at) AS last_order_at
    FROM orders
    {SCOPE_WHERE}
    GROUP BY customer_id
),
e AS (
    SELECT customer_id,
           MAX(occurred_at) FILTER (WHERE kind = 2) AS last_click_at,
           MAX(occurred_at) FILTER (WHERE kind = 3) AS last_reply_at,
           MAX(occurred_at) FILTER (WHERE kind = 4) AS last_support_contact_at,
           MAX(occurred_at) FILTER (WHERE kind = 5) AS last_complaint_at,
           MAX(occurred_at) FILTER (WHERE kind = 6) AS last_complaint_resolved_at,
           MAX(occurred_at) FILTER (WHERE kind = 7) AS last_survey_response_at,
           MAX(occurred_at) FILTER (WHERE kind = 9) AS partnership_accepted_at,
           COUNT(*) FILTER (WHERE kind = 8 AND occurred_at >= $3) AS referrals_in_window
    FROM events
    WHERE kind BETWEEN 2 AND 9 AND NOT machine {SCOPE_AND}
    GROUP BY customer_id
)
SELECT c.id, c.email, c.locale, c.timezone, c.subscribed, s.reason,
       c.current_level::int8, c.target_level::int8, c.target_override::int8,
       COALESCE(o.orders_in_window, 0)::int8, COALESCE(o.margin_in_window, 0)::float8, o.last_order_at,
       e.last_click_at, e.last_reply_at, e.last_support_contact_at, e.last_complaint_at,
       e.last_complaint_resolved_at, e.last_survey_response_at, e.partnership_accepted_at,
       COALESCE(e.referrals_in_window, 0)::int8
FROM customers c
LEFT JOIN o ON o.customer_id = c.id
LEFT JOIN e ON e.customer_id = c.id
LEFT JOIN suppressions s ON s.email = c.email
{CUSTOMER_WHERE}
ORDER BY c.id
