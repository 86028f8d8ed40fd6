//! What erasure leaves behind of an address: a keyed hash, so that a later import or API
//! creation of the same address is recognised — and not mailed — without the address itself
//! being kept (docs/privacy.md).
//!
//! Hash = `erased:` + base64url(HMAC-SHA256(key, TAG ‖ address lower-cased and trimmed)).
//! Keyed, because a plain hash of an email address is reversed by hashing a list of
//! addresses; without the key nobody can test an address against the list. The tag
//! separates this use of the key from the tracking tokens when both use `security.secret`.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{KeyInit, Mac};

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// Domain separation from every other MAC made with the same secret. Never change it: every
/// address erased before would stop being recognised.
const TAG: &[u8] = b"rapport/erased-address/v1\0";

/// What a hash stored on the suppression list starts with: no email address does (it has
/// no `@`), so it never matches a customer's address by accident.
pub const HASH_PREFIX: &str = "erased:";

/// The address an erased customer's row keeps (`email` cannot be empty): under the
/// `.invalid` top-level domain, which RFC 2606 reserves so that it can never be delivered.
pub const ERASED_ADDRESS: &str = "erased@erased.invalid";

/// Hashes addresses with the erasure key (`privacy.erasure_secret`, else `security.secret`).
#[derive(Clone)]
pub struct AddressKey {
    keyed: HmacSha256,
}

impl std::fmt::Debug for AddressKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AddressKey(<secret>)")
    }
}

impl AddressKey {
    pub fn new(secret: &[u8]) -> AddressKey {
        let keyed = HmacSha256::new_from_slice(secret).expect("HMAC takes keys of any length");
        AddressKey { keyed }
    }

    /// The keyed hash of `address`, as stored on the suppression list. Case and surrounding
    /// spaces do not matter: `Jane@Example.com ` and `jane@example.com` are one address.
    pub fn hash(&self, address: &str) -> String {
        let mut mac = self.keyed.clone();
        mac.update(TAG);
        mac.update(address.trim().to_lowercase().as_bytes());
        let mut out = String::from(HASH_PREFIX);
        URL_SAFE_NO_PAD.encode_string(mac.finalize().into_bytes(), &mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_ignores_case_and_spaces_and_never_looks_like_an_address() {
        let k = AddressKey::new(b"k");
        let h = k.hash("jane@example.com");
        assert_eq!(h, k.hash(" Jane@EXAMPLE.com "));
        assert!(h.starts_with(HASH_PREFIX) && !h.contains('@'), "{h}");
        assert_ne!(h, k.hash("john@example.com"));
    }

    #[test]
    fn another_key_gives_another_hash() {
        assert_ne!(
            AddressKey::new(b"one").hash("jane@example.com"),
            AddressKey::new(b"two").hash("jane@example.com")
        );
    }
}
