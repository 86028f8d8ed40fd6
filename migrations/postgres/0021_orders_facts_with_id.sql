-- The facts scan lists each customer's recent orders with their ids for the planner (the
-- follow-up's occurrence is the order id): with `id` in the index that list comes from the
-- same index-only scan, instead of one plan-context lookup per chunk of candidates.
CREATE INDEX orders_facts_with_id ON orders (customer_id, occurred_at) INCLUDE (margin, id);
DROP INDEX orders_facts;
ALTER INDEX orders_facts_with_id RENAME TO orders_facts;
