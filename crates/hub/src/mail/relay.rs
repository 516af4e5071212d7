//! The SMTP relay the hub hands invitation mail to, as `linker hub serve --smtp URL` names it:
//! the URL read into host, port, sender, TLS mode, login and extra CA file, and shown back
//! without its password. `smtp.rs` sends through it.

use crate::error::HubError;

/// How the hub secures its connection to the SMTP server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// Plain SMTP, as a local relay speaks it (`smtp://`).
    Plain,
    /// Plain, then STARTTLS, which the server must offer (`smtp://...?tls=required`).
    StartTls,
    /// TLS from the first byte (`smtps://`).
    Tls,
}

/// A user name and password for SMTP AUTH; the password never appears in logs or `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpLogin {
    /// The user name.
    pub user: String,
    /// The password.
    pub password: String,
}

impl std::fmt::Debug for SmtpLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpLogin")
            .field("user", &self.user)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// An SMTP server the hub hands invitation mail to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailRelay {
    /// Host name or address.
    pub host: String,
    /// Port (25 for `smtp://`, 465 for `smtps://`, unless the URL says).
    pub port: u16,
    /// The sender address (`from` query parameter; `linker-hub@localhost` by default).
    pub from: String,
    /// Plain, STARTTLS or TLS.
    pub security: SmtpSecurity,
    /// SMTP AUTH credentials (`user:password@` in the URL), sent only over TLS unless
    /// [`MailRelay::clear_auth`].
    pub login: Option<SmtpLogin>,
    /// A PEM file of extra certificate authorities to trust (`ca=` query parameter), for a relay
    /// whose certificate a private CA signed; the system's roots are trusted as well.
    pub ca_file: Option<std::path::PathBuf>,
    /// AUTH may go over plain SMTP (`auth=clear`), for a relay on loopback or a trusted network.
    pub clear_auth: bool,
}

impl MailRelay {
    /// Reads `smtp://[user:password@]host[:port][?from=address&tls=required&ca=file]` or
    /// `smtps://...`. Credentials need TLS (`smtps://` or `tls=required`) unless `auth=clear`.
    pub fn parse(url: &str) -> Result<MailRelay, HubError> {
        let bad = |why: &str| HubError::invalid("smtp", format!("{}: {why}", redact(url)));
        let url = url.trim();
        let (security, rest) =
            scheme(url).ok_or_else(|| bad("use smtp://host:port or smtps://host:port"))?;
        let (authority, query) = rest.split_once('?').unwrap_or((rest, ""));
        let authority = authority.trim_end_matches('/');
        let (userinfo, authority) = match authority.rsplit_once('@') {
            Some((userinfo, authority)) => (Some(userinfo), authority),
            None => (None, authority),
        };
        let (host, port) = host_and_port(authority, security).map_err(&bad)?;
        let login = userinfo.map(login).transpose().map_err(&bad)?;
        let parameter = |name: &str| {
            query
                .split('&')
                .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
        };
        let security = with_tls_parameter(security, parameter("tls")).map_err(|why| bad(&why))?;
        let clear_auth = match parameter("auth") {
            None => false,
            Some("clear") if security == SmtpSecurity::Plain => true,
            Some("clear") => return Err(bad("auth=clear is for smtp:// without tls=required")),
            Some(other) => return Err(bad(&format!("auth={other}: the only value is auth=clear"))),
        };
        if login.is_some() && security == SmtpSecurity::Plain && !clear_auth {
            return Err(bad(
                "a password would travel in clear: use smtps:// or add ?tls=required (STARTTLS), \
                 or ?auth=clear for a relay on a network you trust",
            ));
        }
        let ca_file = parameter("ca")
            .map(ca_file)
            .transpose()
            .map_err(|why| bad(&why))?;
        let from = parameter("from")
            .map(decode)
            .transpose()
            .map_err(&bad)?
            .unwrap_or_else(|| "linker-hub@localhost".to_owned());
        if let Err(e) = from.parse::<lettre::Address>() {
            return Err(bad(&format!("from={from:?} is not a mail address ({e})")));
        }
        Ok(MailRelay {
            host: host.trim_matches(['[', ']']).to_owned(),
            port,
            from,
            security,
            login,
            ca_file,
            clear_auth,
        })
    }

    /// The relay as `linker hub serve` reports it: scheme, host, port, no password.
    pub fn describe(&self) -> String {
        let scheme = match self.security {
            SmtpSecurity::Tls => "smtps",
            SmtpSecurity::Plain | SmtpSecurity::StartTls => "smtp",
        };
        let user = self
            .login
            .as_ref()
            .map(|login| format!("{}@", login.user))
            .unwrap_or_default();
        let starttls = match self.security {
            SmtpSecurity::StartTls => " (STARTTLS)",
            SmtpSecurity::Plain if self.clear_auth && self.login.is_some() => " (AUTH in clear)",
            SmtpSecurity::Plain | SmtpSecurity::Tls => "",
        };
        format!("{scheme}://{user}{}:{}{starttls}", self.host, self.port)
    }
}

/// An SMTP URL with its password blanked, for error messages.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, tail) = match rest.find(['/', '?']) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split_once(':').map_or(userinfo, |(user, _)| user);
            format!("{scheme}://{user}:***@{host}{tail}")
        }
        None => url.to_owned(),
    }
}

