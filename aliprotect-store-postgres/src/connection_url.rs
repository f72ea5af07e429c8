//! Reading a connection URL as libpq does, where the driver reads less: `sslmode` with
//! `verify-ca` and `verify-full`, `sslrootcert`, `sslcert` and `sslkey` (for
//! [`crate::tls`]), and our own `pooler`. What the driver reads is left to it, so a URL that
//! works with `psql` works here.

use std::path::PathBuf;
use std::str::FromStr;

use percent_encoding::percent_decode_str;

use crate::error::ConnectError;
use crate::statements::Pooler;

/// How much TLS a connection insists on, as libpq's `sslmode` says.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum SslMode {
    /// No TLS.
    Disable,
    /// TLS if the server offers it, without checking its certificate (libpq's default).
    #[default]
    Prefer,
    /// TLS, without checking the certificate unless a root certificate is named.
    Require,
    /// TLS with a certificate signed by a trusted root, for any host name.
    VerifyCa,
    /// TLS with a certificate signed by a trusted root and naming the host.
    VerifyFull,
}

/// Where the roots that sign the server's certificate come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Roots {
    /// The platform's trusted roots (no `sslrootcert`, or `sslrootcert=system`).
    Platform,
    /// The PEM file `sslrootcert` names.
    File(PathBuf),
}

/// The TLS settings of a connection URL.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct TlsSettings {
    pub(crate) mode: SslMode,
    /// `sslrootcert`, as named.
    pub(crate) root_cert: Option<Roots>,
    /// `sslcert` and `sslkey`: the client's certificate chain and key, PEM files.
    pub(crate) client_cert: Option<(PathBuf, PathBuf)>,
}

/// What a connection URL says.
pub(crate) struct ConnectionUrl {
    /// Everything the driver reads.
    pub(crate) config: tokio_postgres::Config,
    pub(crate) tls: TlsSettings,
    /// `pooler=transaction`, when given.
    pub(crate) pooler: Option<Pooler>,
}

impl FromStr for ConnectionUrl {
    type Err = ConnectError;

    fn from_str(url: &str) -> Result<Self, ConnectError> {
        let (for_driver, ours) = split_query(url)?;
        let mut tls = TlsSettings::default();
        let mut mode = None;
        let mut pooler = None;
        let mut client_cert = None;
        let mut client_key = None;
        for (key, value) in ours {
            match key.as_str() {
                "sslmode" => mode = Some(ssl_mode(&value)?),
                "sslrootcert" if value == "system" => tls.root_cert = Some(Roots::Platform),
                "sslrootcert" => tls.root_cert = Some(Roots::File(value.into())),
                "sslcert" => client_cert = Some(PathBuf::from(value)),
                "sslkey" => client_key = Some(PathBuf::from(value)),
                _ => pooler = Some(pooler_of(&value)?),
            }
        }
        tls.client_cert = match (client_cert, client_key) {
            (Some(cert), Some(key)) => Some((cert, key)),
            (None, None) => None,
            _ => return Err(invalid("sslcert", "sslcert and sslkey go together")),
        };
        let mut config =
            tokio_postgres::Config::from_str(&for_driver).map_err(ConnectError::InvalidUrl)?;
        use tokio_postgres::config::SslMode as Driver;
        match mode {
            Some(mode) => {
                tls.mode = mode;
                config.ssl_mode(match mode {
                    SslMode::Disable => Driver::Disable,
                    SslMode::Prefer => Driver::Prefer,
                    SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => Driver::Require,
                });
            }
            // A URL in key-value form: the driver read its sslmode.
            None => {
                tls.mode = match config.get_ssl_mode() {
                    Driver::Disable => SslMode::Disable,
                    Driver::Require => SslMode::Require,
                    _ => SslMode::Prefer,
                }
            }
        }
        Ok(Self {
            config,
            tls,
            pooler,
        })
    }
}

/// The parameters only we read.
const OURS: [&str; 5] = ["sslmode", "sslrootcert", "sslcert", "sslkey", "pooler"];

/// The URL without our parameters, and ours decoded. A URL in key-value form
/// (`host=... dbname=...`) is the driver's alone.
fn split_query(url: &str) -> Result<(String, Vec<(String, String)>), ConnectError> {
    let is_url = url.starts_with("postgres://") || url.starts_with("postgresql://");
    let Some((base, query)) = url.split_once('?').filter(|_| is_url) else {
        return Ok((url.to_owned(), Vec::new()));
    };
    let mut kept = Vec::new();
    let mut ours = Vec::new();
    for pair in query.split('&').filter(|pair| !pair.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let key = decode(key)?;
        if OURS.contains(&key.as_str()) {
            ours.push((key, decode(value)?));
        } else {
            kept.push(pair);
        }
    }
    let for_driver = match kept.is_empty() {
        true => base.to_owned(),
        false => format!("{base}?{}", kept.join("&")),
    };
    Ok((for_driver, ours))
}

