-- Report, part 1: deliveries per campaign by status. Without filters an index-only scan of
-- deliveries_campaign (campaign, status) answers it; filters on created_at or locale read
-- the (small, relative to events) deliveries table.
-- $1 campaign, $2 created_at lower bound, $3 locale; NULL = no filter.
SELECT d.campaign,
       COUNT(*) FILTER (WHERE d.status IN ('queued', 'sending')),
       COUNT(*) FILTER (WHERE d.status = 'sent'),
       COUNT(*) FILTER (WHERE d.status = 'failed'),
       COUNT(*) FILTER (WHERE d.status = 'suppressed'),
       COUNT(*) FILTER (WHERE d.status = 'cancelled'),
       COUNT(*) FILTER (WHERE d.status = 'held_out')
FROM deliveries d
WHERE ($1::text IS NULL OR d.campaign = $1)
  AND ($2::timestamptz IS NULL OR d.created_at >= $2)
  AND ($3::text IS NULL OR EXISTS (SELECT 1 FROM customers c WHERE c.id = d.customer_id AND c.locale = $3))
GROUP BY d.campaign
