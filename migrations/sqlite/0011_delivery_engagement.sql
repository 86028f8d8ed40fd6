-- Per-delivery engagement rollup for `rapport report` (issue 8; report::engagement).
--
-- The report counted, per campaign, the deliveries with at least one event of each kind by
-- grouping every delivery-linked event (7M of 10M in the benchmark) by delivery and looking
-- up each delivery's campaign: 12.9 s on SQLite, over the 5 s budget however it was indexed,
-- because the work grows with the events, not with the deliveries. This table holds one row
-- per engaged delivery with the flags already folded, so the report reads 2M short rows.
--
-- Maintained by ImportTx::insert_new_events, the only writer of events (tracking-buffer
-- flushes, webhooks, the API, imports), in the same transaction as the events it folds.
-- The campaign is copied from the delivery (it never changes) and leads the primary key:
-- the report's GROUP BY campaign then streams the table in key order with no sort and no
-- lookup into deliveries. Events naming a delivery that does not exist get no row, as the
-- report's join to deliveries ignored them before.
CREATE TABLE delivery_engagement (
    campaign     TEXT NOT NULL,
    delivery_id  TEXT NOT NULL,
    delivered    INTEGER NOT NULL DEFAULT 0,  -- provider `delivered`
    opened       INTEGER NOT NULL DEFAULT 0,  -- an open by a human (machine = 0)
    opened_all   INTEGER NOT NULL DEFAULT 0,  -- any open, privacy proxies included
    clicked      INTEGER NOT NULL DEFAULT 0,  -- a click by a human
    unsubscribed INTEGER NOT NULL DEFAULT 0,
    bounced      INTEGER NOT NULL DEFAULT 0,
    complained   INTEGER NOT NULL DEFAULT 0,  -- spam complaint
    -- The latest survey answer, latest by (occurred_at, seq); its score when an integer.
    survey_at    INTEGER,
    survey_seq   INTEGER,
    survey_score INTEGER,
    PRIMARY KEY (campaign, delivery_id)
) WITHOUT ROWID;

-- Backfill from the events already stored, with the report's rules (kinds as in
-- domain::EventKind::code: 1 open, 2 click, 7 survey_response, 10 unsubscribe, 11 bounce,
-- 12 spam_complaint, 13 delivered).
INSERT INTO delivery_engagement (campaign, delivery_id, delivered, opened, opened_all, clicked,
                                 unsubscribed, bounced, complained, survey_at, survey_seq, survey_score)
SELECT d.campaign, f.delivery_id, f.delivered, f.opened, f.opened_all, f.clicked,
       f.unsubscribed, f.bounced, f.complained, s.occurred_at, s.seq,
       CASE WHEN json_type(s.data, '$.score') = 'integer' THEN json_extract(s.data, '$.score') END
FROM (
    SELECT delivery_id,
           MAX(kind = 13) AS delivered,
           MAX(kind = 1 AND machine = 0) AS opened,
           MAX(kind = 1) AS opened_all,
           MAX(kind = 2 AND machine = 0) AS clicked,
           MAX(kind = 10) AS unsubscribed,
           MAX(kind = 11) AS bounced,
           MAX(kind = 12) AS complained
    FROM events
    WHERE delivery_id IS NOT NULL AND kind IN (1, 2, 7, 10, 11, 12, 13)
    GROUP BY delivery_id
) f
JOIN deliveries d ON d.id = f.delivery_id
LEFT JOIN events s ON s.seq = (
    SELECT seq FROM events
    WHERE kind = 7 AND delivery_id = f.delivery_id
    ORDER BY occurred_at DESC, seq DESC
    LIMIT 1
);

-- The report no longer reads survey answers from the events: the partial index it used (0003)
-- would only cost every answer's write. events_report (0003) stays: it is the index that finds
-- a delivery's events.
DROP INDEX events_survey;
