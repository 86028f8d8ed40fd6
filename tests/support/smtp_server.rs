//! Real SMTP servers for the mailer tests: Postfix's `smtp-sink` (fast, with fault
//! injection) and a small `aiosmtpd` server that captures every message to a folder and
//! answers per recipient (bounce-…, full-…), with optional STARTTLS, implicit TLS and AUTH.
//!
//! Missing tools fail the test naming them, with what to install; nothing is skipped
//! silently. Servers die with the test ([`super::process`]).
#![allow(dead_code)] // each test binary uses its own subset

use super::process::{DiesWithTest, Running};
use super::tools;
use std::{
    io::{BufRead, BufReader, Read},
    net::{TcpListener, TcpStream},
    path::{Path, PathBuf},
    process::{Command, Stdio},
    thread,
    time::{Duration, Instant},
};

use tempfile::TempDir;

/// A loopback port that refuses connections for as long as the returned socket lives: bound,
/// never listening, so no other process can take the port meanwhile (unlike [`free_port`]).
pub fn refused_port() -> (tokio::net::TcpSocket, u16) {
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket
        .bind("127.0.0.1:0".parse().expect("address"))
        .expect("bind an ephemeral port");
    let port = socket.local_addr().expect("its address").port();
    (socket, port)
}

/// A loopback port that was free a moment ago (bound and released). Another process may
/// take it before anyone binds it again: only for servers that cannot bind port 0 and
/// report it (smtp-sink, which retries).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("bind an ephemeral port")
}

/// Waits until the server greets with `220 {greeting} `: a connection alone could reach
/// another process that took the port after [`free_port`] released it.
fn wait_until_greeting(port: u16, server: &mut Running, greeting: &str) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    let expected = format!("220 {greeting} ");
    while Instant::now() < deadline {
        if let Some(status) = server.ended() {
            return Err(format!("exited before listening on {port}: {status}"));
        }
        if let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) {
            let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
            let mut banner = [0u8; 128];
            let n = stream.read(&mut banner).unwrap_or(0);
            let banner = String::from_utf8_lossy(&banner[..n]);
            if banner.starts_with(&expected) {
                return Ok(());
            }
            return Err(format!(
                "port {port} answered {banner:?}: another server took it"
            ));
        }
        thread::sleep(Duration::from_millis(20));
    }
    Err(format!("did not listen on port {port} within 10 s"))
}

pub fn smtp_sink_path() -> PathBuf {
    [
        "/usr/sbin/smtp-sink",
        "/usr/lib/postfix/sbin/smtp-sink",
        "/usr/libexec/postfix/smtp-sink",
    ]
    .iter()
    .map(PathBuf::from)
    .find(|p| p.exists())
    .unwrap_or_else(|| {
        panic!(
            "{}",
            tools::missing_tool("smtp-sink", "apt-get install postfix")
        )
    })
}

pub fn smtp_source_path() -> PathBuf {
    let sink = smtp_sink_path();
    sink.with_file_name("smtp-source")
}

/// Postfix's `smtp-sink` on a loopback port, killed on drop.
pub struct SmtpSink {
    server: Option<Running>,
    pub port: u16,
    dump: TempDir,
}

impl SmtpSink {
    /// Starts `smtp-sink` with extra options (`-f RCPT`, `-Q DATA`, …); every accepted
    /// transaction is dumped to a file so that tests can count what arrived.
    pub fn start(options: &[&str]) -> Self {
        let dump = tempfile::tempdir().expect("tempdir");
        // smtp-sink cannot bind port 0 and say which port it got: a released port can be
        // taken before it binds, so a lost race is retried on another port.
        let mut failures = Vec::new();
        for _ in 0..5 {
            let port = free_port();
            match spawn_sink(port, dump.path(), options) {
                Ok(server) => {
                    return SmtpSink {
                        server: Some(server),
                        port,
                        dump,
                    };
                }
                Err(e) => failures.push(e),
            }
        }
        panic!("smtp-sink did not start: {failures:?}");
    }

    /// Stops the server: connections drop, new ones are refused.
    pub fn stop(&mut self) {
        if let Some(mut server) = self.server.take() {
            server.kill();
        }
    }

    /// Replaces the server on the same port with one started with other options,
    /// keeping what was dumped so far.
    pub fn restart(&mut self, options: &[&str]) {
        self.stop();
        let server = spawn_sink(self.port, self.dump.path(), options)
            .unwrap_or_else(|e| panic!("smtp-sink restart: {e}"));
        self.server = Some(server);
    }

    /// `smtp://127.0.0.1:PORT` plus query options.
    pub fn url(&self, query: &str) -> String {
        if query.is_empty() {
            format!("smtp://127.0.0.1:{}", self.port)
        } else {
            format!("smtp://127.0.0.1:{}?{query}", self.port)
        }
    }

    /// Every transaction dumped so far, as text (smtp-sink's own headers first).
    pub fn dumped(&self) -> Vec<String> {
        read_folder(self.dump.path())
    }
}

