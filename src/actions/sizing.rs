//! Rate controls (MaxConcurrency / MaxErrors) for a patch-now run, defaulting to the AWS
//! console's own "Patch now" sizing.
//!
//! Source: AWS Systems Manager User Guide, "Patching managed nodes on demand"
//! (`patch-manager-patch-now-on-demand`, section "Concurrency and error thresholds for
//! 'Patch now'"; awsdocs/aws-systems-manager-user-guide `doc_source/patch-manager-patch-now-on-demand.md`):
//!
//! - `Scan`: "Patch Manager attempts to scan up to 1,000 nodes concurrently, and continue
//!   scanning until it has encountered up to 1,000 errors."
//! - `Scan and install` — concurrency by the total number of managed nodes in the operation:
//!   fewer than 25 → 1 node at a time; 25–100 → 5 %; 101–1,000 → 8 %; more than 1,000 → 10 %.
//! - `Scan and install` — errors permitted before the operation fails:
//!   fewer than 25 → 1; 25–100 → 5; 101–1,000 → 10; more than 1,000 → 10.
//!
//! The console's Patch now runs in one account × region at a time, so ssmdeck applies the
//! table per account × region group (the same unit), using that group's node count.
//! SendCommand takes at most 50 instance ids, so a group larger than 50 is split into
//! several commands, and each command is its own rate-control unit:
//! - a percentage concurrency is kept as is (the same share of every command);
//! - an absolute value (Scan's 1,000, Install's 1 for small groups) is capped at the
//!   command's own target count, which changes nothing for the service but keeps the
//!   request readable;
//! - the error budget is shared out over the commands in proportion to their size,
//!   rounding up, so no command gets zero (zero would mean "stop at the first error") and
//!   the permitted total is never below the table's figure.
//!
//! The user may override either value in the action pane; overrides are validated against
//! the SendCommand patterns and then used verbatim for every command.

use crate::model::PatchOperation;

/// The console's tiers for a group of `n` nodes: (MaxConcurrency, MaxErrors) for the group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupSizing {
    pub concurrency: RateValue,
    /// Errors permitted in the whole group.
    pub errors: u32,
}

/// A MaxConcurrency / MaxErrors value: an absolute count or a percentage.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RateValue {
    Count(u32),
    Percent(u8),
}

impl RateValue {
    /// The SendCommand string form (`"5"`, `"8%"`).
    pub fn to_api(self) -> String {
        match self {
            RateValue::Count(n) => n.to_string(),
            RateValue::Percent(p) => format!("{p}%"),
        }
    }
}

/// The AWS console's Patch now sizing for a group of `nodes` nodes (see the module docs).
pub fn console_sizing(operation: PatchOperation, nodes: usize) -> GroupSizing {
    match operation {
        PatchOperation::Scan => GroupSizing {
            concurrency: RateValue::Count(1000),
            errors: 1000,
        },
        PatchOperation::Install | PatchOperation::Other(_) => {
            let (concurrency, errors) = match nodes {
                0..=24 => (RateValue::Count(1), 1),
                25..=100 => (RateValue::Percent(5), 5),
                101..=1000 => (RateValue::Percent(8), 10),
                _ => (RateValue::Percent(10), 10),
            };
            GroupSizing {
                concurrency,
                errors,
            }
        }
    }
}

/// The MaxConcurrency / MaxErrors strings for one SendCommand of `batch` targets out of a
/// group of `group_total` nodes, from the group's console sizing.
pub fn batch_rate_controls(
    sizing: &GroupSizing,
    batch: usize,
    group_total: usize,
) -> (String, String) {
    let batch_u = batch.max(1) as u32;
    let concurrency = match sizing.concurrency {
        RateValue::Count(n) => RateValue::Count(n.min(batch_u).max(1)),
        p @ RateValue::Percent(_) => p,
    };
    let total = group_total.max(batch).max(1) as u64;
    let share = (sizing.errors as u64 * batch as u64).div_ceil(total).max(1);
    let errors = (share as u32).min(batch_u.max(1));
    (concurrency.to_api(), errors.to_string())
}

/// Validate a user-supplied MaxConcurrency (`^([1-9][0-9]*|[1-9][0-9]%|[1-9]%|100%)$`, 1..7 chars).
pub fn validate_max_concurrency(s: &str) -> Result<String, String> {
    let s = s.trim();
    let ok = s.len() <= 7
        && (is_positive_int(s)
            || match s.strip_suffix('%') {
                Some(p) => p == "100" || (is_positive_int(p) && p.len() <= 2),
                None => false,
            });
    if ok {
        Ok(s.to_string())
    } else {
        Err(format!(
            "MaxConcurrency `{s}` is not valid: use a number of nodes (e.g. 10) or a percentage from 1% to 100%"
        ))
    }
}

