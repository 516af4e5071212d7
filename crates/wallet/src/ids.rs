//! Ids the wallet makes itself (write ids of the outbox, attachment ids), from a generator that
//! a seed makes repeatable in tests.

use std::sync::Mutex;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const ALPHANUMERIC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// A generator of ids.
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

    /// `prefix` followed by `len` letters and digits (only `[A-Za-z0-9_-]`, as the hub's ids).
    pub fn make(&self, prefix: &str, len: usize) -> String {
        let mut rng = self.rng.lock().unwrap_or_else(|p| p.into_inner());
        let mut out = String::with_capacity(prefix.len() + len);
        out.push_str(prefix);
        for _ in 0..len {
            out.push(char::from(
                ALPHANUMERIC[rng.random_range(0..ALPHANUMERIC.len())],
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::Ids;

    #[test]
    fn a_seed_repeats_its_ids() {
        let (a, b) = (Ids::seeded(3), Ids::seeded(3));
        let id = a.make("w-", 16);
        assert_eq!(id, b.make("w-", 16));
        assert!(id.starts_with("w-") && id.len() == 18, "{id}");
    }
}
