//! A fast, non-cryptographic hasher for the big in-memory tables of remote strings (the
//! patch index interns ~14 million strings per 40,000-node pass; SipHash was ~8 % of it).
//!
//! The rustc "Fx" hash: one rotate, xor and multiply per 8 bytes. Its keys are our own
//! interned data, so flooding resistance is not a concern there; do not use it for maps
//! keyed by text an attacker picks freely in large numbers.

use std::hash::{BuildHasherDefault, Hasher};

/// Build a [`FxHasher`] for `HashMap::with_hasher` / `HashMap::default()`.
pub type FxBuild = BuildHasherDefault<FxHasher>;

/// A `HashMap` hashed with [`FxHasher`].
pub type FxHashMap<K, V> = std::collections::HashMap<K, V, FxBuild>;

/// A `HashSet` hashed with [`FxHasher`].
pub type FxHashSet<K> = std::collections::HashSet<K, FxBuild>;

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

#[derive(Clone, Copy, Debug, Default)]
pub struct FxHasher {
    hash: u64,
}

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, mut bytes: &[u8]) {
        while let Some((word, rest)) = bytes.split_first_chunk::<8>() {
            self.add(u64::from_le_bytes(*word));
            bytes = rest;
        }
        if let Some((word, rest)) = bytes.split_first_chunk::<4>() {
            self.add(u64::from(u32::from_le_bytes(*word)));
            bytes = rest;
        }
        for &b in bytes {
            self.add(u64::from(b));
        }
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }
    #[inline]
    fn write_u16(&mut self, i: u16) {
        self.add(u64::from(i));
    }
    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }
    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    #[inline]
    fn finish(&self) -> u64 {
        self.hash
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_keys_hash_equal_and_near_keys_spread() {
        let h = |s: &str| {
            use std::hash::BuildHasher;
            FxBuild::default().hash_one(s)
        };
        assert_eq!(h("CVE-2024-1234"), h("CVE-2024-1234"));
        let spread: FxHashSet<u64> = (0..10_000).map(|i| h(&format!("CVE-2024-{i}"))).collect();
        assert_eq!(spread.len(), 10_000, "no collisions among near keys");
        // the map's control bytes take the top bits: those must vary too
        let top: FxHashSet<u64> = (0..10_000).map(|i| h(&format!("KB{i}")) >> 57).collect();
        assert_eq!(top.len(), 128);
    }
}