/// Validate a user-supplied MaxErrors (`^([1-9][0-9]*|[0]|[1-9][0-9]%|[0-9]%|100%)$`, 1..7 chars).
pub fn validate_max_errors(s: &str) -> Result<String, String> {
    let s = s.trim();
    let ok = s.len() <= 7
        && (s == "0"
            || is_positive_int(s)
            || match s.strip_suffix('%') {
                Some(p) => {
                    p == "100"
                        || (p.len() == 1 && p.bytes().all(|b| b.is_ascii_digit()))
                        || (p.len() == 2 && is_positive_int(p))
                }
                None => false,
            });
    if ok {
        Ok(s.to_string())
    } else {
        Err(format!(
            "MaxErrors `{s}` is not valid: use a number of errors (0 stops at the first error) or a percentage from 0% to 100%"
        ))
    }
}

fn is_positive_int(s: &str) -> bool {
    !s.is_empty() && !s.starts_with('0') && s.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn install_tiers_follow_the_console_table() {
        let c = |n| console_sizing(PatchOperation::Install, n);
        assert_eq!(c(1).concurrency, RateValue::Count(1));
        assert_eq!(
            c(24),
            GroupSizing {
                concurrency: RateValue::Count(1),
                errors: 1
            }
        );
        assert_eq!(
            c(25),
            GroupSizing {
                concurrency: RateValue::Percent(5),
                errors: 5
            }
        );
        assert_eq!(
            c(100),
            GroupSizing {
                concurrency: RateValue::Percent(5),
                errors: 5
            }
        );
        assert_eq!(
            c(101),
            GroupSizing {
                concurrency: RateValue::Percent(8),
                errors: 10
            }
        );
        assert_eq!(
            c(1000),
            GroupSizing {
                concurrency: RateValue::Percent(8),
                errors: 10
            }
        );
        assert_eq!(
            c(1001),
            GroupSizing {
                concurrency: RateValue::Percent(10),
                errors: 10
            }
        );
    }

    #[test]
    fn scan_runs_wide() {
        let s = console_sizing(PatchOperation::Scan, 5000);
        assert_eq!(s.concurrency, RateValue::Count(1000));
        assert_eq!(s.errors, 1000);
        // concurrency capped at the command's own size; 1,000 errors over 5,000 nodes
        // are 10 per command of 50
        assert_eq!(
            batch_rate_controls(&s, 50, 5000),
            ("50".into(), "10".into())
        );
        // up to 1,000 nodes every node may fail without stopping the scan
        assert_eq!(
            batch_rate_controls(&s, 50, 1000),
            ("50".into(), "50".into())
        );
        assert_eq!(batch_rate_controls(&s, 3, 3), ("3".into(), "3".into()));
    }

    #[test]
    fn error_budget_is_shared_and_never_zero() {
        // 412 nodes: 8% / 10 errors, split 50×8 + 12
        let s = console_sizing(PatchOperation::Install, 412);
        let (c, e) = batch_rate_controls(&s, 50, 412);
        assert_eq!(c, "8%");
        assert_eq!(e, "2"); // ceil(10*50/412) = 2
        let (_, e) = batch_rate_controls(&s, 12, 412);
        assert_eq!(e, "1");
        let total: u32 = (0..8).map(|_| 2).sum::<u32>() + 1;
        assert!(total >= 10);
        // small group: one at a time, one error
        let s = console_sizing(PatchOperation::Install, 3);
        assert_eq!(batch_rate_controls(&s, 3, 3), ("1".into(), "1".into()));
    }

    #[test]
    fn overrides_are_validated_like_the_api() {
        for ok in ["1", "10", "50", "1%", "10%", "99%", "100%", "1000000"] {
            assert!(validate_max_concurrency(ok).is_ok(), "{ok}");
        }
        for bad in ["0", "0%", "101%", "05", "", "ten", "10000000", "5.5%"] {
            assert!(validate_max_concurrency(bad).is_err(), "{bad}");
        }
        for ok in ["0", "1", "25", "0%", "5%", "10%", "100%"] {
            assert!(validate_max_errors(ok).is_ok(), "{ok}");
        }
        for bad in ["-1", "101%", "00", "05%", "x"] {
            assert!(validate_max_errors(bad).is_err(), "{bad}");
        }
        assert!(
            validate_max_concurrency("abc")
                .unwrap_err()
                .contains("percentage")
        );
    }
}
