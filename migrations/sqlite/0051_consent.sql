-- Consent (issue 21): the consent log, double opt-in and topics left.

-- Every consent change of a customer, append-only: given (with where it came from),
-- confirmed, withdrawn, or expired (an unconfirmed sign-up forgotten). Keyed by customer id
-- and never holding the address or the name, so it can outlive the customer's other data as
-- the record of consent; no foreign key for the same reason. topic NULL = all marketing.
CREATE TABLE consent_log (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id     TEXT NOT NULL,
    at              INTEGER NOT NULL,   -- ms
    action          TEXT NOT NULL CHECK (action IN ('given', 'confirmed', 'withdrawn', 'expired')),
    topic           TEXT,
    source          TEXT NOT NULL,
    evidence        TEXT,
    wording_version TEXT,
    ip              TEXT,
    user_agent      TEXT
);
CREATE INDEX consent_log_customer ON consent_log (customer_id, seq);

-- Append-only whatever writes to the file: no statement may change or remove an entry.
CREATE TRIGGER consent_log_no_update BEFORE UPDATE ON consent_log
BEGIN
    SELECT RAISE(ABORT, 'consent_log is append-only: entries cannot be changed');
END;
CREATE TRIGGER consent_log_no_delete BEFORE DELETE ON consent_log
BEGIN
    SELECT RAISE(ABORT, 'consent_log is append-only: entries cannot be deleted');
END;

-- A sign-up under double opt-in that has not clicked its confirmation link yet: it gets the
-- confirmation email and nothing else, and is forgotten after consent.unconfirmed_ttl.
ALTER TABLE customers ADD COLUMN consent_pending INTEGER NOT NULL DEFAULT 0;
-- The topics the customer left on the preference page, comma-separated (`offers,surveys`).
ALTER TABLE customers ADD COLUMN left_topics TEXT NOT NULL DEFAULT '';
CREATE INDEX customers_consent_pending ON customers (created_at) WHERE consent_pending = 1;
