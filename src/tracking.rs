//! HMAC-signed tokens for the links an email carries (open pixel, click tracker,
//! unsubscribe, survey, partnership accept).
//!
//! Token = `base64url(payload) . base64url(HMAC-SHA256(secret, purpose ‖ payload)[..16])`,
//! payload = the delivery id (16 bytes) and, for clicks, the link index (u16 big-endian).
//! The purpose is part of the MAC but not of the token, so a token minted for one purpose
//! never verifies as another (an open-pixel token cannot unsubscribe anybody). The click
//! *target* is never in the token: the HTTP side looks it up from what was sent.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{KeyInit, Mac};
use subtle::ConstantTimeEq;
use uuid::Uuid;

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// 128 bits of MAC: far beyond guessing over HTTP, and keeps links short.
const MAC_LEN: usize = 16;

/// What a token may be used for; each purpose is a separate MAC domain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Purpose {
    Open,
    Click,
    Unsubscribe,
    Survey,
    Partnership,
    /// The confirmation link of double opt-in.
    Confirm,
}

impl Purpose {
    /// The domain-separation byte mixed into the MAC. Never renumber: it would invalidate
    /// every link in every email already sent.
    fn tag(self) -> u8 {
        match self {
            Purpose::Open => 1,
            Purpose::Click => 2,
            Purpose::Unsubscribe => 3,
            Purpose::Survey => 4,
            Purpose::Partnership => 5,
            Purpose::Confirm => 6,
        }
    }

    fn payload_len(self) -> usize {
        match self {
            Purpose::Click => 18,
            _ => 16,
        }
    }
}

/// What a verified token says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenPayload {
    pub delivery_id: Uuid,
    /// The link index, for click tokens only.
    pub link: Option<u16>,
}

/// Signs and verifies tokens with `security.secret`. Cheap to clone; the keyed HMAC state is
/// computed once so that signing a dozen links per email stays in the microseconds.
#[derive(Clone)]
pub struct Signer {
    keyed: HmacSha256,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Signer(<secret>)")
    }
}

impl Signer {
    pub fn new(secret: &[u8]) -> Signer {
        // HMAC accepts keys of any length; this cannot fail.
        let keyed = HmacSha256::new_from_slice(secret).expect("HMAC takes keys of any length");
        Signer { keyed }
    }

    fn mac(&self, purpose: Purpose, payload: &[u8]) -> [u8; MAC_LEN] {
        let mut mac = self.keyed.clone();
        mac.update(&[purpose.tag()]);
        mac.update(payload);
        let full = mac.finalize().into_bytes();
        let mut out = [0u8; MAC_LEN];
        out.copy_from_slice(&full[..MAC_LEN]);
        out
    }

    fn sign_payload(&self, purpose: Purpose, payload: &[u8]) -> String {
        let mac = self.mac(purpose, payload);
        let mut token = String::with_capacity(48);
        URL_SAFE_NO_PAD.encode_string(payload, &mut token);
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(mac, &mut token);
        token
    }

    /// A token for any purpose but `Click` (which needs a link index: [`Signer::sign_click`]).
    pub fn sign(&self, purpose: Purpose, delivery_id: Uuid) -> String {
        debug_assert!(purpose != Purpose::Click, "use sign_click for click tokens");
        self.sign_payload(purpose, delivery_id.as_bytes())
    }

    pub fn sign_open(&self, delivery_id: Uuid) -> String {
        self.sign(Purpose::Open, delivery_id)
    }

    pub fn sign_unsubscribe(&self, delivery_id: Uuid) -> String {
        self.sign(Purpose::Unsubscribe, delivery_id)
    }

    pub fn sign_survey(&self, delivery_id: Uuid) -> String {
        self.sign(Purpose::Survey, delivery_id)
    }

    pub fn sign_partnership(&self, delivery_id: Uuid) -> String {
        self.sign(Purpose::Partnership, delivery_id)
    }

    pub fn sign_click(&self, delivery_id: Uuid, link: u16) -> String {
        let mut payload = [0u8; 18];
        payload[..16].copy_from_slice(delivery_id.as_bytes());
        payload[16..].copy_from_slice(&link.to_be_bytes());
        self.sign_payload(Purpose::Click, &payload)
    }

