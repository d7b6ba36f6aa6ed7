//! A small deterministic PRNG (SplitMix64) so the generated world depends only on `--seed`,
//! never on a crate's algorithm choices across versions.

#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    /// An independent stream derived from this seed and a label (e.g. an account id and a region),
    /// so adding accounts or regions does not reshuffle the others.
    pub fn derive(seed: u64, label: &str) -> Self {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in label.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x100_0000_01b3);
        }
        Rng::new(seed.wrapping_mul(0x2545_F491_4F6C_DD1D) ^ h)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        assert!(n > 0);
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as u64) as i64
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// Pick by weights (same length as `items`).
    pub fn weighted<'a, T>(&mut self, items: &'a [(T, u32)]) -> &'a T {
        let total: u64 = items.iter().map(|(_, w)| u64::from(*w)).sum();
        let mut x = self.below(total.max(1));
        for (item, w) in items {
            if x < u64::from(*w) {
                return item;
            }
            x -= u64::from(*w);
        }
        &items[items.len() - 1].0
    }

    /// `n` lowercase hex digits.
    pub fn hex(&mut self, n: usize) -> String {
        let mut out = String::with_capacity(n);
        self.push_hex(&mut out, n);
        out
    }

    /// Appends `n` lowercase hex digits (the same draws as [`Rng::hex`]).
    fn push_hex(&mut self, out: &mut String, n: usize) {
        const HEX: &[u8] = b"0123456789abcdef";
        for _ in 0..n {
            out.push(HEX[self.below(16) as usize] as char);
        }
    }

    /// A UUID-shaped string (version 4 layout), deterministic: 32 hex draws, of which the
    /// 13th and 17th are replaced by the version `4` and the variant `a`. Written in place
    /// (a request id per simulator answer, thousands of ids per generated world).
    pub fn uuid(&mut self) -> String {
        let mut h = String::with_capacity(36);
        self.push_hex(&mut h, 32);
        let mut out = String::with_capacity(36);
        out.push_str(&h[0..8]);
        out.push('-');
        out.push_str(&h[8..12]);
        out.push_str("-4");
        out.push_str(&h[13..16]);
        out.push_str("-a");
        out.push_str(&h[17..20]);
        out.push('-');
        out.push_str(&h[20..32]);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream() {
        let a: Vec<u64> = (0..5)
            .map({
                let mut r = Rng::new(7);
                move |_| r.next_u64()
            })
            .collect();
        let b: Vec<u64> = (0..5)
            .map({
                let mut r = Rng::new(7);
                move |_| r.next_u64()
            })
            .collect();
        assert_eq!(a, b);
        assert_ne!(
            Rng::derive(7, "a").next_u64(),
            Rng::derive(7, "b").next_u64()
        );
    }

    #[test]
    fn below_stays_in_range() {
        let mut r = Rng::new(1);
        assert!((0..1000).all(|_| r.below(3) < 3));
        assert_eq!(r.uuid().len(), 36);
    }

    #[test]
    fn uuid_is_the_layout_of_its_hex_draws() {
        // generated worlds must stay the same: the same draws, the same text as before
        for seed in [0, 1, 42, u64::MAX] {
            let h = Rng::new(seed).hex(32);
            let want = format!(
                "{}-{}-4{}-a{}-{}",
                &h[0..8],
                &h[8..12],
                &h[13..16],
                &h[17..20],
                &h[20..32]
            );
            let mut r = Rng::new(seed);
            assert_eq!(r.uuid(), want);
            let mut twin = Rng::new(seed);
            twin.hex(32);
            assert_eq!(r.next_u64(), twin.next_u64(), "the same draws were taken");
        }
    }
}
