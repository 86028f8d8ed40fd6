-- After the deltas `v`: merges them into delivery_engagement. Flags are OR-ed (MAX of 0/1);
-- the survey answer is replaced only by a later one, by (occurred_at, seq). Deltas of
-- deliveries that do not exist are dropped by the join. `WHERE true`: SQLite's documented
-- way to end an INSERT … SELECT before ON CONFLICT.
INSERT INTO delivery_engagement (campaign, delivery_id, delivered, opened, opened_all,
    clicked, unsubscribed, bounced, complained, survey_at, survey_seq, survey_score)
SELECT d.campaign, v.delivery_id, v.delivered, v.opened, v.opened_all, v.clicked,
       v.unsubscribed, v.bounced, v.complained, v.survey_at, v.survey_seq, v.survey_score
FROM v JOIN deliveries d ON d.id = v.delivery_id WHERE true
ON CONFLICT (campaign, delivery_id) DO UPDATE SET
    delivered = max(delivered, excluded.delivered),
    opened = max(opened, excluded.opened),
    opened_all = max(opened_all, excluded.opened_all),
    clicked = max(clicked, excluded.clicked),
    unsubscribed = max(unsubscribed, excluded.unsubscribed),
    bounced = max(bounced, excluded.bounced),
    complained = max(complained, excluded.complained),
    survey_score = CASE WHEN excluded.survey_at IS NOT NULL AND (survey_at IS NULL
        OR (excluded.survey_at, excluded.survey_seq) > (survey_at, survey_seq))
        THEN excluded.survey_score ELSE survey_score END,
    survey_seq = CASE WHEN excluded.survey_at IS NOT NULL AND (survey_at IS NULL
        OR (excluded.survey_at, excluded.survey_seq) > (survey_at, survey_seq))
        THEN excluded.survey_seq ELSE survey_seq END,
    survey_at = CASE WHEN excluded.survey_at IS NOT NULL AND (survey_at IS NULL
        OR (excluded.survey_at, excluded.survey_seq) > (survey_at, survey_seq))
        THEN excluded.survey_at ELSE survey_at END
