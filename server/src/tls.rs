//! HTTPS served by the server itself (`serve --tls-cert --tls-key`): rustls through
//! tokio-rustls, with ring as its crypto (already the server's, and it builds without cmake).
//! A district that terminates TLS at a reverse proxy serves plain HTTP behind it instead.
use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
pub use tokio_rustls::TlsAcceptor;

/// The certificate chain of a PEM file, end-entity first; an error names the file, never its
/// content.
pub fn certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let chain = CertificateDer::pem_file_iter(path)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("{}: not a PEM certificate file ({e})", path.display()))?;
    if chain.is_empty() {
        return Err(format!("{}: no certificate in it", path.display()));
    }
    Ok(chain)
}

/// The TLS acceptor for a PEM certificate chain and its PEM private key (PKCS#8, PKCS#1 or
/// SEC1).
pub fn acceptor(cert_path: &Path, key_path: &Path) -> Result<TlsAcceptor, String> {
    let chain = certificates(cert_path)?;
    let key = PrivateKeyDer::from_pem_file(key_path)
        .map_err(|e| format!("{}: not a PEM private key ({e})", key_path.display()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| format!("the certificate and the key do not go together: {e}"))?;
    // The server speaks HTTP/1.1 only (its connections are served by hyper's http1).
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// The end-entity certificate of a PEM file (DER), whose SHA-256 an enrollment ticket pins.
pub fn end_entity(cert_path: &Path) -> Result<Vec<u8>, String> {
    Ok(certificates(cert_path)?.swap_remove(0).to_vec())
}
