-- The first assessment of a customer is where they start, not a move (issue 17): it is kept
-- in level_history with from_level NULL, so climbs, drops and time-to-climb count only
-- changes between two assessments. SQLite cannot drop NOT NULL in place: rebuild the table.
CREATE TABLE level_history_new (
    seq         INTEGER PRIMARY KEY,
    customer_id TEXT NOT NULL REFERENCES customers (id),
    from_level  INTEGER,                   -- NULL: the customer's first assessment
    to_level    INTEGER NOT NULL,
    at          INTEGER NOT NULL,
    reasons     TEXT NOT NULL DEFAULT '[]'
);
INSERT INTO level_history_new (seq, customer_id, from_level, to_level, at, reasons)
    SELECT seq, customer_id, from_level, to_level, at, reasons FROM level_history;
DROP TABLE level_history;
ALTER TABLE level_history_new RENAME TO level_history;
CREATE INDEX level_history_customer ON level_history (customer_id, at);
CREATE INDEX level_history_at ON level_history (at);

-- Rows written before: a first assessment above basic was stored as a move from basic (the
-- default stored level). Such a row is a customer's first, from basic, with no email queued
-- to them before it (the planner runs only after an assessment, so an earlier delivery means
-- an earlier assessment). A real climb of a customer never emailed before looks the same
-- and is marked initial too: history cannot tell them apart, and an uncounted climb is the
-- smaller error than every imported customer counted as one.
UPDATE level_history SET from_level = NULL
WHERE from_level = 1
  AND NOT EXISTS (SELECT 1 FROM level_history p
                  WHERE p.customer_id = level_history.customer_id
                    AND (p.at < level_history.at OR (p.at = level_history.at AND p.seq < level_history.seq)))
  AND NOT EXISTS (SELECT 1 FROM deliveries d
                  WHERE d.customer_id = level_history.customer_id
                    AND d.created_at < level_history.at);
