//! The whole programme against the global hold-out: every customer falls in one of two
//! groups, decided by a pure draw on the customer id that only the caller knows (the store
//! is below `experiments`), so the store cannot group in SQL. It streams instead, in three
//! reads that need no common order and hold nothing per customer: the customers (each
//! counted in its group), each customer's priced revenue in the period (only those who
//! ordered), and the customers whose level rose in the period (only those). Each row is
//! classified as it arrives; memory stays two tallies, whatever the number of customers.

use super::columns::Columns;
use super::dialect::Dialect;
use super::experiments::{GroupOutcome, ProgrammeQuery};
use super::{Result, StoreError};
use futures::{Stream, TryStreamExt};
use sqlx::Executor;
use sqlx::query::Query;

/// Index 0: the marketed customers; 1: the global hold-out.
type Groups = [GroupOutcome; 2];

/// Tallies the programme. `revenue` is the backend's statement of (customer id, revenue in
/// the base currency) for every customer with at least one order in the period (it prices
/// currencies its own way); `db` runs the three reads side by side.
pub(crate) async fn programme<'c, DB: Dialect>(
    db: impl Executor<'c, Database = DB> + Copy,
    revenue: Query<'c, DB, DB::Arguments>,
    q: &ProgrammeQuery,
    in_holdout: &(dyn Fn(&str) -> bool + Send + Sync),
) -> Result<Groups> {
    let customers = sqlx::query::<DB>("SELECT id FROM customers").fetch(db);
    // A first assessment (from_level NULL) is where a customer starts, not a rise.
    let climbs = sqlx::query::<DB>(
        "SELECT DISTINCT customer_id FROM level_history \
         WHERE at >= $1 AND at <= $2 AND to_level > from_level",
    )
    .bind(DB::time(q.since))
    .bind(DB::time(q.until))
    .fetch(db);
    let (a, b, c) = tokio::try_join!(
        tally(customers, in_holdout, Row::Customer),
        tally(revenue.fetch(db), in_holdout, Row::Revenue),
        tally(climbs, in_holdout, Row::Climber),
    )?;
    Ok([0, 1].map(|i| add(&add(&a[i], &b[i]), &c[i])))
}

/// What a streamed row is (its first column is always the customer id).
#[derive(Clone, Copy)]
enum Row {
    /// A customer: one more in the group.
    Customer,
    /// A customer who ordered, with the revenue in the second column.
    Revenue,
    /// A customer whose level rose.
    Climber,
}

/// Adds each row to the group its customer is in.
async fn tally<R: Columns>(
    mut rows: impl Stream<Item = Result<R, sqlx::Error>> + Unpin,
    in_holdout: &(dyn Fn(&str) -> bool + Send + Sync),
    kind: Row,
) -> Result<Groups> {
    let mut groups = Groups::default();
    while let Some(r) = rows.try_next().await.map_err(StoreError::from)? {
        let g = &mut groups[usize::from(in_holdout(&r.text(0)?))];
        match kind {
            Row::Customer => {
                g.customers += 1;
                g.revenue.n += 1;
            }
            Row::Revenue => {
                let amount = r.float(1)?;
                g.converted += 1;
                g.revenue.sum += amount;
                g.revenue.sum_squares += amount * amount;
            }
            Row::Climber => g.climbed += 1,
        }
    }
    Ok(groups)
}

fn add(a: &GroupOutcome, b: &GroupOutcome) -> GroupOutcome {
    GroupOutcome {
        customers: a.customers + b.customers,
        converted: a.converted + b.converted,
        revenue: crate::domain::Sample {
            n: a.revenue.n + b.revenue.n,
            sum: a.revenue.sum + b.revenue.sum,
            sum_squares: a.revenue.sum_squares + b.revenue.sum_squares,
        },
        climbed: a.climbed + b.climbed,
    }
}
