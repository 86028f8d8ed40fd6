//! One SMTP sender: one connection, owned by one worker, reused email after email.

use std::{sync::Arc, time::Instant};

use lettre::{
    Address,
    transport::smtp::{
        client::AsyncSmtpConnection,
        commands::{Data, Mail, Rcpt, Rset},
        extension::{Extension, MailBodyParameter, MailParameter},
    },
};
use tracing::debug;

use super::{
    SmtpShared,
    session::{self, Failure, timed},
};
use crate::mailer::{
    OutgoingEmail,
    outcome::{SendOutcome, Stage, classify_reply},
};

/// Sends emails over one SMTP connection, opened on the first send and reopened
/// whenever it is lost. Not shared: each worker gets its own from
/// [`super::SmtpTransport::sender`], which is what makes it fast (no pool lock, no
/// connection hand-off) and keeps the dialogue strictly sequential.
pub struct SmtpSender {
    shared: Arc<SmtpShared>,
    // Boxed: lettre's connection is over a kilobyte, and `Sender` moves around as an enum.
    session: Option<Box<Session>>,
}

struct Session {
    conn: AsyncSmtpConnection,
    /// The server announced PIPELINING: MAIL, RCPT and DATA go in one write.
    pipelining: bool,
    last_used: Instant,
}

impl std::fmt::Debug for SmtpSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSender")
            .field("endpoint", &self.shared.settings.endpoint())
            .field("connected", &self.session.is_some())
            .finish()
    }
}

impl SmtpSender {
    pub(super) fn new(shared: Arc<SmtpShared>) -> Self {
        SmtpSender {
            shared,
            session: None,
        }
    }

    /// True while a connection is open (it may still turn out to be dead).
    pub fn is_connected(&self) -> bool {
        self.session.is_some()
    }

    /// Sends one email and says what became of it. Never panics on server behaviour;
    /// every failure is a [`SendOutcome`].
    pub async fn send(&mut self, email: &OutgoingEmail) -> SendOutcome {
        let (from, to) = match envelope(email) {
            Ok(addresses) => addresses,
            Err(outcome) => return outcome,
        };
        self.close_if_idle().await;
        let reused = self.session.is_some();
        let mut result = self.attempt(email, from.clone(), to.clone()).await;
        // A server may close an idle connection at any time (or answer 421 to the next
        // command). Nothing of this email was accepted yet, so one immediate retry on a
        // fresh connection is safe and spares the email a trip through the retry queue.
        if let Err((Stage::MailFrom, failure)) = &result
            && reused
            && failure.connection_lost()
        {
            debug!(delivery_id = %email.delivery_id, ?failure, "Connection was lost while idle; reconnecting.");
            result = self.attempt(email, from, to).await;
        }
        let outcome = match result {
            Ok(()) => SendOutcome::Sent,
            Err((stage, Failure::Reply { code, text })) => classify_reply(stage, code, &text),
            // No session at all (refused, reset, timed out): the transport is unreachable.
            Err((Stage::Session, Failure::Broken(reason))) => SendOutcome::unreachable(reason),
            Err((Stage::Session, Failure::Refused(reason))) => SendOutcome::retry(reason),
            Err((stage, Failure::Broken(reason))) => {
                SendOutcome::retry(format!("{stage}: {reason}"))
            }
            // lettre refuses locally what no server would take (an 8-bit body without
            // 8BITMIME): retrying the same bytes cannot help.
            Err((stage, Failure::Refused(reason))) => {
                SendOutcome::failed(format!("{stage}: {reason}"))
            }
        };
        if outcome.is_sent() {
            debug!(delivery_id = %email.delivery_id, message_id = %email.message_id, "Sent.");
        } else {
            debug!(delivery_id = %email.delivery_id, %outcome, "Not sent.");
        }
        outcome
    }

    /// Ends the session politely (QUIT). The sender may be used again afterwards.
    pub async fn close(&mut self) {
        if let Some(mut session) = self.session.take() {
            let limit = self.shared.settings.command_timeout;
            if let Err(failure) = timed(limit, "QUIT", session.conn.quit()).await {
                debug!(?failure, "QUIT failed; closing anyway.");
            }
        }
    }

    async fn close_if_idle(&mut self) {
        let idle_timeout = self.shared.settings.idle_timeout;
        let stale = self
            .session
            .as_ref()
            .is_some_and(|s| s.conn.has_broken() || s.last_used.elapsed() >= idle_timeout);
        if stale {
            debug!("Connection idle too long; reopening.");
            self.close().await;
        }
    }

