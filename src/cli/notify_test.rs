//! `rapport notify-test NAME`: POST a sample notification to one `[[notify]]` endpoint.

use super::{CmdResult, Failure};
use crate::config::Config;
use std::time::Duration;

pub async fn run(config: &Config, name: &str) -> CmdResult {
    crate::notify::validate(&config.notify).map_err(|e| Failure::User(anyhow::anyhow!(e)))?;
    let Some(endpoint) = config.notify.iter().find(|e| e.name == name) else {
        let names: Vec<&str> = config.notify.iter().map(|e| e.name.as_str()).collect();
        return Err(Failure::User(anyhow::anyhow!(
            "no [[notify]] entry named `{name}`; configured: {}",
            if names.is_empty() {
                "none (add one to config/rapport.toml)".to_string()
            } else {
                names.join(", ")
            }
        )));
    };
    let signed = if endpoint.secret.is_some() {
        "signed"
    } else {
        "unsigned: no secret"
    };
    match crate::notify::send_sample(endpoint, Duration::from_secs(10)).await {
        Ok(status) => {
            println!("{name}: POST {} ({signed}) -> HTTP {status}", endpoint.url);
            if (200..300).contains(&status) {
                Ok(())
            } else {
                Err(Failure::Runtime(anyhow::anyhow!(
                    "{name} answered HTTP {status}; notifications to it would be retried"
                )))
            }
        }
        Err(e) => Err(Failure::Runtime(anyhow::anyhow!(
            "{name}: POST {} failed: {e}",
            endpoint.url
        ))),
    }
}
