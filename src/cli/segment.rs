//! `rapport segment list | count NAME | show NAME [--limit N]`: the named segments of
//! `config/segments/`, how many customers each holds, and who, with the values that decided.

use super::{App, CmdResult, Failure, Format};
use crate::app::load_campaigns_and_segments;
use crate::campaigns::Segment;
use crate::cycle::segment;
use chrono::{DateTime, Utc};

#[derive(Debug, Clone, clap::Subcommand)]
pub enum SegmentCommand {
    /// Every segment: name, description, condition, and the campaigns that use it.
    List {
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// How many customers are in the segment (and how many of them can be mailed).
    Count {
        name: String,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        #[arg(long, value_parser = super::parse_now)]
        now: Option<DateTime<Utc>>,
    },
    /// A sample of the segment's customers with the values its condition saw.
    Show {
        name: String,
        #[arg(long, default_value_t = 20)]
        limit: usize,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        #[arg(long, value_parser = super::parse_now)]
        now: Option<DateTime<Utc>>,
    },
}

pub async fn run(config: crate::config::Config, cmd: SegmentCommand) -> CmdResult {
    let (campaigns, segments) = load_campaigns_and_segments(&config)?;
    let find = |name: &str| -> Result<Segment, Failure> {
        segments
            .get(name)
            .cloned()
            .ok_or_else(|| Failure::User(anyhow::anyhow!("{}", segments.unknown(name))))
    };
    match cmd {
        SegmentCommand::List { format } => {
            let used_by = |s: &Segment| -> Vec<String> {
                campaigns
                    .iter()
                    .filter(|c| {
                        c.gates
                            .iter()
                            .any(|g| g.label == format!("segment {}", s.name))
                    })
                    .map(|c| c.id.clone())
                    .collect()
            };
            match format {
                Format::Json => {
                    let list: Vec<_> = segments
                        .iter()
                        .map(|s| {
                            serde_json::json!({
                                "name": s.name,
                                "title": s.title,
                                "description": s.description,
                                "where": s.condition.source(),
                                "campaigns": used_by(s),
                            })
                        })
                        .collect();
                    println!("{}", serde_json::Value::Array(list));
                }
                Format::Table => {
                    if segments.is_empty() {
                        println!("no segments in {}", config.paths.segments.display());
                    }
                    for s in segments.iter() {
                        println!("{}  ({})", s.name, s.title);
                        if !s.description.is_empty() {
                            println!("  {}", s.description);
                        }
                        println!("  where: {}", s.condition.source());
                        let used = used_by(s);
                        if !used.is_empty() {
                            println!("  used by: {}", used.join(", "));
                        }
                    }
                }
            }
            Ok(())
        }
        SegmentCommand::Count { name, format, now } => {
            let s = find(&name)?;
            let app = App::open(config).await?;
            let now = now.unwrap_or_else(Utc::now);
            let n = segment::count(&*app.store, &app.config, &s.condition, now, 0).await?;
            match format {
                Format::Json => println!(
                    "{}",
                    serde_json::json!({"segment": s.name, "customers": n.customers, "matched": n.matched, "mailable": n.mailable, "seconds": n.seconds})
                ),
                Format::Table => println!(
                    "{}: {} of {} customers ({} can be mailed) in {:.2} s",
                    s.name, n.matched, n.customers, n.mailable, n.seconds
                ),
            }
            Ok(())
        }
        SegmentCommand::Show {
            name,
            limit,
            format,
            now,
        } => {
            let s = find(&name)?;
            let app = App::open(config).await?;
            let now = now.unwrap_or_else(Utc::now);
            let n = segment::count(&*app.store, &app.config, &s.condition, now, limit).await?;
            match format {
                Format::Json => println!(
                    "{}",
                    serde_json::json!({"segment": s.name, "matched": n.matched, "members": n.sample})
                ),
                Format::Table => {
                    println!("{}: {} of {} customers", s.name, n.matched, n.customers);
                    println!("where: {}", s.condition.source());
                    for m in &n.sample {
                        let note = if m.mailable { "" } else { "  (not mailable)" };
                        println!("  {} <{}>{note}: {}", m.customer_id, m.email, m.detail);
                    }
                }
            }
            Ok(())
        }
    }
}
