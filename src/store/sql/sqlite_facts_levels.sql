-- The stored levels of the cycle's scope (SQLite), in customer-id order off the key of
-- customer_levels: stepped beside sqlite_facts_customers.sql and matched by id (a merge
-- join; a LEFT JOIN there seeks this table's key once per customer: 0.6 s more CPU on 1M).
-- {SCOPE_WHERE} is a fixed filter per scope naming ?1 (none for every customer).
SELECT customer_id, current_level, target_level, previous_level, level_since
FROM customer_levels
{SCOPE_WHERE}
ORDER BY customer_id
