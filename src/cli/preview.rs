use super::Engine;
use super::{App, CmdResult, Failure};
use crate::campaigns::Trigger;
use crate::dispatch::Envelope;
use crate::domain::EmailAddress;
use crate::mailer::SendOutcome;
use crate::render::{DeliveryMeta, EmailContext};
use crate::store::{ClaimedDelivery, ContextRequest, FactsWindows, Scope};
use chrono::Utc;
use clap::ValueEnum;
use std::io::Write;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PreviewFormat {
    Html,
    Text,
    Eml,
}

/// A delivery-shaped view of a customer for `campaign`, with the occurrence the campaign
/// would use (their latest order, complaint or custom event of the kind; for a follow-up,
/// what the last email it follows was about, else their latest order).
async fn as_delivery(
    app: &App,
    engine: &Engine,
    campaign: &str,
    customer_id: &str,
    variant: Option<&str>,
) -> Result<ClaimedDelivery, Failure> {
    let c = engine
        .campaigns
        .iter()
        .find(|c| c.id == campaign)
        .ok_or_else(|| {
            Failure::User(anyhow::anyhow!(
                "no campaign `{campaign}` in {}",
                app.config.paths.campaigns.display()
            ))
        })?;
    let p = app
        .store
        .customer(customer_id)
        .await?
        .ok_or_else(|| Failure::User(anyhow::anyhow!("no customer with id `{customer_id}`")))?;
    let far = Utc::now() - chrono::TimeDelta::days(36_500);
    let ctx = app
        .store
        .plan_contexts(&ContextRequest::one(&p.id, far))
        .await?;
    let ctx = ctx.into_values().next().unwrap_or_default();
    let occurrence = match &c.trigger {
        Trigger::Order(_) => ctx
            .orders
            .iter()
            .max_by_key(|o| o.1)
            .map(|o| format!("order:{}", o.0)),
        Trigger::Complaint(_) => match ctx.complaints.iter().max_by_key(|o| o.1) {
            Some(o) => Some(format!("complaint:{}", o.0)),
            // The template speaks about the complaint: without one it cannot render.
            None => return Err(no_complaint(app, campaign, customer_id).await),
        },
        // The customer's latest event of that kind (`custom:NAME`).
        Trigger::Event { kind, .. } => ctx
            .custom_events
            .iter()
            .filter(|e| kind.custom_name() == Some(e.name.as_str()))
            .max_by_key(|e| e.at)
            .map(|e| format!("event:{}", e.id)),
        // A follow-up speaks of what the email it follows was about.
        Trigger::Sent { campaign, .. } => ctx
            .deliveries
            .iter()
            .filter(|d| &d.campaign == campaign && d.status == "sent")
            .max_by_key(|d| d.at)
            .map(|d| format!("sent:{}", d.occurrence))
            .or_else(|| {
                ctx.orders
                    .iter()
                    .max_by_key(|o| o.1)
                    .map(|o| format!("sent:order:{}", o.0))
            }),
        _ => None,
    }
    .unwrap_or_else(|| "preview".into());
    let variant = variant_of(c, &p.id, variant)?;
    let id = uuid::Uuid::now_v7();
    Ok(ClaimedDelivery {
        id,
        customer_id: p.id,
        email: p.email,
        name: p.name,
        locale: p.locale,
        timezone: p.timezone,
        attributes: p.attributes,
        subscribed: p.subscribed,
        left_topics: Vec::new(),
        suppression: None,
        campaign: campaign.to_string(),
        occurrence,
        current: p.current,
        target: p.target,
        attempts: 0,
        message_id: format!("<{id}@{}>", crate::cycle::message_id_domain(&app.config)),
        unless_since: None,
        variant,
        send_at: chrono::Utc::now(),
    })
}

/// The variant to render: the one asked for (which must exist), else the customer's own arm
/// (a held-out customer is shown the campaign as written, and told so on stderr).
fn variant_of(
    c: &crate::campaigns::Campaign,
    customer: &str,
    asked: Option<&str>,
) -> Result<Option<String>, Failure> {
    use crate::campaigns::Arm;
    let variants = &c.experiment.variants;
    if let Some(v) = asked {
        if !variants.iter().any(|x| x.id == v) {
            let known: Vec<&str> = variants.iter().map(|x| x.id.as_str()).collect();
            return Err(Failure::User(anyhow::anyhow!(
                "campaign `{}` has no variant `{v}`{}",
                c.id,
                if known.is_empty() {
                    " (it has no [[variant]] entries)".to_string()
                } else {
                    format!(": it has {}", known.join(", "))
                }
            )));
        }
        return Ok(Some(v.to_string()));
    }
    Ok(match c.experiment.arm(&c.id, customer) {
        Arm::Variant(v) => Some(v.id.clone()),
        Arm::HeldOut => {
            eprintln!(
                "note: {customer} is in the hold-out of {}: they would not receive it (showing the campaign as written)",
                c.id
            );
            None
        }
        Arm::Plain => None,
    })
}

