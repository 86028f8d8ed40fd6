-- Report, part 4: conversions. Every order placed after a sent email and at most the window
-- later (sent_at < occurred_at <= sent_at + window) is a touch; the last email sent before
-- the order wins it (ROW_NUMBER over the order), so no order counts twice. Each sent
-- delivery probes orders_facts (customer_id, occurred_at, margin) with a range on
-- occurred_at: a seek per delivery, reading only the few orders inside its window (amount
-- and currency then come from those rows). Filters apply to the winning delivery, after
-- ranking, so `--campaign X` shows the same figures as X's line in the full report.
-- ?1 campaign, ?2 created_at lower bound, ?3 locale, ?4 rates JSON {"EUR": 1.0, …},
-- ?5 window in ms.
WITH touches AS (
    SELECT o.customer_id, o.amount, o.currency, s.campaign, s.created_at,
           ROW_NUMBER() OVER (PARTITION BY o.id ORDER BY s.sent_at DESC, s.id DESC) AS rn
    FROM deliveries s
    JOIN orders o ON o.customer_id = s.customer_id
                 AND o.occurred_at > s.sent_at
                 AND o.occurred_at <= s.sent_at + ?5
    WHERE s.status = 'sent' AND s.sent_at IS NOT NULL
)
SELECT t.campaign,
       COUNT(DISTINCT t.customer_id),
       COALESCE(SUM(t.amount * r.value), 0.0),
       SUM(r.value IS NULL)
FROM touches t
LEFT JOIN json_each(?4) r ON r.key = t.currency
WHERE t.rn = 1
  AND (?1 IS NULL OR t.campaign = ?1)
  AND (?2 IS NULL OR t.created_at >= ?2)
  AND (?3 IS NULL OR EXISTS (SELECT 1 FROM customers c WHERE c.id = t.customer_id AND c.locale = ?3))
GROUP BY t.campaign
