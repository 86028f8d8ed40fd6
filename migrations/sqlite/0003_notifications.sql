-- Reports and notifications (issue 8).

-- `rapport report` counts, per delivery, which kinds of tracked event it had. Covering and
-- ordered by delivery_id, so that aggregate streams without a sort or a table lookup; partial,
-- so the events nobody's email produced (imports, the bulk of the table) are not in it.
CREATE INDEX events_report ON events (delivery_id, kind, machine) WHERE delivery_id IS NOT NULL;
-- Survey answers given through our links: a small slice the report reads on its own.
CREATE INDEX events_survey ON events (delivery_id, occurred_at, seq)
    WHERE kind = 7 AND delivery_id IS NOT NULL;

-- Outbox of notifications to other systems ([[notify]]): one row per (event, endpoint),
-- written by the engine and POSTed by notify::Worker, retried until delivered or given up.
CREATE TABLE notifications (
    id              TEXT PRIMARY KEY,          -- UUID v7, per endpoint
    event_id        TEXT NOT NULL,             -- the same for every endpoint: the receiver's dedupe key
    endpoint        TEXT NOT NULL,             -- [[notify]] name
    event           TEXT NOT NULL,             -- level_changed | complaint | …
    body            TEXT NOT NULL,             -- the JSON posted, fixed at enqueue time
    status          TEXT NOT NULL DEFAULT 'pending', -- pending | delivered | failed
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    lease_until     INTEGER,
    lease_owner     TEXT,
    last_status     INTEGER,                   -- HTTP status of the last attempt
    last_error      TEXT,
    created_at      INTEGER NOT NULL,
    delivered_at    INTEGER
);
-- The worker claims due pending rows in time order.
CREATE INDEX notifications_due ON notifications (status, next_attempt_at);
