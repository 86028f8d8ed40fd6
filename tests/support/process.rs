//! Processes a test starts (daemons, SMTP servers) die with the test, on every path:
//!
//! - [`Running`] kills its process when dropped, so a failed assertion (a panic unwinding
//!   through the test) stops it like a passing test does;
//! - on Linux, [`DiesWithTest::dies_with_test`] makes the kernel send the process SIGKILL
//!   when the test dies without unwinding (SIGKILL, a CI timeout, Ctrl-C): the
//!   parent-death signal (`prctl(PR_SET_PDEATHSIG)`).
//!
//! The parent-death signal follows the *thread* that spawned the process: spawn from the
//! test's own thread (as `#[test]` and `#[tokio::test]` bodies run), never from a pool thread
//! that may end before the test does.
#![allow(dead_code)] // each test binary uses its own subset

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, ExitStatus};
use std::sync::mpsc;
use std::time::Duration;

/// A command whose process is killed when the test process (its spawning thread) dies.
pub trait DiesWithTest {
    fn dies_with_test(&mut self) -> &mut Self;
    /// The same with SIGTERM, for wrappers such as `timeout(1)` that pass a SIGTERM on to
    /// what they run (a SIGKILLed wrapper would leave its child behind).
    fn dies_with_test_by_sigterm(&mut self) -> &mut Self;
    /// [`dies_with_test`](Self::dies_with_test), running as `nobody` when the test runs as
    /// root (smtp-sink refuses root; dropping privileges itself would clear the signal).
    fn dies_with_test_unprivileged(&mut self) -> &mut Self;
}

impl DiesWithTest for Command {
    fn dies_with_test(&mut self) -> &mut Self {
        with_parent_death_signal(self, libc::SIGKILL, None)
    }

    fn dies_with_test_by_sigterm(&mut self) -> &mut Self {
        with_parent_death_signal(self, libc::SIGTERM, None)
    }

    fn dies_with_test_unprivileged(&mut self) -> &mut Self {
        let nobody = running_as_root().then(nobody);
        with_parent_death_signal(self, libc::SIGKILL, nobody)
    }
}

#[cfg(target_os = "linux")]
fn with_parent_death_signal(
    cmd: &mut Command,
    signal: libc::c_int,
    user: Option<(u32, u32)>,
) -> &mut Command {
    use std::os::unix::process::CommandExt;
    let parent = std::process::id();
    // SAFETY: between fork and exec only async-signal-safe calls (setgroups, setgid, setuid,
    // prctl, getppid) touching no memory shared with the parent.
    unsafe {
        cmd.pre_exec(move || {
            if let Some((uid, gid)) = user {
                // Credentials first: changing them clears the parent-death signal.
                if libc::setgroups(0, std::ptr::null()) != 0
                    || libc::setgid(gid) != 0
                    || libc::setuid(uid) != 0
                {
                    return Err(std::io::Error::last_os_error());
                }
            }
            if libc::prctl(libc::PR_SET_PDEATHSIG, signal) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            // The test died between fork and prctl: nobody would send the signal now.
            // (ESRCH, not a message: no allocation between fork and exec.)
            if libc::getppid() as u32 != parent {
                return Err(std::io::Error::from_raw_os_error(libc::ESRCH));
            }
            Ok(())
        })
    }
}

#[cfg(not(target_os = "linux"))]
fn with_parent_death_signal(
    cmd: &mut Command,
    _signal: libc::c_int,
    user: Option<(u32, u32)>,
) -> &mut Command {
    // No parent-death signal here: the guard's drop is the only safety net.
    use std::os::unix::process::CommandExt;
    if let Some((uid, gid)) = user {
        cmd.uid(uid).gid(gid);
    }
    cmd
}

pub fn running_as_root() -> bool {
    // SAFETY: geteuid(2) has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// The uid and gid of `nobody`.
fn nobody() -> (u32, u32) {
    // SAFETY: a static C string; the result is read at once, before any other getpw* call
    // on this thread.
    let pw = unsafe { libc::getpwnam(c"nobody".as_ptr()) };
    assert!(!pw.is_null(), "no user `nobody` to run smtp-sink as");
    // SAFETY: non-null, points to the static passwd record getpwnam filled.
    unsafe { ((*pw).pw_uid, (*pw).pw_gid) }
}

/// A started process, killed (SIGKILL) and reaped when dropped unless it already ended.
pub struct Running {
    child: Child,
    what: String,
}

impl Running {
    /// Spawns `cmd` (made to [die with the test](DiesWithTest)); `what` names it in failures.
    pub fn spawn(cmd: &mut Command, what: &str) -> Running {
        let child = cmd
            .dies_with_test()
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {what}: {e}"));
        Running::adopt(child, what)
    }

    /// Guards a child spawned elsewhere (with [`DiesWithTest`] set on its command).
    pub fn adopt(child: Child, what: &str) -> Running {
        Running {
            child,
            what: what.to_string(),
        }
    }

    pub fn child(&mut self) -> &mut Child {
        &mut self.child
    }

    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// The exit status if the process has ended.
    pub fn ended(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().expect("poll a child")
    }

    /// Sends SIGTERM (the operator's stop).
    pub fn terminate(&self) {
        let pid = libc::pid_t::try_from(self.child.id()).expect("pid");
        // SAFETY: kill(2) on a child this guard owns and has not reaped.
        let rc = unsafe { libc::kill(pid, libc::SIGTERM) };
        assert_eq!(rc, 0, "kill(SIGTERM) {}", self.what);
    }

    /// Waits for the process to end; past `within` it is killed and the test fails.
    pub fn wait_exit(&mut self, within: Duration) -> ExitStatus {
        let mut status = None;
        if !super::wait::within_blocking(within, || {
            status = self.ended();
            status.is_some()
        }) {
            self.kill();
            panic!("{} did not exit within {within:?}", self.what);
        }
        status.expect("ended")
    }

    /// SIGKILL, then reap.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The address printed on the process's stdout (piped) as `listening on http://ADDR`,
    /// the line `rapport run` prints once its endpoint is bound. The rest of stdout is
    /// drained in the background, so a later line never meets a closed pipe.
    pub fn http_address(&mut self, within: Duration) -> Result<SocketAddr, String> {
        let stdout = self.child.stdout.take().expect("stdout piped, read once");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut tx = Some(tx);
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(addr) = line.strip_prefix("listening on http://")
                    && let Some(tx) = tx.take()
                {
                    let _ = tx.send(
                        addr.trim()
                            .parse::<SocketAddr>()
                            .map_err(|e| format!("unreadable address in {line:?}: {e}")),
                    );
                }
            }
        });
        match rx.recv_timeout(within) {
            Ok(address) => address,
            Err(mpsc::RecvTimeoutError::Disconnected) => Err(format!(
                "{} ended without listening ({:?})",
                self.what,
                self.child.wait().ok()
            )),
            Err(mpsc::RecvTimeoutError::Timeout) => {
                Err(format!("{} did not listen within {within:?}", self.what))
            }
        }
    }
}

impl Drop for Running {
    /// Never panics (it may run while a failed assertion unwinds): killing a process that
    /// already ended is a no-op.
    fn drop(&mut self) {
        self.kill();
    }
}
