use super::engine::Engine;
use super::{App, CmdResult, Failure};
use crate::cycle::{self, CycleOptions};
use crate::store::Scope;
use chrono::{DateTime, Utc};

/// `rapport run --once [--now T]`: one incremental assess + plan cycle, then send everything
/// due, then exit. With `--now` (`replay`), T is the clock of everything recorded.
pub async fn once(app: &App, now: DateTime<Utc>, replay: bool, full: bool) -> CmdResult {
    let engine = Engine::load(&app.config)?;
    let scope = if full {
        Scope::All
    } else {
        cycle::incremental_scope(&*app.store).await?
    };
    let report = cycle::run(
        &*app.store,
        &app.config,
        &engine.campaigns,
        &CycleOptions {
            scope,
            now,
            dry_run: false,
        },
    )
    .await?;
    tracing::info!(
        assessed = report.assessed,
        level_changes = report.level_changes,
        queued = report.queued,
        seconds = report.seconds,
        "Cycle done."
    );
    let mut dispatcher = engine.dispatcher(&app.config, app.store.clone());
    if replay {
        dispatcher = dispatcher.with_clock(now);
    }
    let sent = dispatcher
        .drain(now)
        .await
        .map_err(|e| Failure::Runtime(e.into()))?;
    dispatcher.close().await;
    let pending = app.store.pending_deliveries().await?;
    println!(
        "assessed {} customers, {} level changes, queued {} emails; sent {}, retrying {}, failed {}, suppressed {}; {} still queued for later",
        report.assessed,
        report.level_changes,
        report.queued,
        sent.sent,
        sent.retried,
        sent.failed,
        sent.suppressed,
        pending
    );
    Ok(())
}

/// `rapport run`: the scheduler, the sender workers (and the HTTP endpoint), until SIGTERM
/// or SIGINT. SIGHUP reloads campaigns and templates, keeping the old ones when the new
/// ones do not validate.
pub async fn daemon(app: App) -> CmdResult {
    use crate::config::DEVELOPMENT_SECRET;
    use secrecy::ExposeSecret;
    use std::sync::Arc;
    use tokio::signal::unix::{SignalKind, signal};
    use tokio::sync::watch;

    let schedule = crate::scheduler::Schedule::from_config(&app.config.scheduler)
        .map_err(|e| Failure::User(anyhow::anyhow!(e)))?;
    if app.config.security.secret.expose_secret() == DEVELOPMENT_SECRET {
        tracing::warn!(
            "security.secret is the shipped development value: set RAPPORT__SECURITY__SECRET before real customers get links."
        );
    }
    let engine = Arc::new(Engine::load(&app.config)?);
    // Install the Prometheus recorder before anything counts.
    let _ = crate::http::metrics::handle();
    let app = Arc::new(app);
    let (engine_tx, engine_rx) = watch::channel(engine);
    let (stop_tx, stop_rx) = watch::channel(false);
    // Signal handlers before the endpoint answers: a SIGTERM sent as soon as /healthz
    // answers must stop the daemon cleanly, not kill it with the default action.
    let sig = |k| signal(k).map_err(|e| Failure::Runtime(e.into()));
    let (mut term, mut int, mut hup) = (
        sig(SignalKind::terminate())?,
        sig(SignalKind::interrupt())?,
        sig(SignalKind::hangup())?,
    );
    let mut tasks = vec![
        tokio::spawn(daemon::scheduler_loop(
            app.clone(),
            schedule,
            engine_rx.clone(),
            stop_rx.clone(),
        )),
        tokio::spawn(daemon::sender_loop(
            app.clone(),
            engine_rx.clone(),
            stop_rx.clone(),
        )),
    ];
    tasks.extend(daemon::http_tasks(app.clone(), stop_rx.clone()).await?);
    tasks.push(tokio::spawn(
        crate::notify::Worker::new(app.store.clone(), &app.config.notify).run(stop_rx.clone()),
    ));
    tracing::info!(database = %app.config.database.url, transport = %app.config.smtp.url, "Running.");
    // The shipped configuration has no API key, so the dashboard answers 401 until one is
    // set: say how, once, where the person who just started the daemon is looking.
    let hint = super::hints::dashboard(&app.config, super::hints::this_command());
    if app.config.security.api_keys.is_empty() {
        tracing::warn!("{hint}");
    } else {
        tracing::info!("{hint}");
    }
    loop {
        tokio::select! {
            _ = term.recv() => break,
            _ = int.recv() => break,
            _ = hup.recv() => match Engine::load(&app.config) {
                Ok(e) => {
                    let _ = engine_tx.send(Arc::new(e));
                    tracing::info!("Reloaded campaigns and templates.");
                }
                Err(Failure::User(e) | Failure::Runtime(e)) => {
                    tracing::error!(error = %format!("{e:#}"), "Reload failed; keeping the campaigns and templates in use.");
                }
            },
        }
    }
    tracing::info!("Stopping: no new claims; finishing the emails in flight.");
    let _ = stop_tx.send(true);
    for t in tasks {
        let _ = t.await;
    }
    tracing::info!("Stopped.");
    Ok(())
}

mod daemon {
    use super::super::{App, Engine, Failure};
    use crate::cycle::{self, CycleOptions};
    use crate::scheduler::{Schedule, TickKind};
    use crate::store::Scope;
    use chrono::Utc;
    use std::sync::Arc;
    use std::time::Duration;
    use tokio::sync::watch;
    use tokio::task::JoinHandle;

    const LEASE: &str = "scheduler";

    /// Sleeps for `d` or until asked to stop; returns true when stopping.
    async fn nap(stop: &mut watch::Receiver<bool>, d: Duration) -> bool {
        if *stop.borrow() {
            return true;
        }
        tokio::select! {
            _ = tokio::time::sleep(d) => *stop.borrow(),
            _ = stop.changed() => true,
        }
    }

