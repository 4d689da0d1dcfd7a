//! The `dh-ietf1024-sha256-aes128-cbc-pkcs7` transfer session of the Secret Service spec:
//! secrets cross the bus AES-encrypted under a key agreed by Diffie-Hellman.
//!
//! - Group: RFC 2409 §6.2, the 1024-bit MODP "second Oakley group", generator 2.
//! - Our private exponent: 256 random bits from the OS (`getrandom`). Twice the ~80-bit strength
//!   of a 1024-bit group is all an exponent adds (NIST SP 800-56A, RFC 7919 §5.2 ask for at least
//!   2× the security strength), and it makes our two exponentiations 4× cheaper than a full-size
//!   exponent. The exponentiation is constant-time (`crypto-bigint`) and every intermediate we
//!   hold is zeroized on drop.
//! - Key: HKDF-SHA256 without salt and with empty info over the shared secret written big-endian
//!   and left-padded to 128 bytes; the first 16 bytes of output are the AES-128 key.
//! - Cipher: AES-128-CBC with PKCS#7 padding; a fresh random IV per secret, sent as the secret's
//!   `parameters`. The ciphers' expanded keys and chaining state are wiped on drop (the `zeroize`
//!   features of `aes` and `cbc`), and a decryption that fails wipes what it had decrypted.

use crate::secret::Secret;
use aes::cipher::block_padding::Pkcs7;
use aes::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use crypto_bigint::modular::constant_mod::Residue;
use crypto_bigint::{Encoding, U1024, impl_modulus};
use zeroize::Zeroizing;

/// The algorithm name passed to `OpenSession`.
pub(super) const ALGORITHM: &str = "dh-ietf1024-sha256-aes128-cbc-pkcs7";

impl_modulus!(
    Oakley2,
    U1024,
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7EDEE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381FFFFFFFFFFFFFFFF"
);

type Element = Residue<Oakley2, { U1024::LIMBS }>;

/// Bits of our private exponent.
const EXPONENT_BITS: usize = 256;

/// Our half of a key exchange: the private exponent and the public value to send.
pub(super) struct KeyPair {
    private: Zeroizing<U1024>,
    /// `2^private mod p`, big-endian, 128 bytes.
    pub(super) public: Vec<u8>,
}

/// Why a key exchange or a transfer failed. Never holds secret material.
#[derive(Debug, thiserror::Error)]
pub(super) enum DhError {
    #[error("the OS random number generator failed: {0}")]
    Random(String),
    #[error("the service sent an invalid public key")]
    BadPeerKey,
    #[error("a secret could not be decrypted (bad padding or parameters)")]
    Decrypt,
}

fn random<const N: usize>() -> Result<Zeroizing<[u8; N]>, DhError> {
    let mut buf = Zeroizing::new([0u8; N]);
    getrandom::fill(buf.as_mut()).map_err(|e| DhError::Random(e.to_string()))?;
    Ok(buf)
}

impl KeyPair {
    pub(super) fn generate() -> Result<KeyPair, DhError> {
        loop {
            let random = random::<{ EXPONENT_BITS / 8 }>()?;
            let mut bytes = Zeroizing::new([0u8; 128]);
            bytes[128 - EXPONENT_BITS / 8..].copy_from_slice(random.as_ref());
            let private = Zeroizing::new(U1024::from_be_slice(bytes.as_ref()));
            if *private <= U1024::ONE {
                continue; // astronomically unlikely; 0 and 1 give trivial keys
            }
            let generator = Element::new(&U1024::from_u8(2));
            let public = Zeroizing::new(generator.pow_bounded_exp(&*private, EXPONENT_BITS));
            return Ok(KeyPair {
                private,
                public: public.retrieve().to_be_bytes().to_vec(),
            });
        }
    }

    /// The AES key agreed with the peer's public value.
    pub(super) fn derive_key(&self, peer: &[u8]) -> Result<AesKey, DhError> {
        let peer = left_pad(peer).ok_or(DhError::BadPeerKey)?;
        let peer = U1024::from_be_slice(&peer);
        let p_minus_1 = Oakley2_MODULUS_MINUS_ONE;
        if peer <= U1024::ONE || peer >= p_minus_1 {
            return Err(DhError::BadPeerKey);
        }
        let shared =
            Zeroizing::new(Element::new(&peer).pow_bounded_exp(&*self.private, EXPONENT_BITS));
        let shared_bytes = Zeroizing::new(shared.retrieve().to_be_bytes());
        let mut key = Zeroizing::new([0u8; 16]);
        hkdf::Hkdf::<sha2::Sha256>::new(None, shared_bytes.as_ref())
            .expand(&[], key.as_mut())
            .expect("16 bytes is a valid HKDF-SHA256 output length");
        Ok(AesKey(key))
    }
}

#[allow(non_upper_case_globals)]
const Oakley2_MODULUS_MINUS_ONE: U1024 = U1024::from_be_hex(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7EDEE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381FFFFFFFFFFFFFFFE",
);