fn decode(text: &str) -> Result<String, ConnectError> {
    let text = text.replace('+', " ");
    percent_decode_str(&text)
        .decode_utf8()
        .map(|decoded| decoded.into_owned())
        .map_err(|_| invalid("URL", "a parameter is not UTF-8 once decoded"))
}

fn ssl_mode(value: &str) -> Result<SslMode, ConnectError> {
    Ok(match value {
        "disable" => SslMode::Disable,
        "prefer" => SslMode::Prefer,
        "require" => SslMode::Require,
        "verify-ca" => SslMode::VerifyCa,
        "verify-full" => SslMode::VerifyFull,
        _ => {
            return Err(invalid(
                "sslmode",
                "expected disable, prefer, require, verify-ca or verify-full",
            ));
        }
    })
}

fn pooler_of(value: &str) -> Result<Pooler, ConnectError> {
    match value {
        "none" | "session" => Ok(Pooler::None),
        "transaction" => Ok(Pooler::Transaction),
        _ => Err(invalid("pooler", "expected none, session or transaction")),
    }
}

fn invalid(parameter: &'static str, expected: &'static str) -> ConnectError {
    ConnectError::InvalidParameter {
        parameter,
        expected,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(url: &str) -> ConnectionUrl {
        url.parse().unwrap_or_else(|e| panic!("{url}: {e}"))
    }

    #[test]
    fn a_url_without_our_parameters_is_the_drivers_alone() {
        let url = parse("postgresql://u:p@db.internal:5433/enforcement?application_name=x");
        assert_eq!(url.config.get_application_name(), Some("x"));
        assert_eq!(url.config.get_dbname(), Some("enforcement"));
        assert_eq!(url.tls, TlsSettings::default());
        assert_eq!(url.pooler, None);
    }

    #[test]
    fn tls_parameters_are_read_and_kept_from_the_driver() {
        let url = parse(
            "postgresql://db/e?sslmode=verify-full&connect_timeout=3&sslrootcert=%2Ftmp%2Fca%20x.pem\
             &sslcert=c.pem&sslkey=k.pem&pooler=transaction",
        );
        assert_eq!(url.tls.mode, SslMode::VerifyFull);
        assert_eq!(url.tls.root_cert, Some(Roots::File("/tmp/ca x.pem".into())));
        assert_eq!(url.tls.client_cert, Some(("c.pem".into(), "k.pem".into())));
        assert_eq!(url.pooler, Some(Pooler::Transaction));
        assert_eq!(
            url.config.get_ssl_mode(),
            tokio_postgres::config::SslMode::Require
        );
        assert_eq!(
            url.config.get_connect_timeout(),
            Some(&std::time::Duration::from_secs(3))
        );
    }

    #[test]
    fn server_settings_in_options_reach_the_driver_decoded() {
        let url = parse(
            "postgresql://db/e?options=-c%20statement_timeout%3D30s%20-c%20lock_timeout%3D5s\
             &target_session_attrs=read-write",
        );
        assert_eq!(
            url.config.get_options(),
            Some("-c statement_timeout=30s -c lock_timeout=5s")
        );
        assert_eq!(
            url.config.get_target_session_attrs(),
            tokio_postgres::config::TargetSessionAttrs::ReadWrite
        );
    }

    #[test]
    fn sslrootcert_system_means_the_platforms_roots() {
        let url = parse("postgres://db/e?sslmode=verify-ca&sslrootcert=system");
        assert_eq!(url.tls.root_cert, Some(Roots::Platform));
        assert_eq!(url.tls.mode, SslMode::VerifyCa);
    }

    #[test]
    fn disable_reaches_the_driver() {
        let url = parse("postgres://db/e?sslmode=disable");
        assert_eq!(
            url.config.get_ssl_mode(),
            tokio_postgres::config::SslMode::Disable
        );
    }

    #[test]
    fn bad_values_are_named() {
        for (url, parameter) in [
            ("postgres://db/e?sslmode=verify-fully", "sslmode"),
            ("postgres://db/e?pooler=statement", "pooler"),
            ("postgres://db/e?sslcert=c.pem", "sslcert"),
            ("postgres://db/e?sslmode=%FF", "URL"),
        ] {
            match url.parse::<ConnectionUrl>() {
                Err(ConnectError::InvalidParameter { parameter: p, .. }) => {
                    assert_eq!(p, parameter, "{url}")
                }
                Err(other) => panic!("{url}: {other}"),
                Ok(_) => panic!("{url}: accepted"),
            }
        }
        assert!(matches!(
            "postgres://db/e?nonsense=1".parse::<ConnectionUrl>(),
            Err(ConnectError::InvalidUrl(_))
        ));
    }

    #[test]
    fn key_value_form_goes_to_the_driver() {
        let url = parse("host=db dbname=e sslmode=require");
        assert_eq!(url.tls.mode, SslMode::Require);
        assert_eq!(
            url.config.get_ssl_mode(),
            tokio_postgres::config::SslMode::Require
        );
    }
}