    pub async fn scheduler_loop(
        app: Arc<App>,
        schedule: Schedule,
        engine: watch::Receiver<Arc<Engine>>,
        mut stop: watch::Receiver<bool>,
    ) {
        let owner = format!(
            "{}:{}",
            std::env::var("HOSTNAME").unwrap_or_else(|_| "rapport".into()),
            std::process::id()
        );
        // One incremental cycle at start, then on the schedule.
        let mut next = (Utc::now(), TickKind::Incremental);
        loop {
            let wait = (next.0 - Utc::now()).to_std().unwrap_or_default();
            if nap(&mut stop, wait).await {
                release_scheduler_lease(&app, &owner).await;
                return;
            }
            let now = Utc::now();
            let lease_until = now + app.config.scheduler.lease.chrono();
            match app.store.try_lease(LEASE, &owner, now, lease_until).await {
                Ok(true) => {
                    let campaigns = engine.borrow().campaigns.clone();
                    let scope = match next.1 {
                        TickKind::Full => Ok(Scope::All),
                        TickKind::Incremental => cycle::incremental_scope(&*app.store).await,
                    };
                    let result = match scope {
                        Ok(scope) => {
                            cycle::run(
                                &*app.store,
                                &app.config,
                                &campaigns,
                                &CycleOptions {
                                    scope,
                                    now,
                                    dry_run: false,
                                },
                            )
                            .await
                        }
                        Err(e) => Err(e),
                    };
                    match result {
                        Ok(r) => tracing::info!(
                            kind = ?next.1, assessed = r.assessed, level_changes = r.level_changes,
                            queued = r.queued, seconds = r.seconds, "Cycle done."
                        ),
                        Err(e) => {
                            tracing::error!(error = %e, "Cycle failed; the next tick retries.")
                        }
                    }
                }
                Ok(false) => tracing::debug!("Another replica holds the scheduler lease."),
                Err(e) => tracing::error!(error = %e, "Cannot take the scheduler lease."),
            }
            match schedule.next(Utc::now()) {
                Some(n) => next = n,
                None => {
                    release_scheduler_lease(&app, &owner).await;
                    return;
                }
            }
        }
    }

    /// On a graceful stop: without this the lease stays ours until it expires
    /// (`scheduler.lease`, 5 minutes by default) and every other replica skips its ticks.
    async fn release_scheduler_lease(app: &App, owner: &str) {
        match app.store.release_lease(LEASE, owner).await {
            Ok(true) => tracing::info!("Released the scheduler lease."),
            Ok(false) => {}
            Err(e) => {
                tracing::warn!(error = %e, "Cannot release the scheduler lease; it expires on its own.")
            }
        }
    }

    pub async fn sender_loop(
        app: Arc<App>,
        mut engine: watch::Receiver<Arc<Engine>>,
        mut stop: watch::Receiver<bool>,
    ) {
        let mut dispatcher = engine
            .borrow_and_update()
            .dispatcher(&app.config, app.store.clone());
        loop {
            if *stop.borrow() {
                break;
            }
            if engine.has_changed().unwrap_or(false) {
                dispatcher.close().await;
                dispatcher = engine
                    .borrow_and_update()
                    .dispatcher(&app.config, app.store.clone());
            }
            let mut report = crate::dispatch::DispatchReport::default();
            match dispatcher.run_batch(Utc::now(), &mut report).await {
                Ok(0) => {
                    if nap(&mut stop, Duration::from_secs(1)).await {
                        break;
                    }
                }
                Ok(n) => tracing::info!(
                    claimed = n,
                    sent = report.sent,
                    retried = report.retried,
                    failed = report.failed,
                    suppressed = report.suppressed,
                    "Batch sent."
                ),
                Err(e) => {
                    tracing::error!(error = %e, "Sending failed; retrying shortly.");
                    if nap(&mut stop, Duration::from_secs(5)).await {
                        break;
                    }
                }
            }
        }
        dispatcher.close().await;
    }

    /// The HTTP endpoint (tracking, unsubscribe, surveys, webhooks, API, dashboard, health,
    /// metrics). On stop it lets requests in flight finish and flushes buffered tracking
    /// events before its task ends.
    pub async fn http_tasks(
        app: Arc<App>,
        stop: watch::Receiver<bool>,
    ) -> Result<Vec<JoinHandle<()>>, Failure> {
        let state = crate::http::AppState::from_config(&app.config, app.store.clone())
            .map_err(|e| Failure::User(anyhow::anyhow!("webhooks: {e}")))?;
        let listener = tokio::net::TcpListener::bind(&app.config.http.bind)
            .await
            .map_err(|e| {
                Failure::Runtime(anyhow::anyhow!(
                    "cannot listen on http.bind = {}: {e}",
                    app.config.http.bind
                ))
            })?;
        // `http.bind` may name port 0: the address actually bound is what clients need, so it
        // is logged and printed as the daemon's one stdout line (`listening on http://ADDR`),
        // which tests read instead of racing for a free port.
        let address = listener
            .local_addr()
            .map_err(|e| Failure::Runtime(anyhow::anyhow!("http.bind: {e}")))?;
        tracing::info!(%address, "Listening.");
        {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            // Best effort: a daemon started with stdout closed still serves.
            let _ = writeln!(out, "listening on http://{address}").and_then(|()| out.flush());
        }
        let mut stop = stop;
        let shutdown = async move {
            let _ = stop.wait_for(|s| *s).await;
        };
        Ok(vec![tokio::spawn(async move {
            if let Err(e) = crate::http::serve(listener, state, shutdown).await {
                tracing::error!(error = %e, "HTTP endpoint failed.");
            }
        })])
    }
}
