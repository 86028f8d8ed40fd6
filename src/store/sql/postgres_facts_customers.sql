-- The customers of the cycle's scope (PostgreSQL), in id order off the primary key: profile
-- and stored levels. Their orders and events arrive as two more streams in the same
-- order (postgres_facts_orders.sql, postgres_facts_events.sql), merged in Rust.
-- {CUSTOMER_WHERE} is a fixed filter per scope naming $1 (none for every customer).
-- A customer never assessed has no stored level (NULL), whatever the column's default.
-- created_at, previous_level and level_since are read off the same row (the signup and
-- level_change triggers, conditions), and the consent state the planner checks.
SELECT c.id, c.email, c.locale, c.timezone, c.subscribed,
       CASE WHEN c.assessed_at IS NULL THEN NULL ELSE c.current_level::int8 END, c.target_level::int8, c.target_override::int8,
       c.created_at, c.previous_level::int8, c.level_since, c.consent_pending, c.left_topics
FROM customers c
{CUSTOMER_WHERE}
ORDER BY c.id
