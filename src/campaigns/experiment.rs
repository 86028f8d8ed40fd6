//! A campaign's experiment: its variants (`[[variant]]`), its hold-out share (`holdout`), the
//! salt that fixes who is in which arm (`[experiment] salt`) and the optional auto-winner —
//! and the global hold-out the configuration adds to every marketing campaign.

use crate::experiments::assign;
use std::collections::BTreeMap;

/// What a campaign's experiment is made of. The default is no experiment: every eligible
/// customer gets the campaign as written.
#[derive(Debug, Clone, Default)]
pub struct Experiment {
    /// Mixed into the hash with the campaign id; changing it re-randomises the arms (a new
    /// experiment on the same campaign). Defaults to the campaign id.
    pub salt: String,
    /// Share of eligible customers planned but never sent (0: none).
    pub holdout: f64,
    /// Empty: no variants (the campaign as written). Otherwise at least two.
    pub variants: Vec<Variant>,
    pub auto_winner: Option<AutoWinner>,
    /// The variant an auto-winner decision chose: everyone outside the hold-out gets it.
    /// Set by the cycle from the recorded decision, never from the file.
    pub winner: Option<String>,
    /// The configuration's `[experiments] global_holdout`, on marketing campaigns only.
    pub global: Option<GlobalHoldout>,
}

/// One `[[variant]]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variant {
    pub id: String,
    pub weight: u32,
    /// Subjects per locale tag that replace the campaign's (locales not given keep the
    /// campaign's subject).
    pub subjects: BTreeMap<String, String>,
    /// Where each of those subjects is written (line, column).
    pub subject_positions: BTreeMap<String, (usize, usize)>,
    /// A template that replaces the campaign's.
    pub template: Option<String>,
}

/// `[experiment] auto_winner = true`: once every variant has `decide_after` recipients whose
/// outcome is known, a variant significantly better than every other on `goal` becomes the
/// one everybody gets.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AutoWinner {
    pub decide_after: u64,
    pub goal: Goal,
    /// 0.95: a difference must be significant at 5 %.
    pub confidence: f64,
}

/// What an auto-winner decides on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Goal {
    /// An order within `report.conversion_window` of the email.
    Conversion,
    /// A human click (machine clicks excluded).
    Click,
    /// A human open.
    Open,
    /// A level climb within the report's climb window.
    Climb,
}

