-- events_report (delivery_id, kind, machine … WHERE delivery_id IS NOT NULL) answers every
-- lookup events_delivery did, so events_delivery only cost a second index insert on every
-- tracking hit and webhook event (the open pixel's write path).
DROP INDEX IF EXISTS events_delivery;
