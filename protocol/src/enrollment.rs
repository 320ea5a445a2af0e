//! The enrollment ticket an operator hands an agent (printed, or as a QR code): the one-time
//! code plus what the phone needs to trust the district before it has heard from anyone, the
//! server's address and the fingerprint of the district's signing key. The phone talks only to
//! that address from then on and refuses a district key with another fingerprint, so whoever
//! answers first on a hostile network cannot become the phone's "district".
//!
//! A district whose server has a certificate no public CA signed (self-signed, on its own
//! network) pins it in the ticket: the phone then trusts that one certificate for the address,
//! and no other, not even one a public CA signed; without a pin the platform's roots decide.
//!
//! Payload (one line, what the QR code holds):
//! `perlinsos-enroll:1:<code>:<sha256 of the district key, 64 hex>:<server URL>`, or with a
//! pinned certificate
//! `perlinsos-enroll:2:<code>:<district key sha256>:<server certificate sha256>:<server URL>`.
//! The certificate's fingerprint is SHA-256 over its DER encoding (what `openssl x509 -noout
//! -fingerprint -sha256` prints): the phone needs no certificate parser to check it. A phone
//! that knows only version 1 refuses a version 2 ticket rather than ignore its pin.

use crate::seal::PUBLIC_KEY_LEN;

pub const PREFIX: &str = "perlinsos-enroll";
pub const VERSION: &str = "1";
/// The version whose tickets carry a pinned server certificate.
pub const VERSION_PINNED: &str = "2";
/// Longest payload accepted (a QR code of this size is still easy to scan).
pub const MAX_PAYLOAD: usize = 512;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    pub code: String,
    /// SHA-256 of the district's Ed25519 public key, lowercase hex.
    pub district_key_sha256: String,
    pub server_url: String,
    /// SHA-256 of the server's end-entity certificate (DER), lowercase hex, when the district
    /// pins it; only with an https address.
    pub server_cert_sha256: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TicketError {
    /// Not a ticket of this version, or a part of it malformed.
    Malformed,
    /// The address is not https (plain http is allowed to loopback only, for tests and demos).
    Insecure,
}

impl Ticket {
    pub fn new(code: &str, district_public_key: &[u8], server_url: &str) -> Ticket {
        Ticket {
            code: code.to_owned(),
            district_key_sha256: fingerprint(district_public_key),
            server_url: server_url.trim_end_matches('/').to_owned(),
            server_cert_sha256: None,
        }
    }

    /// The same ticket with the server's certificate (DER) pinned.
    pub fn pinning(mut self, server_certificate_der: &[u8]) -> Ticket {
        self.server_cert_sha256 = Some(fingerprint(server_certificate_der));
        self
    }

    pub fn payload(&self) -> String {
        match &self.server_cert_sha256 {
            None => format!(
                "{PREFIX}:{VERSION}:{}:{}:{}",
                self.code, self.district_key_sha256, self.server_url
            ),
            Some(pin) => format!(
                "{PREFIX}:{VERSION_PINNED}:{}:{}:{pin}:{}",
                self.code, self.district_key_sha256, self.server_url
            ),
        }
    }

    /// Reads a payload; the address must pass [`check_url`], and a pinned ticket must name an
    /// https address.
    pub fn parse(payload: &str) -> Result<Ticket, TicketError> {
        let payload = payload.trim();
        if payload.len() > MAX_PAYLOAD {
            return Err(TicketError::Malformed);
        }
        let mut head = payload.splitn(3, ':');
        let (Some(PREFIX), Some(version), Some(rest)) = (head.next(), head.next(), head.next())
        else {
            return Err(TicketError::Malformed);
        };
        let fields = match version {
            VERSION => 3,
            VERSION_PINNED => 4,
            _ => return Err(TicketError::Malformed),
        };
        // The address comes last: it holds colons of its own.
        let parts: Vec<&str> = rest.splitn(fields, ':').collect();
        let [code, key, .., url] = parts.as_slice() else {
            return Err(TicketError::Malformed);
        };
        if parts.len() != fields {
            return Err(TicketError::Malformed);
        }
        let pin = if fields == 4 { Some(parts[2]) } else { None };
        let code_ok = (4..=32).contains(&code.len())
            && code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if !code_ok || !is_sha256_hex(key) || !pin.is_none_or(is_sha256_hex) {
            return Err(TicketError::Malformed);
        }
        check_url(url)?;
        if pin.is_some() && !url.starts_with("https://") {
            // A pin for plain http protects nothing: the operator meant another address.
            return Err(TicketError::Malformed);
        }
        Ok(Ticket {
            code: (*code).to_owned(),
            district_key_sha256: (*key).to_owned(),
            server_url: url.trim_end_matches('/').to_owned(),
            server_cert_sha256: pin.map(str::to_owned),
        })
    }

