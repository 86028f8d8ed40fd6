//! The `rapport` command line: clap definitions and one small function per command that
//! calls the library. Exit codes (README "Commands"): 0 ok, 1 user error, 2 runtime failure.

mod consent;
mod demo;
mod explain;
mod hints;
mod import;
mod levels;
mod notify_test;
mod plan;
mod predict;
mod preview;
mod privacy;
mod report;
mod resend;
mod run;
mod segment;

pub use crate::app::{App, Engine, Failure, load_campaigns};
pub use crate::telemetry::LogFormat;

use crate::config::{self, Config};
use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "rapport",
    version,
    about = "Email-marketing automation that grows each customer relationship one level at a time",
    long_about = "rapport reads customer behaviour (orders, opens, clicks, survey answers, complaints, \
referrals), decides each customer's relationship level (basic, reactive, accountable, proactive, \
partnership) and the level the business wants, picks the one campaign that moves them up a step, \
renders it and sends it.\n\nStart with `rapport demo`, then look at outbox/*.eml.",
    after_help = "Configuration: config/rapport.toml (or --config / RAPPORT_CONFIG); any key can be \
overridden as RAPPORT__SECTION__KEY, e.g. RAPPORT__DATABASE__URL."
)]
pub struct Cli {
    /// Configuration file.
    #[arg(long, global = true, env = "RAPPORT_CONFIG", default_value = config::DEFAULT_PATH)]
    pub config: PathBuf,
    /// Log format: human-readable text or one JSON object per line.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    #[command(subcommand)]
    pub command: Command,
}

/// Output format of `levels`, `explain`, `plan` and `report`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
}

