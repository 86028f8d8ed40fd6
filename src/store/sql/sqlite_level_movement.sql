-- Level movement between ?1 and ?2 (ms): moves per (from, to) and the mean time (seconds) since the
-- customer's previous level change (or sign-up) before each move. Only customers who moved
-- in the period are read (level_history_at finds them; level_history_customer (customer_id,
-- at) then gives each one's whole history in order for LAG).
SELECT x.from_level, x.to_level, COUNT(*),
       AVG(MAX(0, x.at - COALESCE(x.prev_at, c.created_at))) / 1000.0
FROM (
    SELECT customer_id, from_level, to_level, at,
           LAG(at) OVER (PARTITION BY customer_id ORDER BY at, seq) AS prev_at
    FROM level_history
    WHERE customer_id IN (SELECT customer_id FROM level_history WHERE at >= ?1 AND at < ?2)
) x
JOIN customers c ON c.id = x.customer_id
WHERE x.at >= ?1 AND x.at < ?2
  -- A first assessment (from_level NULL) is where a customer starts, not a move; it
  -- still starts the clock (LAG above) for the time spent at that level.
  AND x.from_level IS NOT NULL
GROUP BY x.from_level, x.to_level
ORDER BY x.from_level, x.to_level