    /// Whether `district_public_key` is the key this ticket names.
    pub fn names_key(&self, district_public_key: &[u8]) -> bool {
        district_public_key.len() == PUBLIC_KEY_LEN
            && fingerprint(district_public_key) == self.district_key_sha256
    }

    /// The fingerprint in groups of four, as printed beside the QR code for a person to compare.
    pub fn fingerprint_groups(&self) -> String {
        groups(&self.district_key_sha256)
    }

    /// The pinned certificate's fingerprint in groups of four, when there is one.
    pub fn certificate_groups(&self) -> Option<String> {
        self.server_cert_sha256.as_deref().map(groups)
    }
}

fn groups(hex: &str) -> String {
    hex.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// 64 lowercase hex digits.
fn is_sha256_hex(text: &str) -> bool {
    text.len() == 64
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// SHA-256 of a key or a certificate's DER, lowercase hex.
pub fn fingerprint(bytes: &[u8]) -> String {
    perlinsos_rules::hex::encode(ring::digest::digest(&ring::digest::SHA256, bytes).as_ref())
}

/// A server address the phone may talk to: `https://host[:port][/path]`, or `http://` to a
/// loopback address (tests and the demo on one machine). No user, query or fragment.
pub fn check_url(url: &str) -> Result<(), TicketError> {
    let (scheme, rest) = url.split_once("://").ok_or(TicketError::Malformed)?;
    let authority = rest.split('/').next().unwrap_or_default();
    if authority.is_empty()
        || authority.contains('@')
        || url.contains(['?', '#', ' ', '\\'])
        || url.chars().any(|c| c.is_control() || !c.is_ascii())
    {
        return Err(TicketError::Malformed);
    }
    let host = host_of(authority).ok_or(TicketError::Malformed)?;
    match scheme {
        "https" => Ok(()),
        "http" if is_loopback(host) => Ok(()),
        "http" => Err(TicketError::Insecure),
        _ => Err(TicketError::Malformed),
    }
}

/// The host of `host[:port]` or `[v6]:port`, with a port that is a number.
fn host_of(authority: &str) -> Option<&str> {
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (host, after) = v6.split_once(']')?;
        (host, after.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    if let Some(port) = port {
        port.parse::<u16>().ok()?;
    }
    (!host.is_empty()).then_some(host)
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_payload_panics_the_parser() {
        // A deterministic sweep of odd inputs (the server and phone fuzz targets cover more).
        let mut seed = 0x1234_5678_u64;
        for _ in 0..20_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let len = (seed % 90) as usize;
            let text: String = (0..len)
                .map(|i| {
                    let c = ((seed >> (i % 56)) as u8 % 96) + 32;
                    if i % 11 == 0 {
                        ':'
                    } else {
                        c as char
                    }
                })
                .collect();
            let _ = Ticket::parse(&format!("perlinsos-enroll:1:{text}"));
            let _ = Ticket::parse(&format!("perlinsos-enroll:2:{text}"));
            let _ = Ticket::parse(&text);
            let _ = check_url(&text);
        }
    }

    #[test]
    fn a_ticket_round_trips_and_names_its_key() {
        let key = [7u8; 32];
        let ticket = Ticket::new("ABCD-EFGH-JKLM", &key, "https://dinsos.example.go.id/");
        assert_eq!(ticket.server_url, "https://dinsos.example.go.id");
        let payload = ticket.payload();
        assert!(payload.starts_with("perlinsos-enroll:1:ABCD-EFGH-JKLM:"));
        assert_eq!(Ticket::parse(&payload).unwrap(), ticket);
        assert!(ticket.names_key(&key));
        assert!(!ticket.names_key(&[8u8; 32]));
        assert!(!ticket.names_key(&key[..31]));
        assert_eq!(ticket.fingerprint_groups().split(' ').count(), 16);
    }

    #[test]
    fn plain_http_only_to_loopback() {
        for ok in [
            "https://dinsos.example.go.id",
            "https://10.1.2.3:8443/perlinsos",
            "http://127.0.0.1:8080",
            "http://localhost:8080",
            "http://[::1]:8080",
        ] {
            assert_eq!(check_url(ok), Ok(()), "{ok}");
        }
        for insecure in [
            "http://dinsos.example.go.id",
            "http://10.0.0.1:80",
            "http://[fe80::1]",
        ] {
            assert_eq!(
                check_url(insecure),
                Err(TicketError::Insecure),
                "{insecure}"
            );
        }
        for bad in [
            "ftp://x",
            "https://",
            "https://user@host",
            "https://host?x=1",
            "https://host#x",
            "https://host:99999",
            "https://host:port",
            "https://ho st",
            "https://host\n",
            "dinsos.example.go.id",
        ] {
            assert_eq!(check_url(bad), Err(TicketError::Malformed), "{bad}");
        }
    }

    #[test]
    fn malformed_tickets_are_refused() {
        let good = Ticket::new("ABCD-EFGH", &[1; 32], "https://d.example").payload();
        assert!(Ticket::parse(&good).is_ok());
        for bad in [
            String::new(),
            "perlinsos-enroll:2:ABCD:".to_owned() + &"0".repeat(64) + ":https://d.example",
            "perlinsos-enroll:1:AB:".to_owned() + &"0".repeat(64) + ":https://d.example",
            "perlinsos-enroll:1:ABCD:".to_owned() + &"0".repeat(63) + ":https://d.example",
            "perlinsos-enroll:1:ABCD:".to_owned() + &"G".repeat(64) + ":https://d.example",
            "perlinsos-enroll:1:AB;D:".to_owned() + &"0".repeat(64) + ":https://d.example",
            good.replace("https", "http"),
            good.clone() + &"x".repeat(MAX_PAYLOAD),
        ] {
            assert!(Ticket::parse(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_pinned_ticket_round_trips_and_an_unpinned_one_stays_version_1() {
        let plain = Ticket::new("ABCD-EFGH", &[1; 32], "https://d.example:8443/p");
        assert!(plain.payload().starts_with("perlinsos-enroll:1:"));
        assert_eq!(plain.certificate_groups(), None);
        let pinned = plain.clone().pinning(b"certificate der");
        let payload = pinned.payload();
        assert!(
            payload.starts_with("perlinsos-enroll:2:ABCD-EFGH:"),
            "{payload}"
        );
        let parsed = Ticket::parse(&payload).unwrap();
        assert_eq!(parsed, pinned);
        assert_eq!(
            parsed.server_cert_sha256.as_deref(),
            Some(fingerprint(b"certificate der").as_str())
        );
        assert_eq!(parsed.server_url, "https://d.example:8443/p");
        assert_eq!(parsed.certificate_groups().unwrap().split(' ').count(), 16);
    }

    #[test]
    fn malformed_pins_are_refused() {
        let key = "0".repeat(64);
        let pin = "ab".repeat(32);
        let good = format!("perlinsos-enroll:2:ABCD-EFGH:{key}:{pin}:https://d.example");
        assert!(Ticket::parse(&good).is_ok());
        for bad_pin in [
            String::new(),
            "ab".repeat(31) + "a",
            "AB".repeat(32),
            "gh".repeat(32),
            "ab".repeat(33),
        ] {
            let bad = format!("perlinsos-enroll:2:ABCD-EFGH:{key}:{bad_pin}:https://d.example");
            assert_eq!(Ticket::parse(&bad), Err(TicketError::Malformed), "{bad}");
        }
        for bad in [
            // No pin where version 2 needs one; a pin in a version 1 ticket.
            format!("perlinsos-enroll:2:ABCD-EFGH:{key}:https://d.example"),
            format!("perlinsos-enroll:1:ABCD-EFGH:{key}:{pin}:https://d.example"),
            // A pin for plain http, even to loopback.
            format!("perlinsos-enroll:2:ABCD-EFGH:{key}:{pin}:http://127.0.0.1:8080"),
            format!("perlinsos-enroll:3:ABCD-EFGH:{key}:{pin}:https://d.example"),
        ] {
            assert_eq!(Ticket::parse(&bad), Err(TicketError::Malformed), "{bad}");
        }
    }
}