/// The security a URL's scheme asks for, and the rest of the URL.
fn scheme(url: &str) -> Option<(SmtpSecurity, &str)> {
    if let Some(rest) = url.strip_prefix("smtps://") {
        Some((SmtpSecurity::Tls, rest))
    } else {
        url.strip_prefix("smtp://")
            .map(|rest| (SmtpSecurity::Plain, rest))
    }
}

/// The host and port of `host[:port]` (25 for plain SMTP, 465 for TLS by default).
fn host_and_port(authority: &str, security: SmtpSecurity) -> Result<(&str, u16), &'static str> {
    if authority.is_empty() || authority.contains('/') {
        return Err("use smtp://host:port (no path)");
    }
    let default_port = if security == SmtpSecurity::Tls {
        465
    } else {
        25
    };
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) => (
            host,
            port.parse::<u16>()
                .map_err(|_| "the port is not a number from 1 to 65535")?,
        ),
        None => (authority, default_port),
    };
    if host.is_empty() || port == 0 {
        return Err("name a host and a port");
    }
    Ok((host, port))
}

/// Percent-decodes a user, password or parameter.
fn decode(text: &str) -> Result<String, &'static str> {
    percent_encoding::percent_decode_str(text)
        .decode_utf8()
        .map(|t| t.into_owned())
        .map_err(|_| "the user or password is not UTF-8 once decoded")
}

/// The login of `user:password` (percent-encoded).
fn login(userinfo: &str) -> Result<SmtpLogin, &'static str> {
    let (user, password) = userinfo
        .split_once(':')
        .ok_or("write user:password@host (percent-encode : and @)")?;
    Ok(SmtpLogin {
        user: decode(user)?,
        password: decode(password)?,
    })
}

/// The security once the `tls=` parameter (if any) is applied: `tls=required` turns plain SMTP
/// into STARTTLS.
fn with_tls_parameter(security: SmtpSecurity, tls: Option<&str>) -> Result<SmtpSecurity, String> {
    match tls {
        None => Ok(security),
        Some("required") if security == SmtpSecurity::Plain => Ok(SmtpSecurity::StartTls),
        Some("required") => Ok(security),
        Some(other) => Err(format!(
            "tls={other}: the only value is tls=required (STARTTLS); smtps:// is TLS throughout"
        )),
    }
}

/// The CA file of the `ca=` parameter, which must exist.
fn ca_file(parameter: &str) -> Result<std::path::PathBuf, String> {
    let path = std::path::PathBuf::from(decode(parameter)?);
    if !path.is_file() {
        return Err(format!("ca={}: no such file", path.display()));
    }
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relay_urls_are_read_and_bad_ones_named() {
        let relay = MailRelay::parse("smtp://127.0.0.1:2525?from=tsp@example.com").unwrap();
        assert_eq!(
            relay,
            MailRelay {
                host: "127.0.0.1".to_owned(),
                port: 2525,
                from: "tsp@example.com".to_owned(),
                security: SmtpSecurity::Plain,
                login: None,
                ca_file: None,
                clear_auth: false,
            }
        );
        assert_eq!(MailRelay::parse("smtp://mail.local").unwrap().port, 25);
        for bad in [
            "http://x:25",
            "smtp://",
            "smtp://h:notaport",
            "smtp://u@h:25",
            "smtp://u:p@h:25",
            "smtp://h:25?tls=maybe",
            "smtps://h?ca=/nonexistent/ca.pem",
            "smtp://h:25?from=nobody",
            "smtp://h:25?from=a@b.example%0D%0ABcc:%20c@d.example",
            "smtp://h:25?auth=maybe",
            "smtps://u:p@h?auth=clear",
            "smtp://u:p@h:25?tls=required&auth=clear",
        ] {
            assert!(MailRelay::parse(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn tls_and_credentials_are_read_and_the_password_never_shown() {
        let relay =
            MailRelay::parse("smtp://tsp%40acq.example:s3cr%3At@mail.acq.example:587?tls=required")
                .unwrap();
        assert_eq!(relay.security, SmtpSecurity::StartTls);
        assert_eq!(relay.port, 587);
        let login = relay.login.clone().unwrap();
        assert_eq!(
            (login.user.as_str(), login.password.as_str()),
            ("tsp@acq.example", "s3cr:t")
        );
        for shown in [relay.describe(), format!("{relay:?}")] {
            assert!(!shown.contains("s3cr"), "the password leaks: {shown}");
        }
        let implicit = MailRelay::parse("smtps://u:p@mail.acq.example").unwrap();
        assert_eq!((implicit.security, implicit.port), (SmtpSecurity::Tls, 465));
        let error = MailRelay::parse("smtp://u:hunter2@h:25")
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("in clear") && !error.contains("hunter2"),
            "refused without showing the password: {error}"
        );
        let allowed = MailRelay::parse("smtp://u:hunter2@h:25?auth=clear").unwrap();
        assert!(
            allowed.clear_auth && allowed.describe() == "smtp://u@h:25 (AUTH in clear)",
            "allowed when asked, and said so: {}",
            allowed.describe()
        );
    }
}
