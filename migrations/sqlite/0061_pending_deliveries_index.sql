-- PostgreSQL's 0061 replaces its claim index with a partial one (only queued and sending
-- rows). SQLite keeps `deliveries_due`: its planner uses a partial index only when the
-- query repeats the index's own WHERE terms, and the claim's `status = 'queued'` does not
-- repeat `status IN ('queued', 'sending')`. Kept so that both backends' migrations carry
-- the same numbers.
SELECT 1;
