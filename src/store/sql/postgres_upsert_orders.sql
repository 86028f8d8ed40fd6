INSERT INTO orders (id, customer_id, occurred_at, amount, currency, margin, items)
SELECT id, customer_id, occurred_at, amount, currency, margin, items::jsonb
FROM UNNEST($1::text[], $2::text[], $3::timestamptz[], $4::float8[], $5::text[],
$6::float8[], $7::text[]) AS t(id, customer_id, occurred_at, amount, currency, margin, items)
ON CONFLICT (id) DO UPDATE SET customer_id = EXCLUDED.customer_id,
occurred_at = EXCLUDED.occurred_at, amount = EXCLUDED.amount, currency = EXCLUDED.currency,
margin = EXCLUDED.margin, items = EXCLUDED.items
WHERE (orders.customer_id, orders.occurred_at, orders.amount, orders.currency,
orders.margin, orders.items) IS DISTINCT FROM (EXCLUDED.customer_id,
EXCLUDED.occurred_at, EXCLUDED.amount, EXCLUDED.currency, EXCLUDED.margin, EXCLUDED.items)
RETURNING id, customer_id