/// `--now RFC3339`: replay a cycle at a chosen instant (default: the current time).
fn parse_now(s: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&chrono::Utc))
        .map_err(|_| format!("`{s}` is not an RFC 3339 timestamp like 2026-11-25T09:00:00Z"))
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// A fresh SQLite database with the sample shop in examples/, one full cycle into
    /// outbox/*.eml, and per-level and per-campaign counts.
    Demo,
    /// The daemon: scheduler, sender workers, HTTP endpoint. `--once`: one cycle, send
    /// everything due, exit. The daemon prints one line, `listening on http://ADDR`, once its
    /// endpoint is bound (`http.bind` may use port 0 to let the system pick).
    Run {
        #[arg(long)]
        once: bool,
        /// With --once: decide as of this instant.
        #[arg(long, value_parser = parse_now, requires = "once")]
        now: Option<chrono::DateTime<chrono::Utc>>,
        /// With --once: assess every customer, not only changed ones.
        #[arg(long, requires = "once")]
        full: bool,
    },
    /// Render one campaign for one customer to stdout (nothing is sent or recorded).
    Preview {
        campaign: String,
        #[arg(long)]
        customer: String,
        /// Render this `[[variant]]` instead of the customer's own.
        #[arg(long)]
        variant: Option<String>,
        #[arg(long, value_enum, default_value_t = preview::PreviewFormat::Html)]
        format: preview::PreviewFormat,
    },
    /// Send one real email of a campaign through the configured transport.
    SendTest {
        campaign: String,
        #[arg(long)]
        to: String,
        /// Render with this customer's data instead of sample data.
        #[arg(long)]
        customer: Option<String>,
    },
    /// Apply the database migrations (other commands also apply them on start).
    Migrate,
    /// Validate the configuration, every campaign and every template; exit 1 on error.
    Check,
    /// Import customers, orders or events from CSV (header row) or JSONL.
    #[command(
        after_help = "Examples:\n  rapport import customers examples/customers.csv\n  \
rapport import orders examples/orders.jsonl\n  cat events.jsonl | rapport import events -\n\n\
Rows are upserted by id: importing the same file again changes nothing. A bad row is reported as \
FILE:LINE: field: problem and, without --skip-invalid, nothing from the file is stored."
    )]
    Import {
        /// What the file holds.
        #[arg(value_enum)]
        entity: crate::import::Entity,
        /// A .csv or .jsonl file, or - for JSONL on stdin.
        file: String,
        /// Store the good rows even when some rows are bad (still exits 1).
        #[arg(long)]
        skip_invalid: bool,
    },
    /// Customers per current and target level, and how many climbed or dropped lately.
    Levels {
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        #[arg(long, value_parser = parse_now)]
        now: Option<chrono::DateTime<chrono::Utc>>,
        /// Level movement over this period back from now (e.g. 30d, 12h).
        #[arg(long, default_value = "30d", value_parser = crate::config::Duration::parse)]
        period: crate::config::Duration,
        /// Level movement since this instant (RFC 3339) instead of --period.
        #[arg(long, value_parser = parse_now, conflicts_with = "period")]
        since: Option<chrono::DateTime<chrono::Utc>>,
    },
    /// Why a customer is at their level, where the strategy wants them, and what they get next.
    Explain {
        customer_id: String,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        #[arg(long, value_parser = parse_now)]
        now: Option<chrono::DateTime<chrono::Utc>>,
    },
    /// A customer's purchase rhythm (how often, when next, how likely still active), predicted
    /// margin over the next 12 months and best hour, from the shop's own orders
    /// (docs/predictions.md).
    Predict {
        customer_id: String,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        #[arg(long, value_parser = parse_now)]
        now: Option<chrono::DateTime<chrono::Utc>>,
    },
    /// A customer's consent log: every consent given, confirmed or withdrawn, with its
    /// source, time, wording version, IP address and user agent where known (docs/consent.md).
    Consent {
        customer_id: String,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// One assess + plan cycle: print what it queued (or, with --dry-run, would queue).
    #[command(
        after_help = "Without --full only customers with new orders, events or profile \
changes since the last cycle are looked at (the first cycle looks at everyone)."
    )]
    Plan {
        /// Decide and print, write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Look at every customer (catches time windows that expired).
        #[arg(long)]
        full: bool,
        #[arg(long, value_parser = parse_now)]
        now: Option<chrono::DateTime<chrono::Utc>>,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Per campaign: queued, sent, failed, delivered, opened, clicked, survey answers and NPS,
    /// unsubscribes, bounces, complaints, conversions and their revenue.
    #[command(
        after_help = "Events count for a campaign when they carry one of its deliveries' ids (tracking \
links, provider webhooks). opened = deliveries opened by a human (privacy-proxy opens excluded), \
opened_all includes them. A conversion is an order placed after the email and within \
report.conversion_window; when several emails qualify, the last one sent before the order gets \
it. Revenue is in strategy.base_currency, converted with strategy.currency_rates."
    )]
    Report {
        /// Only this campaign.
        #[arg(long)]
        campaign: Option<String>,
        /// The experiments instead: per variant and hold-out, what each did and the lift
        /// against the control with its confidence interval (docs/experiments.md).
        #[arg(long)]
        experiment: bool,
        /// Per transport instead: emails each one sent, failed, and handed back because its
        /// server asked us to slow down (throttled) or it could not be reached (failed over)
        /// (docs/sending.md). `--since` counts whole UTC days; `--locale` does not apply.
        #[arg(long, conflicts_with = "experiment")]
        transports: bool,
        /// Only emails queued since: an RFC 3339 instant or a span back from now (30d, 12h).
        #[arg(long, value_parser = report::parse_since)]
        since: Option<report::Since>,
        /// Only customers with this locale (en, fa, …).
        #[arg(long)]
        locale: Option<String>,
        #[arg(long, value_enum, default_value_t = report::ReportFormat::Table)]
        format: report::ReportFormat,
        /// Resolve --since DURATION against this instant instead of the current time.
        #[arg(long, value_parser = parse_now)]
        now: Option<chrono::DateTime<chrono::Utc>>,
    },
    /// Erase a customer's personal data (email, name, attributes, free text in events),
    /// keeping anonymised rows so reports add up and a keyed hash of the address so that a
    /// later import of it is not mailed (docs/privacy.md).
    Forget { customer_id: String },
    /// Print everything held about a customer as JSON (docs/privacy.md).
    Export { customer_id: String },
    /// Put a campaign's failed deliveries back in the queue, once, after their cause is fixed.
    #[command(after_help = "Example, after fixing the relay's password:\n  \
rapport resend --campaign loyalty-offer --status failed --since 2d\n\n\
Attempts start again from zero and `rapport run` sends them. Each delivery is resent at most \
once: running the command twice, or again after the resent email failed, sends nothing twice. \
Sent, suppressed and cancelled deliveries are never touched, and an address suppressed \
meanwhile is still checked at send time.")]
    Resend {
        #[arg(long)]
        campaign: String,
        #[arg(long, value_enum)]
        status: resend::ResendStatus,
        /// Only deliveries that failed since: an RFC 3339 instant or a span back (2d, 12h).
        #[arg(long, value_parser = report::parse_since)]
        since: Option<report::Since>,
        /// Resolve --since DURATION against this instant, and queue them due at it.
        #[arg(long, value_parser = parse_now)]
        now: Option<chrono::DateTime<chrono::Utc>>,
    },
    /// POST a sample notification to the [[notify]] endpoint NAME and print its answer.
    NotifyTest { name: String },
    /// Named segments (config/segments/*.toml): list them, count or sample their customers.
    #[command(subcommand)]
    Segment(segment::SegmentCommand),
}

