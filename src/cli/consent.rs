use super::{App, CmdResult, Failure, Format};

/// `rapport consent CUSTOMER_ID`: the customer's consent log, oldest first, and the consent
/// state the planner reads. The log outlives the customer: it prints for a forgotten
/// customer too.
pub async fn run(app: &App, customer_id: &str, format: Format) -> CmdResult {
    let log = app.store.consent_log(customer_id).await?;
    let state = app.store.customer_consent(customer_id).await?;
    if log.is_empty() && state.is_none() {
        return Err(Failure::User(anyhow::anyhow!(
            "no customer with id `{customer_id}` and no consent log for it"
        )));
    }
    if format == Format::Json {
        let body = serde_json::json!({
            "customer_id": customer_id,
            "entries": log,
            "pending_confirmation": state.as_ref().map(|s| s.pending),
            "left_topics": state.as_ref().map(|s| s.left_topics.clone()),
        });
        println!(
            "{}",
            serde_json::to_string_pretty(&body).map_err(|e| Failure::Runtime(e.into()))?
        );
        return Ok(());
    }
    println!("consent log of customer {customer_id}");
    if log.is_empty() {
        println!("  no consent change recorded");
    }
    for e in &log {
        println!("  {}", e.line());
    }
    match state {
        None => {
            println!("\nthe customer is no longer stored; the log is kept as the record of consent")
        }
        Some(s) => {
            if s.pending {
                println!("\nawaiting the confirmation click: no marketing email until then");
            }
            if !s.left_topics.is_empty() {
                let names: Vec<&str> = s.left_topics.iter().map(|t| t.name()).collect();
                println!("\ntopics left: {}", names.join(", "));
            }
        }
    }
    Ok(())
}
