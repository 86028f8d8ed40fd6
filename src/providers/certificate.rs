//! Where SNS signing certificates come from: the operator's `cert_dir` first, then memory,
//! then an HTTPS download — and only ever from `https://sns.<region>.amazonaws.com/NAME.pem`.
//! The URL is checked when [`SnsUrl`] is built, so no request can reach another host.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock, RwLock};
use std::time::Duration;

use futures::future::BoxFuture;
use rsa::PublicKey;
use rsa::pkcs8::DecodePublicKey;
use x509_cert::Certificate;
use x509_cert::der::{DecodePem, Encode};

use super::WebhookError;

/// Certificates cached at most (SNS uses a handful; the bound only matters if AWS rotates a lot).
const CACHE_LIMIT: usize = 64;
/// A certificate is ~2 KiB; anything much larger is not one.
const MAX_DOWNLOAD: usize = 64 * 1024;

/// An `https://sns.<region>.amazonaws.com[.cn]/…` URL: no port, no user info, lower case.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SnsUrl(String);

impl SnsUrl {
    /// A `SigningCertURL`: the path must be a single `NAME.pem` segment, which is also the
    /// file name looked up in `cert_dir`.
    pub fn certificate(raw: &str) -> Result<Self, WebhookError> {
        let path = sns_path(raw)?;
        let name = path.strip_prefix('/').unwrap_or_default();
        let plain_name = name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
        if !plain_name || !name.ends_with(".pem") || name.starts_with('.') {
            return Err(untrusted(raw));
        }
        Ok(Self(raw.to_owned()))
    }

    /// A `SubscribeURL` (any path and query on an SNS host).
    pub fn subscribe(raw: &str) -> Result<Self, WebhookError> {
        sns_path(raw)?;
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The last path segment (`NAME.pem` for certificate URLs).
    pub fn file_name(&self) -> &str {
        let path = self.0.split(['?', '#']).next().unwrap_or_default();
        path.rsplit('/').next().unwrap_or_default()
    }
}

fn untrusted(raw: &str) -> WebhookError {
    // Bounded so that a huge field does not end up in a log line.
    WebhookError::UntrustedSnsUrl(raw.chars().take(200).collect())
}

/// Checks scheme and host; returns the path (with query) after the host.
fn sns_path(raw: &str) -> Result<&str, WebhookError> {
    let rest = raw.strip_prefix("https://").ok_or_else(|| untrusted(raw))?;
    let host_end = rest.find(['/', '?', '#', '\\']).unwrap_or(rest.len());
    let (host, path) = rest.split_at(host_end);
    let region = host
        .strip_prefix("sns.")
        .and_then(|h| {
            h.strip_suffix(".amazonaws.com")
                .or_else(|| h.strip_suffix(".amazonaws.com.cn"))
        })
        .ok_or_else(|| untrusted(raw))?;
    // Rejects ports (':'), user info ('@'), extra labels ('.') and upper case in one go.
    let region_ok = !region.is_empty()
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !region_ok || !path.starts_with('/') || raw.bytes().any(|b| b.is_ascii_whitespace()) {
        return Err(untrusted(raw));
    }
    Ok(path)
}

/// How this module talks to SNS: one GET of an already-checked URL, answering the body.
/// A trait so that tests can count requests and air-gapped installs can refuse them.
pub trait SnsHttp: Send + Sync {
    fn get<'a>(&'a self, url: &'a SnsUrl) -> BoxFuture<'a, Result<String, String>>;
}

/// The real transport: reqwest, HTTPS only, no redirects, short timeout.
#[derive(Default)]
pub struct ReqwestSns {
    client: OnceLock<Result<reqwest::Client, String>>,
}

impl ReqwestSns {
    fn client(&self) -> Result<&reqwest::Client, String> {
        self.client
            .get_or_init(|| {
                // reqwest is built with `rustls-no-provider`; installing twice is harmless.
                let _ = rustls::crypto::ring::default_provider().install_default();
                reqwest::Client::builder()
                    .https_only(true)
                    .redirect(reqwest::redirect::Policy::none())
                    .timeout(Duration::from_secs(10))
                    .build()
                    .map_err(|e| e.to_string())
            })
            .as_ref()
            .map_err(Clone::clone)
    }
}

impl SnsHttp for ReqwestSns {
    fn get<'a>(&'a self, url: &'a SnsUrl) -> BoxFuture<'a, Result<String, String>> {
        Box::pin(async move {
            let response = self
                .client()?
                .get(url.as_str())
                .send()
                .await
                .map_err(|e| e.to_string())?;
            if !response.status().is_success() {
                return Err(format!("HTTP {}", response.status()));
            }
            if response.content_length().unwrap_or(0) > MAX_DOWNLOAD as u64 {
                return Err("response too large".into());
            }
            let bytes = response.bytes().await.map_err(|e| e.to_string())?;
            if bytes.len() > MAX_DOWNLOAD {
                return Err("response too large".into());
            }
            String::from_utf8(bytes.to_vec()).map_err(|_| "response is not UTF-8".into())
        })
    }
}

/// Resolves and caches signing certificates' public keys by URL.
pub struct CertificateStore {
    dir: Option<PathBuf>,
    http: Box<dyn SnsHttp>,
    cache: RwLock<HashMap<SnsUrl, Arc<PublicKey>>>,
}

impl CertificateStore {
    pub fn new(dir: Option<PathBuf>, http: Box<dyn SnsHttp>) -> Self {
        Self {
            dir,
            http,
            cache: RwLock::new(HashMap::new()),
        }
    }

