-- Report, part 1 without --since/--locale (the usual case): deliveries per campaign by
-- status from the covering index deliveries_campaign (campaign, status) alone — already in
-- campaign order, so no table access and no sort (measured 0.5 s for 2M deliveries, against
-- 1.3 s for the filtered variant, which must read each row's created_at).
-- ?1 campaign or NULL.
SELECT d.campaign,
       SUM(d.status IN ('queued', 'sending')),
       SUM(d.status = 'sent'),
       SUM(d.status = 'failed'),
       SUM(d.status = 'suppressed'),
       SUM(d.status = 'cancelled'),
       SUM(d.status = 'held_out')
FROM deliveries d
WHERE (?1 IS NULL OR d.campaign = ?1)
GROUP BY d.campaign
