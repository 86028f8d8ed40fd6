-- Provider webhooks correlate events to deliveries by Message-ID when they carry no
-- delivery id; without this index every webhook batch would scan the outbox.
CREATE INDEX deliveries_message_id ON deliveries (message_id);
