use super::{App, CmdResult, Failure, Format};
use crate::cycle::{self, PlanParts};
use crate::levels;
use crate::planner::{self, PlanInput};
use crate::store::{ContextRequest, Scope};
use chrono::{DateTime, Utc};

/// `rapport explain CUSTOMER_ID`: the assessment with its reasons, the level history, the
/// campaign the planner would pick now and why every other campaign was not picked.
pub async fn run(app: &App, customer_id: &str, now: DateTime<Utc>, format: Format) -> CmdResult {
    let cfg = &app.config;
    let mut campaigns = app.campaigns()?;
    // The auto-winner's decisions, so the arm shown is the one the cycle would use.
    cycle::experiments::apply(&mut campaigns, &app.store.winners().await?);
    let mut rx = app.store.facts_chunks(
        Scope::One(customer_id.to_string()),
        cycle::windows(cfg, now),
        1,
    );
    let mut row = match rx.recv().await {
        Some(chunk) => chunk?.into_iter().next(),
        None => None,
    }
    .ok_or_else(|| Failure::User(anyhow::anyhow!("no customer with id `{customer_id}`")))?;
    // Tiers come from the last full cycle (or are computed now if none ran).
    let (tiers, ranking) = cycle::current_tiers(&*app.store, cfg, now).await?;
    cycle::score(&mut row.facts, ranking.as_ref(), &cfg.strategy, now);
    let a = levels::assess(&row.facts, &cfg.levels, &cfg.strategy, &tiers, now);
    let far = chrono::TimeDelta::days(3650);
    let ctx = app
        .store
        .plan_contexts(&ContextRequest::one(&row.customer_id, now - far))
        .await?;
    let parts: PlanParts = ctx.into_values().next().unwrap_or_default().into();
    cycle::see_level_change(&mut row, a.current, now);
    // One customer: look up everything any condition could read.
    let every = crate::conditions::Needs {
        attributes: true,
        opens: true,
        survey: true,
        items: true,
    };
    let order_ids: Vec<String> = parts.orders.iter().map(|o| o.id.clone()).collect();
    let ids = std::slice::from_ref(&row.customer_id);
    let extras = app
        .store
        .condition_extras(ids, every, &order_ids)
        .await?
        .remove(&row.customer_id)
        .unwrap_or_default();
    // The cycle's purchase-rhythm model (`on = "predicted_need"`), the one the rhythm line
    // below is scored with.
    let model = crate::valuation::model::model(&*app.store, now, false).await?;
    let input = PlanInput {
        customer_id: &row.customer_id,
        locale: &row.locale,
        facts: &row.facts,
        assessment: &a,
        timezone: cycle::timezone_of(&row.timezone, cfg.defaults.timezone),
        suppressed: cycle::suppression_of(row.suppression.as_deref(), row.subscribed),
        recent_orders: &parts.orders,
        recent_complaints: &parts.complaints,
        deliveries: &parts.deliveries,
        recent_events: &parts.events,
        extras: Some(&extras),
        purchases: model.as_ref().map(|m| &m.purchases),
    };
    let mut decision = planner::plan(&input, &campaigns, &cfg.planner, now);
    let history = app.store.level_history(customer_id).await?;
    let sent = app.store.sent_emails(customer_id).await?;
    let arms = arms(&campaigns, &row.customer_id);
    let prediction = super::predict::prediction(app, &row.customer_id, now).await?;
    // `send_time = "best"`: at the best hour the rhythm line shows, as the cycle would.
    if let Some(pick) = decision.pick.as_mut()
        && let Some(c) = campaigns.iter().find(|c| c.id == pick.campaign)
        && let Some(at) = planner::best_send_at(
            c,
            input.timezone,
            prediction.best_hour,
            now,
            &cfg.planner.quiet_hours,
        )
    {
        pick.send_at = at;
    }
    match format {
        Format::Json => {
            let v = serde_json::json!({
                "customer_id": row.customer_id,
                "current_level": a.current,
                "target_level": a.target,
                "reasons": a.reasons,
                "history": history.iter().map(|h| serde_json::json!({"from": h.from, "to": h.to, "at": h.at})).collect::<Vec<_>>(),
                "sent": sent,
                "next": decision.pick.as_ref().map(|p| serde_json::json!({"campaign": p.campaign, "send_at": p.send_at, "occurrence": p.occurrence})),
                "not_picked": decision.not_picked,
                "prediction": {"rhythm": prediction.rhythm, "best_hour": prediction.best_hour, "sentence": prediction.sentence()},
                "experiments": arms.iter().map(|(c, arm)| (c.clone(), serde_json::json!(arm))).collect::<serde_json::Map<_, _>>(),
            });
            println!("{v}");
        }
        Format::Table => {
            println!("customer {} <{}>", row.customer_id, row.email);
            println!("current level: {}    target level: {}", a.current, a.target);
            for r in &a.reasons {
                println!("  · {r}");
            }
            println!("\nlevel history:");
            if history.is_empty() {
                println!("  (no changes recorded yet)");
            }
            for h in &history {
                let at = h.at.format("%Y-%m-%d %H:%M");
                match h.from {
                    Some(from) => println!("  {at}  {from} → {}", h.to),
                    None => println!("  {at}  first assessed: {}", h.to),
                }
            }
            if !sent.is_empty() {
                println!("\nlast emails sent:");
                for e in &sent {
                    let via = e.transport.as_deref().unwrap_or("a transport not recorded");
                    let at = e.sent_at.format("%Y-%m-%d %H:%M");
                    println!("  {at}  {} via {via}", e.campaign);
                }
            }
            println!("\nrhythm: {}", prediction.sentence());
            println!("\nnext email:");
            match &decision.pick {
                Some(p) => println!(
                    "  {} ({}) at {}",
                    p.campaign,
                    p.occurrence,
                    p.send_at.format("%Y-%m-%d %H:%M UTC")
                ),
                None => println!("  none"),
            }
            println!("\nnot picked:");
            for (c, why) in &decision.not_picked {
                println!("  {c}: {why}");
            }
            if !arms.is_empty() {
                println!("\nexperiments:");
                for (c, arm) in &arms {
                    println!("  {c}: {arm}");
                }
            }
        }
    }
    Ok(())
}

/// The arm of each campaign's experiment this customer is in, in words.
fn arms(campaigns: &[crate::campaigns::Campaign], customer: &str) -> Vec<(String, String)> {
    use crate::campaigns::Arm;
    use crate::levels::wording::percent;
    let mut out = Vec::new();
    for c in campaigns {
        let e = &c.experiment;
        if e.global.as_ref().is_some_and(|g| g.holds(customer)) {
            let share = e.global.as_ref().map_or(0.0, |g| g.share);
            out.push((
                c.id.clone(),
                format!("global hold-out ({}): no marketing", percent(share)),
            ));
            continue;
        }
        let words = match e.arm(&c.id, customer) {
            Arm::Plain => continue,
            Arm::HeldOut => format!("hold-out ({}): planned, never sent", percent(e.holdout)),
            Arm::Variant(v) if e.winner.is_some() => {
                format!("variant {} (the auto-winner's choice)", v.id)
            }
            Arm::Variant(v) => format!(
                "variant {} ({} of those not held out)",
                v.id,
                percent(e.share(v))
            ),
        };
        out.push((c.id.clone(), words));
    }
    out
}