/// How many customers with a complaint `preview` suggests.
const SUGGESTED: usize = 5;

/// "X has no complaint to follow up", with customers who have one to pick from: the first
/// few in id order whose events include a complaint (one pass over the facts, stopped early).
async fn no_complaint(app: &App, campaign: &str, customer_id: &str) -> Failure {
    let far = Utc::now() - chrono::TimeDelta::days(36_500);
    let windows = FactsWindows {
        orders_since: far,
        margin_since: far,
        referrals_since: far,
        recent_orders_since: None,
        recent_complaints_since: None,
        deliveries: false,
    };
    let mut rx = app.store.facts_chunks(Scope::All, windows, 1_024);
    let mut with_complaint = Vec::new();
    while let Some(Ok(rows)) = rx.recv().await {
        let ids = rows
            .into_iter()
            .filter(|r| r.any_complaint_at.is_some())
            .map(|r| r.customer_id);
        with_complaint.extend(ids);
        if with_complaint.len() >= SUGGESTED {
            break;
        }
    }
    with_complaint.truncate(SUGGESTED);
    let run = super::hints::this_command();
    let pick = if with_complaint.is_empty() {
        format!(
            "no customer has one yet: import a `complaint` event first ({run} import events FILE)"
        )
    } else {
        format!(
            "pick one who has, e.g. {run} preview {campaign} --customer {} (others: {})",
            with_complaint[0],
            with_complaint[1..].join(", ")
        )
    };
    Failure::User(anyhow::anyhow!(
        "{customer_id} has no complaint to follow up; {pick}"
    ))
}

/// `rapport preview CAMPAIGN --customer ID [--format html|text|eml]`: renders to stdout.
pub async fn preview(
    app: &App,
    campaign: &str,
    customer_id: &str,
    variant: Option<&str>,
    format: PreviewFormat,
) -> CmdResult {
    let engine = Engine::load(&app.config)?;
    let d = as_delivery(app, &engine, campaign, customer_id, variant).await?;
    let prepared = engine
        .composer
        .prepare(&*app.store, std::slice::from_ref(&d))
        .await?;
    let out = match format {
        PreviewFormat::Eml => {
            engine
                .composer
                .compose(&d, &prepared, Utc::now())
                .map_err(|e| Failure::User(e.into()))?
                .0
                .raw
        }
        PreviewFormat::Html | PreviewFormat::Text => {
            let ctx = engine.composer.context(&d, &prepared);
            let r = engine
                .composer
                .renderer()
                .render(
                    &crate::campaigns::render_key(campaign, d.variant.as_deref()),
                    &ctx,
                    &DeliveryMeta { delivery_id: d.id },
                )
                .map_err(|e| Failure::User(e.into()))?;
            let body = if format == PreviewFormat::Html {
                r.html
            } else {
                r.text
            };
            format!("Subject: {}\n\n{}", r.subject, body).into_bytes()
        }
    };
    std::io::stdout()
        .write_all(&out)
        .map_err(|e| Failure::Runtime(e.into()))?;
    Ok(())
}

/// `rapport send-test CAMPAIGN --to ADDRESS [--customer ID]`: one real email through the
/// configured transport, outside the outbox (nothing is recorded).
pub async fn send_test(
    app: &App,
    campaign: &str,
    to: &str,
    customer_id: Option<&str>,
) -> CmdResult {
    let engine = Engine::load(&app.config)?;
    let to = EmailAddress::parse(to).map_err(|e| Failure::User(anyhow::anyhow!("--to: {e}")))?;
    let id = uuid::Uuid::now_v7();
    let message_id = format!("<{id}@{}>", crate::cycle::message_id_domain(&app.config));
    let (ctx, name) = match customer_id {
        Some(cid) => {
            let d = as_delivery(app, &engine, campaign, cid, None).await?;
            let prepared = engine
                .composer
                .prepare(&*app.store, std::slice::from_ref(&d))
                .await?;
            (engine.composer.context(&d, &prepared), d.name)
        }
        None => {
            if !engine.campaigns.iter().any(|c| c.id == campaign) {
                return Err(Failure::User(anyhow::anyhow!("no campaign `{campaign}`")));
            }
            let ctx = EmailContext::sample(campaign, &app.config.defaults.locale);
            let name = ctx.customer.name.clone();
            (ctx, name)
        }
    };
    let envelope = Envelope {
        delivery_id: id,
        message_id: &message_id,
        to: &to,
        to_name: &name,
    };
    let (email, _) = engine
        .composer
        .compose_context(campaign, &ctx, &envelope, Utc::now())
        .map_err(|e| Failure::User(e.into()))?;
    let transport = engine.transport_for(campaign);
    let mut sender = transport.sender();
    let outcome = sender.send(&email).await;
    sender.close().await;
    match outcome {
        SendOutcome::Sent => {
            println!(
                "sent {campaign} to {to} via {} ({message_id})",
                transport.describe()
            );
            Ok(())
        }
        other => Err(Failure::Runtime(anyhow::anyhow!("not sent: {other}"))),
    }
}
