//! `rapport import customers|orders|events FILE`: CSV or JSONL, parsed here into records
//! and written in batches by [`crate::ingest::records`] inside one transaction per file.
//! Without `--skip-invalid` one bad row rejects the whole file.

mod record;
mod source;

pub use crate::domain::{CustomerRecord, EventRecord, OrderRecord};
pub use record::{
    CUSTOMER_FIELDS, EVENT_FIELDS, FieldError, ORDER_FIELDS, RecordDefaults, Row, RowErrors,
};
pub use source::Format;

use crate::ingest::consent::Origin;
use crate::ingest::{Rules, records};
use crate::store::{ImportTx, Store, StoreError, UpsertCounts};
use source::SourceRow;
use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, IsTerminal};

/// What is being imported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Entity {
    Customers,
    Orders,
    Events,
}

impl Entity {
    pub fn name(self) -> &'static str {
        match self {
            Entity::Customers => "customers",
            Entity::Orders => "orders",
            Entity::Events => "events",
        }
    }

    fn fields(self) -> &'static [&'static str] {
        match self {
            Entity::Customers => CUSTOMER_FIELDS,
            Entity::Orders => ORDER_FIELDS,
            Entity::Events => EVENT_FIELDS,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file as a whole cannot be imported (missing, unknown type, bad header).
    #[error("{0}")]
    File(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// `FILE:LINE: field: problem`
#[derive(Debug, Clone)]
pub struct RowProblem {
    pub line: u64,
    pub message: String,
}

#[derive(Debug)]
pub struct ImportReport {
    pub entity: Entity,
    pub file: String,
    pub rows: u64,
    pub stored: UpsertCounts,
    pub rejected: Vec<RowProblem>,
    /// False when bad rows made the whole file be rejected.
    pub committed: bool,
}

impl ImportReport {
    /// The one-line summary printed after every import.
    pub fn summary(&self) -> String {
        if self.committed {
            format!(
                "imported {} {}, {} rejected ({} new or changed, {} unchanged)",
                self.stored.written + self.stored.unchanged,
                self.entity.name(),
                self.rejected.len(),
                self.stored.written,
                self.stored.unchanged
            )
        } else {
            format!(
                "imported 0 {}, {} rejected: nothing stored from {} (fix the rows above or use --skip-invalid)",
                self.entity.name(),
                self.rejected.len(),
                self.file
            )
        }
    }
}

pub struct ImportOptions {
    pub skip_invalid: bool,
    /// Show a progress bar (only when stderr is a terminal).
    pub progress: bool,
    /// Recognises addresses erased before (`crate::privacy`), which are then suppressed.
    pub erasure_key: crate::privacy::AddressKey,
}

/// Rows parsed per round trip to the database.
const CHUNK: usize = 5_000;

enum Parsed {
    Customer(CustomerRecord),
    Order(OrderRecord),
    Event(EventRecord),
}

impl Parsed {
    /// The id that must be unique within one file.
    fn id(&self) -> Option<&str> {
        match self {
            Parsed::Customer(c) => Some(c.id.as_str()),
            Parsed::Order(o) => Some(o.id.as_str()),
            Parsed::Event(e) => e.id.as_deref(),
        }
    }

    fn customer_ref(&self) -> Option<&str> {
        match self {
            Parsed::Customer(_) => None,
            Parsed::Order(o) => Some(o.customer_id.as_str()),
            Parsed::Event(e) => Some(e.customer_id.as_str()),
        }
    }
}

/// Imports `path` (`-` = JSONL on stdin).
pub async fn import_file(
    store: &dyn Store,
    entity: Entity,
    path: &str,
    defaults: &RecordDefaults,
    opts: &ImportOptions,
) -> Result<ImportReport, ImportError> {
    let format = Format::for_path(path).map_err(ImportError::File)?;
    let reader: Box<dyn BufRead> = if path == "-" {
        Box::new(BufReader::new(std::io::stdin()))
    } else {
        let f = std::fs::File::open(path).map_err(|e| ImportError::File(format!("{path}: {e}")))?;
        Box::new(BufReader::with_capacity(1 << 20, f))
    };
    let rows = match format {
        Format::Csv => source::csv_rows(reader, entity.fields())
            .map_err(|e| ImportError::File(format!("{path}:{e}")))?,
        Format::Jsonl => source::jsonl_rows(reader),
    };
    import_rows(store, entity, path, rows, defaults, opts).await
}

async fn import_rows(
    store: &dyn Store,
    entity: Entity,
    file: &str,
    rows: Box<dyn Iterator<Item = SourceRow>>,
    defaults: &RecordDefaults,
    opts: &ImportOptions,
) -> Result<ImportReport, ImportError> {
    let bar = (opts.progress && std::io::stderr().is_terminal()).then(|| {
        let b = indicatif::ProgressBar::new_spinner();
        b.set_message(format!("importing {}", entity.name()));
        b
    });
    let mut report = ImportReport {
        entity,
        file: file.to_string(),
        rows: 0,
        stored: UpsertCounts::default(),
        rejected: Vec::new(),
        committed: false,
    };
    let mut tx = store.begin_import().await?;
    let mut chunk = Chunk::default();
    // Id → the line it first appeared on: a second row with the same id is an error, not
    // a silent "the last one wins".
    let mut first_line: HashMap<String, u64> = HashMap::new();
    for row in rows {
        report.rows += 1;
        match row {
            SourceRow::Unreadable { line, problem } => report.rejected.push(RowProblem {
                line,
                message: problem,
            }),
            SourceRow::Row { line, fields } => {
                let r = Row::new(&fields);
                let parsed = match entity {
                    Entity::Customers => CustomerRecord::parse(&r, defaults).map(Parsed::Customer),
                    Entity::Orders => OrderRecord::parse(&r, defaults).map(Parsed::Order),
                    Entity::Events => EventRecord::parse(&r, defaults).map(Parsed::Event),
                };
                match parsed {
                    Ok(p) => match p.id().map(|id| (id, first_line.get(id))) {
                        Some((_, Some(&k))) => report.rejected.push(RowProblem {
                            line,
                            message: format!("id: duplicate of line {k}"),
                        }),
                        Some((id, None)) => {
                            first_line.insert(id.to_string(), line);
                            chunk.rows.push((line, p));
                        }
                        None => chunk.rows.push((line, p)),
                    },
                    Err(errors) => report.rejected.extend(errors.iter().map(|e| RowProblem {
                        line,
                        message: e.to_string(),
                    })),
                }
            }
        }
        if chunk.rows.len() >= CHUNK {
            chunk.write(&mut *tx, &mut report, opts).await?;
            if let Some(b) = &bar {
                b.set_position(report.rows);
                b.tick();
            }
        }
    }
    chunk.write(&mut *tx, &mut report, opts).await?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    report.rejected.sort_by_key(|p| p.line);
    if report.rejected.is_empty() || opts.skip_invalid {
        tx.commit().await?;
        report.committed = true;
        refresh_statistics_after(store, entity, &report).await?;
    } else {
        // Dropping the transaction rolls it back: nothing from this file is stored.
        drop(tx);
        report.stored = UpsertCounts::default();
    }
    Ok(report)
}

/// Rows written by one import from which the tables' planner statistics are refreshed.
/// A shop's first import fills empty tables: until autovacuum gets round to them, the next
/// cycle's statements would be planned for the empty tables they were.
const REFRESH_STATISTICS_AFTER: u64 = 10_000;

async fn refresh_statistics_after(
    store: &dyn Store,
    entity: Entity,
    report: &ImportReport,
) -> Result<(), ImportError> {
    use crate::store::StatsTable;
    if report.stored.written < REFRESH_STATISTICS_AFTER {
        return Ok(());
    }
    // Orders and events also stamp their customers as touched.
    let tables: &[StatsTable] = match entity {
        Entity::Customers => &[StatsTable::Customers],
        Entity::Orders => &[StatsTable::Orders, StatsTable::Customers],
        Entity::Events => &[StatsTable::Events, StatsTable::Customers],
    };
    store.refresh_statistics(tables).await?;
    Ok(())
}

/// Rows parsed and not yet written, and the customers known to exist.
#[derive(Default)]
struct Chunk {
    rows: Vec<(u64, Parsed)>,
    known: HashSet<String>,
}

impl Chunk {
    /// Writes the rows through [`crate::ingest::records`]; rows naming an unknown customer
    /// are rejected.
    async fn write(
        &mut self,
        tx: &mut dyn ImportTx,
        report: &mut ImportReport,
        opts: &ImportOptions,
    ) -> Result<(), ImportError> {
        if self.rows.is_empty() {
            return Ok(());
        }
        let known = &mut self.known;
        // Orders and events must name an existing customer.
        let unknown = self
            .rows
            .iter()
            .filter_map(|(_, p)| p.customer_ref())
            .filter(|id| !known.contains(*id));
        let found = records::existing_customers(tx, unknown).await?;
        known.extend(found);
        let (mut customers, mut orders, mut events) = (Vec::new(), Vec::new(), Vec::new());
        for (line, p) in self.rows.drain(..) {
            if let Some(id) = p.customer_ref().filter(|id| !known.contains(*id)) {
                report.rejected.push(RowProblem {
                    line,
                    message: format!(
                        "customer_id: unknown customer `{id}` (import customers first)"
                    ),
                });
                continue;
            }
            match p {
                Parsed::Customer(c) => customers.push(c),
                Parsed::Order(o) => orders.push(o),
                Parsed::Event(e) => events.push(e),
            }
        }
        // Once a row is bad and bad rows are not skipped, the file will be rolled back:
        // keep reading to report every problem, but stop writing.
        if !report.rejected.is_empty() && !opts.skip_invalid {
            return Ok(());
        }
        let now = chrono::Utc::now();
        // A file holds one entity: at most one of these is not empty.
        if !customers.is_empty() {
            known.extend(customers.iter().map(|c| c.id.as_str().to_string()));
            let origin = Origin {
                source: crate::domain::consent::source::IMPORT,
                client: None,
                double_opt_in: false,
                creation_is_consent: false,
                wording: None,
            };
            report.stored +=
                records::customers(tx, &opts.erasure_key, customers, &origin, now).await?;
        }
        if !orders.is_empty() {
            report.stored += records::orders(tx, orders, now).await?;
        }
        if !events.is_empty() {
            // An import back-fills history: its events are not announced.
            report.stored += records::events(tx, &Rules::silent(), events, now).await?;
        }
        Ok(())
    }
}
