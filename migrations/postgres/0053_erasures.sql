-- Erasure, export and retention (issue 21, docs/privacy.md).

-- Every erasure: which customer, who asked for it (`cli:USER` or `api-key:ID`) and when —
-- never what was erased. The customer's row stays, anonymised, so reports still add up.
CREATE TABLE erasures (
    seq         BIGSERIAL PRIMARY KEY,
    customer_id TEXT NOT NULL,
    erased_by   TEXT NOT NULL,
    erased_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX erasures_customer ON erasures (customer_id);
