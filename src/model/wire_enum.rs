//! Enum values as AWS sends them: compared tolerantly, unknown ones kept verbatim.
//!
//! The service models and what AWS really sends disagree now and then (the patch `State` of
//! DescribeInstancePatches is `INSTALLED_PENDING_REBOOT` in the model and
//! `InstalledPendingReboot` on the wire; see the README's "AWS quirks"). The SDK turns a
//! spelling outside its model into `Unknown(..)`, so the data layer never matches SDK
//! variants: it reads the string (`as_str()`, which is the raw value for an SDK `Unknown`)
//! and decodes it here, comparing case- and separator-insensitively ([`same_token`]).
//! A value we do not know is kept as [`RawValue`] and shown as it came (sanitized): never
//! counted as something else, never as compliant, never a panic.

use std::collections::HashSet;
use std::fmt;
use std::sync::{Mutex, OnceLock};

/// `a` and `b` name the same enum value: equal after dropping everything but letters and
/// digits and ignoring ASCII case (`InstalledPendingReboot` = `INSTALLED_PENDING_REBOOT` =
/// `installed-pending-reboot`; `EC_prime256v1` = `EcPrime256V1`).
pub fn same_token(a: &str, b: &str) -> bool {
    let mut x = a.chars().filter(|c| c.is_alphanumeric());
    let mut y = b.chars().filter(|c| c.is_alphanumeric());
    loop {
        match (x.next(), y.next()) {
            (None, None) => return true,
            (Some(p), Some(q)) if p.eq_ignore_ascii_case(&q) => {}
            _ => return false,
        }
    }
}

/// The spelling in `known` that `raw` names ([`same_token`]), if any.
pub fn canonical<'k>(raw: &str, known: &[&'k str]) -> Option<&'k str> {
    known.iter().copied().find(|k| same_token(raw, k))
}

/// `raw` in its canonical spelling from `known` when it names one of them, else `raw` as it
/// came (for enum values the domain keeps as text: certificate status and type, command
/// and invocation status, ...).
pub fn canonical_or_raw(raw: &str, known: &[&str]) -> String {
    canonical(raw, known).unwrap_or(raw).to_string()
}

/// Longest unknown value kept (longer ones are cut, with `…`).
const MAX_RAW_CHARS: usize = 64;
/// Distinct unknown values kept for the life of the process; beyond it they all read
/// [`RawValue::OVERFLOW`]. Enum values are a small vocabulary, so only a hostile endpoint
/// gets here, and it cannot make the process grow without bound.
const MAX_RAW_VALUES: usize = 1024;

/// An enum value this build does not know, sanitized and interned so the enums carrying it
/// stay `Copy` (a few distinct values per process; see [`MAX_RAW_VALUES`]).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RawValue(&'static str);

impl RawValue {
    /// What every unknown value reads once [`MAX_RAW_VALUES`] were seen.
    pub const OVERFLOW: RawValue = RawValue("(unrecognized value)");

    /// Intern `raw`: control characters and escape sequences removed, at most 64 characters.
    pub fn new(raw: &str) -> RawValue {
        let mut clean = crate::text::sanitize(raw.trim());
        if let Some((i, _)) = clean.char_indices().nth(MAX_RAW_CHARS) {
            clean.truncate(i);
            clean.push('…');
        }
        static SEEN: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
        let mut seen = SEEN
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if let Some(s) = seen.get(clean.as_str()) {
            return RawValue(s);
        }
        if seen.len() >= MAX_RAW_VALUES {
            return RawValue::OVERFLOW;
        }
        let s: &'static str = Box::leak(clean.into_boxed_str());
        seen.insert(s);
        RawValue(s)
    }

    pub fn as_str(self) -> &'static str {
        self.0
    }
}

impl fmt::Debug for RawValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.0, f)
    }
}

impl fmt::Display for RawValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// A domain enum read from AWS: known variants (each with its canonical spelling, which is
/// also its serde form), optionally `Unknown` (the value was absent), and `Other(RawValue)`
/// for a value this build does not know. `from_wire` decodes tolerantly; `as_str` gives the
/// canonical spelling or the raw value. Serializes as that string, so the snapshot JSON of
/// known values is what it always was.
macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident => $wire:literal, )+
        }
        $( unknown: $(#[$umeta:meta])* $unknown:ident => $unknown_wire:literal, )?
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
            $( $(#[$umeta])* $unknown, )?
            /// A value this build does not know, as AWS sent it (sanitized).
            Other($crate::model::wire_enum::RawValue),
        }

        impl $name {
            /// Every known value (not `Unknown`, not `Other`).
            pub const KNOWN: &'static [$name] = &[ $( $name::$variant, )+ ];

            /// The canonical spellings of the known values.
            pub const WIRE: &'static [&'static str] = &[ $( $wire, )+ ];

            /// The canonical spelling, or the unknown value as it came.
            pub fn as_str(self) -> &'static str {
                match self {
                    $( $name::$variant => $wire, )+
                    $( $name::$unknown => $unknown_wire, )?
                    $name::Other(raw) => raw.as_str(),
                }
            }

            /// Decode a value AWS sent (or a cache / snapshot holds), case- and
            /// separator-insensitively; anything else is `Other`, verbatim.
            pub fn from_wire(raw: &str) -> Self {
                // the canonical spelling, as AWS sends it nearly always: one compare each
                $( if raw == $wire {
                    return $name::$variant;
                } )+
                $( if $crate::model::wire_enum::same_token(raw, $wire) {
                    return $name::$variant;
                } )+
                $( if $crate::model::wire_enum::same_token(raw, $unknown_wire) {
                    return $name::$unknown;
                } )?
                $name::Other($crate::model::wire_enum::RawValue::new(raw))
            }

            /// One of the values this build knows (not `Unknown`, not `Other`).
            pub fn is_known(self) -> bool {
                Self::KNOWN.contains(&self)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
                Ok($name::from_wire(&s))
            }
        }
    };
}

pub(crate) use wire_enum;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_compare_without_case_and_separators() {
        assert!(same_token(
            "InstalledPendingReboot",
            "INSTALLED_PENDING_REBOOT"
        ));
        assert!(same_token(
            "installed-pending-reboot",
            "InstalledPendingReboot"
        ));
        assert!(same_token("EC_prime256v1", "EcPrime256V1"));
        assert!(same_token("Delivery Timed Out", "DeliveryTimedOut"));
        assert!(!same_token("Installed", "InstalledOther"));
        assert!(!same_token("", "Installed"));
        assert_eq!(
            canonical("in_progress", &["Pending", "InProgress"]),
            Some("InProgress")
        );
        assert_eq!(canonical_or_raw("Exploded", &["Pending"]), "Exploded");
    }

    #[test]
    fn raw_values_are_sanitized_cut_and_shared() {
        let a = RawValue::new("Weird\u{1b}[2J");
        assert_eq!(a.as_str(), "Weird");
        let b = RawValue::new("Weird\u{1b}[2J");
        assert!(std::ptr::eq(a.as_str(), b.as_str()));
        let long = RawValue::new(&"x".repeat(500));
        assert_eq!(long.as_str().chars().count(), MAX_RAW_CHARS + 1);
        assert!(long.as_str().ends_with('…'));
    }
}
