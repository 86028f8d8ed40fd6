-- Climbs per arm: recipients whose level rose above the delivery's current_level in
-- (send_at, send_at + climb window].
-- $4 climb window in seconds.
SELECT d.campaign, d.arm, COUNT(DISTINCT d.id)
FROM d
JOIN (SELECT h.customer_id, h.at, h.to_level FROM level_history h, span
      WHERE h.at > span.first
        AND h.at <= span.last + make_interval(secs => $4::float8)) h
  ON h.customer_id = d.customer_id
WHERE h.at > d.send_at
  AND h.at <= d.send_at + make_interval(secs => $4::float8)
  AND h.to_level > d.current_level
GROUP BY d.campaign, d.arm
