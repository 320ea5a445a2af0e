//! Trust in pinned certificates: the district pinned its server's certificate in the enrollment
//! ticket (a self-signed one, or any the district wants to be the only one), and may later
//! announce, signed, the set its server may show (a rollover: old and new side by side, then
//! the new one alone). A handshake is accepted only when the server's end-entity certificate
//! is exactly one of them (SHA-256 over its DER), and the server still has to prove it holds
//! that certificate's key: the handshake signatures are verified as usual. A certificate a
//! public CA signed for the same name is refused like any other.
//!
//! The certificate's name, issuer and dates are not checked: the pin is the trust, a district
//! on its own network may name its server by an address, and a phone's clock after weeks
//! offline may be wrong by years.
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use ring::digest::{digest, SHA256};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, SignatureScheme};

#[derive(Debug)]
pub struct PinnedCert {
    sha256: Vec<[u8; 32]>,
    algorithms: WebPkiSupportedAlgorithms,
    /// Set when a server showed another certificate, so that the client can tell this refusal
    /// (someone on the path) from a network that is merely down.
    refused: AtomicBool,
}

impl PinnedCert {
    /// Whether a server showed another certificate since the last call.
    pub fn take_refused(&self) -> bool {
        self.refused.swap(false, Ordering::SeqCst)
    }
}

/// A TLS configuration that trusts only the certificates with SHA-256 in `pins` (64 hex digits
/// each), and the verifier that reports refusals; None for no pin or one that is not a pin.
pub fn client_config(pins: &[&str]) -> Option<(rustls::ClientConfig, Arc<PinnedCert>)> {
    let sha256 = pins
        .iter()
        .map(|pin| crate::hex::decode(pin)?.try_into().ok())
        .collect::<Option<Vec<[u8; 32]>>>()
        .filter(|pins| !pins.is_empty())?;
    // ring: the provider reqwest already links, so the phone carries one TLS crypto library.
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = Arc::new(PinnedCert {
        sha256,
        algorithms: provider.signature_verification_algorithms,
        refused: AtomicBool::new(false),
    });
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .ok()?
        .dangerous()
        .with_custom_certificate_verifier(verifier.clone())
        .with_no_client_auth();
    Some((config, verifier))
}

impl ServerCertVerifier for PinnedCert {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let shown = digest(&SHA256, end_entity.as_ref());
        if self.sha256.iter().any(|pin| shown.as_ref() == pin) {
            Ok(ServerCertVerified::assertion())
        } else {
            self.refused.store(true, Ordering::SeqCst);
            Err(rustls::Error::InvalidCertificate(
                CertificateError::ApplicationVerificationFailure,
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_pin_of_64_hex_digits_makes_a_configuration() {
        let good = "ab".repeat(32);
        assert!(client_config(&[&good]).is_some());
        assert!(client_config(&[&good, &"cd".repeat(32)]).is_some());
        assert!(client_config(&[]).is_none());
        for bad in ["", "ab", &"ab".repeat(33), &"zz".repeat(32)] {
            assert!(client_config(&[bad]).is_none(), "{bad}");
            assert!(client_config(&[&good, bad]).is_none(), "{bad}");
        }
    }

    #[test]
    fn the_pinned_certificate_passes_and_any_other_is_refused_and_reported() {
        let pinned = CertificateDer::from(b"the district's certificate".to_vec());
        let other = CertificateDer::from(b"a certificate a CA signed".to_vec());
        let pin = crate::hex::encode(digest(&SHA256, pinned.as_ref()).as_ref());
        let (_, verifier) = client_config(&[&pin]).unwrap();
        let name = ServerName::try_from("dinsos.example.go.id").unwrap();
        let now = UnixTime::now();
        assert!(verifier
            .verify_server_cert(&pinned, &[], &name, &[], now)
            .is_ok());
        assert!(!verifier.take_refused());
        assert!(verifier
            .verify_server_cert(&other, std::slice::from_ref(&pinned), &name, &[], now)
            .is_err());
        assert!(verifier.take_refused());
        assert!(!verifier.take_refused(), "reported once");
    }

    #[test]
    fn during_a_rollover_either_announced_certificate_passes() {
        let old = CertificateDer::from(b"this year's certificate".to_vec());
        let new = CertificateDer::from(b"next year's certificate".to_vec());
        let other = CertificateDer::from(b"someone else's certificate".to_vec());
        let pin = |c: &CertificateDer<'_>| crate::hex::encode(digest(&SHA256, c.as_ref()).as_ref());
        let (old_pin, new_pin) = (pin(&old), pin(&new));
        let (_, verifier) = client_config(&[&old_pin, &new_pin]).unwrap();
        let name = ServerName::try_from("dinsos.example.go.id").unwrap();
        let now = UnixTime::now();
        for shown in [&old, &new] {
            assert!(verifier
                .verify_server_cert(shown, &[], &name, &[], now)
                .is_ok());
        }
        assert!(verifier
            .verify_server_cert(&other, &[], &name, &[], now)
            .is_err());
        assert!(verifier.take_refused());
    }
}
