-- Ranking by predicted value (strategy.rank_by) scores each customer's orders with the spend
-- model of their currency: with `currency` in the index, the facts scan and the tiers' pass
-- stay index-only scans instead of fetching every order's heap row.
CREATE INDEX orders_facts_with_currency ON orders (customer_id, occurred_at) INCLUDE (margin, id, currency);
DROP INDEX orders_facts;
ALTER INDEX orders_facts_with_currency RENAME TO orders_facts;
