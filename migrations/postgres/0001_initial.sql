-- rapport schema, PostgreSQL flavour (same tables as migrations/sqlite).

CREATE TABLE customers (
    id              TEXT PRIMARY KEY,
    email           TEXT NOT NULL,
    name            TEXT NOT NULL DEFAULT '',
    locale          TEXT NOT NULL,
    timezone        TEXT NOT NULL,
    subscribed      BOOLEAN NOT NULL DEFAULT TRUE,
    created_at      TIMESTAMPTZ NOT NULL,
    attributes      JSONB NOT NULL DEFAULT '{}',
    -- attributes.target_level, extracted so the facts query need not parse JSON
    target_override SMALLINT,
    -- last time an order/event/profile change arrived: incremental cycles look only here
    touched_at      TIMESTAMPTZ NOT NULL,
    current_level   SMALLINT NOT NULL DEFAULT 1,
    target_level    SMALLINT NOT NULL DEFAULT 1,
    level_reasons   JSONB NOT NULL DEFAULT '[]',
    assessed_at     TIMESTAMPTZ
);
CREATE INDEX customers_email ON customers (email);
CREATE INDEX customers_touched ON customers (touched_at);

CREATE TABLE orders (
    id          TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL REFERENCES customers (id),
    occurred_at TIMESTAMPTZ NOT NULL,
    amount      DOUBLE PRECISION NOT NULL,
    currency    TEXT NOT NULL,
    margin      DOUBLE PRECISION NOT NULL,
    items       JSONB NOT NULL DEFAULT '[]'
);
-- Covering index for the facts query: an index-only scan (DESIGN.md: 1.2 s vs 12 s).
CREATE INDEX orders_facts ON orders (customer_id, occurred_at) INCLUDE (margin);

CREATE TABLE events (
    seq          BIGSERIAL PRIMARY KEY,
    -- `id` from the integrator or `provider:event-id`; otherwise a hash of
    -- (customer, kind, occurred_at, data): the same event imported twice is stored once.
    dedupe_key   TEXT NOT NULL UNIQUE,
    customer_id  TEXT NOT NULL REFERENCES customers (id),
    kind         SMALLINT NOT NULL,        -- domain::EventKind::code
    custom_kind  TEXT,
    occurred_at  TIMESTAMPTZ NOT NULL,
    data         JSONB NOT NULL DEFAULT '{}',
    machine      BOOLEAN NOT NULL DEFAULT FALSE,
    delivery_id  UUID
);
CREATE INDEX events_facts ON events (customer_id, occurred_at) INCLUDE (kind, machine);
CREATE INDEX events_delivery ON events (delivery_id) WHERE delivery_id IS NOT NULL;

CREATE TABLE suppressions (
    email      TEXT PRIMARY KEY,
    reason     TEXT NOT NULL,
    source     TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE level_history (
    seq         BIGSERIAL PRIMARY KEY,
    customer_id TEXT NOT NULL REFERENCES customers (id),
    from_level  SMALLINT NOT NULL,
    to_level    SMALLINT NOT NULL,
    at          TIMESTAMPTZ NOT NULL,
    reasons     JSONB NOT NULL DEFAULT '[]'
);
CREATE INDEX level_history_customer ON level_history (customer_id, at);
CREATE INDEX level_history_at ON level_history (at);

CREATE TABLE deliveries (
    id              UUID PRIMARY KEY,
    customer_id     TEXT NOT NULL REFERENCES customers (id),
    campaign        TEXT NOT NULL,
    occurrence      TEXT NOT NULL,
    service         BOOLEAN NOT NULL DEFAULT FALSE,
    status          TEXT NOT NULL DEFAULT 'queued',
    current_level   SMALLINT NOT NULL,
    target_level    SMALLINT NOT NULL,
    send_at         TIMESTAMPTZ NOT NULL,
    next_attempt_at TIMESTAMPTZ NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    lease_until     TIMESTAMPTZ,
    lease_owner     TEXT,
    message_id      TEXT NOT NULL,
    links           JSONB,
    last_error      TEXT,
    created_at      TIMESTAMPTZ NOT NULL,
    sent_at         TIMESTAMPTZ,
    updated_at      TIMESTAMPTZ NOT NULL,
    UNIQUE (customer_id, campaign, occurrence)
);
CREATE INDEX deliveries_due ON deliveries (status, next_attempt_at);
CREATE INDEX deliveries_campaign ON deliveries (campaign, status);

CREATE TABLE engine_state (
    name        TEXT PRIMARY KEY,
    value       TEXT NOT NULL DEFAULT '',
    lease_owner TEXT,
    lease_until TIMESTAMPTZ
);
