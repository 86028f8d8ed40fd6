-- Merges per-delivery deltas ($1 delivery ids, $2–$8 flags, $9–$11 the survey answer) into
-- delivery_engagement: flags are OR-ed; the survey answer is replaced only by a later one, by
-- (occurred_at, seq). Deltas of deliveries that do not exist are dropped by the join.
INSERT INTO delivery_engagement (delivery_id, campaign, delivered, opened, opened_all,
    clicked, unsubscribed, bounced, complained, survey_at, survey_seq, survey_score)
SELECT v.id, d.campaign, v.dl, v.op, v.opa, v.cl, v.un, v.bo, v.co, v.sat, v.sseq, v.ssc
FROM UNNEST($1::uuid[], $2::bool[], $3::bool[], $4::bool[], $5::bool[], $6::bool[],
            $7::bool[], $8::bool[], $9::timestamptz[], $10::int8[], $11::int4[])
     AS v(id, dl, op, opa, cl, un, bo, co, sat, sseq, ssc)
JOIN deliveries d ON d.id = v.id
ON CONFLICT (delivery_id) DO UPDATE SET
    delivered = delivery_engagement.delivered OR excluded.delivered,
    opened = delivery_engagement.opened OR excluded.opened,
    opened_all = delivery_engagement.opened_all OR excluded.opened_all,
    clicked = delivery_engagement.clicked OR excluded.clicked,
    unsubscribed = delivery_engagement.unsubscribed OR excluded.unsubscribed,
    bounced = delivery_engagement.bounced OR excluded.bounced,
    complained = delivery_engagement.complained OR excluded.complained,
    survey_score = CASE WHEN excluded.survey_at IS NOT NULL AND (delivery_engagement.survey_at IS NULL
            OR (excluded.survey_at, excluded.survey_seq) > (delivery_engagement.survey_at, delivery_engagement.survey_seq))
        THEN excluded.survey_score ELSE delivery_engagement.survey_score END,
    survey_seq = CASE WHEN excluded.survey_at IS NOT NULL AND (delivery_engagement.survey_at IS NULL
            OR (excluded.survey_at, excluded.survey_seq) > (delivery_engagement.survey_at, delivery_engagement.survey_seq))
        THEN excluded.survey_seq ELSE delivery_engagement.survey_seq END,
    survey_at = CASE WHEN excluded.survey_at IS NOT NULL AND (delivery_engagement.survey_at IS NULL
            OR (excluded.survey_at, excluded.survey_seq) > (delivery_engagement.survey_at, delivery_engagement.survey_seq))
        THEN excluded.survey_at ELSE delivery_engagement.survey_at END
