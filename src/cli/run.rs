//! `rapport run`: the command-line side of the engine in `app` — the summary line of
//! `--once`, and for the daemon the signals, the printed address and the dashboard hint.

use super::{App, CmdResult, Failure};
use crate::app::{Application, Once, Options, run_once};
use crate::config::Config;
use chrono::{DateTime, Utc};

/// `rapport run --once [--now T]`: one incremental assess + plan cycle, then send everything
/// due, then exit. With `--now` (`replay`), T is the clock of everything recorded.
pub async fn once(app: &App, now: DateTime<Utc>, replay: bool, full: bool) -> CmdResult {
    let r = run_once(app, Once { now, replay, full }).await?;
    println!(
        "assessed {} customers, {} level changes, queued {} emails; sent {}, retrying {}, throttled {}, failed over {}, failed {}, suppressed {}, cancelled {}; {} still queued for later",
        r.cycle.assessed,
        r.cycle.level_changes,
        r.cycle.queued,
        r.sent.sent,
        r.sent.retried,
        r.sent.throttled,
        r.sent.failed_over,
        r.sent.failed,
        r.sent.suppressed,
        r.sent.cancelled,
        r.pending
    );
    Ok(())
}

/// `rapport run`: the daemon ([`Application`]) until SIGTERM or SIGINT. SIGHUP reloads
/// campaigns and templates, keeping the old ones when the new ones do not validate.
pub async fn daemon(config: Config) -> CmdResult {
    use tokio::signal::unix::{SignalKind, signal};

    // Signal handlers before the endpoint answers: a SIGTERM sent as soon as /healthz
    // answers must stop the daemon cleanly, not kill it with the default action.
    let sig = |k| signal(k).map_err(|e| Failure::Runtime(e.into()));
    let (mut term, mut int, mut hup) = (
        sig(SignalKind::terminate())?,
        sig(SignalKind::interrupt())?,
        sig(SignalKind::hangup())?,
    );
    let daemon = Application::build(config, Options::default()).await?;
    {
        // `http.bind` may name port 0: the address actually bound is what clients need, so
        // it is the daemon's one stdout line, which tests read instead of racing for a free
        // port. Best effort: a daemon started with stdout closed still serves.
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        let _ =
            writeln!(out, "listening on http://{}", daemon.address()).and_then(|()| out.flush());
    }
    // The shipped configuration has no API key, so the dashboard answers 401 until one is
    // set: say how, once, where the person who just started the daemon is looking.
    let hint = super::hints::dashboard(daemon.config(), super::hints::this_command());
    if daemon.config().security.api_keys.is_empty() {
        tracing::warn!("{hint}");
    } else {
        tracing::info!("{hint}");
    }
    loop {
        tokio::select! {
            _ = term.recv() => break,
            _ = int.recv() => break,
            // A failed reload is logged by the daemon and changes nothing.
            _ = hup.recv() => { let _ = daemon.reload(); }
        }
    }
    daemon.shutdown().await;
    Ok(())
}
