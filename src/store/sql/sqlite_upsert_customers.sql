-- After the VALUES: update only what differs, so a re-import writes nothing and touches no one.
ON CONFLICT (id) DO UPDATE SET email = excluded.email, name = excluded.name,
    locale = excluded.locale, timezone = excluded.timezone,
    subscribed = excluded.subscribed, created_at = excluded.created_at,
    attributes = excluded.attributes, target_override = excluded.target_override,
    touched_at = excluded.touched_at
WHERE customers.email IS NOT excluded.email OR customers.name IS NOT excluded.name
    OR customers.locale IS NOT excluded.locale OR customers.timezone IS NOT excluded.timezone
    OR customers.subscribed IS NOT excluded.subscribed
    OR customers.created_at IS NOT excluded.created_at
    OR customers.attributes IS NOT excluded.attributes
    OR customers.target_override IS NOT excluded.target_override
