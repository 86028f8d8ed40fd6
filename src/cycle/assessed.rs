//! A chunk of customers assessed: their levels and the changes to write, their suppression,
//! and whether some campaign could be due for them, which decides whose plan context (orders,
//! complaints, deliveries) is looked up before planning.

use super::basis::Basis;
use super::plan_parts::{see_level_change, suppression_of, timezone_of};
use crate::levels::{self, Assessment};
use crate::planner::{self, Suppression};
use crate::store::{ContextRequest, FactsRow, LevelChange};

/// One customer of the chunk.
#[derive(Debug)]
pub struct Assessed {
    pub row: FactsRow,
    pub assessment: Assessment,
    pub suppression: Option<Suppression>,
    /// Something could be planned: a recent order or complaint, or a campaign that is due
    /// even with no history (deliveries only ever block, never enable).
    pub candidate: bool,
}

pub struct AssessedChunk {
    pub(super) customers: Vec<Assessed>,
    /// Only changes (and first assessments, so that the start is recorded) are written.
    pub(super) changes: Vec<LevelChange>,
}

/// Whose context the store must look up for one chunk: the candidates whose facts did not
/// bring it (a full cycle's facts bring everything).
#[derive(Debug, Default, PartialEq)]
pub struct Lookups {
    /// Candidates whose deliveries are wanted.
    pub ids: Vec<String>,
    /// Candidates whose facts show a recent order (the others have none to look up).
    pub ordered_recently: Vec<String>,
    /// Candidates whose facts show a recent complaint, machine-flagged ones included.
    pub complained_recently: Vec<String>,
    /// Candidates whose facts show a custom event some campaign reads.
    pub custom_recently: Vec<String>,
}

impl Basis<'_> {
    /// Assesses every customer of a chunk and tells the candidates apart.
    pub fn assess(&self, rows: Vec<FactsRow>) -> AssessedChunk {
        let (levels_cfg, strategy) = (&self.cfg.levels, &self.cfg.strategy);
        let mut chunk = AssessedChunk {
            customers: Vec::with_capacity(rows.len()),
            changes: Vec::new(),
        };
        for mut row in rows {
            super::tiers_state::score(&mut row.facts, self.model.as_ref(), strategy, self.now);
            let mut a =
                levels::assess_levels(&row.facts, levels_cfg, strategy, self.tiers, self.now);
            see_level_change(&mut row, a.current, self.now);
            let facts = &row.facts;
            if row.stored_current != Some(a.current) || a.target != row.stored_target {
                // Only changes need their reasons spelled out.
                a = levels::assess(facts, levels_cfg, strategy, self.tiers, self.now);
                chunk.changes.push(LevelChange {
                    customer_id: row.customer_id.clone(),
                    from: row.stored_current,
                    current: a.current,
                    target: a.target,
                    reasons: a.reasons.clone(),
                });
            }
            let suppression = suppression_of(row.suppression.as_deref(), row.subscribed);
            // An address erased before stays a candidate while its sign-up awaits
            // confirmation: the confirmation is its only email (planner::rules).
            let reconsent =
                suppression == Some(Suppression::ErasedBefore) && row.facts.consent_pending;
            let candidate = (suppression.is_none() || reconsent) && self.could_plan(&row, &a);
            chunk.customers.push(Assessed {
                row,
                assessment: a,
                suppression,
                candidate,
            });
        }
        chunk
    }

    fn could_plan(&self, row: &FactsRow, a: &Assessment) -> bool {
        let facts = &row.facts;
        facts.last_order_at.is_some_and(|t| t >= self.orders_since)
            || facts
                .last_complaint_at
                .is_some_and(|t| t >= self.complaints_since)
            || self.custom_recently(row)
            || self.may_follow_up(row)
            || planner::due_without_history(
                facts,
                a,
                timezone_of(&row.timezone, self.cfg.defaults.timezone),
                self.purchases(),
                self.campaigns,
                &self.cfg.planner,
                self.now,
            )
    }

    /// Whether the customer may be due for a follow-up: they got an email it follows (or,
    /// when the facts did not bring their deliveries, they may have).
    fn may_follow_up(&self, row: &FactsRow) -> bool {
        !self.followed.is_empty()
            && row.deliveries.as_ref().is_none_or(|ds| {
                ds.iter()
                    .any(|d| d.status == "sent" && self.followed.contains(&d.campaign.as_str()))
            })
    }

    /// Whether the customer may have custom events some campaign reads.
    fn custom_recently(&self, row: &FactsRow) -> bool {
        self.custom_since < self.now
            && row
                .facts
                .last_custom_event_at
                .is_some_and(|t| t >= self.custom_since)
    }

    /// The store request for a chunk's lookups.
    pub fn context_request<'l>(&self, lookups: &'l Lookups) -> ContextRequest<'l> {
        ContextRequest {
            ids: &lookups.ids,
            ordered_recently: &lookups.ordered_recently,
            complained_recently: &lookups.complained_recently,
            custom_recently: &lookups.custom_recently,
            orders_since: self.orders_since,
            complaints_since: self.complaints_since,
            custom_since: self.custom_since,
        }
    }
}

impl AssessedChunk {
    pub fn candidates(&self) -> u64 {
        self.customers.iter().filter(|c| c.candidate).count() as u64
    }

    /// What the store must look up for the candidates. Recent orders (complaints) can only
    /// exist where the facts' last order (complaint) is recent: the other candidates, due
    /// for a campaign without any, need no lookup.
    pub(super) fn lookups(&self, basis: &Basis) -> Lookups {
        let mut lookups = Lookups::default();
        for Assessed { row, .. } in self.customers.iter().filter(|c| c.candidate) {
            let id = || row.customer_id.clone();
            if row.deliveries.is_none() {
                lookups.ids.push(id());
            }
            let ordered = row.facts.last_order_at;
            if row.recent_orders.is_none() && ordered.is_some_and(|t| t >= basis.orders_since) {
                lookups.ordered_recently.push(id());
            }
            let complained = row.any_complaint_at;
            if row.recent_complaints.is_none()
                && complained.is_some_and(|t| t >= basis.complaints_since)
            {
                lookups.complained_recently.push(id());
            }
            if basis.custom_recently(row) {
                lookups.custom_recently.push(id());
            }
        }
        lookups
    }
}

impl Lookups {
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
            && self.ordered_recently.is_empty()
            && self.complained_recently.is_empty()
            && self.custom_recently.is_empty()
    }
}
