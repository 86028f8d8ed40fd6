//! The cycle's facts as three streams merged by customer id: the customers (profile, stored
//! levels), one aggregate row per customer with orders, one per customer with evidence
//! events. Each statement reads its table's index in customer-id order and groups as it
//! goes; joining the three aggregates in SQL instead makes the database hash or sort a
//! million rows (measured while designing it: 2.7–2.9 s joined against 1.3–1.5 s merged, SQLite).
//! Suppressions are keyed by email, not by customer id, so no ordered stream can bring
//! them: they are read first into a map (only the scope's, for a narrow scope). Joining them
//! in SQL cost a hash join and a sort of every customer on PostgreSQL (3.2 s, measured) and
//! an index lookup per customer on SQLite (2.1 s against 0.24 s without).

pub(crate) use super::facts_parts::{CustomerDelivery, EventFacts, OrderFacts, RecentComplaints};
use super::{FactsRow, StoreError};
use futures::{Stream, TryStreamExt};
use std::collections::HashMap;

/// Reads the suppressions a scope needs into a map (email → reason): for every customer the
/// whole list (a hash of it is what the database would build for the join, too); for a
/// narrow scope only the addresses of its customers.
pub(crate) async fn suppressions<S, Er>(rows: S) -> Result<HashMap<String, String>, Er>
where
    S: Stream<Item = Result<(String, String), Er>>,
{
    rows.try_collect().await
}

/// Merges the three streams (customers with empty facts, orders, events; all ordered by
/// customer id in the same collation) and, when given, the deliveries (each customer then
/// gets `FactsRow::deliveries`, empty for none) into chunks of `chunk` rows sent to `tx`,
/// each customer's suppression looked up in `suppressions` (email → reason).
///
/// With [`IdOrder::Database`] ids are only compared for equality, so the database's
/// collation need not match Rust's byte order; the streams read one snapshot and every order
/// and event belongs to a customer (foreign keys), so an aggregate row left over means the
/// streams disagreed on the order: that is an error, not a silently wrong assessment. With
/// [`IdOrder::Bytes`] the streams may have read different snapshots, and facts of a customer
/// the customers stream does not have (deleted between two streams' starts) are skipped. The
/// first error ends the stream.
pub(crate) async fn merge_in_chunks<C, O, E, D, Er>(
    streams: FactsStreams<C, O, E, D>,
    suppressions: &HashMap<String, String>,
    tx: &tokio::sync::mpsc::Sender<super::Result<Vec<FactsRow>>>,
    chunk: usize,
) where
    C: Stream<Item = Result<FactsRow, Er>> + Unpin,
    O: Stream<Item = Result<OrderFacts, Er>> + Unpin,
    E: Stream<Item = Result<EventFacts, Er>> + Unpin,
    D: Stream<Item = Result<CustomerDelivery, Er>> + Unpin,
    StoreError: From<Er>,
{
    if let Err(e) = merge(streams, suppressions, tx, chunk).await {
        let _ = tx.send(Err(e)).await;
    }
}

/// How the facts streams order customer ids, and so what the merge makes of facts whose
/// customer the customers stream never brings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum IdOrder {
    /// The database's collation, which need not be Rust's byte order; every stream reads the
    /// same snapshot (PostgreSQL exports one), so such facts are an error.
    Database,
    /// Byte order (SQLite's BINARY collation); each stream reads its own snapshot, so a
    /// customer deleted between two streams' starts can leave facts behind in one of them.
    /// They sort before the customer the merge is at (or after the last), and are skipped.
    Bytes,
}

/// The streams `merge_in_chunks` merges, each in customer-id order.
pub(crate) struct FactsStreams<C, O, E, D> {
    pub order: IdOrder,
    pub customers: C,
    pub orders: O,
    pub events: E,
    /// None: the cycle looks the deliveries up itself (narrow scopes).
    pub deliveries: Option<D>,
    /// Recent complaints by customer id (few: read up front, not streamed); each customer
    /// then gets `FactsRow::recent_complaints`. None: the cycle looks them up.
    pub recent_complaints: Option<RecentComplaints>,
}

