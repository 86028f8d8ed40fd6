//! SQLite: the per-customer folds of the facts statements' raw rows, and the statement
//! helpers of the bulk reads (scope parameters, IN lists over many ids).

use super::bulk::{RowFold, placeholders, text};
use crate::domain::OrderSummary;
use crate::store::facts_fold::{EventFold, OrderFold, OrderWindows};
use crate::store::facts_merge::{EventFacts, OrderFacts};
use crate::store::time::to_ms;
use crate::store::{Scope, StoreError, batches};
use rusqlite::params_from_iter;
use rusqlite::types::{ToSqlOutput, Value, ValueRef};

/// Ids per IN list (SQLite allows 32,766 variables).
const BATCH: usize = 2_000;

/// Folds the orders statement's rows (customer, time, margin, id if recent, currency) per
/// customer.
pub(super) struct OrdersByCustomer {
    pub windows: OrderWindows,
    pub open: Option<OrderFold>,
}

/// Every order of each customer summed up (no window), for ranking by predicted value.
pub(super) struct SummaryFold {
    pub open: Option<OrderFold>,
}

/// The windows of a summary: none (every order counts in the totals).
const NO_WINDOWS: OrderWindows = OrderWindows {
    orders_since: i64::MAX,
    margin_since: i64::MAX,
    recent_since: None,
};

impl RowFold for SummaryFold {
    type Item = OrderSummary;
    fn row(
        &mut self,
        r: &rusqlite::Row<'_>,
        out: &mut Vec<OrderSummary>,
    ) -> Result<(), StoreError> {
        let customer = text(r, 0)?;
        let fold = match self.open.take() {
            Some(f) if f.customer_id() == customer => self.open.insert(f),
            done => {
                out.extend(done.and_then(|f| f.finish().summary()));
                self.open
                    .insert(OrderFold::new(customer.to_owned(), &NO_WINDOWS))
            }
        };
        fold.add(&NO_WINDOWS, r.get(1)?, r.get(2)?, None, text(r, 3)?)
            .map_err(|e| crate::store::columns::bad_value(3, e))
    }

    fn finish(&mut self, out: &mut Vec<OrderSummary>) {
        out.extend(self.open.take().and_then(|f| f.finish().summary()));
    }
}

impl RowFold for OrdersByCustomer {
    type Item = OrderFacts;
    fn row(&mut self, r: &rusqlite::Row<'_>, out: &mut Vec<OrderFacts>) -> Result<(), StoreError> {
        let customer = text(r, 0)?;
        let w = &self.windows;
        let fold = match self.open.take() {
            Some(f) if f.customer_id() == customer => self.open.insert(f),
            done => {
                out.extend(done.map(OrderFold::finish));
                self.open.insert(OrderFold::new(customer.to_owned(), w))
            }
        };
        let at: i64 = r.get(1)?;
        let id = if OrderFold::wants_id(w, at) {
            Some(r.get(3)?)
        } else {
            None
        };
        fold.add(w, at, r.get(2)?, id, text(r, 4)?)
            .map_err(|e| crate::store::columns::bad_value(4, e))?;
        Ok(())
    }
    fn finish(&mut self, out: &mut Vec<OrderFacts>) {
        out.extend(self.open.take().map(OrderFold::finish));
    }
}

/// Folds the events statement's rows (customer, time, kind, machine) per customer.
pub(super) struct EventsByCustomer {
    pub referrals_since: i64,
    pub open: Option<EventFold>,
}

impl RowFold for EventsByCustomer {
    type Item = EventFacts;
    fn row(&mut self, r: &rusqlite::Row<'_>, out: &mut Vec<EventFacts>) -> Result<(), StoreError> {
        let customer = text(r, 0)?;
        let fold = match self.open.take() {
            Some(f) if f.customer_id() == customer => self.open.insert(f),
            done => {
                out.extend(done.map(EventFold::finish));
                self.open.insert(EventFold::new(customer.to_owned()))
            }
        };
        fold.add(r.get(1)?, r.get(2)?, r.get(3)?, self.referrals_since);
        Ok(())
    }
    fn finish(&mut self, out: &mut Vec<EventFacts>) {
        out.extend(self.open.take().map(EventFold::finish));
    }
}

/// `params` followed by the scope's parameter, if it has one (it is the statement's last).
pub(super) fn with_scope(mut params: Vec<Value>, scope: &Scope) -> Vec<Value> {
    params.extend(match scope {
        Scope::All => None,
        Scope::TouchedSince(t) => Some(Value::Integer(to_ms(*t))),
        Scope::One(id) => Some(Value::Text(id.clone())),
    });
    params
}

/// Runs `sql` once per batch of `ids` (`{IDS}` in `sql` becomes the batch's placeholders,
/// after the `fixed` parameters) and hands each row to `each`. Full batches share one
/// cached statement.
pub(super) fn for_each_in(
    conn: &rusqlite::Connection,
    sql: &str,
    fixed: &[Value],
    ids: &[String],
    mut each: impl FnMut(&rusqlite::Row<'_>) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    for chunk in batches(ids, BATCH) {
        let mut stmt = conn.prepare_cached(&sql.replace("{IDS}", &placeholders(chunk.len())))?;
        let params = fixed
            .iter()
            .map(ValueRef::from)
            .chain(chunk.iter().map(|id| ValueRef::Text(id.as_bytes())))
            .map(ToSqlOutput::Borrowed);
        let mut rows = stmt.query(params_from_iter(params))?;
        while let Some(r) = rows.next()? {
            each(r)?;
        }
    }
    Ok(())
}
