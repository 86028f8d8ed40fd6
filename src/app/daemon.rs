//! The daemon as a value: [`Application::start`] wires the store, campaigns, templates,
//! mail transport, HTTP endpoint and notifier and starts the scheduler (with the replica
//! lease), the sender, the HTTP server and the notify worker; the returned handle reloads,
//! stops and waits. `rapport run` maps signals onto it; tests run it in-process.

use super::clock::Clock;
use super::context::App;
use super::engine::Engine;
use super::schedule::Schedule;
use super::scheduler::{self, Scheduler};
use super::{Failure, http, senders};
use crate::config::{Config, DEVELOPMENT_SECRET};
use secrecy::ExposeSecret;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// What may differ between `rapport run` and a test running the daemon in-process.
pub struct Options {
    /// The time the scheduler ticks by and the sender claims and records at.
    pub clock: Clock,
    /// This replica's name in the scheduler lease; replicas in one process need their own.
    pub lease_owner: String,
}

impl Default for Options {
    /// The wall clock and `HOSTNAME:pid`, as `rapport run` runs.
    fn default() -> Options {
        Options {
            clock: Clock::System,
            lease_owner: scheduler::default_owner(),
        }
    }
}

/// A running daemon. Dropping it without [`shutdown`](Application::shutdown) leaves its tasks
/// running until the runtime ends (and the scheduler lease held until it expires).
pub struct Application {
    app: Arc<App>,
    address: SocketAddr,
    engine: watch::Sender<Arc<Engine>>,
    stop: watch::Sender<bool>,
    ticks: watch::Receiver<u64>,
    tasks: Vec<JoinHandle<()>>,
}

impl Application {
    /// Opens (and migrates) the database named in `config`, then [`start`](Self::start)s.
    pub async fn build(config: Config, options: Options) -> Result<Application, Failure> {
        Application::start(App::open(config).await?, options).await
    }

    /// Starts every task of the daemon on an opened store. Returns once the HTTP endpoint is
    /// bound; configuration problems (schedule, campaigns, templates, transport, webhooks) are
    /// [`Failure::User`] and start nothing.
    pub async fn start(app: App, options: Options) -> Result<Application, Failure> {
        let schedule = Schedule::from_config(&app.config.scheduler)
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
        let (ticks_tx, ticks_rx) = watch::channel(0);
        // The endpoint first: when it cannot bind, no cycle has run and no lease is held.
        let (address, http) = http::start(&app, stop_rx.clone()).await?;
        let retention = tokio::spawn(super::retention::run(
            app.clone(),
            options.clock.clone(),
            options.lease_owner.clone(),
            stop_rx.clone(),
        ));
        let scheduler = Scheduler {
            schedule,
            owner: options.lease_owner,
            clock: options.clock.clone(),
            ticks: ticks_tx,
        };
        let tasks = vec![
            tokio::spawn(scheduler.run(app.clone(), engine_rx.clone(), stop_rx.clone())),
            tokio::spawn(senders::run(
                app.clone(),
                options.clock,
                engine_rx,
                stop_rx.clone(),
            )),
            http,
            retention,
            tokio::spawn(
                crate::notify::Worker::new(app.store.clone(), &app.config.notify).run(stop_rx),
            ),
        ];
        tracing::info!(database = %app.config.database.url, transport = %app.config.smtp.url, "Running.");
        Ok(Application {
            app,
            address,
            engine: engine_tx,
            stop: stop_tx,
            ticks: ticks_rx,
            tasks,
        })
    }

    /// The address the HTTP endpoint is bound to (`http.bind` may name port 0).
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    pub fn config(&self) -> &Config {
        &self.app.config
    }

    /// How many scheduler ticks have finished (whether this replica held the lease or not):
    /// wait on it to know a cycle has run.
    pub fn ticks(&self) -> watch::Receiver<u64> {
        self.ticks.clone()
    }

    /// Reloads campaigns and templates (SIGHUP); when the new ones do not validate, the old
    /// ones stay in use and the problem is logged and returned.
    pub fn reload(&self) -> Result<(), Failure> {
        match Engine::load(&self.app.config) {
            Ok(e) => {
                self.engine.send_replace(Arc::new(e));
                tracing::info!("Reloaded campaigns and templates.");
                Ok(())
            }
            Err(failure) => {
                let (Failure::User(e) | Failure::Runtime(e)) = &failure;
                tracing::error!(error = %format!("{e:#}"), "Reload failed; keeping the campaigns and templates in use.");
                Err(failure)
            }
        }
    }

    /// Asks every task to stop (SIGTERM): no new claims or ticks, the emails in flight
    /// finish, the scheduler lease is released. Returns at once; [`wait`](Self::wait) for it.
    pub fn stop(&self) {
        let first = self
            .stop
            .send_if_modified(|stopping| !std::mem::replace(stopping, true));
        if first {
            tracing::info!("Stopping: no new claims; finishing the emails in flight.");
        }
    }

    /// Waits until every task has ended: after [`stop`](Self::stop), once the batch in
    /// flight is recorded, the lease released and buffered tracking events written.
    pub async fn wait(self) {
        for t in self.tasks {
            let _ = t.await;
        }
        tracing::info!("Stopped.");
    }

    /// [`stop`](Self::stop), then [`wait`](Self::wait).
    pub async fn shutdown(self) {
        self.stop();
        self.wait().await;
    }
}
