//! Signed HTTP to the district server (reqwest with rustls: no OpenSSL, so it builds for
//! Android). Timeouts are chosen for a 2G/3G link: connecting may take a while on a weak
//! signal, and a whole request of one batch or one blob chunk at ~50 kbit/s takes seconds, not
//! minutes; anything slower is cut and retried from where it stopped.
use std::time::Duration;

use perlinsos_protocol::signing::{self, canonical_request};
use perlinsos_protocol::wire::{ErrorBody, HEADER_ERROR};
use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode};
use ring::digest::{digest, SHA256};
use ring::signature::Ed25519KeyPair;

use crate::crypt::random_bytes;
use crate::hex;

/// TCP and TLS set-up on a weak cell.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);
/// One request, start to end: a 128 KiB chunk at 64 kbit/s takes ~16 s.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// Largest answer to a push, an enrollment or a refusal the phone reads; a larger one is cut
/// off unread (a hostile or broken network cannot make the phone buffer without end).
pub const MAX_ANSWER_BYTES: usize = 256 * 1024;
/// Largest page of the change feed (whole recipient lists and models ride in it).
pub const MAX_CHANGES_BYTES: usize = 16 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadError {
    TooLarge,
    /// The connection broke mid-answer.
    Broken,
}

/// Reads an answer's body, at most `limit` bytes: a declared or streamed size past it stops
/// the read.
pub async fn read_limited(
    mut response: reqwest::Response,
    limit: usize,
) -> Result<Vec<u8>, ReadError> {
    if response.content_length().is_some_and(|n| n > limit as u64) {
        return Err(ReadError::TooLarge);
    }
    let mut out = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|_| ReadError::Broken)? {
        if out.len().saturating_add(chunk.len()) > limit {
            return Err(ReadError::TooLarge);
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

/// What went wrong with one request, sorted by what the phone should do about it.
#[derive(Debug)]
pub enum Failure {
    /// Try again later: no connection, timeout, 5xx, 429 (with the server's Retry-After, ms).
    Transient { retry_after_ms: Option<i64> },
    /// The server showed another certificate than the one the enrollment pinned: someone on
    /// the path, or a district that changed its certificate without telling its phones.
    CertificateRefused,
    /// The server's certificate does not verify against the platform's roots (no pinned
    /// certificate): a captive portal, someone on the path, or a server set up wrongly.
    CertificateUntrusted,
    /// The server refused with a code; retrying the same request will not help.
    Refused {
        status: u16,
        body: Option<ErrorBody>,
        /// The district's signed revocation notice, when the device was revoked.
        revocation: Option<String>,
    },
}

pub struct Client {
    http: reqwest::Client,
    base: String,
    /// The certificates the phone pinned (at enrollment, or as the district announced), if any.
    pinned: Option<std::sync::Arc<super::pinned::PinnedCert>>,
}

pub struct Signer<'a> {
    pub device_id: &'a str,
    pub key: &'a Ed25519KeyPair,
    pub now_ms: i64,
}

impl Client {
    /// A client for `base_url` that trusts the server's certificate through the platform's
    /// roots, or, with `pins` (SHA-256 of certificates), those certificates only.
    pub fn new(base_url: &str, pins: &[&str]) -> crate::error::Result<Client> {
        let mut builder = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .pool_idle_timeout(Duration::from_secs(30));
        let mut pinned = None;
        if !pins.is_empty() {
            let (config, verifier) = super::pinned::client_config(pins)
                .ok_or(crate::error::Error::Corrupt("pinned certificate"))?;
            builder = builder.use_preconfigured_tls(config);
            pinned = Some(verifier);
        }
        let http = builder
            .build()
            .map_err(|_| crate::error::Error::Corrupt("http client"))?;
        Ok(Client {
            http,
            base: base_url.trim_end_matches('/').to_owned(),
            pinned,
        })
    }

    /// Sends a request; signed unless `signer` is None (enrollment).
    pub async fn send(
        &self,
        method: Method,
        path_and_query: &str,
        headers: HeaderMap,
        body: Vec<u8>,
        signer: Option<Signer<'_>>,
    ) -> Result<reqwest::Response, Failure> {
        let mut headers = headers;
        if let Some(signer) = signer {
            let mut nonce = [0u8; 16];
            random_bytes(&mut nonce).map_err(|_| Failure::Transient {
                retry_after_ms: None,
            })?;
            let nonce = hex::encode(&nonce);
            let text = canonical_request(
                method.as_str(),
                path_and_query,
                signer.device_id,
                signer.now_ms,
                &nonce,
                &hex::encode(digest(&SHA256, &body).as_ref()),
            );
            let signature = hex::encode(signer.key.sign(&text).as_ref());
            for (name, value) in [
                (signing::HEADER_DEVICE, signer.device_id.to_owned()),
                (signing::HEADER_TIMESTAMP, signer.now_ms.to_string()),
                (signing::HEADER_NONCE, nonce),
                (signing::HEADER_SIGNATURE, signature),
            ] {
                if let Ok(value) = HeaderValue::from_str(&value) {
                    headers.insert(name, value);
                }
            }
        }
        let url = format!("{}{path_and_query}", self.base);
        let response = self
            .http
            .request(method, url)
            .headers(headers)
            .body(body)
            .send()
            .await
            .map_err(|e| {
                if self.pinned.as_ref().is_some_and(|p| p.take_refused()) {
                    Failure::CertificateRefused
                } else if certificate_refused(&e) {
                    Failure::CertificateUntrusted
                } else {
                    Failure::Transient {
                        retry_after_ms: None,
                    }
                }
            })?;
        let status = response.status();
        if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
            let retry_after_ms = response
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<i64>().ok())
                .map(|s| s.clamp(0, 3600) * 1000);
            return Err(Failure::Transient { retry_after_ms });
        }
        Ok(response)
    }

    /// The error body of a refused request (4xx), read to the end.
    pub async fn refusal(response: reqwest::Response) -> Failure {
        let status = response.status().as_u16();
        let revocation = response
            .headers()
            .get(perlinsos_protocol::wire::HEADER_REVOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let from_header = response
            .headers()
            .get(HEADER_ERROR)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| serde_json::from_value(serde_json::Value::String(v.to_owned())).ok())
            .map(|code: perlinsos_protocol::wire::ErrorCode| ErrorBody {
                code,
                message: code.message().to_owned(),
            });
        match read_limited(response, MAX_ANSWER_BYTES).await {
            Ok(bytes) => Failure::Refused {
                status,
                body: serde_json::from_slice(&bytes).ok().or(from_header),
                revocation,
            },
            // An error body past the limit: the code from the header is enough.
            Err(ReadError::TooLarge) => Failure::Refused {
                status,
                body: from_header,
                revocation,
            },
            Err(ReadError::Broken) => Failure::Transient {
                retry_after_ms: None,
            },
        }
    }
}

/// Whether a request failed because rustls refused the server's certificate, anywhere in the
/// error's chain. An `io::Error`'s `source()` skips the error it wraps, so the walk steps
/// into that error instead.
fn certificate_refused(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(error);
    while let Some(current) = next {
        if let Some(rustls::Error::InvalidCertificate(_)) = current.downcast_ref::<rustls::Error>()
        {
            return true;
        }
        next = match current.downcast_ref::<std::io::Error>() {
            Some(io) => io
                .get_ref()
                .map(|inner| inner as &(dyn std::error::Error + 'static)),
            None => current.source(),
        };
    }
    false
}
