//! `openssl speed rsa2048` in the same run as a benchmark: the reference its DKIM signing
//! rates are read against (the machine, its load and its OpenSSL build change the number).

use anyhow::Context;
use std::process::{Command, Stdio};

/// RSA-2048 signs/s, summed over `cores` processes (`-multi`; one core when 1). The
/// machine-readable output's last `+F2:n:bits:sign/s:verify/s` line is that sum.
pub fn rsa2048_signs(cores: usize, seconds: u32) -> anyhow::Result<f64> {
    let mut command = Command::new("openssl");
    command.args(["speed", "-seconds", &seconds.to_string(), "-mr"]);
    if cores > 1 {
        command.args(["-multi", &cores.to_string()]);
    }
    let out = command
        .arg("rsa2048")
        .stderr(Stdio::null())
        .output()
        .context("run openssl speed")?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .rfind(|l| l.starts_with("+F2:"))
        .and_then(|l| l.split(':').nth(3))
        .and_then(|v| v.parse::<f64>().ok())
        .context("no `+F2:` line in openssl speed's output")
}
