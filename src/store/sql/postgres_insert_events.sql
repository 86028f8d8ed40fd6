INSERT INTO events (dedupe_key, customer_id, kind, custom_kind, occurred_at, data,
machine, delivery_id)
SELECT dedupe_key, customer_id, kind, custom_kind, occurred_at, data::jsonb, machine,
delivery_id
FROM UNNEST($1::text[], $2::text[], $3::int2[], $4::text[], $5::timestamptz[],
$6::text[], $7::bool[], $8::uuid[])
AS t(dedupe_key, customer_id, kind, custom_kind, occurred_at, data, machine, delivery_id)
ON CONFLICT (dedupe_key) DO NOTHING RETURNING dedupe_key, seq, customer_id
