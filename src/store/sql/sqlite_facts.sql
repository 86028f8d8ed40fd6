-- Per-customer facts for the assess cycle (SQLite). One pass over each table's covering
-- index, aggregated per customer; only human events of the kinds that are evidence.
-- ?1 orders window start, ?2 margin window start, ?3 referral window start (ms), ?4 the
-- scope's parameter. {SCOPE} is replaced by a fixed filter per scope (every customer: none;
-- touched since ?4; the one customer ?4): separate statements, so that each gets its own
-- plan — a single `?4 = 0 OR …` form made SQLite scan everything even for 10 customers.
WITH o AS (
    SELECT customer_id,
           SUM(occurred_at >= ?1) AS orders_in_window,
           SUM(CASE WHEN occurred_at >= ?2 THEN margin ELSE 0 END) AS margin_in_window,
           MAX(occurred_at) AS last_order_at
    FROM orders
    {SCOPE_WHERE}
    GROUP BY customer_id
),
e AS (
    SELECT customer_id,
           MAX(CASE WHEN kind = 2 THEN occurred_at END) AS last_click_at,
           MAX(CASE WHEN kind = 3 THEN occurred_at END) AS last_reply_at,
           MAX(CASE WHEN kind = 4 THEN occurred_at END) AS last_support_contact_at,
           MAX(CASE WHEN kind = 5 THEN occurred_at END) AS last_complaint_at,
           MAX(CASE WHEN kind = 6 THEN occurred_at END) AS last_complaint_resolved_at,
           MAX(CASE WHEN kind = 7 THEN occurred_at END) AS last_survey_response_at,
           MAX(CASE WHEN kind = 9 THEN occurred_at END) AS partnership_accepted_at,
           SUM(kind = 8 AND occurred_at >= ?3) AS referrals_in_window
    FROM events
    WHERE kind BETWEEN 2 AND 9 AND machine = 0 {SCOPE_AND}
    GROUP BY customer_id
)
SELECT c.id, c.email, c.locale, c.timezone, c.subscribed, s.reason, c.current_level,
       c.target_level, c.target_override,
       COALESCE(o.orders_in_window, 0), CAST(COALESCE(o.margin_in_window, 0) AS REAL), o.last_order_at,
       e.last_click_at, e.last_reply_at, e.last_support_contact_at, e.last_complaint_at,
       e.last_complaint_resolved_at, e.last_survey_response_at, e.partnership_accepted_at,
       COALESCE(e.referrals_in_window, 0)
FROM customers c
LEFT JOIN o ON o.customer_id = c.id
LEFT JOIN e ON e.customer_id = c.id
LEFT JOIN suppressions s ON s.email = c.email
{CUSTOMER_WHERE}
ORDER BY c.id
