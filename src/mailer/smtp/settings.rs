//! Everything an SMTP sender needs to open a session, parsed once from `smtp.url`.

use std::time::Duration;

use lettre::transport::smtp::extension::ClientId;
use secrecy::SecretString;

/// How the session is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    /// `smtp://…?tls=none`: never encrypt, even when the server offers STARTTLS.
    None,
    /// `smtp://…` (default): STARTTLS when the server offers it, plain text otherwise.
    Opportunistic,
    /// `smtp://…?tls=starttls`: STARTTLS or no session at all.
    StartTls,
    /// `smtps://…`: TLS from the first byte (port 465, RFC 8314).
    Implicit,
}

/// AUTH user and password; the password stays inside `secrecy` so Debug redacts it.
#[derive(Debug, Clone)]
pub struct SmtpCredentials {
    pub user: String,
    pub password: SecretString,
}

/// SMTP relay settings. Built by [`crate::mailer::TransportUrl::parse`]; tests and
/// callers may adjust the timeouts and trust anchors before building the transport.
#[derive(Debug, Clone)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub tls: TlsMode,
    pub credentials: Option<SmtpCredentials>,
    /// The EHLO name; lettre's default is this machine's host name.
    pub hello_name: ClientId,
    /// TCP connect plus TLS handshake.
    pub connect_timeout: Duration,
    /// Each command reply (greeting, EHLO, MAIL, RCPT, DATA, RSET, QUIT).
    pub command_timeout: Duration,
    /// The reply after the message body: servers scan content before answering, and
    /// RFC 5321 §4.5.3.2.6 asks clients to wait up to 10 minutes; 2 is plenty for a relay.
    pub data_timeout: Duration,
    /// A connection unused for longer is closed and reopened before the next email,
    /// because servers drop idle clients (Postfix after 300 s) and the first command on
    /// a dead connection would otherwise fail.
    pub idle_timeout: Duration,
    /// Extra PEM trust anchors on top of the Web PKI roots (a private relay's CA).
    pub root_certificates_pem: Vec<Vec<u8>>,
}

impl SmtpSettings {
    pub fn new(host: impl Into<String>, port: u16, tls: TlsMode) -> Self {
        SmtpSettings {
            host: host.into(),
            port,
            tls,
            credentials: None,
            hello_name: ClientId::default(),
            connect_timeout: Duration::from_secs(10),
            command_timeout: Duration::from_secs(60),
            data_timeout: Duration::from_secs(120),
            idle_timeout: Duration::from_secs(60),
            root_certificates_pem: Vec::new(),
        }
    }

    /// `host:port` for logs; never includes credentials.
    pub fn endpoint(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}
