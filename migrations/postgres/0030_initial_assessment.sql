-- The first assessment of a customer is where they start, not a move (issue 17): it is kept
-- in level_history with from_level NULL, so climbs, drops and time-to-climb count only
-- changes between two assessments.
ALTER TABLE level_history ALTER COLUMN from_level DROP NOT NULL;

-- Rows written before: a first assessment above basic was stored as a move from basic (the
-- default stored level). Such a row is a customer's first, from basic, with no email queued
-- to them before it (the planner runs only after an assessment, so an earlier delivery means
-- an earlier assessment). A real climb of a customer never emailed before looks the same
-- and is marked initial too: history cannot tell them apart, and an uncounted climb is the
-- smaller error than every imported customer counted as one.
UPDATE level_history h SET from_level = NULL
WHERE h.from_level = 1
  AND NOT EXISTS (SELECT 1 FROM level_history p
                  WHERE p.customer_id = h.customer_id
                    AND (p.at < h.at OR (p.at = h.at AND p.seq < h.seq)))
  AND NOT EXISTS (SELECT 1 FROM deliveries d
                  WHERE d.customer_id = h.customer_id
                    AND d.created_at < h.at);
