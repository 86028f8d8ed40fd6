-- The customers of the cycle's scope (PostgreSQL), in id order off the primary key: profile
-- and stored levels. Their orders and events arrive as two more streams in the same
-- order (postgres_facts_orders.sql, postgres_facts_events.sql), merged in Rust.
-- {CUSTOMER_WHERE} is a fixed filter per scope naming $1 (none for every customer).
-- The levels are the cycle's own table (customer_levels, joined on its key in the same
-- order); a customer never assessed has no row there, so no stored level (NULL).
-- created_at, previous_level and level_since come with them (the signup and level_change
-- triggers, conditions), and the consent state the planner checks.
SELECT c.id, c.email, c.locale, c.timezone, c.subscribed,
       l.current_level::int8, COALESCE(l.target_level, 1)::int8, c.target_override::int8,
       c.created_at, l.previous_level::int8, l.level_since, c.consent_pending, c.left_topics
FROM customers c LEFT JOIN customer_levels l ON l.customer_id = c.id
{CUSTOMER_WHERE}
ORDER BY c.id
