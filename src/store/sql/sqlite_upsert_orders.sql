-- After the VALUES: update only what differs; the rows written name the customers to touch.
ON CONFLICT (id) DO UPDATE SET customer_id = excluded.customer_id,
    occurred_at = excluded.occurred_at, amount = excluded.amount,
    currency = excluded.currency, margin = excluded.margin, items = excluded.items
WHERE orders.customer_id IS NOT excluded.customer_id
    OR orders.occurred_at IS NOT excluded.occurred_at OR orders.amount IS NOT excluded.amount
    OR orders.currency IS NOT excluded.currency OR orders.margin IS NOT excluded.margin
    OR orders.items IS NOT excluded.items
RETURNING id, customer_id