    /// The transport used for downloads (also used to confirm subscriptions).
    pub fn http(&self) -> &dyn SnsHttp {
        self.http.as_ref()
    }

    /// The key for `url` if it was resolved before; never does I/O.
    pub fn cached(&self, url: &SnsUrl) -> Option<Arc<PublicKey>> {
        self.cache.read().ok()?.get(url).cloned()
    }

    /// Validates `raw_url` (before anything else), then tries `cert_dir/NAME.pem`, the
    /// cache, and finally a download.
    pub async fn resolve(&self, raw_url: &str) -> Result<Arc<PublicKey>, WebhookError> {
        let url = SnsUrl::certificate(raw_url)?;
        if let Some(key) = self.cached(&url) {
            return Ok(key);
        }
        let pem = match self.read_from_dir(&url)? {
            Some(pem) => pem,
            None => self
                .http
                .get(&url)
                .await
                .map_err(|e| WebhookError::CertificateUnavailable(format!("{raw_url}: {e}")))?,
        };
        let key = Arc::new(public_key_from_pem(&pem).map_err(|e| {
            WebhookError::CertificateUnavailable(format!("{}: {e}", url.file_name()))
        })?);
        if let Ok(mut cache) = self.cache.write() {
            if cache.len() >= CACHE_LIMIT {
                cache.clear();
            }
            cache.insert(url, key.clone());
        }
        Ok(key)
    }

    fn read_from_dir(&self, url: &SnsUrl) -> Result<Option<String>, WebhookError> {
        let Some(dir) = &self.dir else {
            return Ok(None);
        };
        // `file_name` is a single plain segment (checked by `SnsUrl::certificate`).
        let path = dir.join(url.file_name());
        match std::fs::read_to_string(&path) {
            Ok(pem) => Ok(Some(pem)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(WebhookError::CertificateUnavailable(format!(
                "{}: {e}",
                path.display()
            ))),
        }
    }
}

/// The RSA public key of one PEM certificate. Anything around the PEM block is refused (as
/// aws-sdk-ruby does). Validity dates are not enforced: the trust decision is the URL (or the
/// operator's `cert_dir`), and the published test vectors use an expired certificate.
pub fn public_key_from_pem(pem: &str) -> Result<PublicKey, String> {
    let pem = pem.trim();
    let single_block = pem.starts_with("-----BEGIN CERTIFICATE-----")
        && pem.ends_with("-----END CERTIFICATE-----")
        && pem.matches("-----BEGIN").count() == 1;
    if !single_block {
        return Err("not exactly one PEM certificate".into());
    }
    let cert =
        Certificate::from_pem(pem.as_bytes()).map_err(|e| format!("bad certificate: {e}"))?;
    let spki = cert
        .tbs_certificate()
        .subject_public_key_info()
        .to_der()
        .map_err(|e| format!("bad public key info: {e}"))?;
    PublicKey::from_public_key_der(&spki).map_err(|e| format!("not an RSA key: {e}"))
}

/// Confirms an SNS subscription by GETting its (already checked) `SubscribeURL`.
pub async fn confirm_subscription(http: &dyn SnsHttp, url: &SnsUrl) -> Result<(), String> {
    http.get(url).await.map(drop)
}