    /// One transaction, opening the connection first if needed. Leaves `self.session`
    /// either ready for the next email or empty.
    async fn attempt(
        &mut self,
        email: &OutgoingEmail,
        from: Option<Address>,
        to: Address,
    ) -> Result<(), (Stage, Failure)> {
        let session = match &mut self.session {
            Some(session) => session,
            empty => {
                let shared = &self.shared;
                let opened = session::open(&shared.settings, shared.tls.as_ref())
                    .await
                    .map_err(|failure| (Stage::Session, failure))?;
                empty.insert(Box::new(Session {
                    conn: opened.conn,
                    pipelining: opened.pipelining,
                    last_used: Instant::now(),
                }))
            }
        };
        let (result, in_step) = transaction(
            &mut session.conn,
            session.pipelining,
            &self.shared,
            from,
            to,
            &email.raw,
        )
        .await;
        session.last_used = Instant::now();
        let keep = match &result {
            // A pipelined reply could not be read, or DATA was accepted after a refused
            // MAIL or RCPT: which reply belongs to which command is no longer certain.
            _ if !in_step => false,
            Ok(()) => true,
            Err((_, failure)) if failure.connection_lost() => false,
            // After the reply to the final "." the transaction is over either way.
            Err((Stage::Message, _)) => true,
            // A rejected MAIL, RCPT or DATA leaves a half-open transaction: reset it so
            // the connection can carry the next email.
            Err(_) => {
                let limit = self.shared.settings.command_timeout;
                timed(limit, "RSET", session.conn.command(Rset))
                    .await
                    .is_ok()
            }
        };
        if !keep {
            self.session = None;
        }
        result
    }
}

/// MAIL, RCPT, DATA, body. lettre's own `send` does the same but aborts the connection
/// on any negative reply, which would cost a reconnect per bounced address. Also returns
/// whether the dialogue is still in step (every reply read, none unexpected); when it is
/// not, the connection must not carry another email.
///
/// With PIPELINING (RFC 2920) MAIL, RCPT and DATA go in one write and their three replies
/// are read after it; the body and the final "." go in one more write. Without it each
/// command waits for its reply. On loopback to `smtp-sink` each write and reply costs a
/// system call and a wake-up on both sides: this took rapport from 5 writes and 4 waits
/// per email (lettre's `message` writes the body and the "." separately) to 2 and 2.
async fn transaction(
    conn: &mut AsyncSmtpConnection,
    pipelining: bool,
    shared: &SmtpShared,
    from: Option<Address>,
    to: Address,
    raw: &[u8],
) -> (Result<(), (Stage, Failure)>, bool) {
    let settings = &shared.settings;
    let mut parameters = Vec::new();
    let ascii = |address: &Address| AsRef::<str>::as_ref(address).is_ascii();
    let non_ascii_address = !ascii(&to) || from.as_ref().is_some_and(|from| !ascii(from));
    if non_ascii_address {
        if !conn.server_info().supports_feature(Extension::SmtpUtfEight) {
            let reason = "non-ASCII address but the server lacks SMTPUTF8".to_owned();
            return (Err((Stage::MailFrom, Failure::Refused(reason))), true);
        }
        parameters.push(MailParameter::SmtpUtfEight);
    }
    if !raw.is_ascii() {
        if !conn.server_info().supports_feature(Extension::EightBitMime) {
            let reason = "8-bit message but the server lacks 8BITMIME".to_owned();
            return (Err((Stage::MailFrom, Failure::Refused(reason))), true);
        }
        parameters.push(MailParameter::Body(MailBodyParameter::EightBitMime));
    }
    let limit = settings.command_timeout;
    let at = |stage: Stage| move |failure: Failure| (stage, failure);
    let mail = Mail::new(from, parameters);
    let rcpt = Rcpt::new(to, Vec::new());
    if pipelining {
        let (result, in_step) = pipelined(conn, limit, &format!("{mail}{rcpt}{Data}")).await;
        if result.is_err() || !in_step {
            return (result, in_step);
        }
    } else {
        let steps = async {
            timed(limit, "MAIL FROM", conn.command(mail))
                .await
                .map_err(at(Stage::MailFrom))?;
            timed(limit, "RCPT TO", conn.command(rcpt))
                .await
                .map_err(at(Stage::RcptTo))?;
            timed(limit, "DATA", conn.command(Data))
                .await
                .map_err(at(Stage::Data))
        };
        if let Err(e) = steps.await {
            return (Err(e), true);
        }
    }
    // The message ends with CRLF; the end-of-data line follows it directly, so the server
    // receives exactly the bytes that were rendered (and signed).
    let body = raw.strip_suffix(b"\r\n").unwrap_or(raw);
    let sent = match std::str::from_utf8(body) {
        Ok(text) => {
            let block = data_block(text);
            timed(settings.data_timeout, "end of data", conn.command(&block)).await
        }
        // Never for what we build (UTF-8 or ASCII), but lettre can send any bytes.
        Err(_) => timed(settings.data_timeout, "end of data", conn.message(body)).await,
    };
    (sent.map(drop).map_err(at(Stage::Message)), true)
}