fn spawn_sink(port: u16, dump: &Path, options: &[&str]) -> Result<Running, String> {
    if super::process::running_as_root() {
        // smtp-sink refuses to run as root: it runs as `nobody`, who must write the dumps.
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dump, std::fs::Permissions::from_mode(0o777))
            .expect("chmod the dump folder");
    }
    // A greeting of our own tells this server from any other that holds the port.
    let greeting = format!("rapport-sink-{}-{port}", std::process::id());
    let template = format!("{}/%H%M%S.", dump.display());
    let mut command = Command::new(smtp_sink_path());
    command
        .dies_with_test_unprivileged()
        .args(["-h", &greeting, "-d", &template])
        .args(options)
        .arg(format!("127.0.0.1:{port}"))
        .arg("64")
        .stdin(Stdio::null())
        .stdout(Stdio::null());
    let child = command
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start smtp-sink: {e}"));
    let mut server = Running::adopt(child, "smtp-sink");
    wait_until_greeting(port, &mut server, &greeting)?;
    Ok(server)
}

fn read_folder(dir: &Path) -> Vec<String> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("read dump folder")
        .map(|e| e.expect("dir entry").path())
        // Skip temporary files, and the empty files smtp-sink leaves for transactions
        // that were aborted before the message content.
        .filter(|p| {
            p.is_file()
                && !p
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with('.'))
                && p.metadata().is_ok_and(|m| m.len() > 0)
        })
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| String::from_utf8_lossy(&std::fs::read(p).expect("read dump")).into_owned())
        .collect()
}

const CAPTURE_SERVER: &str = r#"
import argparse, asyncio, os, ssl, sys, time, uuid
try:
    from aiosmtpd.smtp import SMTP, AuthResult
except ImportError:
    print('MISSING aiosmtpd', flush=True)
    sys.exit(3)

p = argparse.ArgumentParser()
p.add_argument('--dir', required=True)
p.add_argument('--cert')
p.add_argument('--key')
p.add_argument('--implicit', action='store_true')
p.add_argument('--auth')
p.add_argument('--delay', type=float, default=0.0)
p.add_argument('--throttle', type=float, default=0.0)
p.add_argument('--throttle-every', type=int, default=0)
a = p.parse_args()
first_mail = None
mails = 0

class Handler:
    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        global first_mail, mails
        now = time.monotonic()
        if first_mail is None:
            first_mail = now
        mails += 1
        if now - first_mail < a.throttle or (a.throttle_every and mails % a.throttle_every == 0):
            return '454 Throttling failure: Maximum sending rate exceeded.'
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return '250 OK'

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split('@')[0]
        if local.startswith('bounce'):
            return '550 5.1.1 <%s>: Recipient address rejected: User unknown' % address
        if local.startswith('full'):
            return '452 4.2.2 <%s>: Mailbox full' % address
        envelope.rcpt_tos.append(address)
        return '250 2.1.5 Ok'

    async def handle_DATA(self, server, session, envelope):
        if a.delay:
            await asyncio.sleep(a.delay)
        name = uuid.uuid4().hex
        tls = server.transport.get_extra_info('ssl_object') is not None
        head = 'X-Envelope-From: %s\r\nX-Envelope-To: %s\r\nX-Peer-Port: %d\r\nX-TLS: %s\r\nX-Auth: %s\r\nX-Received-At: %f\r\n' % (
            envelope.mail_from, ','.join(envelope.rcpt_tos), session.peer[1], tls, session.authenticated, time.time())
        tmp = os.path.join(a.dir, '.' + name)
        with open(tmp, 'wb') as f:
            f.write(head.encode())
            f.write(envelope.original_content or envelope.content)
        os.rename(tmp, os.path.join(a.dir, name + '.eml'))
        return '250 2.0.0 Ok: queued as ' + name

def authenticator(server, session, envelope, mechanism, auth_data):
    user, _, password = a.auth.partition(':')
    ok = auth_data.login.decode() == user and auth_data.password.decode() == password
    # handled=False: let aiosmtpd send the 535 itself (True would mean "already answered").
    return AuthResult(success=ok, handled=False)

ctx = None
if a.cert:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(a.cert, a.key)

def factory():
    return SMTP(Handler(), hostname='capture', enable_SMTPUTF8=True,
                tls_context=None if a.implicit else ctx,
                require_starttls=bool(ctx) and not a.implicit,
                authenticator=authenticator if a.auth else None,
                auth_required=bool(a.auth),
                auth_require_tls=not a.implicit)

async def main():
    loop = asyncio.get_running_loop()
    server = await loop.create_server(factory, '127.0.0.1', 0, ssl=ctx if a.implicit else None)
    print('PORT %d' % server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()

asyncio.run(main())
"#;

/// How the capturing server should behave.
#[derive(Default)]
pub struct CaptureOptions<'a> {
    /// Offer (and require) STARTTLS with this certificate.
    pub starttls: Option<&'a TestCertificate>,
    /// Speak TLS from the first byte with this certificate.
    pub implicit_tls: Option<&'a TestCertificate>,
    /// Require AUTH with `user:password`.
    pub auth: Option<&'a str>,
    /// Wait this long before answering each message's final `.` (a slow relay).
    pub delay: Option<Duration>,
    /// Answer every `MAIL FROM` with SES's `454 Throttling failure` for this long after the
    /// first one.
    pub throttle_for: Option<Duration>,
    /// Answer every n-th `MAIL FROM` with that 454 (a server that throttles a share).
    pub throttle_every: Option<u32>,
    /// `PYTHONPATH` for the server (tests of the missing-module report shadow aiosmtpd).
    pub python_path: Option<&'a Path>,
}

