-- Report, part 1 with --since or --locale: deliveries per campaign by status (the unfiltered
-- case is sqlite_report_status_all.sql). A filter on created_at or locale needs the rows
-- themselves: a scan of the deliveries table, far smaller than events.
-- ?1 campaign, ?2 created_at lower bound (ms), ?3 locale; NULL = no filter.
SELECT d.campaign,
       SUM(d.status IN ('queued', 'sending')),
       SUM(d.status = 'sent'),
       SUM(d.status = 'failed'),
       SUM(d.status = 'suppressed'),
       SUM(d.status = 'cancelled'),
       SUM(d.status = 'held_out')
FROM deliveries d
WHERE (?1 IS NULL OR d.campaign = ?1)
  AND (?2 IS NULL OR d.created_at >= ?2)
  AND (?3 IS NULL OR EXISTS (SELECT 1 FROM customers c WHERE c.id = d.customer_id AND c.locale = ?3))
GROUP BY d.campaign
