//! SMTP transport: one connection per sender worker, over lettre's SMTP client.

mod implicit_tls;
mod sender;
mod session;
mod settings;

use std::sync::Arc;

use lettre::transport::smtp::client::{Certificate, TlsParameters};
use thiserror::Error;

pub use sender::SmtpSender;
pub use settings::{SmtpCredentials, SmtpSettings, TlsMode};

/// Why SMTP settings could not be turned into a transport.
#[derive(Debug, Error)]
pub enum SmtpSetupError {
    #[error("TLS set-up for {host} failed: {source}")]
    Tls {
        host: String,
        source: lettre::transport::smtp::Error,
    },
}

/// The SMTP relay every sender of this process talks to. Cheap to clone.
#[derive(Clone)]
pub struct SmtpTransport {
    shared: Arc<SmtpShared>,
}

pub(crate) struct SmtpShared {
    settings: SmtpSettings,
    /// Built once: it holds the parsed trust anchors.
    tls: Option<TlsParameters>,
}

impl std::fmt::Debug for SmtpTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpTransport")
            .field("settings", &self.shared.settings)
            .finish()
    }
}

impl SmtpTransport {
    pub fn new(settings: SmtpSettings) -> Result<Self, SmtpSetupError> {
        let tls = match settings.tls {
            TlsMode::None => None,
            _ => Some(tls_parameters(&settings)?),
        };
        Ok(SmtpTransport {
            shared: Arc::new(SmtpShared { settings, tls }),
        })
    }

    pub fn settings(&self) -> &SmtpSettings {
        &self.shared.settings
    }

    /// Opens a session (connect, greeting, EHLO, TLS, AUTH as configured) and closes it
    /// again: whether the relay can be reached now. The reason when it cannot.
    pub async fn probe(&self) -> Result<(), String> {
        let shared = &self.shared;
        let mut opened = session::open(&shared.settings, shared.tls.as_ref())
            .await
            .map_err(|failure| format!("{failure:?}"))?;
        let quit = opened.conn.quit();
        let _ = session::timed(shared.settings.command_timeout, "QUIT", quit).await;
        Ok(())
    }

    /// A new sender with its own (not yet opened) connection.
    pub fn sender(&self) -> SmtpSender {
        SmtpSender::new(Arc::clone(&self.shared))
    }
}

fn tls_parameters(settings: &SmtpSettings) -> Result<TlsParameters, SmtpSetupError> {
    let error = |source| SmtpSetupError::Tls {
        host: settings.host.clone(),
        source,
    };
    let mut builder = TlsParameters::builder(settings.host.clone());
    for pem in &settings.root_certificates_pem {
        builder = builder.add_root_certificate(Certificate::from_pem(pem).map_err(error)?);
    }
    builder.build().map_err(error)
}
