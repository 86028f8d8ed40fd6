-- Single-use webhook tokens (Mailgun's signature token), written in the transaction that
-- stores the request's events: a token counts as used only once its events are committed,
-- so a request we failed can be retried by the provider. Shared by every replica.
CREATE TABLE webhook_tokens (
    provider       TEXT NOT NULL,
    token          TEXT NOT NULL,
    -- SHA-256 of the payload the token came with: the same payload again is a retry
    -- (answered 200, nothing stored), another payload is a replay (401).
    payload_sha256 BYTEA NOT NULL,
    forget_at      TIMESTAMPTZ NOT NULL,  -- after it the signed timestamp is stale anyway
    PRIMARY KEY (provider, token)
);
CREATE INDEX webhook_tokens_forget ON webhook_tokens (forget_at);

-- Provider events that carry no address and no id of ours (a Postmark bounce of type
-- Unsubscribe has no Email) are tied to a customer through an earlier event of the same
-- provider message. Partial: only webhook events have the key.
CREATE INDEX events_provider_message ON events ((data->>'provider_message_id'))
    WHERE (data->>'provider_message_id') IS NOT NULL;
