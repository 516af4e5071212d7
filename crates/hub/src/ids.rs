//! Identifier and secret generation, injected so tests can be deterministic.
//!
//! [`Ids::random`] draws from the operating system's generator; [`Ids::seeded`] repeats the same
//! sequence for a seed. Secrets (tokens) always come from here, never from `rand::random`.

use std::sync::Mutex;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const ALPHANUMERIC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// A generator of identifiers, digits and secrets.
#[derive(Debug)]
pub struct Ids {
    rng: Mutex<StdRng>,
}

impl Ids {
    /// Ids from the operating system's random source.
    pub fn random() -> Ids {
        Ids {
            rng: Mutex::new(StdRng::from_os_rng()),
        }
    }

    /// The same ids for the same seed.
    pub fn seeded(seed: u64) -> Ids {
        Ids {
            rng: Mutex::new(StdRng::seed_from_u64(seed)),
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut StdRng) -> T) -> T {
        let mut rng = self
            .rng
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut rng)
    }

    /// `prefix` followed by `len` letters and digits, e.g. `prj_7fK2...`.
    pub fn alphanumeric(&self, prefix: &str, len: usize) -> String {
        self.with(|rng| {
            let mut out = String::with_capacity(prefix.len() + len);
            out.push_str(prefix);
            for _ in 0..len {
                out.push(char::from(
                    ALPHANUMERIC[rng.random_range(0..ALPHANUMERIC.len())],
                ));
            }
            out
        })
    }

    /// `len` decimal digits (the first may be zero).
    pub fn digits(&self, len: usize) -> String {
        self.with(|rng| {
            (0..len)
                .map(|_| char::from(b'0' + rng.random_range(0..10u8)))
                .collect()
        })
    }

    /// `len` random bytes (salts).
    pub fn bytes(&self, len: usize) -> Vec<u8> {
        self.with(|rng| (0..len).map(|_| rng.random::<u8>()).collect())
    }

    /// An invitation code people can type: 12 letters and digits without look-alikes, in
    /// groups of four (`K7QH-3MXP-9TRW`).
    pub fn invitation_code(&self) -> String {
        const READABLE: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
        self.with(|rng| {
            let mut out = String::with_capacity(14);
            for index in 0..12 {
                if index > 0 && index % 4 == 0 {
                    out.push('-');
                }
                out.push(char::from(READABLE[rng.random_range(0..READABLE.len())]));
            }
            out
        })
    }

    /// A secret of 32 random bytes, hex-encoded (64 characters).
    pub fn secret(&self) -> String {
        self.with(|rng| {
            let mut bytes = [0u8; 32];
            rng.fill(&mut bytes);
            hex::encode(bytes)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Ids;

    #[test]
    fn a_seed_repeats_its_ids() {
        let (a, b) = (Ids::seeded(7), Ids::seeded(7));
        assert_eq!(a.alphanumeric("prj_", 10), b.alphanumeric("prj_", 10));
        assert_eq!(a.digits(16), b.digits(16));
        assert_eq!(a.secret(), b.secret());
    }

    #[test]
    fn shapes_are_as_documented() {
        let ids = Ids::random();
        let id = ids.alphanumeric("prj_", 12);
        assert!(id.starts_with("prj_") && id.len() == 16, "{id}");
        let digits = ids.digits(18);
        assert!(
            digits.len() == 18 && digits.bytes().all(|b| b.is_ascii_digit()),
            "{digits}"
        );
        assert_eq!(ids.secret().len(), 64);
    }
}
