-- The customers of the cycle's scope (SQLite), in id order straight off the primary key:
-- the profile. Their orders and events arrive as two more streams in the same order
-- (sqlite_facts_orders.sql, sqlite_facts_events.sql), merged in Rust.
-- {CUSTOMER_ID_WHERE} is a fixed filter per scope naming ?1 (none for every customer).
-- The stored levels (current, target, previous, since) are read beside this statement, in
-- the same order (sqlite_facts_levels.sql), and fill the columns given here as "none
-- stored" (NULL current, target 1, NULL previous, NULL since), which is what a customer
-- never assessed keeps. created_at and the consent state the planner checks come from
-- the profile.
SELECT c.id, c.email, c.locale, c.timezone, c.subscribed,
       NULL, 1, c.target_override, c.created_at, NULL, NULL,
       c.consent_pending, c.left_topics
FROM customers c
{CUSTOMER_ID_WHERE}
ORDER BY c.id
