-- Ranking by predicted value (strategy.rank_by) scores each customer's orders with the spend
-- model of their currency: with `currency` in the covering index, the facts scan and the
-- tiers' pass read it off the index instead of looking up the table for every order (1.1M
-- lookups took 2.7 s on the 1M-customer benchmark, see 0021).
DROP INDEX orders_facts;
CREATE INDEX orders_facts ON orders (customer_id, occurred_at, margin, id, currency);
