//! The cycle's decision for one chunk, without I/O: given the assessed customers and the plan
//! contexts the store looked up, which levels to write (with history), which emails to
//! queue, which notifications announce the moves, and the counts for the log.

use super::assessed::{Assessed, AssessedChunk};
use super::basis::Basis;
use super::plan_parts::{PlanParts, timezone_of};
use super::report::PlannedEmail;
use crate::conditions::Needs;
use crate::domain::{ConditionExtras, NewNotification};
use crate::planner::{self, PlanInput, Planned};
use crate::store::{LevelChange, NewDelivery, PlanContext};
use std::collections::HashMap;

/// What one chunk's cycle writes and reports.
#[derive(Debug, Default)]
pub struct Decisions {
    /// Level changes (and first assessments) to write, each with its history row.
    pub changes: Vec<LevelChange>,
    /// Emails to queue, at most one per customer.
    pub deliveries: Vec<NewDelivery>,
    /// The same emails as `rapport plan` shows them.
    pub planned: Vec<PlannedEmail>,
    /// Outbox rows for `[[notify]]` endpoints announcing the level moves, written in the
    /// transaction that writes the levels they announce.
    pub notifications: Vec<NewNotification>,
    pub assessed: u64,
    /// Customers whose plan context was looked at.
    pub candidates: u64,
    /// Customers a campaign is due for but for a condition that reads what a lookup brings
    /// (attributes, opens, survey scores, order lines): planned by [`Basis::decide_pending`].
    pub pending: Vec<Pending>,
    /// Deliveries (by index) of `send_time = "best"` campaigns, with the customer's timezone:
    /// their `send_at` is placed at the customer's best hour once it is looked up.
    pub best_hour: Vec<(usize, chrono_tz::Tz)>,
}

/// A customer waiting for the lookups its conditions need.
#[derive(Debug)]
pub struct Pending {
    customer: Assessed,
    parts: PlanParts,
    pub needs: Needs,
}

impl Pending {
    pub fn customer_id(&self) -> &str {
        &self.customer.row.customer_id
    }

    /// The customer's recent orders, whose lines `occurrence.items` may read.
    pub fn order_ids(&self) -> impl Iterator<Item = &String> {
        self.parts.orders.iter().map(|o| &o.id)
    }
}

impl Decisions {
    /// Whether the chunk writes nothing (most chunks of a steady-state cycle).
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty() && self.deliveries.is_empty()
    }
}

impl Basis<'_> {
    /// Plans every candidate of `chunk` once, with its context from `contexts` or from the
    /// facts row (which wins: it is what a full cycle's facts brought).
    pub fn decide(
        &self,
        chunk: AssessedChunk,
        mut contexts: HashMap<String, PlanContext>,
    ) -> Decisions {
        let mut decisions = Decisions {
            assessed: chunk.customers.len() as u64,
            candidates: chunk.candidates(),
            ..Decisions::default()
        };
        for mut customer in chunk.customers.into_iter().filter(|c| c.candidate) {
            let context = contexts.remove(&customer.row.customer_id);
            let parts = self.parts(&mut customer, context.unwrap_or_default());
            let input = self.input(&customer, &parts, None);
            if let Some(needs) =
                planner::needs_lookup(&input, self.campaigns, &self.cfg.planner, self.now)
            {
                decisions.pending.push(Pending {
                    customer,
                    parts,
                    needs,
                });
                continue;
            }
            if let Some(planned) =
                planner::pick(&input, self.campaigns, &self.cfg.planner, self.now)
            {
                self.queue(&mut decisions, &customer, planned);
            }
        }
        decisions.notifications = crate::notify::fan_out(
            &self.cfg.notify,
            &crate::notify::level_changes(&chunk.changes, self.now),
            self.now,
        );
        decisions.changes = chunk.changes;
        decisions
    }

    /// Plans the customers that waited for their lookups, now with them.
    pub fn decide_pending(
        &self,
        decisions: &mut Decisions,
        mut extras: HashMap<String, ConditionExtras>,
    ) {
        for p in std::mem::take(&mut decisions.pending) {
            let x = extras.remove(p.customer_id()).unwrap_or_default();
            let input = self.input(&p.customer, &p.parts, Some(&x));
            if let Some(planned) =
                planner::pick(&input, self.campaigns, &self.cfg.planner, self.now)
            {
                self.queue(decisions, &p.customer, planned);
            }
        }
    }

    /// The plan context: what the facts row brought, else what the store looked up.
    fn parts(&self, customer: &mut Assessed, mut ctx: PlanContext) -> PlanParts {
        let row = &mut customer.row;
        if let Some(orders) = row.recent_orders.take() {
            ctx.orders = orders;
        }
        if let Some(complaints) = row.recent_complaints.take() {
            ctx.complaints = complaints;
        }
        if let Some(deliveries) = row.deliveries.take() {
            ctx.deliveries = deliveries;
        }
        PlanParts::from(ctx)
    }

    fn input<'p>(
        &'p self,
        customer: &'p Assessed,
        parts: &'p PlanParts,
        extras: Option<&'p ConditionExtras>,
    ) -> PlanInput<'p> {
        let row = &customer.row;
        PlanInput {
            customer_id: &row.customer_id,
            locale: &row.locale,
            facts: &row.facts,
            assessment: &customer.assessment,
            timezone: timezone_of(&row.timezone, self.cfg.defaults.timezone),
            suppressed: customer.suppression,
            recent_orders: &parts.orders,
            recent_complaints: &parts.complaints,
            deliveries: &parts.deliveries,
            recent_events: &parts.events,
            extras,
            purchases: self.purchases(),
        }
    }

    /// Queues a pick, noting it when its send time waits for the customer's best hour.
    fn queue(&self, decisions: &mut Decisions, customer: &Assessed, planned: Planned) {
        let campaign = self.campaigns.iter().find(|c| c.id == planned.campaign);
        let service = campaign.is_some_and(|c| c.is_service());
        if campaign.is_some_and(planner::wants_best_hour) {
            let tz = timezone_of(&customer.row.timezone, self.cfg.defaults.timezone);
            decisions.best_hour.push((decisions.deliveries.len(), tz));
        }
        decisions.queue(customer, planned, service, &self.message_domain);
    }
}

impl Decisions {
    /// Queues the pick for a customer (and lists it for `rapport plan`).
    fn queue(&mut self, customer: &Assessed, p: Planned, service: bool, message_domain: &str) {
        let (a, customer_id) = (&customer.assessment, &customer.row.customer_id);
        let id = uuid::Uuid::now_v7();
        self.planned.push(PlannedEmail {
            customer_id: customer_id.clone(),
            campaign: p.campaign.clone(),
            current_level: a.current,
            target_level: a.target,
            send_at: p.send_at,
            occurrence: p.occurrence.clone(),
            variant: p.variant.clone(),
            held_out: p.held_out,
        });
        self.deliveries.push(NewDelivery {
            id,
            customer_id: customer_id.clone(),
            service,
            campaign: p.campaign,
            occurrence: p.occurrence,
            current: a.current,
            target: a.target,
            send_at: p.send_at,
            message_id: format!("<{id}@{message_domain}>"),
            unless_since: p.unless_since,
            variant: p.variant,
            held_out: p.held_out,
        });
    }
}