    /// The payload when `token` was signed by this secret for this purpose; `None` for
    /// anything else (malformed, tampered, other purpose, other secret).
    pub fn verify(&self, purpose: Purpose, token: &str) -> Option<TokenPayload> {
        let (payload_b64, mac_b64) = token.split_once('.')?;
        // Bound the work an attacker can make us do before decoding.
        if payload_b64.len() > 32 || mac_b64.len() > 32 {
            return None;
        }
        let payload = URL_SAFE_NO_PAD.decode(payload_b64).ok()?;
        let given = URL_SAFE_NO_PAD.decode(mac_b64).ok()?;
        if payload.len() != purpose.payload_len() || given.len() != MAC_LEN {
            return None;
        }
        let expected = self.mac(purpose, &payload);
        if !bool::from(expected.ct_eq(&given[..])) {
            return None;
        }
        let delivery_id = Uuid::from_slice(&payload[..16]).ok()?;
        let link =
            (purpose == Purpose::Click).then(|| u16::from_be_bytes([payload[16], payload[17]]));
        Some(TokenPayload { delivery_id, link })
    }

    /// A short, stable code derived from the secret and a customer id, for the personal offer
    /// code in loyalty emails when the integrator supplies none. Same customer, same code.
    pub fn personal_code(&self, customer_id: &str) -> String {
        let mut mac = self.keyed.clone();
        mac.update(b"personal-code\0");
        mac.update(customer_id.as_bytes());
        let full = mac.finalize().into_bytes();
        // Crockford's base32 alphabet: no I, L, O or U to misread when typed at a checkout.
        const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
        let mut code = String::with_capacity(9);
        for (i, b) in full.iter().take(8).enumerate() {
            if i == 4 {
                code.push('-');
            }
            code.push(ALPHABET[usize::from(b & 31)] as char);
        }
        code
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Purpose; 5] = [
        Purpose::Open,
        Purpose::Click,
        Purpose::Unsubscribe,
        Purpose::Survey,
        Purpose::Partnership,
    ];

    fn token_for(s: &Signer, p: Purpose, id: Uuid) -> String {
        match p {
            Purpose::Click => s.sign_click(id, 7),
            _ => s.sign(p, id),
        }
    }

    #[test]
    fn a_signed_token_verifies_and_returns_its_payload() {
        let s = Signer::new(b"secret");
        let id = Uuid::new_v4();
        assert_eq!(
            s.verify(Purpose::Open, &s.sign_open(id)),
            Some(TokenPayload {
                delivery_id: id,
                link: None
            })
        );
        assert_eq!(
            s.verify(Purpose::Click, &s.sign_click(id, 513)),
            Some(TokenPayload {
                delivery_id: id,
                link: Some(513)
            })
        );
    }

    #[test]
    fn a_token_of_one_purpose_never_verifies_as_another() {
        let s = Signer::new(b"secret");
        let id = Uuid::new_v4();
        for p in ALL {
            let t = token_for(&s, p, id);
            for q in ALL {
                assert_eq!(s.verify(q, &t).is_some(), p == q, "{p:?} token as {q:?}");
            }
        }
    }

    #[test]
    fn a_tampered_token_fails_verification() {
        let s = Signer::new(b"secret");
        let id = Uuid::new_v4();
        let t = s.sign_click(id, 3);
        // Flip every character in turn: none of the variants may verify.
        for i in 0..t.len() {
            let mut bytes = t.clone().into_bytes();
            bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
            let tampered = String::from_utf8(bytes).unwrap();
            if tampered != t {
                assert_eq!(s.verify(Purpose::Click, &tampered), None, "{tampered}");
            }
        }
        // Another link index with the old MAC.
        let (_, mac) = t.split_once('.').unwrap();
        let other = s.sign_click(id, 4);
        let (payload, _) = other.split_once('.').unwrap();
        assert_eq!(s.verify(Purpose::Click, &format!("{payload}.{mac}")), None);
        // Another secret, garbage, empty.
        assert_eq!(Signer::new(b"other").verify(Purpose::Click, &t), None);
        for junk in ["", ".", "abc", "a.b", &"A".repeat(500)] {
            assert_eq!(s.verify(Purpose::Open, junk), None);
        }
    }

    #[test]
    fn tokens_are_url_safe_and_short() {
        let s = Signer::new(b"secret");
        let t = s.sign_click(Uuid::new_v4(), u16::MAX);
        assert!(t.len() <= 48, "{t}");
        assert!(
            t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        );
    }

    #[test]
    fn personal_codes_are_stable_per_customer_and_differ_between_customers() {
        let s = Signer::new(b"secret");
        assert_eq!(s.personal_code("c-1"), s.personal_code("c-1"));
        assert_ne!(s.personal_code("c-1"), s.personal_code("c-2"));
        assert_eq!(s.personal_code("c-1").len(), 9);
    }
}