async fn merge<C, O, E, D, Er>(
    streams: FactsStreams<C, O, E, D>,
    suppressions: &HashMap<String, String>,
    tx: &tokio::sync::mpsc::Sender<super::Result<Vec<FactsRow>>>,
    chunk: usize,
) -> Result<(), StoreError>
where
    C: Stream<Item = Result<FactsRow, Er>> + Unpin,
    O: Stream<Item = Result<OrderFacts, Er>> + Unpin,
    E: Stream<Item = Result<EventFacts, Er>> + Unpin,
    D: Stream<Item = Result<CustomerDelivery, Er>> + Unpin,
    StoreError: From<Er>,
{
    let FactsStreams {
        order,
        mut customers,
        mut orders,
        mut events,
        mut deliveries,
        mut recent_complaints,
    } = streams;
    let mut next_order = orders.try_next().await?;
    let mut next_event = events.try_next().await?;
    let mut next_delivery = match deliveries.as_mut() {
        Some(d) => d.try_next().await?,
        None => None,
    };
    let mut buf = Vec::with_capacity(chunk);
    // Byte order: facts rows whose customer the customers stream did not bring.
    let mut skipped = 0u64;
    while let Some(mut row) = customers.try_next().await? {
        row.suppression = suppressions.get(&row.email).cloned();
        if order == IdOrder::Bytes {
            let id = row.customer_id.as_str();
            skipped += skip_before(&mut next_order, &mut orders, id, |o| &o.customer_id).await?;
            skipped += skip_before(&mut next_event, &mut events, id, |e| &e.customer_id).await?;
            if let Some(d) = deliveries.as_mut() {
                skipped += skip_before(&mut next_delivery, d, id, |n| &n.customer_id).await?;
            }
        }
        if let Some(o) = next_order.take_if(|o| o.customer_id == row.customer_id) {
            o.fill(&mut row);
            next_order = orders.try_next().await?;
        }
        if let Some(e) = next_event.take_if(|e| e.customer_id == row.customer_id) {
            e.fill(&mut row);
            next_event = events.try_next().await?;
        }
        if let Some(d) = deliveries.as_mut() {
            let mut own = Vec::new();
            while let Some(next) = next_delivery.take_if(|n| n.customer_id == row.customer_id) {
                own.push(next.delivery);
                next_delivery = d.try_next().await?;
            }
            row.deliveries = Some(own);
        }
        if let Some(c) = recent_complaints.as_mut() {
            row.recent_complaints = Some(c.remove(&row.customer_id).unwrap_or_default());
        }
        buf.push(row);
        if buf.len() >= chunk && tx.send(Ok(std::mem::take(&mut buf))).await.is_err() {
            return Ok(()); // the cycle stopped listening
        }
    }
    // Byte order: what is left belongs to customers after the last one, deleted meanwhile.
    if order == IdOrder::Bytes {
        skipped += [
            next_order.is_some(),
            next_event.is_some(),
            next_delivery.is_some(),
        ]
        .iter()
        .filter(|&&left| left)
        .count() as u64;
        if skipped > 0 {
            // Normal when customers are deleted while a cycle reads (the next cycle is
            // whole); many, with no deletes, would mean the streams' orders differ.
            tracing::info!(
                facts_rows = skipped,
                "Skipped facts of customers deleted while the cycle read them."
            );
        }
    }
    if order == IdOrder::Database
        && let Some(id) = next_order
            .map(|o| o.customer_id)
            .or(next_event.map(|e| e.customer_id))
            .or(next_delivery.map(|d| d.customer_id))
    {
        return Err(StoreError::Invalid(format!(
            "facts of customer {id} were not matched to a customer: the facts streams \
             disagree on the order of customer ids"
        )));
    }
    if !buf.is_empty() {
        let _ = tx.send(Ok(buf)).await;
    }
    Ok(())
}

