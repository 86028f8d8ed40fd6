//! The experiment report's part of `bench_report` (issue 20): the loyalty offer's deliveries
//! of the report data set (2 in 10 of all deliveries: 400,000 at 10M events) become an
//! experiment — 10 % held out (never sent: status `held_out`, no events, no rollup row), the
//! rest split between variants A and B — and the customers get a level history (a first
//! assessment each, and for one in four — a multiplicative hash of the id, so that the arms
//! get their share — a climb within the last 90 days). Then `arm_outcomes`
//! (per delivery: a rollup probe, an orders range, a level-history range) and
//! `programme_outcomes` (every customer, drawn into a 2 % global hold-out by the real hash)
//! are timed, best of 3.
//!
//! The step is idempotent and upgrades a data set generated before it: it runs when no
//! delivery has a variant yet.

use rapport::campaigns::GlobalHoldout;
use rapport::store::{OutcomeQuery, ProgrammeQuery, Store};
use std::time::Instant;

const CAMPAIGN: &str = "loyalty-offer";

/// The delivery's index in the generator (ids end with it): which arm it is in.
fn arm_sql(index: &str) -> String {
    format!(
        "CASE WHEN ({index} / 5) % 10 = 0 THEN 'held_out' \
              WHEN ({index} / 5) % 2 = 1 THEN 'A' ELSE 'B' END"
    )
}

