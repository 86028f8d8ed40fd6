-- Webhooks find a delivery by the id its Message-ID carries (`<{delivery id}@{domain}>`),
-- through the primary key, then compare the whole Message-ID (store/tracking.rs). The index
-- of Message-IDs had no other reader, and every claim and every recorded result of a send
-- wrote an entry in it (their updates change `status`, an indexed column, so none is HOT).
DROP INDEX IF EXISTS deliveries_message_id;
