//! PostgreSQL side of the per-delivery engagement rollup (report::engagement, migration 0011).

use super::BATCH;
use crate::domain::engagement::EngagementDelta;
use crate::store::{Result, batches};
use sqlx::PgConnection;

/// Merges new events' deltas into `delivery_engagement` on the caller's connection (the
/// transaction that stores the events). Flags are OR-ed; the survey answer is replaced only
/// by a later one, by (occurred_at, seq). The campaign comes from the delivery; deltas for
/// deliveries that do not exist are dropped by the join. `fold` gives each delivery once, as
/// ON CONFLICT DO UPDATE requires within one statement. A concurrent writer's upsert of the
/// same row waits for this transaction and then merges into the committed row.
pub(super) async fn merge(conn: &mut PgConnection, deltas: &[EngagementDelta]) -> Result<()> {
    const NEWER: &str = "excluded.survey_at IS NOT NULL AND (delivery_engagement.survey_at IS NULL \
         OR (excluded.survey_at, excluded.survey_seq) > (delivery_engagement.survey_at, delivery_engagement.survey_seq))";
    for chunk in batches(deltas, BATCH) {
        let col = |f: fn(&EngagementDelta) -> bool| chunk.iter().map(f).collect::<Vec<bool>>();
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO delivery_engagement (delivery_id, campaign, delivered, opened, opened_all, \
             clicked, unsubscribed, bounced, complained, survey_at, survey_seq, survey_score) \
             SELECT v.id, d.campaign, v.dl, v.op, v.opa, v.cl, v.un, v.bo, v.co, v.sat, v.sseq, v.ssc \
             FROM UNNEST($1::uuid[], $2::bool[], $3::bool[], $4::bool[], $5::bool[], $6::bool[], \
                         $7::bool[], $8::bool[], $9::timestamptz[], $10::int8[], $11::int4[]) \
                  AS v(id, dl, op, opa, cl, un, bo, co, sat, sseq, ssc) \
             JOIN deliveries d ON d.id = v.id \
             ON CONFLICT (delivery_id) DO UPDATE SET \
                 delivered = delivery_engagement.delivered OR excluded.delivered, \
                 opened = delivery_engagement.opened OR excluded.opened, \
                 opened_all = delivery_engagement.opened_all OR excluded.opened_all, \
                 clicked = delivery_engagement.clicked OR excluded.clicked, \
                 unsubscribed = delivery_engagement.unsubscribed OR excluded.unsubscribed, \
                 bounced = delivery_engagement.bounced OR excluded.bounced, \
                 complained = delivery_engagement.complained OR excluded.complained, \
                 survey_score = CASE WHEN {NEWER} THEN excluded.survey_score ELSE delivery_engagement.survey_score END, \
                 survey_seq = CASE WHEN {NEWER} THEN excluded.survey_seq ELSE delivery_engagement.survey_seq END, \
                 survey_at = CASE WHEN {NEWER} THEN excluded.survey_at ELSE delivery_engagement.survey_at END"
        )))
        .bind(chunk.iter().map(|d| d.delivery_id).collect::<Vec<_>>())
        .bind(col(|d| d.delivered))
        .bind(col(|d| d.opened))
        .bind(col(|d| d.opened_all))
        .bind(col(|d| d.clicked))
        .bind(col(|d| d.unsubscribed))
        .bind(col(|d| d.bounced))
        .bind(col(|d| d.complained))
        .bind(chunk.iter().map(|d| d.survey.map(|s| s.at)).collect::<Vec<_>>())
        .bind(chunk.iter().map(|d| d.survey.map(|s| s.seq)).collect::<Vec<_>>())
        .bind(
            chunk
                .iter()
                .map(|d| d.survey.and_then(|s| s.score).map(|s| s.clamp(i32::MIN as i64, i32::MAX as i64) as i32))
                .collect::<Vec<_>>(),
        )
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}
