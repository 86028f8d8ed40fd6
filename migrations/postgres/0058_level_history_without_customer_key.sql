-- The cycle writes a history row for every move and every first assessment: a million on the
-- first cycle after an import, where the per-row check of this key against `customers` took
-- 8 s of the 38.6 s (docs/performance.md). The cycle now inserts history only for the
-- customers its own UPDATE of `customers` just changed (one statement: UPDATE … RETURNING
-- feeds the INSERT), so every row it writes has its customer, and forgetting a customer
-- locks the customer's row before deleting their history (store/consent.rs), so no cycle can
-- add a row behind it. The key checked what those two now guarantee.
ALTER TABLE level_history DROP CONSTRAINT level_history_customer_id_fkey;
