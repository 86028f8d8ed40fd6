-- As sqlite_upsert_customers.sql, for rows that do not give created_at: a customer already
-- stored keeps its sign-up time (the VALUES' created_at, the import's clock, dates new ones).
ON CONFLICT (id) DO UPDATE SET email = excluded.email, name = excluded.name,
    locale = excluded.locale, timezone = excluded.timezone,
    subscribed = excluded.subscribed,
    attributes = excluded.attributes, target_override = excluded.target_override,
    touched_at = excluded.touched_at
WHERE customers.email IS NOT excluded.email OR customers.name IS NOT excluded.name
    OR customers.locale IS NOT excluded.locale OR customers.timezone IS NOT excluded.timezone
    OR customers.subscribed IS NOT excluded.subscribed
    OR customers.attributes IS NOT excluded.attributes
    OR customers.target_override IS NOT excluded.target_override