pub type CmdResult = Result<(), Failure>;

pub fn load_config(cli: &Cli) -> Result<Config, Failure> {
    config::load(&cli.config).map_err(|e| Failure::User(e.into()))
}

/// Runs the parsed command line.
pub async fn run(cli: Cli) -> CmdResult {
    let config = load_config(&cli)?;
    match cli.command {
        Command::Migrate => {
            let app = App::open(config).await?;
            println!("database {} is up to date", app.config.database.url);
            Ok(())
        }
        Command::Check => {
            // Loading the configuration above already validated it; loading the engine
            // validates campaigns and renders every campaign × locale with sample data.
            let engine = Engine::load(&config)?;
            println!("{}: ok", cli.config.display());
            println!(
                "{}: {} campaigns ok; {}: every campaign renders in {}",
                config.paths.campaigns.display(),
                engine.campaigns.len(),
                config.paths.templates.display(),
                engine.composer.renderer().languages().join(", ")
            );
            let (_, segments) = crate::app::load_campaigns_and_segments(&config)?;
            println!(
                "{}: {} segments ok",
                config.paths.segments.display(),
                segments.iter().count()
            );
            Ok(())
        }
        Command::Demo => demo::run(config).await,
        Command::Run {
            once: true,
            now,
            full,
        } => {
            let app = App::open(config).await?;
            run::once(
                &app,
                now.unwrap_or_else(chrono::Utc::now),
                now.is_some(),
                full,
            )
            .await
        }
        Command::Run { once: false, .. } => run::daemon(config).await,
        Command::Preview {
            campaign,
            customer,
            variant,
            format,
        } => {
            let app = App::open(config).await?;
            preview::preview(&app, &campaign, &customer, variant.as_deref(), format).await
        }
        Command::SendTest {
            campaign,
            to,
            customer,
        } => {
            let app = App::open(config).await?;
            preview::send_test(&app, &campaign, &to, customer.as_deref()).await
        }
        Command::Import {
            entity,
            file,
            skip_invalid,
        } => {
            let app = App::open(config).await?;
            import::run(&app, entity, &file, skip_invalid).await
        }
        Command::Levels {
            format,
            now,
            period,
            since,
        } => {
            let app = App::open(config).await?;
            let now = now.unwrap_or_else(chrono::Utc::now);
            let since = since.unwrap_or(now - period.chrono());
            levels::run(&app, now, format, since).await
        }
        Command::Explain {
            customer_id,
            format,
            now,
        } => {
            let app = App::open(config).await?;
            explain::run(
                &app,
                &customer_id,
                now.unwrap_or_else(chrono::Utc::now),
                format,
            )
            .await
        }
        Command::Predict {
            customer_id,
            format,
            now,
        } => {
            let app = App::open(config).await?;
            let now = now.unwrap_or_else(chrono::Utc::now);
            predict::run(&app, &customer_id, now, format).await
        }
        Command::Consent {
            customer_id,
            format,
        } => {
            let app = App::open(config).await?;
            consent::run(&app, &customer_id, format).await
        }
        Command::Plan {
            dry_run,
            full,
            now,
            format,
        } => {
            let app = App::open(config).await?;
            plan::run(
                &app,
                now.unwrap_or_else(chrono::Utc::now),
                dry_run,
                full,
                format,
            )
            .await
        }
        Command::Report {
            campaign,
            experiment,
            transports,
            since,
            locale,
            format,
            now,
        } => {
            let app = App::open(config).await?;
            report::run(
                &app,
                report::Args {
                    campaign,
                    experiment,
                    transports,
                    since,
                    locale,
                    format,
                    now: now.unwrap_or_else(chrono::Utc::now),
                },
            )
            .await
        }
        Command::Forget { customer_id } => {
            privacy::forget(&App::open(config).await?, &customer_id).await
        }
        Command::Export { customer_id } => {
            privacy::export(&App::open(config).await?, &customer_id).await
        }
        Command::Resend {
            campaign,
            status: resend::ResendStatus::Failed,
            since,
            now,
        } => {
            let app = App::open(config).await?;
            resend::run(&app, &campaign, since, now.unwrap_or_else(chrono::Utc::now)).await
        }
        Command::NotifyTest { name } => notify_test::run(&config, &name).await,
        Command::Segment(cmd) => segment::run(config, cmd).await,
    }
}
