//! SQLite side of the per-delivery engagement rollup (report::engagement, migration 0011).

use super::BATCH;
use crate::domain::engagement::EngagementDelta;
use crate::store::time::to_ms;
use crate::store::{Result, batches};
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

/// Merges new events' deltas into `delivery_engagement` on the caller's connection (the
/// transaction that stores the events). Flags are OR-ed (MAX of 0/1); the survey answer is
/// replaced only by a later one, by (occurred_at, seq). The campaign comes from the delivery;
/// deltas for deliveries that do not exist are dropped by the join.
pub(super) async fn merge(conn: &mut SqliteConnection, deltas: &[EngagementDelta]) -> Result<()> {
    for chunk in batches(deltas, BATCH) {
        let mut q = QueryBuilder::<Sqlite>::new(
            "WITH v (delivery_id, delivered, opened, opened_all, clicked, unsubscribed, bounced, \
             complained, survey_at, survey_seq, survey_score) AS (",
        );
        q.push_values(chunk, |mut b, d| {
            b.push_bind(d.delivery_id.to_string())
                .push_bind(d.delivered)
                .push_bind(d.opened)
                .push_bind(d.opened_all)
                .push_bind(d.clicked)
                .push_bind(d.unsubscribed)
                .push_bind(d.bounced)
                .push_bind(d.complained)
                .push_bind(d.survey.map(|s| to_ms(s.at)))
                .push_bind(d.survey.map(|s| s.seq))
                .push_bind(d.survey.and_then(|s| s.score));
        });
        q.push(") ")
            .push(include_str!("../sql/sqlite_engagement_merge.sql"));
        q.build().execute(&mut *conn).await?;
    }
    Ok(())
}
