-- Report, part 2 with --since or --locale (else sqlite_report_events_all.sql): per campaign,
-- how many deliveries had each kind of tracked event, joined to deliveries for the filters.
-- The inner aggregate walks events_report (delivery_id, kind, machine) WHERE delivery_id IS
-- NOT NULL (migration 0003): a covering index already ordered by delivery_id, so the GROUP BY
-- streams one delivery at a time with no sort and no table lookup, and events that no
-- delivery produced (imports, orders' companions) are not in it at all. Each delivery then
-- costs one primary-key probe into deliveries for its campaign. MAX(flag) makes every count
-- "deliveries with at least one", i.e. unique per email.
-- Kinds (domain::EventKind::code): 1 open, 2 click, 10 unsubscribe, 11 bounce,
-- 12 spam_complaint, 13 delivered. machine = 1 marks privacy-proxy opens / scanner clicks.
SELECT d.campaign,
       SUM(f.delivered), SUM(f.opened), SUM(f.opened_all), SUM(f.clicked),
       SUM(f.unsubscribed), SUM(f.bounced), SUM(f.complained)
FROM (
    SELECT delivery_id,
           MAX(kind = 13) AS delivered,
           MAX(kind = 1 AND machine = 0) AS opened,
           MAX(kind = 1) AS opened_all,
           MAX(kind = 2 AND machine = 0) AS clicked,
           MAX(kind = 10) AS unsubscribed,
           MAX(kind = 11) AS bounced,
           MAX(kind = 12) AS complained
    FROM events INDEXED BY events_report
    WHERE delivery_id IS NOT NULL
    GROUP BY delivery_id
) f
JOIN deliveries d ON d.id = f.delivery_id
WHERE (?1 IS NULL OR d.campaign = ?1)
  AND (?2 IS NULL OR d.created_at >= ?2)
  AND (?3 IS NULL OR EXISTS (SELECT 1 FROM customers c WHERE c.id = d.customer_id AND c.locale = ?3))
GROUP BY d.campaign
