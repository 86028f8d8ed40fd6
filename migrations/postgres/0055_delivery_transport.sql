-- Several transports with failover (issue 22, docs/sending.md): the `[[transports]]` entry
-- (or `default` for `[smtp]`) that sent each delivery; NULL before it was sent, and for
-- deliveries sent before this migration.
ALTER TABLE deliveries ADD COLUMN transport TEXT;
