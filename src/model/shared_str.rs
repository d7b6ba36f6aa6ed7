//! [`SharedStr`]: an immutable string that clones by reference count.
//!
//! For node fields that repeat across a fleet (platform, agent version, patch group,
//! baseline, IAM role): the cache decoder hands one allocation to every node with the same
//! value, so 50,000 nodes cost a few hundred strings, not hundreds of thousands. Reads like a
//! `&str` (`Deref`, `as_str`, `Display`); serializes as a plain JSON string.

use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SharedStr(Arc<str>);

/// Distinct values [`SharedStr::intern`] keeps; past this the pool starts afresh (values
/// already handed out stay shared), so odd data cannot grow it without bound.
const INTERN_CAP: usize = 8192;

static POOL: std::sync::LazyLock<std::sync::Mutex<std::collections::HashSet<SharedStr>>> =
    std::sync::LazyLock::new(Default::default);

impl SharedStr {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The one shared allocation for `s` in this process: node fields that repeat across a
    /// fleet (platform, agent version, patch group, baseline, IAM role) read from AWS cost one
    /// string per distinct value, not one per node and refresh (#13: peak memory and
    /// allocations of a 40,000-node refresh).
    pub fn intern(s: &str) -> SharedStr {
        let mut pool = POOL.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(v) = pool.get(s) {
            return v.clone();
        }
        if pool.len() >= INTERN_CAP {
            pool.clear();
        }
        let v = SharedStr::from(s);
        pool.insert(v.clone());
        v
    }
}

/// A small cache in front of [`SharedStr::intern`] for one batch of conversions (one
/// account × region's nodes): the few distinct values a unit repeats (platform, agent
/// version, patch group, baseline, role) are found by a short scan, without the process-wide
/// pool's lock and hash (#13: a 40,000-node refresh interns ~300,000 fields).
#[derive(Default)]
pub struct Interner {
    recent: Vec<SharedStr>,
}

/// Values an [`Interner`] keeps; a unit with more distinct values falls back to the pool.
const INTERNER_RECENT: usize = 32;

impl Interner {
    pub fn get(&mut self, s: &str) -> SharedStr {
        if let Some(v) = self.recent.iter().find(|v| v.as_str() == s) {
            return v.clone();
        }
        let v = SharedStr::intern(s);
        if self.recent.len() < INTERNER_RECENT {
            self.recent.push(v.clone());
        }
        v
    }
}

impl Deref for SharedStr {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for SharedStr {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for SharedStr {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SharedStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for SharedStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl From<&str> for SharedStr {
    fn from(s: &str) -> Self {
        SharedStr(s.into())
    }
}

impl From<String> for SharedStr {
    fn from(s: String) -> Self {
        SharedStr(s.into())
    }
}

impl From<&String> for SharedStr {
    fn from(s: &String) -> Self {
        SharedStr(s.as_str().into())
    }
}

impl PartialEq<str> for SharedStr {
    fn eq(&self, other: &str) -> bool {
        &*self.0 == other
    }
}

impl PartialEq<&str> for SharedStr {
    fn eq(&self, other: &&str) -> bool {
        &*self.0 == *other
    }
}

impl PartialEq<String> for SharedStr {
    fn eq(&self, other: &String) -> bool {
        &*self.0 == other.as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interned_values_share_one_allocation() {
        let a = SharedStr::intern("Amazon Linux 2023 (interned test)");
        let b = SharedStr::intern(&String::from("Amazon Linux 2023 (interned test)"));
        assert!(Arc::ptr_eq(&a.0, &b.0));
        assert_eq!(a, "Amazon Linux 2023 (interned test)");
        assert!(!Arc::ptr_eq(&a.0, &SharedStr::intern("other").0));
    }

    #[test]
    fn an_interner_hands_out_the_pools_allocation() {
        let mut i = Interner::default();
        let a = i.get("Windows Server 2022 (interner test)");
        let b = i.get("Windows Server 2022 (interner test)");
        assert!(Arc::ptr_eq(&a.0, &b.0));
        let pooled = SharedStr::intern("Windows Server 2022 (interner test)");
        assert!(
            Arc::ptr_eq(&a.0, &pooled.0),
            "the same value as the process pool's"
        );
        // past its capacity it still answers (from the pool)
        for n in 0..(INTERNER_RECENT + 8) {
            assert_eq!(i.get(&format!("v{n}")), format!("v{n}"));
        }
    }

    #[test]
    fn reads_and_serializes_like_a_string() {
        let a = SharedStr::from("Ubuntu");
        let b = a.clone();
        assert!(Arc::ptr_eq(&a.0, &b.0), "a clone shares the allocation");
        assert_eq!(a, "Ubuntu");
        assert_eq!(a.len(), 6);
        assert_eq!(format!("{a} {a:?}"), "Ubuntu \"Ubuntu\"");
        assert_eq!(serde_json::to_string(&a).unwrap(), "\"Ubuntu\"");
        let back: SharedStr = serde_json::from_str("\"Ubuntu\"").unwrap();
        assert_eq!(back, a);
        let (a, b) = (SharedStr::from("a"), SharedStr::from("b"));
        assert!(a < b);
    }
}
