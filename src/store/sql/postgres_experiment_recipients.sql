-- Recipients per arm, and those with a human open / click in the engagement rollup (only the
-- campaigns' rows of it are hashed).
SELECT d.campaign, d.arm, COUNT(*),
       COUNT(*) FILTER (WHERE e.opened),
       COUNT(*) FILTER (WHERE e.clicked)
FROM d
LEFT JOIN (SELECT delivery_id, opened, clicked FROM delivery_engagement
           WHERE campaign = ANY($1::text[])) e ON e.delivery_id = d.id
GROUP BY d.campaign, d.arm
