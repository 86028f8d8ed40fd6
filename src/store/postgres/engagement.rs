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
    for chunk in batches(deltas, BATCH) {
        let col = |f: fn(&EngagementDelta) -> bool| chunk.iter().map(f).collect::<Vec<bool>>();
        sqlx::query(include_str!("../sql/postgres_engagement_merge.sql"))
            .bind(chunk.iter().map(|d| d.delivery_id).collect::<Vec<_>>())
            .bind(col(|d| d.delivered))
            .bind(col(|d| d.opened))
            .bind(col(|d| d.opened_all))
            .bind(col(|d| d.clicked))
            .bind(col(|d| d.unsubscribed))
            .bind(col(|d| d.bounced))
            .bind(col(|d| d.complained))
            .bind(
                chunk
                    .iter()
                    .map(|d| d.survey.map(|s| s.at))
                    .collect::<Vec<_>>(),
            )
            .bind(
                chunk
                    .iter()
                    .map(|d| d.survey.map(|s| s.seq))
                    .collect::<Vec<_>>(),
            )
            .bind(
                chunk
                    .iter()
                    .map(|d| {
                        d.survey
                            .and_then(|s| s.score)
                            .map(|s| s.clamp(i32::MIN as i64, i32::MAX as i64) as i32)
                    })
                    .collect::<Vec<_>>(),
            )
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}
