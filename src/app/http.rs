//! The daemon's HTTP endpoint (tracking, unsubscribe, surveys, webhooks, API, dashboard,
//! health, metrics), bound before the daemon reports itself started so that the address it
//! returns already answers.

use super::Failure;
use super::context::App;
use std::net::SocketAddr;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Binds `http.bind` and serves until `stop` turns true; on stop it lets requests in flight
/// finish and flushes buffered tracking events before its task ends. Returns the address
/// actually bound (`http.bind` may name port 0) and the serving task.
pub async fn start(
    app: &App,
    mut stop: watch::Receiver<bool>,
) -> Result<(SocketAddr, JoinHandle<()>), Failure> {
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
    let address = listener
        .local_addr()
        .map_err(|e| Failure::Runtime(anyhow::anyhow!("http.bind: {e}")))?;
    tracing::info!(%address, "Listening.");
    let shutdown = async move {
        let _ = stop.wait_for(|s| *s).await;
    };
    let task = tokio::spawn(async move {
        if let Err(e) = crate::http::serve(listener, state, shutdown).await {
            tracing::error!(error = %e, "HTTP endpoint failed.");
        }
    });
    Ok((address, task))
}
