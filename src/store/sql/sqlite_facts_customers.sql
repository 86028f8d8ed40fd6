-- The customers of the cycle's scope (SQLite), in id order straight off the primary key:
-- profile and stored levels. Their orders and events arrive as two more streams in
-- the same order (sqlite_facts_orders.sql, sqlite_facts_events.sql), merged in Rust.
-- {CUSTOMER_ID_WHERE} is a fixed filter per scope naming ?1 (none for every customer).
-- A customer never assessed has no stored level (NULL), whatever the column's default.
-- created_at, previous_level and level_since are read off the same row (the signup and
-- level_change triggers, conditions), and the consent state the planner checks.
SELECT c.id, c.email, c.locale, c.timezone, c.subscribed,
       CASE WHEN c.assessed_at IS NULL THEN NULL ELSE c.current_level END,
       c.target_level, c.target_override, c.created_at, c.previous_level, c.level_since,
       c.consent_pending, c.left_topics
FROM customers c
{CUSTOMER_ID_WHERE}
ORDER BY c.id
