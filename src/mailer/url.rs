//! `smtp.url`: which transport to use and how to reach it.
//!
//! - `smtp://[user[:password]@]host[:port][?tls=none|starttls][&hello=NAME]` — plain
//!   SMTP (port 25 by default) with opportunistic STARTTLS unless `tls` says otherwise;
//! - `smtps://[user[:password]@]host[:port]` — implicit TLS (port 465 by default);
//! - `file://DIR` — one `.eml` per email into DIR (relative or absolute);
//! - `stub://` — keep emails in memory (tests).
//!
//! The password may be percent-encoded, or left out of the URL and given in
//! `RAPPORT_SMTP_PASSWORD` so that the config file holds no secret.

use std::path::PathBuf;

use lettre::transport::smtp::extension::ClientId;
use percent_encoding::percent_decode_str;
use secrecy::SecretString;
use thiserror::Error;

use super::smtp::{SmtpCredentials, SmtpSettings, TlsMode};

/// The environment variable consulted when the URL names a user but no password.
pub const PASSWORD_ENV: &str = "RAPPORT_SMTP_PASSWORD";

/// A parsed `smtp.url`.
#[derive(Debug, Clone)]
pub enum TransportUrl {
    Smtp(SmtpSettings),
    File(PathBuf),
    Stub,
}

/// Why an `smtp.url` was refused. Messages never contain the password.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum UrlError {
    #[error("smtp.url is empty: use smtp://host:port, smtps://host:port, file://DIR or stub://")]
    Empty,
    #[error(
        "smtp.url scheme `{0}` is not supported: use smtp://host:port, smtps://host:port, file://DIR or stub://"
    )]
    UnknownScheme(String),
    #[error("smtp.url is not a valid URL ({0}): expected smtp://[user[:password]@]host:port")]
    Malformed(String),
    #[error("smtp.url has no host: expected smtp://host:port")]
    MissingHost,
    #[error("smtp.url has a path `{0}`; SMTP URLs end after host:port (options go after `?`)")]
    UnexpectedPath(String),
    #[error("smtp.url option `{0}` is unknown: the options are tls=none|starttls and hello=NAME")]
    UnknownOption(String),
    #[error(
        "smtp.url option tls=`{0}` is unknown: use tls=none or tls=starttls (or smtps:// for implicit TLS)"
    )]
    BadTlsValue(String),
    #[error("smtp.url: smtps:// always uses TLS; remove the tls= option")]
    TlsOptionOnSmtps,
    #[error("smtp.url: the {0} is not valid percent-encoded UTF-8")]
    BadPercentEncoding(&'static str),
    #[error(
        "smtp.url names user `{0}` but no password: add it to the URL (percent-encoded) or set {1}"
    )]
    MissingPassword(String, String),
    #[error("smtp.url has a password but no user: use smtp://user:password@host:port")]
    PasswordWithoutUser,
    #[error("smtp.url file:// needs a folder, like file://outbox or file:///var/spool/rapport")]
    MissingDirectory,
    #[error("smtp.url file:// takes no options: remove `?{0}`")]
    FileOptions(String),
    #[error("smtp.url stub:// takes nothing after the scheme")]
    StubArguments,
}

impl TransportUrl {
    /// Parses `smtp.url`, reading `RAPPORT_SMTP_PASSWORD` when the URL has a user but no password.
    pub fn parse(url: &str) -> Result<Self, UrlError> {
        Self::parse_with_env(url, |name| std::env::var(name).ok())
    }

