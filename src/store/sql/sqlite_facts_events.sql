-- Every evidence event of the cycle's scope (SQLite): human events of kinds 2–9, complaints
-- of any kind (a machine-flagged complaint is no evidence, but it tells the cycle whose
-- complaints the planner needs to see) and custom events of any kind (kind 100: never
-- evidence, but they tell the cycle whose custom events an `event` trigger must look up), in
-- customer-id order straight off the covering index events_facts, folded per customer in
-- Rust (store/facts_fold.rs).
-- {SCOPE_AND} a fixed filter per scope naming ?1.
SELECT customer_id, occurred_at, kind, machine
FROM events
WHERE ((kind BETWEEN 2 AND 9 AND (machine = 0 OR kind = 5)) OR kind = 100) {SCOPE_AND}
ORDER BY customer_id
