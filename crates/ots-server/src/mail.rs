//! Recipient emails (accounts only): the link, never the secret.

use lettre::message::Body;
use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// Sends "a secret was shared with you" mails over plain SMTP.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: lettre::message::Mailbox,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer").finish_non_exhaustive()
    }
}

/// Mail configuration errors.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MailError {
    /// The SMTP URL is not `smtp://[user:pass@]host[:port]`.
    #[error("invalid smtp url")]
    Url,
    /// The sender address is invalid.
    #[error("invalid sender address")]
    From,
}

impl Mailer {
    /// Builds a mailer for `smtp://[user:pass@]host[:port]` (default port 25, no TLS).
    pub fn new(url: &str, from: &str) -> Result<Mailer, MailError> {
        let rest = url.strip_prefix("smtp://").ok_or(MailError::Url)?;
        let rest = rest.trim_end_matches('/');
        let (auth, hostport) = match rest.rsplit_once('@') {
            Some((a, h)) => (Some(a), h),
            None => (None, rest),
        };
        let (host, port) = match hostport.rsplit_once(':') {
            Some((h, p)) => (h, p.parse::<u16>().map_err(|_| MailError::Url)?),
            None => (hostport, 25),
        };
        if host.is_empty() {
            return Err(MailError::Url);
        }
        let mut b = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
            .port(port)
            .timeout(Some(std::time::Duration::from_secs(10)));
        if let Some((u, p)) = auth.and_then(|a| a.split_once(':')) {
            b = b.credentials(Credentials::new(u.to_owned(), p.to_owned()));
        }
        Ok(Mailer {
            transport: b.build(),
            from: from.parse().map_err(|_| MailError::From)?,
        })
    }

    /// Sends the link to `to` in the background; failures are logged, not returned
    /// (the secret exists either way, as in OTS, whose mail is queued).
    pub fn send_link(&self, to: &str, sender: &str, link: String, shortkey: String) {
        let to = match to.parse::<lettre::message::Mailbox>() {
            Ok(m) => m,
            Err(_) => return,
        };
        let body = format!(
            "{sender} has shared a secret with you.\n\nOpen it here (it can be viewed only once):\n\n{link}\n\n\
             If you were not expecting this, you can ignore this message.\n"
        );
        // 7bit keeps the (long) link on one line, clickable in any client. lettre would
        // pick quoted-printable for lines over 76 chars, though RFC 5322 allows 998;
        // anything non-ASCII still goes through lettre's own choice.
        let body = if body.is_ascii() && body.lines().all(|l| l.len() < 998) {
            Body::dangerous_pre_encoded(
                body.replace('\n', "\r\n").into_bytes(),
                ContentTransferEncoding::SevenBit,
            )
        } else {
            Body::new(body)
        };
        let msg = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject("A secret has been shared with you")
            .header(ContentType::TEXT_PLAIN)
            .body(body);
        let transport = self.transport.clone();
        tokio::spawn(async move {
            let msg = match msg {
                Ok(m) => m,
                Err(e) => {
                    tracing::warn!(secret = %shortkey, error = %e, "mail not built");
                    return;
                }
            };
            match transport.send(msg).await {
                Ok(_) => tracing::info!(secret = %shortkey, "recipient mail sent"),
                Err(e) => tracing::warn!(secret = %shortkey, error = %e, "recipient mail failed"),
            }
        });
    }
}

/// Obscures an address the v1 way: `alice@example.com` → `al***@e***.com`.
pub fn obscure_email(addr: &str) -> String {
    let (local, domain) = addr.rsplit_once('@').unwrap_or((addr, ""));
    let head: String = local.chars().take(2).collect();
    let (dhost, tld) = domain.rsplit_once('.').unwrap_or((domain, ""));
    let dhead: String = dhost.chars().take(1).collect();
    if tld.is_empty() {
        format!("{head}***@{dhead}***")
    } else {
        format!("{head}***@{dhead}***.{tld}")
    }
}

/// A plausible email address: one `@`, a dotted domain, no spaces or control chars.
pub fn looks_like_email(addr: &str) -> bool {
    let Some((local, domain)) = addr.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && local.len() <= 64
        && domain.len() <= 253
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && addr.chars().all(|c| {
            c.is_ascii_graphic() && !matches!(c, '<' | '>' | '(' | ')' | ',' | ';' | '"' | '\\')
        })
        && addr.parse::<lettre::Address>().is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn obscures() {
        assert_eq!(obscure_email("alice@example.com"), "al***@e***.com");
        assert_eq!(obscure_email("a@b.co.uk"), "a***@b***.uk");
    }

    #[test]
    fn validates() {
        assert!(looks_like_email("alice@example.com"));
        for bad in ["", "alice", "a@b", "a b@c.d", "a@@b.c", "<a@b.c>", "a@.b"] {
            assert!(!looks_like_email(bad), "{bad}");
        }
    }

    #[test]
    fn smtp_urls() {
        assert!(Mailer::new("smtp://127.0.0.1:2525", "a@b.c").is_ok());
        assert!(Mailer::new("smtp://u:p@host", "a@b.c").is_ok());
        assert!(Mailer::new("http://x", "a@b.c").is_err());
        assert!(Mailer::new("smtp://:25", "a@b.c").is_err());
    }
}
