-- Reports and notifications (issue 8).

-- `rapport report` counts, per delivery, which kinds of tracked event it had: an index-only
-- scan over the linked events only (partial), instead of the whole events table.
CREATE INDEX events_report ON events (delivery_id) INCLUDE (kind, machine) WHERE delivery_id IS NOT NULL;
-- Survey answers given through our links: a small slice the report reads on its own.
CREATE INDEX events_survey ON events (delivery_id, occurred_at, seq)
    WHERE kind = 7 AND delivery_id IS NOT NULL;

-- Outbox of notifications to other systems ([[notify]]): one row per (event, endpoint),
-- written by the engine and POSTed by notify::Worker, retried until delivered or given up.
CREATE TABLE notifications (
    id              UUID PRIMARY KEY,          -- UUID v7, per endpoint
    event_id        UUID NOT NULL,             -- the same for every endpoint: the receiver's dedupe key
    endpoint        TEXT NOT NULL,             -- [[notify]] name
    event           TEXT NOT NULL,             -- level_changed | complaint | …
    body            TEXT NOT NULL,             -- the JSON posted, fixed at enqueue time (byte-exact for the signature)
    status          TEXT NOT NULL DEFAULT 'pending', -- pending | delivered | failed
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL,
    lease_until     TIMESTAMPTZ,
    lease_owner     TEXT,
    last_status     INTEGER,
    last_error      TEXT,
    created_at      TIMESTAMPTZ NOT NULL,
    delivered_at    TIMESTAMPTZ
);
-- The worker claims due pending rows in time order (FOR UPDATE SKIP LOCKED).
CREATE INDEX notifications_due ON notifications (status, next_attempt_at);
