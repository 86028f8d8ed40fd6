//! `rapport forget CUSTOMER` and `rapport export CUSTOMER` (docs/privacy.md).

use super::{App, CmdResult, Failure};
use crate::privacy::AddressKey;
use crate::store::Erasure;
use secrecy::ExposeSecret;

/// Who ran the command, for the erasure log: the operating-system user.
fn operator() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "unknown".into());
    format!("cli:{user}")
}

fn unknown(customer_id: &str) -> Failure {
    Failure::User(anyhow::anyhow!("unknown customer `{customer_id}`"))
}

/// Erases the customer's personal data in one transaction (anonymised rows stay).
pub async fn forget(app: &App, customer_id: &str) -> CmdResult {
    let key = AddressKey::new(app.config.erasure_secret().expose_secret().as_bytes());
    let by = operator();
    let erased = app
        .store
        .erase_customer(Erasure {
            customer_id,
            key: &key,
            by: &by,
            at: chrono::Utc::now(),
        })
        .await?
        .ok_or_else(|| unknown(customer_id))?;
    tracing::info!(customer_id, by = %by, "Customer erased.");
    println!(
        "customer {customer_id} erased: email, name, attributes and free text removed; \
         {} queued emails cancelled; the address is remembered only as a keyed hash",
        erased.cancelled
    );
    Ok(())
}

/// Prints everything held about the customer as JSON.
pub async fn export(app: &App, customer_id: &str) -> CmdResult {
    let data = app
        .store
        .export_customer(customer_id)
        .await?
        .ok_or_else(|| unknown(customer_id))?;
    let text = serde_json::to_string_pretty(&data)
        .map_err(|e| Failure::Runtime(anyhow::anyhow!("cannot write the export: {e}")))?;
    println!("{text}");
    Ok(())
}