/// A big-endian number as exactly 128 bytes (leading zeros added or dropped).
fn left_pad(bytes: &[u8]) -> Option<[u8; 128]> {
    let first = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    let digits = &bytes[first..];
    if digits.len() > 128 {
        return None;
    }
    let mut out = [0u8; 128];
    out[128 - digits.len()..].copy_from_slice(digits);
    Some(out)
}

/// The session's AES-128 key.
pub(super) struct AesKey(Zeroizing<[u8; 16]>);

type Enc = cbc::Encryptor<aes::Aes128>;
type Dec = cbc::Decryptor<aes::Aes128>;

impl AesKey {
    /// Encrypt `plain` under a fresh random IV: `(iv, ciphertext)`.
    pub(super) fn encrypt(&self, plain: &[u8]) -> Result<(Vec<u8>, Vec<u8>), DhError> {
        let iv = random::<16>()?;
        let enc = Enc::new(self.0.as_ref().into(), iv.as_ref().into());
        Ok((iv.to_vec(), enc.encrypt_padded_vec_mut::<Pkcs7>(plain)))
    }

    /// Decrypt a secret the service sent with `iv` as its parameters.
    pub(super) fn decrypt(&self, iv: &[u8], cipher: &[u8]) -> Result<Secret<Vec<u8>>, DhError> {
        if iv.len() != 16 || cipher.is_empty() || !cipher.len().is_multiple_of(16) {
            return Err(DhError::Decrypt);
        }
        let dec = Dec::new(self.0.as_ref().into(), iv.into());
        // Decrypted in place inside a Secret: when the padding check fails, every block is
        // already plaintext, and returning the error drops (wipes) the buffer.
        let mut buf = Secret::new(cipher.to_vec());
        let len = dec
            .decrypt_padded_mut::<Pkcs7>(buf.expose_mut())
            .map_err(|_| DhError::Decrypt)?
            .len();
        buf.expose_mut().truncate(len);
        Ok(buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_sides_agree_on_the_key() {
        let a = KeyPair::generate().unwrap();
        let b = KeyPair::generate().unwrap();
        assert_eq!(a.public.len(), 128);
        assert_ne!(a.public, b.public);
        let ka = a.derive_key(&b.public).unwrap();
        let kb = b.derive_key(&a.public).unwrap();
        assert_eq!(*ka.0, *kb.0);
        let (iv, c) = ka.encrypt(b"hunter2").unwrap();
        assert_eq!(c.len(), 16);
        assert_eq!(kb.decrypt(&iv, &c).unwrap().expose(), b"hunter2");
        // A peer key with its leading zero bytes stripped or added is the same number.
        let mut padded = vec![0u8; 3];
        padded.extend_from_slice(&b.public);
        assert_eq!(*a.derive_key(&padded).unwrap().0, *ka.0);
    }

    #[test]
    fn trivial_and_oversized_peer_keys_are_refused() {
        let a = KeyPair::generate().unwrap();
        assert!(a.derive_key(&[]).is_err());
        assert!(a.derive_key(&[1]).is_err());
        assert!(a.derive_key(&[0xff; 128]).is_err());
        assert!(a.derive_key(&[1; 129]).is_err());
        assert!(
            a.derive_key(&Oakley2_MODULUS_MINUS_ONE.to_be_bytes())
                .is_err()
        );
    }

    #[test]
    fn known_answer_matches_an_independent_computation() {
        // Computed with Python's pow() and hmac: x = 0x1234567890abcdef << 190 | 12345,
        // peer = 3^0x77 mod p, key = HKDF-SHA256(no salt, no info, (peer^x mod p) as 128 bytes).
        let x = (U1024::from_u64(0x1234567890abcdef) << 190).wrapping_add(&U1024::from_u64(12345));
        let public = Element::new(&U1024::from_u8(2))
            .pow(&x)
            .retrieve()
            .to_be_bytes();
        assert_eq!(hex(&public[..16]), "dc50f69ff78f502b050fc86e2aeb2437");
        let pair = KeyPair {
            private: Zeroizing::new(x),
            public: public.to_vec(),
        };
        let peer = Element::new(&U1024::from_u8(3))
            .pow(&U1024::from_u8(0x77))
            .retrieve()
            .to_be_bytes();
        let key = pair.derive_key(&peer).unwrap();
        assert_eq!(hex(key.0.as_ref()), "909b5784133f6aeac6cd6d7a5dce8a60");
    }

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    #[test]
    fn the_ciphers_wipe_their_keys_on_drop() {
        fn wiped_on_drop<T: zeroize::ZeroizeOnDrop>() {}
        wiped_on_drop::<aes::Aes128>();
        wiped_on_drop::<Enc>();
        wiped_on_drop::<Dec>();
    }

    #[test]
    fn tampered_ciphertext_is_an_error_not_garbage() {
        let a = KeyPair::generate().unwrap();
        let b = KeyPair::generate().unwrap();
        let k = a.derive_key(&b.public).unwrap();
        let (iv, mut c) = k.encrypt(b"x").unwrap();
        c.push(0);
        assert!(k.decrypt(&iv, &c).is_err());
        assert!(k.decrypt(&iv[..8], &c[..16]).is_err());
    }
}