impl Goal {
    pub const NAMES: [&'static str; 4] = ["conversion", "click", "open", "climb"];

    pub fn parse(s: &str) -> Option<Goal> {
        Some(match s {
            "conversion" => Goal::Conversion,
            "click" => Goal::Click,
            "open" => Goal::Open,
            "climb" => Goal::Climb,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        Self::NAMES[self as usize]
    }
}

/// `[experiments] global_holdout`: a share of all customers who get no marketing at all, to
/// measure the whole programme against nothing.
#[derive(Debug, Clone, PartialEq)]
pub struct GlobalHoldout {
    pub share: f64,
    pub salt: String,
}

impl GlobalHoldout {
    /// The scope mixed into the hash: no campaign can be named this (ids are file stems
    /// without spaces).
    const SCOPE: &'static str = "global holdout";

    pub fn holds(&self, customer: &str) -> bool {
        self.share > 0.0 && assign::unit(Self::SCOPE, &self.salt, customer) < self.share
    }
}

/// The arm a customer is in for one campaign.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arm<'a> {
    /// No experiment on this campaign: the campaign as written.
    Plain,
    /// Planned but never sent.
    HeldOut,
    Variant(&'a Variant),
}

impl Arm<'_> {
    /// What the delivery records: the variant id, or None.
    pub fn variant_id(&self) -> Option<&str> {
        match self {
            Arm::Variant(v) => Some(&v.id),
            _ => None,
        }
    }
}

impl Experiment {
    /// Whether the campaign runs an experiment of its own (variants or a hold-out).
    pub fn is_running(&self) -> bool {
        self.holdout > 0.0 || !self.variants.is_empty()
    }

    /// The customer's arm for campaign `campaign`. One unit number decides both: below
    /// `holdout` the customer is held out; above it, the rest of the interval is split by the
    /// variants' weights — so changing the hold-out share does not reshuffle the variants'
    /// relative order, and after an auto-winner decision the hold-out stays who it was.
    pub fn arm(&self, campaign: &str, customer: &str) -> Arm<'_> {
        if !self.is_running() {
            return Arm::Plain;
        }
        let u = assign::unit(campaign, &self.salt, customer);
        if u < self.holdout {
            return Arm::HeldOut;
        }
        if let Some(w) = self.winner.as_deref()
            && let Some(v) = self.variants.iter().find(|v| v.id == w)
        {
            return Arm::Variant(v);
        }
        if self.variants.is_empty() {
            return Arm::Plain;
        }
        let rest = (u - self.holdout) / (1.0 - self.holdout);
        let weights: Vec<u32> = self.variants.iter().map(|v| v.weight).collect();
        Arm::Variant(&self.variants[assign::by_weight(rest, &weights)])
    }

    /// A variant's share of the customers outside the hold-out.
    pub fn share(&self, variant: &Variant) -> f64 {
        let total: u32 = self.variants.iter().map(|v| v.weight).sum();
        f64::from(variant.weight) / f64::from(total.max(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn variant(id: &str, weight: u32) -> Variant {
        Variant {
            id: id.into(),
            weight,
            subjects: BTreeMap::new(),
            subject_positions: BTreeMap::new(),
            template: None,
        }
    }

    fn experiment(holdout: f64, variants: Vec<Variant>) -> Experiment {
        Experiment {
            salt: "s".into(),
            holdout,
            variants,
            ..Default::default()
        }
    }

    #[test]
    fn a_campaign_without_an_experiment_is_plain_for_everyone() {
        assert_eq!(Experiment::default().arm("c", "x"), Arm::Plain);
    }

    #[test]
    fn the_holdout_takes_its_share_and_the_variants_split_the_rest() {
        let e = experiment(0.1, vec![variant("A", 1), variant("B", 1)]);
        let mut counts = BTreeMap::new();
        for i in 0..100_000 {
            let arm = match e.arm("c", &format!("cust-{i}")) {
                Arm::HeldOut => "holdout",
                Arm::Variant(v) => {
                    if v.id == "A" {
                        "A"
                    } else {
                        "B"
                    }
                }
                Arm::Plain => "plain",
            };
            *counts.entry(arm).or_insert(0u32) += 1;
        }
        let share = |k| f64::from(counts[k]) / 100_000.0;
        assert!((share("holdout") - 0.10).abs() < 0.01);
        assert!((share("A") - 0.45).abs() < 0.01);
        assert!((share("B") - 0.45).abs() < 0.01);
        assert!(!counts.contains_key("plain"));
    }

    #[test]
    fn after_a_decision_everyone_outside_the_holdout_gets_the_winner() {
        let mut e = experiment(0.2, vec![variant("A", 1), variant("B", 1)]);
        let before: Vec<bool> = (0..2000)
            .map(|i| e.arm("c", &format!("c{i}")) == Arm::HeldOut)
            .collect();
        e.winner = Some("B".into());
        for (i, held) in before.iter().enumerate() {
            match e.arm("c", &format!("c{i}")) {
                Arm::HeldOut => assert!(held, "the hold-out keeps its members"),
                Arm::Variant(v) => assert!(!held && v.id == "B"),
                Arm::Plain => panic!("plain inside an experiment"),
            }
        }
    }

    #[test]
    fn the_global_holdout_holds_its_share_of_customers() {
        let g = GlobalHoldout {
            share: 0.02,
            salt: "x".into(),
        };
        let held = (0..100_000).filter(|i| g.holds(&format!("c{i}"))).count();
        assert!((1_700..2_300).contains(&held), "{held}");
        let none = GlobalHoldout { share: 0.0, ..g };
        assert!(!(0..1000).any(|i| none.holds(&format!("c{i}"))));
    }
}
