//! TLS with rustls, checking the server as libpq's `sslmode` says: `prefer` and `require`
//! encrypt without checking the certificate (unless `sslrootcert` names roots, when
//! `require` checks it as `verify-ca` does), `verify-ca` checks that trusted roots signed
//! it, `verify-full` also that it names the host. Roots come from `sslrootcert`, else from
//! the platform.

use std::path::Path;
use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
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
            let roots = Arc::new(root_store(roots.as_ref().unwrap_or(&Roots::Platform))?);
            let webpki = WebPkiServerVerifier::builder_with_provider(roots, Arc::clone(&provider))
                .build()
                .map_err(|e| tls_error(format!("cannot check certificates: {e}")))?;
            match names_host {
                true => webpki,
                false => Arc::new(AnyHostName(webpki)),
            }
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

fn root_store(roots: &Roots) -> Result<RootCertStore, ConnectError> {
    let mut store = RootCertStore::empty();
    match roots {
        Roots::File(path) => {
            let certs = CertificateDer::pem_file_iter(path)
                .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
                .map_err(|e| unreadable("sslrootcert", path, e))?;
            let (_, ignored) = store.add_parsable_certificates(certs);
            if ignored > 0 {
                tracing::warn!(ignored, path = %path.display(), "sslrootcert holds unusable certificates");
            }
        }
        Roots::Platform => {
            let found = rustls_native_certs::load_native_certs();
            for error in &found.errors {
                tracing::warn!(%error, "a platform root certificate could not be read");
            }
            store.add_parsable_certificates(found.certs);
        }
    }
    if store.is_empty() {
        return Err(tls_error(match roots {
            Roots::File(path) => format!("sslrootcert {} holds no certificate", path.display()),
            Roots::Platform => "the platform has no trusted root certificates; \
                name a file with sslrootcert"
                .to_owned(),
        }));
    }
    Ok(store)
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

/// `verify-ca`: the roots must have signed the certificate, whatever host it names.
#[derive(Debug)]
struct AnyHostName(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for AnyHostName {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let verified =
            self.0
                .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now);
        match verified {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
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