/// `commands` (MAIL, RCPT, DATA) in one write, then their three replies in order. A
/// negative reply does not stop the reading: every command sent has a reply, and one left
/// unread would be taken by the next read for its own. The first failure is the result.
async fn pipelined(
    conn: &mut AsyncSmtpConnection,
    limit: std::time::Duration,
    commands: &str,
) -> (Result<(), (Stage, Failure)>, bool) {
    let mut first: Option<(Stage, Failure)> = None;
    for stage in [Stage::MailFrom, Stage::RcptTo, Stage::Data] {
        let reply = match stage {
            Stage::MailFrom => timed(limit, "MAIL FROM", conn.command(commands)).await,
            Stage::RcptTo => timed(limit, "RCPT TO", conn.read_response()).await,
            _ => timed(limit, "DATA", conn.read_response()).await,
        };
        match reply {
            Ok(_) => {
                // DATA accepted although MAIL or RCPT was refused: the server now waits
                // for a message we will not send.
                if stage == Stage::Data
                    && let Some(failure) = first.take()
                {
                    return (Err(failure), false);
                }
            }
            Err(failure) => {
                let lost = failure.connection_lost();
                let failure = first.take().unwrap_or((stage, failure));
                if lost {
                    return (Err(failure), false);
                }
                first = Some(failure);
            }
        }
    }
    match first {
        Some(failure) => (Err(failure), true),
        None => (Ok(()), true),
    }
}

/// The DATA block of `body` (without its final CRLF): a line starting with "." gets a
/// second one (RFC 5321 §4.5.2), and the end-of-data line follows. lettre's `message`
/// writes the same bytes in two writes (body, then "\r\n.\r\n").
fn data_block(body: &str) -> String {
    let mut out = String::with_capacity(body.len() + 64);
    let mut rest = body;
    if rest.starts_with('.') {
        out.push('.');
    }
    while let Some(i) = rest.find("\r\n.") {
        out.push_str(&rest[..i + 2]);
        out.push('.');
        rest = &rest[i + 2..];
    }
    out.push_str(rest);
    out.push_str("\r\n.\r\n");
    out
}

/// Parses the envelope before any network traffic. A malformed recipient can never be
/// delivered: it fails as a hard bounce with RFC 3463's "bad destination mailbox
/// address syntax" so that the address is suppressed.
fn envelope(email: &OutgoingEmail) -> Result<(Option<Address>, Address), SendOutcome> {
    let from = if email.from.is_empty() {
        None // the null reverse-path `MAIL FROM:<>`
    } else {
        Some(email.from.parse::<Address>().map_err(|e| {
            SendOutcome::failed(format!("invalid envelope sender `{}`: {e}", email.from))
        })?)
    };
    let to = email
        .to
        .parse::<Address>()
        .map_err(|e| SendOutcome::Failed {
            reason: format!("invalid recipient address `{}`: {e}", email.to),
            code: None,
            enhanced: Some("5.1.3".to_owned()),
            hard_bounce: true,
        })?;
    Ok((from, to))
}

#[cfg(test)]
mod tests {
    use super::data_block;

    #[test]
    fn data_block_doubles_a_leading_dot_on_every_line_and_ends_with_the_dot_line() {
        assert_eq!(data_block("a\r\nb"), "a\r\nb\r\n.\r\n");
        assert_eq!(
            data_block(".a\r\n..b\r\nc.\r\n.\r\nd\n.e"),
            "..a\r\n...b\r\nc.\r\n..\r\nd\n.e\r\n.\r\n",
            "only a dot after CRLF (or at the start) is a line's first character"
        );
        assert_eq!(data_block(""), "\r\n.\r\n");
    }
}
