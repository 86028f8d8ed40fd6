-- Experiments: variants, hold-outs and auto-winner decisions (issue 20).

-- The variant (`[[variant]]` id) the customer was in; NULL for a campaign without variants
-- and for a held-out delivery. deliveries.status gains 'held_out': planned, recorded with its
-- occurrence, never sent (nothing claims it); cool-downs and min_gap count it as sent, and
-- the experiment report compares it with the recipients.
ALTER TABLE deliveries ADD COLUMN variant TEXT;

-- An auto-winner's decision, once per campaign and salt (a new salt is a new experiment):
-- from then on everyone outside the hold-out gets `variant`. `detail` is the JSON of the
-- comparisons it rests on, for the report and the dashboard.
CREATE TABLE experiment_winners (
    campaign   TEXT NOT NULL,
    salt       TEXT NOT NULL,
    variant    TEXT NOT NULL,
    metric     TEXT NOT NULL,
    decided_at INTEGER NOT NULL,   -- ms
    detail     TEXT NOT NULL,
    PRIMARY KEY (campaign, salt)
);