/// Byte order: moves `head` past the rows of customers sorting before `id` (deleted before
/// the customers stream started, so it never brings them), reading on from `rest`; how many
/// rows it dropped.
async fn skip_before<T, S, Er>(
    head: &mut Option<T>,
    rest: &mut S,
    id: &str,
    customer: fn(&T) -> &String,
) -> Result<u64, StoreError>
where
    S: Stream<Item = Result<T, Er>> + Unpin,
    StoreError: From<Er>,
{
    let mut n = 0;
    while head.as_ref().is_some_and(|h| customer(h).as_str() < id) {
        *head = rest.try_next().await?;
        n += 1;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Level;
    use crate::store::DeliveryRef;
    use chrono::DateTime;
    use futures::stream;

    fn customer(id: &str) -> FactsRow {
        FactsRow::assessed(id, Level::Basic)
    }

    fn order(id: &str, n: u32) -> OrderFacts {
        OrderFacts {
            customer_id: id.into(),
            orders_in_window: n,
            orders: n,
            margin_in_window: f64::from(n) * 10.0,
            margin: f64::from(n) * 12.0,
            currency: crate::domain::Currency::parse("EUR").ok(),
            first_order_at: Some(DateTime::from_timestamp(1_600_000_000, 0).unwrap()),
            last_order_at: Some(DateTime::from_timestamp(1_700_000_000, 0).unwrap()),
            recent_orders: None,
        }
    }

    fn event(id: &str, referrals: u32) -> EventFacts {
        EventFacts {
            last_click_at: Some(DateTime::from_timestamp(1_700_000_500, 0).unwrap()),
            referrals_in_window: referrals,
            ..EventFacts::none(id.into())
        }
    }

    async fn run(
        customers: Vec<FactsRow>,
        orders: Vec<OrderFacts>,
        events: Vec<EventFacts>,
        deliveries: Option<Vec<CustomerDelivery>>,
        suppressions: &[(&str, &str)],
        chunk: usize,
    ) -> Vec<super::super::Result<Vec<FactsRow>>> {
        run_streams(
            IdOrder::Database,
            customers,
            orders,
            events,
            deliveries,
            suppressions,
            chunk,
        )
        .await
    }

    async fn run_streams(
        order: IdOrder,
        customers: Vec<FactsRow>,
        orders: Vec<OrderFacts>,
        events: Vec<EventFacts>,
        deliveries: Option<Vec<CustomerDelivery>>,
        suppressions: &[(&str, &str)],
        chunk: usize,
    ) -> Vec<super::super::Result<Vec<FactsRow>>> {
        let suppressions: HashMap<String, String> = suppressions
            .iter()
            .map(|(e, r)| (e.to_string(), r.to_string()))
            .collect();
        let (tx, mut rx) = tokio::sync::mpsc::channel(100);
        merge_in_chunks(
            FactsStreams {
                order,
                customers: stream::iter(customers.into_iter().map(Ok::<_, StoreError>)),
                orders: stream::iter(orders.into_iter().map(Ok::<_, StoreError>)),
                events: stream::iter(events.into_iter().map(Ok::<_, StoreError>)),
                deliveries: deliveries.map(|d| stream::iter(d.into_iter().map(Ok))),
                recent_complaints: None,
            },
            &suppressions,
            &tx,
            chunk,
        )
        .await;
        drop(tx);
        let mut out = Vec::new();
        while let Some(c) = rx.recv().await {
            out.push(c);
        }
        out
    }

    #[tokio::test]
    async fn each_customer_gets_its_own_orders_and_events_and_none_others() {
        // In an order Rust would not sort them in: equality is all the merge relies on.
        let ids = ["c-b", "c-a", "c-c", "C-d"];
        let out = run(
            ids.iter().map(|id| customer(id)).collect(),
            vec![order("c-a", 2), order("C-d", 5)],
            vec![event("c-b", 1), event("c-a", 3)],
            None,
            &[
                ("c-c@example.com", "unsubscribed"),
                ("x@example.com", "bounced"),
            ],
            3,
        )
        .await;
        let rows: Vec<FactsRow> = out.into_iter().flat_map(|c| c.unwrap()).collect();
        let got: Vec<(&str, u32, u32, bool)> = rows
            .iter()
            .map(|r| {
                (
                    r.customer_id.as_str(),
                    r.facts.orders_in_window,
                    r.facts.referrals_in_window,
                    r.facts.last_click_at.is_some(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                ("c-b", 0, 1, true),
                ("c-a", 2, 3, true),
                ("c-c", 0, 0, false),
                ("C-d", 5, 0, false)
            ]
        );
        assert_eq!(rows[1].facts.margin_in_window, 20.0);
        assert!(rows[0].facts.last_order_at.is_none());
        let suppressed: Vec<Option<&str>> = rows.iter().map(|r| r.suppression.as_deref()).collect();
        assert_eq!(suppressed, vec![None, None, Some("unsubscribed"), None]);
    }

    #[tokio::test]
    async fn rows_arrive_in_chunks_of_the_requested_size() {
        let customers: Vec<FactsRow> = (0..7).map(|i| customer(&format!("c{i}"))).collect();
        let sizes: Vec<usize> = run(customers, vec![], vec![], None, &[], 3)
            .await
            .into_iter()
            .map(|c| c.unwrap().len())
            .collect();
        assert_eq!(sizes, vec![3, 3, 1]);
    }

    #[tokio::test]
    async fn facts_out_of_step_with_the_customers_are_an_error_not_a_wrong_assessment() {
        // "c-a"'s orders arrive after "c-b": the streams disagree on the order.
        let out = run(
            vec![customer("c-a"), customer("c-b")],
            vec![order("c-b", 1), order("c-a", 1)],
            vec![],
            None,
            &[],
            10,
        )
        .await;
        assert!(matches!(out.last(), Some(Err(StoreError::Invalid(_)))));
    }

    fn delivery(customer: &str, campaign: &str) -> CustomerDelivery {
        CustomerDelivery {
            customer_id: customer.into(),
            delivery: DeliveryRef {
                campaign: campaign.into(),
                occurrence: "once".into(),
                at: DateTime::from_timestamp(1_700_000_000, 0).unwrap(),
                service: false,
                status: "sent".into(),
            },
        }
    }

    #[tokio::test]
    async fn each_customer_gets_its_own_deliveries_and_an_empty_list_for_none() {
        let out = run(
            vec![customer("c-b"), customer("c-a"), customer("c-c")],
            vec![],
            vec![],
            Some(vec![
                delivery("c-b", "welcome"),
                delivery("c-b", "survey"),
                delivery("c-c", "loyalty"),
            ]),
            &[],
            2,
        )
        .await;
        let rows: Vec<FactsRow> = out.into_iter().flat_map(|c| c.unwrap()).collect();
        let got: Vec<Vec<&str>> = rows
            .iter()
            .map(|r| {
                r.deliveries
                    .as_ref()
                    .unwrap()
                    .iter()
                    .map(|d| d.campaign.as_str())
                    .collect()
            })
            .collect();
        assert_eq!(
            got,
            vec![vec!["welcome", "survey"], vec![], vec!["loyalty"]]
        );
    }

    #[tokio::test]
    async fn deliveries_of_no_merged_customer_are_an_error() {
        let out = run(
            vec![customer("c-a")],
            vec![],
            vec![],
            Some(vec![delivery("c-z", "welcome")]),
            &[],
            10,
        )
        .await;
        assert!(matches!(out.last(), Some(Err(StoreError::Invalid(_)))));
    }

    /// SQLite's streams each read their own snapshot: a customer deleted between two
    /// streams' starts leaves facts in one of them with no customer row. In byte order they
    /// are skipped, before, between and after the customers; in the database's order (one
    /// snapshot for every stream) the same streams are an error.
    #[tokio::test]
    async fn facts_of_a_customer_deleted_meanwhile_are_skipped_in_byte_order() {
        let streams = || {
            (
                vec![customer("c-b"), customer("c-d")],
                vec![
                    order("c-a", 7),
                    order("c-b", 1),
                    order("c-c", 7),
                    order("c-d", 2),
                ],
                vec![event("c-c", 9), event("c-d", 3), event("c-e", 9)],
                Some(vec![
                    delivery("c-a", "lost"),
                    delivery("c-b", "welcome"),
                    delivery("c-c", "lost"),
                    delivery("c-c", "lost-too"),
                    delivery("c-e", "lost"),
                ]),
            )
        };
        let (c, o, e, d) = streams();
        let out = run_streams(IdOrder::Bytes, c, o, e, d, &[], 10).await;
        let rows: Vec<FactsRow> = out.into_iter().flat_map(|c| c.unwrap()).collect();
        let got: Vec<(&str, u32, u32, usize)> = rows
            .iter()
            .map(|r| {
                (
                    r.customer_id.as_str(),
                    r.facts.orders,
                    r.facts.referrals_in_window,
                    r.deliveries.as_ref().unwrap().len(),
                )
            })
            .collect();
        assert_eq!(got, vec![("c-b", 1, 0, 1), ("c-d", 2, 3, 0)]);
        let (c, o, e, d) = streams();
        let out = run_streams(IdOrder::Database, c, o, e, d, &[], 10).await;
        assert!(matches!(out.last(), Some(Err(StoreError::Invalid(_)))));
    }

    #[tokio::test]
    async fn without_a_deliveries_stream_the_rows_leave_them_to_the_plan_context() {
        let out = run(vec![customer("c-a")], vec![], vec![], None, &[], 10).await;
        let rows: Vec<FactsRow> = out.into_iter().flat_map(|c| c.unwrap()).collect();
        assert!(rows[0].deliveries.is_none());
    }
}
