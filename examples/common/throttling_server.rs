//! An SMTP server with an allowed rate, for `bench_send --throttled RATE`: aiosmtpd taking
//! at most RATE messages a second (a token bucket holding a tenth of a second's worth) and
//! answering every `MAIL FROM` beyond it with SES's `454 Throttling failure`, as a relay with
//! a sending quota does. Each accepted message's Message-ID goes to a file, one a line, so
//! the benchmark can check that every email arrived exactly once.
//!
//! Needs `python3` with aiosmtpd (`scripts/test` puts one in target/test-python/bin).

use anyhow::Context;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

const SERVER: &str = r#"
import asyncio, sys, time
from aiosmtpd.smtp import SMTP
rate, log = float(sys.argv[1]), open(sys.argv[2], 'a', buffering=1)
burst = max(1.0, rate / 10)
bucket = {'tokens': burst, 'at': time.monotonic()}

class Handler:
    async def handle_MAIL(self, server, session, envelope, address, options):
        now = time.monotonic()
        bucket['tokens'] = min(burst, bucket['tokens'] + (now - bucket['at']) * rate)
        bucket['at'] = now
        if bucket['tokens'] < 1:
            return '454 Throttling failure: Maximum sending rate exceeded.'
        bucket['tokens'] -= 1
        envelope.mail_from = address
        return '250 OK'

    async def handle_DATA(self, server, session, envelope):
        for line in envelope.content.split(b'\r\n'):
            if line.lower().startswith(b'message-id:'):
                log.write(line[11:].strip().decode() + '\n')
                break
        return '250 2.0.0 Ok'

async def main():
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(Handler(), hostname='throttling'), '127.0.0.1', 0)
    print('PORT %d' % server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()

asyncio.run(main())
"#;

pub struct ThrottlingServer {
    child: Child,
    pub port: u16,
    log: PathBuf,
}

impl ThrottlingServer {
    pub fn start(dir: &Path, rate: u32) -> anyhow::Result<Self> {
        let log = dir.join("accepted.txt");
        let mut child = Command::new("python3")
            .args(["-W", "ignore", "-c", SERVER, &rate.to_string()])
            .arg(&log)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .context("start python3 (with aiosmtpd)")?;
        let mut line = String::new();
        BufReader::new(child.stdout.take().context("stdout")?).read_line(&mut line)?;
        let port = line
            .trim()
            .strip_prefix("PORT ")
            .and_then(|p| p.parse().ok())
            .with_context(|| {
                format!(
                    "the throttling server did not start (said {line:?}; is aiosmtpd installed?)"
                )
            })?;
        Ok(ThrottlingServer { child, port, log })
    }

    /// (messages accepted, distinct Message-IDs among them).
    pub fn accepted(&self) -> (usize, usize) {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let ids: Vec<&str> = text.lines().collect();
        let distinct: std::collections::HashSet<&str> = ids.iter().copied().collect();
        (ids.len(), distinct.len())
    }
}

impl Drop for ThrottlingServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
