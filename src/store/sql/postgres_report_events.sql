-- Report, part 2: per campaign, how many deliveries had each kind of tracked event.
-- events_report (delivery_id) INCLUDE (kind, machine) WHERE delivery_id IS NOT NULL
-- (migration 0003) lets the inner aggregate be an index-only scan over the linked events
-- only (events with no delivery are not in the index), already ordered by delivery_id, so
-- the flags merge-join deliveries_pkey without a sort (planner settings in postgres_report.rs)
-- and hash-aggregate by campaign. bool_or: "deliveries with at least one", unique per email.
-- Kinds (domain::EventKind::code): 1 open, 2 click, 10 unsubscribe, 11 bounce,
-- 12 spam_complaint, 13 delivered. machine marks privacy-proxy opens / scanner clicks.
SELECT d.campaign,
       COUNT(*) FILTER (WHERE f.delivered),
       COUNT(*) FILTER (WHERE f.opened),
       COUNT(*) FILTER (WHERE f.opened_all),
       COUNT(*) FILTER (WHERE f.clicked),
       COUNT(*) FILTER (WHERE f.unsubscribed),
       COUNT(*) FILTER (WHERE f.bounced),
       COUNT(*) FILTER (WHERE f.complained)
FROM (
    SELECT delivery_id,
           bool_or(kind = 13) AS delivered,
           bool_or(kind = 1 AND NOT machine) AS opened,
           bool_or(kind = 1) AS opened_all,
           bool_or(kind = 2 AND NOT machine) AS clicked,
           bool_or(kind = 10) AS unsubscribed,
           bool_or(kind = 11) AS bounced,
           bool_or(kind = 12) AS complained
    FROM events
    WHERE delivery_id IS NOT NULL
    GROUP BY delivery_id
) f
JOIN deliveries d ON d.id = f.delivery_id
WHERE ($1::text IS NULL OR d.campaign = $1)
  AND ($2::timestamptz IS NULL OR d.created_at >= $2)
  AND ($3::text IS NULL OR EXISTS (SELECT 1 FROM customers c WHERE c.id = d.customer_id AND c.locale = $3))
GROUP BY d.campaign
