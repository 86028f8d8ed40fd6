use super::{App, CmdResult, Failure};
use crate::import::{self, Entity, ImportError, ImportOptions, RecordDefaults};

/// Prints at most this many row problems; the summary still counts them all.
const MAX_SHOWN: usize = 50;

pub async fn run(app: &App, entity: Entity, file: &str, skip_invalid: bool) -> CmdResult {
    let defaults = RecordDefaults::from_config(&app.config, chrono::Utc::now());
    let opts = ImportOptions {
        skip_invalid,
        progress: true,
        erasure_key: crate::privacy::AddressKey::new(
            secrecy::ExposeSecret::expose_secret(app.config.erasure_secret()).as_bytes(),
        ),
    };
    let report = import::import_file(&*app.store, entity, file, &defaults, &opts)
        .await
        .map_err(|e| match e {
            ImportError::File(msg) => Failure::User(anyhow::anyhow!(msg)),
            ImportError::Store(e) => Failure::Runtime(e.into()),
        })?;
    for p in report.rejected.iter().take(MAX_SHOWN) {
        eprintln!("{file}:{}: {}", p.line, p.message);
    }
    if report.rejected.len() > MAX_SHOWN {
        eprintln!("… and {} more", report.rejected.len() - MAX_SHOWN);
    }
    println!("{}", report.summary());
    if report.rejected.is_empty() {
        Ok(())
    } else {
        Err(Failure::User(anyhow::anyhow!(
            "{} rows rejected",
            report.rejected.len()
        )))
    }
}
