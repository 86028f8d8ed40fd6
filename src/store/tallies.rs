//! Per-transport counts (`transport_tallies`, migration 0057): what each transport sent,
//! failed, and handed back, per campaign and UTC day. The dispatcher adds a batch's counts
//! once it is done; `rapport report --transports` sums them. Same statements on both
//! backends.

use super::Result;
use super::columns::{Columns, located};
use super::dialect::Dialect;
use chrono::{DateTime, Utc};

/// One transport's counts (for one campaign and day when written; summed when read).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct TransportTally {
    pub transport: String,
    /// Empty when read back summed over campaigns.
    #[serde(skip)]
    pub campaign: String,
    pub sent: u64,
    pub failed: u64,
    /// Put back: its server asked us to slow down.
    pub throttled: u64,
    /// Put back: it could not be reached (for the next transport up, or to wait for one).
    pub failed_over: u64,
}

/// Adds `tallies` to day `at`'s counts. Not in the results' transaction: a crash between the
/// two loses a batch's counts, never an email's state.
pub(crate) async fn add<DB: Dialect>(
    pool: &sqlx::Pool<DB>,
    at: DateTime<Utc>,
    tallies: &[TransportTally],
) -> Result<()>
where
    for<'c> &'c sqlx::Pool<DB>: sqlx::Executor<'c, Database = DB>,
    i64: sqlx::Encode<'static, DB> + sqlx::Type<DB>,
{
    let day = at.format("%Y-%m-%d").to_string();
    for t in tallies {
        sqlx::query::<DB>(
            "INSERT INTO transport_tallies (day, transport, campaign, sent, failed, throttled, failed_over) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (day, transport, campaign) DO UPDATE SET \
             sent = transport_tallies.sent + excluded.sent, \
             failed = transport_tallies.failed + excluded.failed, \
             throttled = transport_tallies.throttled + excluded.throttled, \
             failed_over = transport_tallies.failed_over + excluded.failed_over",
        )
        .bind(DB::text(&day))
        .bind(DB::text(&t.transport))
        .bind(DB::text(&t.campaign))
        .bind(t.sent as i64)
        .bind(t.failed as i64)
        .bind(t.throttled as i64)
        .bind(t.failed_over as i64)
        .execute(pool)
        .await?;
    }
    Ok(())
}

/// Each transport's counts, summed over days from `since`'s (whole UTC days) and over
/// campaigns, or `campaign`'s alone.
pub(crate) async fn read<DB: Dialect>(
    pool: &sqlx::Pool<DB>,
    campaign: Option<&str>,
    since: Option<DateTime<Utc>>,
) -> Result<Vec<TransportTally>>
where
    for<'c> &'c sqlx::Pool<DB>: sqlx::Executor<'c, Database = DB>,
{
    let day = since.map_or_else(
        || "0000-00-00".to_owned(),
        |t| t.format("%Y-%m-%d").to_string(),
    );
    let rows = match campaign {
        Some(c) => {
            sqlx::query::<DB>(
                "SELECT transport, CAST(SUM(sent) AS BIGINT), CAST(SUM(failed) AS BIGINT), \
                 CAST(SUM(throttled) AS BIGINT), CAST(SUM(failed_over) AS BIGINT) \
                 FROM transport_tallies WHERE day >= $1 AND campaign = $2 \
                 GROUP BY transport ORDER BY transport",
            )
            .bind(DB::text(&day))
            .bind(DB::text(c))
            .fetch_all(pool)
            .await?
        }
        None => {
            sqlx::query::<DB>(
                "SELECT transport, CAST(SUM(sent) AS BIGINT), CAST(SUM(failed) AS BIGINT), \
                 CAST(SUM(throttled) AS BIGINT), CAST(SUM(failed_over) AS BIGINT) \
                 FROM transport_tallies WHERE day >= $1 GROUP BY transport ORDER BY transport",
            )
            .bind(DB::text(&day))
            .fetch_all(pool)
            .await?
        }
    };
    let columns = ["transport", "sent", "failed", "throttled", "failed_over"];
    rows.iter()
        .map(|r| {
            located(r, "transport_tallies", &columns, |r| {
                Ok(TransportTally {
                    transport: r.text(0)?,
                    campaign: String::new(),
                    sent: r.count(1)?,
                    failed: r.count(2)?,
                    throttled: r.count(3)?,
                    failed_over: r.count(4)?,
                })
            })
        })
        .collect()
}