/// Turns the loyalty offer into an experiment and writes the level history, unless done.
pub async fn prepare(name: &str, url: &str) -> anyhow::Result<()> {
    let steps: Vec<String> = if name == "postgres" {
        let arm = arm_sql("right(id::text, 12)::int8");
        vec![
            format!(
                "UPDATE deliveries SET \
                   variant = CASE WHEN {arm} = 'held_out' THEN NULL ELSE {arm} END, \
                   status = CASE WHEN {arm} = 'held_out' THEN 'held_out' ELSE status END, \
                   sent_at = CASE WHEN {arm} = 'held_out' THEN NULL ELSE sent_at END \
                 WHERE campaign = '{CAMPAIGN}'"
            ),
            held_out_events(),
            held_out_rollup(),
            "INSERT INTO level_history (customer_id, from_level, to_level, at) \
             SELECT id, NULL, 1, timestamptz '2026-11-25T09:00:00Z' - interval '200 days' FROM customers"
                .into(),
            "INSERT INTO level_history (customer_id, from_level, to_level, at) \
             SELECT id, 1, 2, timestamptz '2026-11-25T09:00:00Z' \
                    - ((right(id, 8)::int8 * 7919) % (90 * 86400)) * interval '1 second' \
             FROM customers WHERE (right(id, 8)::int8 * 2654435761) % 4294967296 < 1073741824"
                .into(),
            "VACUUM ANALYZE".into(),
        ]
    } else {
        let arm = arm_sql("CAST(substr(id, 25) AS INTEGER)");
        vec![
            format!(
                "UPDATE deliveries SET \
                   variant = CASE WHEN {arm} = 'held_out' THEN NULL ELSE {arm} END, \
                   status = CASE WHEN {arm} = 'held_out' THEN 'held_out' ELSE status END, \
                   sent_at = CASE WHEN {arm} = 'held_out' THEN NULL ELSE sent_at END \
                 WHERE campaign = '{CAMPAIGN}'"
            ),
            held_out_events(),
            held_out_rollup(),
            "INSERT INTO level_history (customer_id, from_level, to_level, at) \
             SELECT id, NULL, 1, 1795597200000 - 200 * 86400000 FROM customers"
                .into(),
            "INSERT INTO level_history (customer_id, from_level, to_level, at) \
             SELECT id, 1, 2, 1795597200000 - ((CAST(substr(id, 2) AS INTEGER) * 7919) % (90 * 86400)) * 1000 \
             FROM customers WHERE (CAST(substr(id, 2) AS INTEGER) * 2654435761) % 4294967296 < 1073741824"
                .into(),
            "ANALYZE".into(),
        ]
    };
    let t = Instant::now();
    let wrote = if name == "postgres" {
        apply_once(&sqlx::PgPool::connect(url).await?, steps).await?
    } else {
        apply_once(&sqlx::SqlitePool::connect(url).await?, steps).await?
    };
    if !wrote {
        return Ok(());
    }
    println!(
        "[{name}] experiment on {CAMPAIGN} and level history written in {:.0} s",
        t.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Runs `steps` unless a delivery has a variant already; returns whether it ran them.
async fn apply_once<DB: sqlx::Database>(
    pool: &sqlx::Pool<DB>,
    steps: Vec<String>,
) -> anyhow::Result<bool>
where
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    for<'a> DB::Arguments: sqlx::IntoArguments<DB>,
    i64: sqlx::Type<DB> + for<'r> sqlx::Decode<'r, DB>,
    usize: sqlx::ColumnIndex<DB::Row>,
{
    let done: i64 =
        sqlx::query_scalar::<DB, i64>("SELECT COUNT(*) FROM deliveries WHERE variant IS NOT NULL")
            .fetch_one(pool)
            .await?;
    if done > 0 {
        return Ok(false);
    }
    for sql in steps {
        sqlx::query::<DB>(sqlx::AssertSqlSafe(sql))
            .execute(pool)
            .await?;
    }
    Ok(true)
}

/// A held-out email was never sent: its generated events become events no email produced.
fn held_out_events() -> String {
    "UPDATE events SET delivery_id = NULL, kind = 3 \
     WHERE delivery_id IN (SELECT id FROM deliveries WHERE status = 'held_out')"
        .into()
}

fn held_out_rollup() -> String {
    "DELETE FROM delivery_engagement \
     WHERE delivery_id IN (SELECT id FROM deliveries WHERE status = 'held_out')"
        .into()
}

/// Times both reads, best of 3 each; returns the best seconds of (arms, programme).
pub async fn run(name: &str, store: &dyn Store) -> anyhow::Result<(f64, f64)> {
    let until = "2026-11-25T09:00:00Z".parse()?;
    let rates = vec![("EUR".to_string(), 1.0), ("USD".to_string(), 0.92)];
    let q = OutcomeQuery {
        campaigns: vec![CAMPAIGN.into()],
        since: None,
        until,
        conversion_window: chrono::TimeDelta::days(7),
        climb_window: chrono::TimeDelta::days(60),
        rates: rates.clone(),
    };
    let mut arms_best = f64::MAX;
    for i in 1..=3 {
        let t = Instant::now();
        let arms = store.arm_outcomes(&q).await?;
        let s = t.elapsed().as_secs_f64();
        arms_best = arms_best.min(s);
        let line: Vec<String> = arms
            .iter()
            .map(|a| {
                format!(
                    "{} {} rcpt/{} conv/{} climbed",
                    a.arm, a.recipients, a.converted, a.climbed
                )
            })
            .collect();
        println!(
            "[{name}] arm_outcomes run {i}: {s:.2} s ({})",
            line.join(", ")
        );
    }
    let global = GlobalHoldout {
        share: 0.02,
        salt: "bench".into(),
    };
    let p = ProgrammeQuery {
        since: until - chrono::TimeDelta::days(90),
        until,
        rates,
    };
    let mut programme_best = f64::MAX;
    for i in 1..=3 {
        let t = Instant::now();
        let [marketed, held] = store
            .programme_outcomes(&p, &|id: &str| global.holds(id))
            .await?;
        let s = t.elapsed().as_secs_f64();
        programme_best = programme_best.min(s);
        println!(
            "[{name}] programme_outcomes run {i}: {s:.2} s (marketed {} / {} converted / {} climbed; held out {} / {} / {})",
            marketed.customers,
            marketed.converted,
            marketed.climbed,
            held.customers,
            held.converted,
            held.climbed
        );
    }
    Ok((arms_best, programme_best))
}
