-- As postgres_upsert_customers.sql, for rows that do not give created_at: a customer already
-- stored keeps its sign-up time (the row's created_at, the import's clock, dates new ones).
INSERT INTO customers (id, email, name, locale, timezone, subscribed, created_at,
attributes, target_override, touched_at)
SELECT id, email, name, locale, timezone, subscribed, created_at, attributes::jsonb,
target_override, clock_timestamp()
FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bool[],
$7::timestamptz[], $8::text[], $9::int2[])
AS t(id, email, name, locale, timezone, subscribed, created_at, attributes, target_override)
ON CONFLICT (id) DO UPDATE SET email = EXCLUDED.email, name = EXCLUDED.name,
locale = EXCLUDED.locale, timezone = EXCLUDED.timezone, subscribed = EXCLUDED.subscribed,
attributes = EXCLUDED.attributes,
target_override = EXCLUDED.target_override, touched_at = EXCLUDED.touched_at
WHERE (customers.email, customers.name, customers.locale, customers.timezone,
customers.subscribed, customers.attributes, customers.target_override)
IS DISTINCT FROM (EXCLUDED.email, EXCLUDED.name, EXCLUDED.locale, EXCLUDED.timezone,
EXCLUDED.subscribed, EXCLUDED.attributes, EXCLUDED.target_override)
