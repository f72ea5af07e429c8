//! TLS with rustls, checking the server as libpq's `sslmode` says: `prefer` and `require`
//! encrypt without checking the certificate (unless `sslrootcert` names roots, when
//! `require` checks it as `verify-ca` does), `verify-ca` checks that trusted roots signed
//! it, `verify-full` also that it names the host. Roots come from `sslrootcert`, else from
//! the platform.

use std::path::Path;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{WebPkiServerVerifier, verify_server_name};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::server::ParsedCertificate;
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::connection_url::{Roots, SslMode, TlsSettings};
use crate::error::ConnectError;

/// The connector for every connection of a store (the pool's and the wake-up listener's).
pub(crate) fn connector(settings: &TlsSettings) -> Result<MakeRustlsConnect, ConnectError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let checked = match (settings.mode, &settings.root_cert) {
        (SslMode::Disable | SslMode::Prefer, _) | (SslMode::Require, None) => None,
        (SslMode::Require | SslMode::VerifyCa, roots) => Some((roots, false)),
        (SslMode::VerifyFull, roots) => Some((roots, true)),
    };
    let verifier: Arc<dyn ServerCertVerifier> = match checked {
        None => Arc::new(Unchecked(provider.signature_verification_algorithms)),
        Some((roots, names_host)) => {
            let roots = roots.as_ref().unwrap_or(&Roots::Platform);
            let certs = root_certs(roots)?;
            let pinned = matches!(roots, Roots::File(_));
            Arc::new(Checked::new(&provider, certs, pinned, names_host)?)
        }
    };
    let builder = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| tls_error(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let config = match &settings.client_cert {
        None => builder.with_no_client_auth(),
        Some((cert, key)) => {
            let chain = CertificateDer::pem_file_iter(cert)
                .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
                .map_err(|e| unreadable("sslcert", cert, e))?;
            let key =
                PrivateKeyDer::from_pem_file(key).map_err(|e| unreadable("sslkey", key, e))?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| tls_error(format!("the client certificate cannot be used: {e}")))?
        }
    };
    Ok(MakeRustlsConnect::new(config))
}

/// The certificates of `roots`; none is an error.
fn root_certs(roots: &Roots) -> Result<Vec<CertificateDer<'static>>, ConnectError> {
    let certs = match roots {
        Roots::File(path) => CertificateDer::pem_file_iter(path)
            .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
            .map_err(|e| unreadable("sslrootcert", path, e))?,
        Roots::Platform => {
            let found = rustls_native_certs::load_native_certs();
            for error in &found.errors {
                tracing::warn!(%error, "a platform root certificate could not be read");
            }
            found.certs
        }
    };
    if certs.is_empty() {
        return Err(tls_error(match roots {
            Roots::File(path) => format!("sslrootcert {} holds no certificate", path.display()),
            Roots::Platform => "the platform has no trusted root certificates; \
                name a file with sslrootcert"
                .to_owned(),
        }));
    }
    Ok(certs)
}

fn unreadable(parameter: &str, path: &Path, error: impl std::fmt::Display) -> ConnectError {
    tls_error(format!(
        "cannot read {parameter} {}: {error}",
        path.display()
    ))
}

fn tls_error(reason: String) -> ConnectError {
    ConnectError::Tls { reason }
}

/// `verify-ca` and `verify-full`: trusted roots must have signed the certificate (or it is
/// one of the roots itself: a self-signed server certificate named by `sslrootcert`, which
/// libpq takes and webpki alone would refuse as a CA used as an end entity); with
/// `names_host`, it must also name the host.
#[derive(Debug)]
struct Checked {
    webpki: Arc<WebPkiServerVerifier>,
    /// The certificates of the `sslrootcert` file.
    pinned: Vec<CertificateDer<'static>>,
    names_host: bool,
}

impl Checked {
    /// Checks against `roots`, which, when `pinned`, the server's certificate may also be.
    fn new(
        provider: &Arc<CryptoProvider>,
        roots: Vec<CertificateDer<'static>>,
        pinned: bool,
        names_host: bool,
    ) -> Result<Self, ConnectError> {
        let mut store = RootCertStore::empty();
        let (_, ignored) = store.add_parsable_certificates(roots.iter().cloned());
        if ignored > 0 {
            tracing::warn!(ignored, "unusable root certificates were left out");
        }
        let webpki =
            WebPkiServerVerifier::builder_with_provider(Arc::new(store), Arc::clone(provider))
                .build()
                .map_err(|e| tls_error(format!("cannot check certificates: {e}")))?;
        Ok(Self {
            webpki,
            pinned: if pinned { roots } else { Vec::new() },
            names_host,
        })
    }
}

impl ServerCertVerifier for Checked {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if self.pinned.iter().any(|root| root == end_entity) {
            if self.names_host {
                verify_server_name(&ParsedCertificate::try_from(end_entity)?, server_name)?;
            }
            return Ok(ServerCertVerified::assertion());
        }
        let verified = self.webpki.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        );
        match verified {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) if !self.names_host => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.webpki.supported_verify_schemes()
    }
}

/// `prefer` and `require` without roots: encrypted, but any certificate is taken (the
/// handshake's signatures are still checked), as libpq does.
#[derive(Debug)]
struct Unchecked(WebPkiSupportedAlgorithms);

impl ServerCertVerifier for Unchecked {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};

    use super::*;

    /// A self-signed certificate for `localhost` that says it is a CA, as `openssl req
    /// -x509` makes by default.
    fn self_signed_ca_for_localhost() -> CertificateDer<'static> {
        let mut params = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .self_signed(&KeyPair::generate().unwrap())
            .unwrap()
            .der()
            .clone()
    }

    fn check(verifier: &Checked, cert: &CertificateDer<'_>, host: &str) -> bool {
        let name = ServerName::try_from(host.to_owned()).unwrap();
        verifier
            .verify_server_cert(cert, &[], &name, &[], UnixTime::now())
            .is_ok()
    }

    #[test]
    fn a_self_signed_server_certificate_named_as_the_root_is_trusted_for_its_names() {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let cert = self_signed_ca_for_localhost();
        let other = self_signed_ca_for_localhost();
        let full = Checked::new(&provider, vec![cert.clone()], true, true).unwrap();
        assert!(check(&full, &cert, "localhost"));
        assert!(
            !check(&full, &cert, "db.internal"),
            "verify-full checks the name"
        );
        assert!(
            !check(&full, &other, "localhost"),
            "another certificate is not trusted"
        );
        let ca = Checked::new(&provider, vec![cert.clone()], true, false).unwrap();
        assert!(
            check(&ca, &cert, "db.internal"),
            "verify-ca does not check the name"
        );
        // From the platform's roots, nothing is pinned: webpki refuses a CA as the server.
        let platform = Checked::new(&provider, vec![cert.clone()], false, true).unwrap();
        assert!(!check(&platform, &cert, "localhost"));
    }
}
