//! Waiting on a condition with a deadline instead of sleeping a fixed time: a test goes on
//! as soon as what it waits for is true, and fails with a message when it never comes.
#![allow(dead_code)] // each test binary uses its own subset

use std::future::Future;
use std::time::{Duration, Instant};

/// How often a condition is looked at again.
const POLL: Duration = Duration::from_millis(20);

/// Waits until `condition` is true; past `within` the test fails naming `what`.
pub async fn until(what: &str, within: Duration, mut condition: impl FnMut() -> bool) {
    until_async(what, within, || std::future::ready(condition())).await;
}

/// [`until`] for a condition that has to await (a database query). Capture references only
/// (`let db = &db;` before a `move || async move { … }`).
pub async fn until_async<F, Fut>(what: &str, within: Duration, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + within;
    while !condition().await {
        assert!(Instant::now() < deadline, "{what}: not within {within:?}");
        tokio::time::sleep(POLL).await;
    }
}

/// [`until`] from a thread that is not in a runtime (or may block it).
pub fn until_blocking(what: &str, within: Duration, condition: impl FnMut() -> bool) {
    assert!(
        within_blocking(within, condition),
        "{what}: not within {within:?}"
    );
}

/// Whether `condition` turns true within `within`, looked at until then (blocking); for a
/// caller that has something to do before it fails.
pub fn within_blocking(within: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + within;
    loop {
        if condition() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(POLL);
    }
}

/// Waits until a watch value satisfies `ready` (a notification, no polling).
pub async fn watch<T>(
    what: &str,
    within: Duration,
    rx: &mut tokio::sync::watch::Receiver<T>,
    ready: impl FnMut(&T) -> bool,
) {
    match tokio::time::timeout(within, rx.wait_for(ready)).await {
        Ok(Ok(_)) => {}
        Ok(Err(_)) => panic!("{what}: the sender is gone"),
        Err(_) => panic!("{what}: not within {within:?}"),
    }
}