/// An `aiosmtpd` server that writes each accepted message to a folder, with its envelope.
/// Recipients starting with `bounce` get `550 5.1.1`, `full` get `452 4.2.2`.
pub struct CaptureServer {
    server: Running,
    pub port: u16,
    dir: TempDir,
}

/// One captured message.
#[derive(Debug)]
pub struct Captured {
    pub to: String,
    pub peer_port: u16,
    pub tls: bool,
    pub authenticated: bool,
    /// When the server accepted it (Unix seconds).
    pub received_at: f64,
    pub content: String,
}

impl CaptureServer {
    pub fn start(options: CaptureOptions<'_>) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut command = tools::python3();
        if let Some(path) = options.python_path {
            command.env("PYTHONPATH", path);
        }
        command
            .args(["-W", "ignore", "-c", CAPTURE_SERVER, "--dir"])
            .arg(dir.path());
        if let Some(cert) = options.starttls.or(options.implicit_tls) {
            command
                .arg("--cert")
                .arg(&cert.leaf)
                .arg("--key")
                .arg(&cert.key);
        }
        if options.implicit_tls.is_some() {
            command.arg("--implicit");
        }
        if let Some(auth) = options.auth {
            command.args(["--auth", auth]);
        }
        if let Some(delay) = options.delay {
            command.arg("--delay").arg(delay.as_secs_f64().to_string());
        }
        if let Some(throttle) = options.throttle_for {
            command
                .arg("--throttle")
                .arg(throttle.as_secs_f64().to_string());
        }
        if let Some(n) = options.throttle_every {
            command.arg("--throttle-every").arg(n.to_string());
        }
        command.stdin(Stdio::null()).stdout(Stdio::piped());
        let mut server = Running::spawn(&mut command, "the aiosmtpd capture server");
        let stdout = server.child().stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read port");
        // The server binds port 0 and prints the port it got: no race for a free port.
        let port = match line.trim().strip_prefix("PORT ").map(str::parse) {
            Some(Ok(port)) => port,
            _ if line.trim() == "MISSING aiosmtpd" => {
                panic!("{}", tools::missing_python_module("aiosmtpd", "aiosmtpd"))
            }
            _ => panic!(
                "the aiosmtpd capture server did not start (printed {line:?}; its error is above)"
            ),
        };
        CaptureServer { server, port, dir }
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.server.id()
    }

    /// How many messages were accepted so far (cheap: no file is read).
    pub fn count(&self) -> usize {
        std::fs::read_dir(self.dir.path())
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .filter(|e| e.file_name().to_string_lossy().ends_with(".eml"))
                    .count()
            })
            .unwrap_or(0)
    }

    pub fn messages(&self) -> Vec<Captured> {
        read_folder(self.dir.path())
            .into_iter()
            .map(|text| {
                let header = |name: &str| {
                    text.lines()
                        .find_map(|l| l.strip_prefix(name))
                        .map(|v| v.trim().to_owned())
                        .unwrap_or_default()
                };
                Captured {
                    to: header("X-Envelope-To:"),
                    peer_port: header("X-Peer-Port:").parse().unwrap_or(0),
                    tls: header("X-TLS:") == "True",
                    authenticated: header("X-Auth:") == "True",
                    received_at: header("X-Received-At:").parse().unwrap_or(0.0),
                    content: text,
                }
            })
            .collect()
    }
}

/// A throw-away CA and a certificate for 127.0.0.1 signed by it (made with `openssl`).
pub struct TestCertificate {
    _dir: TempDir,
    pub ca_pem: Vec<u8>,
    pub leaf: PathBuf,
    pub key: PathBuf,
}

impl TestCertificate {
    pub fn for_localhost() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = |name: &str| dir.path().join(name);
        let openssl = |args: &[&str]| {
            let status = Command::new(tools::require("openssl", "apt-get install openssl"))
                .args(args)
                .current_dir(dir.path())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .expect("run openssl (needed to make test certificates)");
            assert!(status.success(), "openssl {args:?} failed");
        };
        openssl(&[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=rapport test CA",
        ]);
        openssl(&[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "leaf.key",
            "-out",
            "leaf.csr",
            "-subj",
            "/CN=127.0.0.1",
        ]);
        std::fs::write(
            path("ext.cnf"),
            "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
        )
        .expect("write ext");
        openssl(&[
            "x509",
            "-req",
            "-in",
            "leaf.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "leaf.pem",
            "-days",
            "2",
            "-extfile",
            "ext.cnf",
        ]);
        TestCertificate {
            ca_pem: std::fs::read(path("ca.pem")).expect("read CA"),
            leaf: path("leaf.pem"),
            key: path("leaf.key"),
            _dir: dir,
        }
    }
}
