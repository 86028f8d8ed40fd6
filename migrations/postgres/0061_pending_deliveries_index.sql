-- The claim's index holds only what is still to send. `deliveries_due` (status,
-- next_attempt_at) kept an entry for every delivery ever made, and every recorded result
-- added one more (a result changes `status`, an indexed column, so no update of a send is
-- HOT): a shop's years of sent mail made the index the claim walks grow without end. The
-- partial index takes entries only for queued and sending rows, so a recorded result no
-- longer writes into it, and it stays the size of the queue (docs/performance.md). The
-- claim's `status = 'queued'` and `status = 'sending'` imply its predicate, so PostgreSQL
-- uses it for both of the claim's scans and for the outbox count.
CREATE INDEX deliveries_pending ON deliveries (status, next_attempt_at)
    WHERE status IN ('queued', 'sending');
DROP INDEX IF EXISTS deliveries_due;
