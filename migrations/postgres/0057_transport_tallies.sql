-- Per-transport counts for `rapport report --transports` (issue 22, docs/sending.md): what
-- each transport sent, failed, and handed back (throttled: its server asked us to slow down;
-- failed over: it could not be reached), per campaign and UTC day (YYYY-MM-DD). A table of
-- counts because throttles and failovers leave no trace on the delivery row (the attempt is
-- given back and `last_error` is overwritten by the next try).
CREATE TABLE transport_tallies (
    day TEXT NOT NULL,
    transport TEXT NOT NULL,
    campaign TEXT NOT NULL,
    sent BIGINT NOT NULL DEFAULT 0,
    failed BIGINT NOT NULL DEFAULT 0,
    throttled BIGINT NOT NULL DEFAULT 0,
    failed_over BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (day, transport, campaign)
);
