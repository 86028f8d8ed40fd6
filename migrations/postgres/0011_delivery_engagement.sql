-- Per-delivery engagement rollup for `rapport report` (issue 8; report::engagement).
--
-- The report counted, per campaign, the deliveries with at least one event of each kind by
-- grouping every delivery-linked event (7M of 10M in the benchmark) by delivery: work that
-- grows with the events. This table holds one row per engaged delivery with the flags
-- already folded, so the report aggregates 2M short rows instead.
--
-- Maintained by ImportTx::insert_new_events, the only writer of events (tracking-buffer
-- flushes, webhooks, the API, imports), in the same transaction as the events it folds.
-- The campaign is copied from the delivery (it never changes), so the unfiltered report
-- needs no join to deliveries. Events naming a delivery that does not exist get no row, as
-- the report's join to deliveries ignored them before.
CREATE TABLE delivery_engagement (
    delivery_id  UUID PRIMARY KEY,
    campaign     TEXT NOT NULL,
    delivered    BOOLEAN NOT NULL DEFAULT FALSE,  -- provider `delivered`
    opened       BOOLEAN NOT NULL DEFAULT FALSE,  -- an open by a human (NOT machine)
    opened_all   BOOLEAN NOT NULL DEFAULT FALSE,  -- any open, privacy proxies included
    clicked      BOOLEAN NOT NULL DEFAULT FALSE,  -- a click by a human
    unsubscribed BOOLEAN NOT NULL DEFAULT FALSE,
    bounced      BOOLEAN NOT NULL DEFAULT FALSE,
    complained   BOOLEAN NOT NULL DEFAULT FALSE,  -- spam complaint
    -- The latest survey answer, latest by (occurred_at, seq); its score when an integer.
    survey_at    TIMESTAMPTZ,
    survey_seq   BIGINT,
    survey_score INTEGER
);

-- Backfill from the events already stored, with the report's rules (kinds as in
-- domain::EventKind::code: 1 open, 2 click, 7 survey_response, 10 unsubscribe, 11 bounce,
-- 12 spam_complaint, 13 delivered).
INSERT INTO delivery_engagement (delivery_id, campaign, delivered, opened, opened_all, clicked,
                                 unsubscribed, bounced, complained, survey_at, survey_seq, survey_score)
SELECT f.delivery_id, d.campaign, f.delivered, f.opened, f.opened_all, f.clicked,
       f.unsubscribed, f.bounced, f.complained, s.occurred_at, s.seq,
       CASE WHEN jsonb_typeof(s.data -> 'score') = 'number' AND (s.data ->> 'score') ~ '^-?[0-9]+$'
            THEN (s.data ->> 'score')::int END
FROM (
    SELECT delivery_id,
           bool_or(kind = 13) AS delivered,
           bool_or(kind = 1 AND NOT machine) AS opened,
           bool_or(kind = 1) AS opened_all,
           bool_or(kind = 2 AND NOT machine) AS clicked,
           bool_or(kind = 10) AS unsubscribed,
           bool_or(kind = 11) AS bounced,
           bool_or(kind = 12) AS complained
    FROM events
    WHERE delivery_id IS NOT NULL AND kind IN (1, 2, 7, 10, 11, 12, 13)
    GROUP BY delivery_id
) f
JOIN deliveries d ON d.id = f.delivery_id
LEFT JOIN (
    SELECT DISTINCT ON (delivery_id) delivery_id, occurred_at, seq, data
    FROM events
    WHERE kind = 7 AND delivery_id IS NOT NULL
    ORDER BY delivery_id, occurred_at DESC, seq DESC
) s ON s.delivery_id = f.delivery_id;

-- The report no longer reads survey answers from the events: the partial index it used (0003)
-- would only cost every answer's write. events_report (0003) stays: it is the index that finds
-- a delivery's events.
DROP INDEX events_survey;