    /// Like [`TransportUrl::parse`] with the environment passed in (for tests).
    pub fn parse_with_env(
        url: &str,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, UrlError> {
        Self::parse_with_password_env(url, PASSWORD_ENV, env)
    }

    /// Like [`TransportUrl::parse_with_env`], the password (when the URL names a user
    /// without one) read from `password_env` (`RAPPORT_TRANSPORT_<NAME>_PASSWORD`).
    pub fn parse_with_password_env(
        url: &str,
        password_env: &str,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, UrlError> {
        let url = url.trim();
        if url.is_empty() {
            return Err(UrlError::Empty);
        }
        let Some((scheme, rest)) = url.split_once("://") else {
            return Err(UrlError::UnknownScheme(
                url.split(':').next().unwrap_or(url).to_owned(),
            ));
        };
        match scheme.to_ascii_lowercase().as_str() {
            "smtp" => parse_smtp(url, false, password_env, env).map(TransportUrl::Smtp),
            "smtps" => parse_smtp(url, true, password_env, env).map(TransportUrl::Smtp),
            "file" => parse_file(rest),
            "stub" if rest.is_empty() => Ok(TransportUrl::Stub),
            "stub" => Err(UrlError::StubArguments),
            other => Err(UrlError::UnknownScheme(other.to_owned())),
        }
    }
}

// `file://outbox` must mean the relative folder `outbox`, which a URL parser would read
// as a host name; so file URLs are taken apart by hand.
fn parse_file(rest: &str) -> Result<TransportUrl, UrlError> {
    if let Some((_, query)) = rest.split_once('?') {
        return Err(UrlError::FileOptions(query.to_owned()));
    }
    if rest.is_empty() {
        return Err(UrlError::MissingDirectory);
    }
    Ok(TransportUrl::File(PathBuf::from(rest)))
}

fn parse_smtp(
    raw: &str,
    implicit_tls: bool,
    password_env: &str,
    env: impl Fn(&str) -> Option<String>,
) -> Result<SmtpSettings, UrlError> {
    // url::ParseError messages never echo the input, so no password can leak through them.
    let url = url::Url::parse(raw).map_err(|e| UrlError::Malformed(e.to_string()))?;
    let host = match url.host() {
        Some(url::Host::Domain(d)) if !d.is_empty() => d.to_owned(),
        Some(url::Host::Ipv4(ip)) => ip.to_string(),
        Some(url::Host::Ipv6(ip)) => ip.to_string(),
        _ => return Err(UrlError::MissingHost),
    };
    if !matches!(url.path(), "" | "/") {
        return Err(UrlError::UnexpectedPath(url.path().to_owned()));
    }
    let port = url.port().unwrap_or(if implicit_tls { 465 } else { 25 });

    let mut tls = if implicit_tls {
        TlsMode::Implicit
    } else {
        TlsMode::Opportunistic
    };
    let mut hello_name = None;
    for (key, value) in url.query_pairs() {
        match key.as_ref() {
            "tls" if implicit_tls => return Err(UrlError::TlsOptionOnSmtps),
            "tls" => {
                tls = match value.to_ascii_lowercase().as_str() {
                    "none" => TlsMode::None,
                    "starttls" | "required" => TlsMode::StartTls,
                    "opportunistic" => TlsMode::Opportunistic,
                    _ => return Err(UrlError::BadTlsValue(value.into_owned())),
                }
            }
            "hello" => hello_name = Some(value.into_owned()),
            _ => return Err(UrlError::UnknownOption(key.into_owned())),
        }
    }

    let mut settings = SmtpSettings::new(host, port, tls);
    if let Some(name) = hello_name {
        settings.hello_name = ClientId::Domain(name);
    }
    settings.credentials = credentials(&url, password_env, env)?;
    Ok(settings)
}

fn credentials(
    url: &url::Url,
    password_env: &str,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Option<SmtpCredentials>, UrlError> {
    let decode = |part: &str, what: &'static str| {
        percent_decode_str(part)
            .decode_utf8()
            .map(|s| s.into_owned())
            .map_err(|_| UrlError::BadPercentEncoding(what))
    };
    let user = decode(url.username(), "user")?;
    let password = url.password().map(|p| decode(p, "password")).transpose()?;
    match (user.is_empty(), password) {
        (true, None) => Ok(None),
        (true, Some(_)) => Err(UrlError::PasswordWithoutUser),
        (false, Some(password)) => Ok(Some(SmtpCredentials {
            user,
            password: SecretString::from(password),
        })),
        (false, None) => match env(password_env) {
            Some(password) => Ok(Some(SmtpCredentials {
                user,
                password: SecretString::from(password),
            })),
            None => Err(UrlError::MissingPassword(user, password_env.to_owned())),
        },
    }
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn smtp(url: &str) -> SmtpSettings {
        match TransportUrl::parse_with_env(url, no_env) {
            Ok(TransportUrl::Smtp(settings)) => settings,
            other => panic!("{url}: {other:?}"),
        }
    }

    fn error(url: &str) -> UrlError {
        TransportUrl::parse_with_env(url, no_env).expect_err(url)
    }

    #[test]
    fn plain_smtp_uses_opportunistic_starttls() {
        let s = smtp("smtp://mail.example.com:2525");
        assert_eq!(
            (s.host.as_str(), s.port, s.tls),
            ("mail.example.com", 2525, TlsMode::Opportunistic)
        );
        assert!(s.credentials.is_none());
    }

    #[test]
    fn default_ports_are_25_and_465() {
        assert_eq!(smtp("smtp://mx.example.com").port, 25);
        assert_eq!(smtp("smtps://mx.example.com").port, 465);
    }

    #[test]
    fn smtps_means_implicit_tls() {
        assert_eq!(smtp("smtps://mx.example.com:465").tls, TlsMode::Implicit);
    }

    #[test]
    fn tls_option_selects_required_starttls_or_none() {
        assert_eq!(smtp("smtp://h:587?tls=starttls").tls, TlsMode::StartTls);
        assert_eq!(smtp("smtp://h:25?tls=none").tls, TlsMode::None);
        assert_eq!(
            smtp("smtp://h:25?tls=opportunistic").tls,
            TlsMode::Opportunistic
        );
    }

    #[test]
    fn user_and_percent_encoded_password_are_decoded() {
        let s = smtp("smtp://me%40example.com:p%40ss%3Aw%2Frd@h:587?tls=starttls");
        let c = s.credentials.expect("credentials");
        assert_eq!(c.user, "me@example.com");
        assert_eq!(c.password.expose_secret(), "p@ss:w/rd");
    }

    #[test]
    fn password_comes_from_env_when_url_has_only_a_user() {
        let parsed = TransportUrl::parse_with_env("smtp://apikey@h:587", |name| {
            (name == PASSWORD_ENV).then(|| "from-env".to_owned())
        });
        let Ok(TransportUrl::Smtp(s)) = parsed else {
            panic!("{parsed:?}")
        };
        assert_eq!(
            s.credentials.expect("credentials").password.expose_secret(),
            "from-env"
        );
    }

    #[test]
    fn a_named_transport_reads_its_own_password_variable() {
        let env = |name: &str| (name == "RAPPORT_TRANSPORT_BULK_PASSWORD").then(|| "b".to_owned());
        let parsed = TransportUrl::parse_with_password_env(
            "smtp://u@h:25",
            "RAPPORT_TRANSPORT_BULK_PASSWORD",
            env,
        );
        assert!(matches!(parsed, Ok(TransportUrl::Smtp(_))), "{parsed:?}");
        let e = TransportUrl::parse_with_password_env(
            "smtp://u@h:25",
            "RAPPORT_TRANSPORT_X_PASSWORD",
            env,
        )
        .unwrap_err();
        assert!(
            e.to_string().ends_with("set RAPPORT_TRANSPORT_X_PASSWORD"),
            "{e}"
        );
    }

    #[test]
    fn user_without_any_password_is_an_error_naming_the_env_variable() {
        let e = error("smtp://apikey@h:587");
        assert_eq!(
            e,
            UrlError::MissingPassword("apikey".to_owned(), PASSWORD_ENV.to_owned())
        );
        assert!(e.to_string().contains("RAPPORT_SMTP_PASSWORD"));
    }

    #[test]
    fn debug_output_never_shows_the_password() {
        let s = smtp("smtp://user:hunter2secret@h:587");
        let printed = format!("{s:?} {:?}", TransportUrl::Smtp(s.clone()));
        assert!(!printed.contains("hunter2secret"), "{printed}");
        assert!(printed.contains("user"));
    }

    #[test]
    fn errors_never_show_the_password() {
        for url in [
            "smtp://user:hunter2secret@h:587/path",
            "smtp://user:hunter2secret@h:587?bogus=1",
            "smtp://user:hunter2secret@h:99999",
        ] {
            let e = error(url).to_string();
            assert!(!e.contains("hunter2secret"), "{e}");
        }
    }

    #[test]
    fn ipv6_hosts_are_unbracketed() {
        assert_eq!(smtp("smtp://[::1]:2525").host, "::1");
        assert_eq!(smtp("smtp://[::1]:2525").endpoint(), "[::1]:2525");
    }

    #[test]
    fn hello_option_sets_the_ehlo_name() {
        assert_eq!(
            smtp("smtp://h:25?hello=mta.example.com")
                .hello_name
                .to_string(),
            "mta.example.com"
        );
    }

    #[test]
    fn file_urls_accept_relative_and_absolute_folders() {
        let file = |url| match TransportUrl::parse_with_env(url, no_env) {
            Ok(TransportUrl::File(dir)) => dir,
            other => panic!("{url}: {other:?}"),
        };
        assert_eq!(file("file://outbox"), PathBuf::from("outbox"));
        assert_eq!(file("file://./data/outbox"), PathBuf::from("./data/outbox"));
        assert_eq!(
            file("file:///var/spool/rapport"),
            PathBuf::from("/var/spool/rapport")
        );
    }

    #[test]
    fn stub_url_selects_the_in_memory_transport() {
        assert!(matches!(
            TransportUrl::parse_with_env("stub://", no_env),
            Ok(TransportUrl::Stub)
        ));
    }

    #[test]
    fn bad_urls_get_errors_that_say_what_to_write() {
        assert_eq!(error(""), UrlError::Empty);
        assert_eq!(
            error("mail.example.com:25"),
            UrlError::UnknownScheme("mail.example.com".to_owned())
        );
        assert_eq!(
            error("http://h:25"),
            UrlError::UnknownScheme("http".to_owned())
        );
        assert_eq!(
            error("smtp://h:25/x"),
            UrlError::UnexpectedPath("/x".to_owned())
        );
        assert_eq!(
            error("smtp://h:25?tls=maybe"),
            UrlError::BadTlsValue("maybe".to_owned())
        );
        assert_eq!(
            error("smtp://h:25?pool=4"),
            UrlError::UnknownOption("pool".to_owned())
        );
        assert_eq!(error("smtps://h?tls=starttls"), UrlError::TlsOptionOnSmtps);
        assert_eq!(error("smtp://:pw@h:25"), UrlError::PasswordWithoutUser);
        assert_eq!(error("file://"), UrlError::MissingDirectory);
        assert_eq!(
            error("file://out?x=1"),
            UrlError::FileOptions("x=1".to_owned())
        );
        assert_eq!(error("stub://x"), UrlError::StubArguments);
        assert!(matches!(error("smtp://h:99999"), UrlError::Malformed(_)));
        assert!(matches!(
            error("smtp://"),
            UrlError::MissingHost | UrlError::Malformed(_)
        ));
        assert!(error("http://h").to_string().contains("smtp://host:port"));
    }

    proptest::proptest! {
        #[test]
        fn parsing_never_panics(url in ".*") {
            let _ = TransportUrl::parse_with_env(&url, no_env);
        }
    }
}
