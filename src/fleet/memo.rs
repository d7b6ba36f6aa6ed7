//! What one account × region's last collection learned, kept with its clients (see
//! `clients::RegionClients`) so the next refresh asks for less:
//!
//! - certificate details: `DescribeCertificate` is skipped for a certificate whose
//!   `ListCertificates` summary is unchanged since it was described, for up to
//!   [`DETAIL_MAX_AGE`] (who uses a certificate can change without its summary changing);
//! - recent patch commands: `ListCommands` reads only what was requested since the newest
//!   command seen (or since the oldest one still running, whose status may have moved), and
//!   the older ones are kept.
//!
//! - hybrid nodes' patch group tags: a hybrid node that reported no patch state takes its
//!   group from its tags (`ListTagsForResource`, one call per node, the last hop of the
//!   unit's chain); a tag read is reused for up to [`DETAIL_MAX_AGE`], and a failed re-read
//!   shows the last one read.
//!
//! All only ever hold what AWS answered; a failed or cancelled read leaves them as they were.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use crate::model::{Certificate, CommandSummary};

use super::convert::days_left;

/// Details older than this are read again even when the summary is unchanged.
pub const DETAIL_MAX_AGE: Duration = Duration::from_secs(3600);

#[derive(Debug, Default)]
pub struct UnitMemo {
    certs: Mutex<HashMap<String, CertMemo>>,
    commands: Mutex<Vec<CommandSummary>>,
    /// Hybrid node id → its `Patch Group` tag as last read, and when.
    group_tags: Mutex<HashMap<String, (Option<String>, Instant)>>,
}

/// One described certificate: its summary as listed then, and the certificate completed
/// with its details.
#[derive(Clone, Debug)]
pub struct CertMemo {
    summary: Certificate,
    detailed: Certificate,
    at: Instant,
}

impl CertMemo {
    pub fn new(summary: Certificate, detailed: Certificate) -> Self {
        CertMemo {
            summary,
            detailed,
            at: Instant::now(),
        }
    }
}

/// Equal summaries, ignoring `days_left` (it moves with the clock, not with the certificate).
fn same_summary(a: &Certificate, b: &Certificate) -> bool {
    let plain = |c: &Certificate| Certificate {
        days_left: None,
        ..c.clone()
    };
    plain(a) == plain(b)
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl UnitMemo {
    /// The kept entry for a listed certificate, when its summary is unchanged and its
    /// details are recent enough; `now` sets `days_left` of the returned certificate.
    pub fn certificate(
        &self,
        summary: &Certificate,
        now: DateTime<Utc>,
    ) -> Option<(Certificate, CertMemo)> {
        let certs = lock(&self.certs);
        let m = certs.get(&summary.arn)?;
        if m.at.elapsed() > DETAIL_MAX_AGE || !same_summary(&m.summary, summary) {
            return None;
        }
        let mut c = m.detailed.clone();
        c.days_left = days_left(c.not_after, now);
        Some((c, m.clone()))
    }

    /// Keep exactly these described certificates (the ones gone since are forgotten).
    pub fn keep_certificates(&self, kept: Vec<CertMemo>) {
        *lock(&self.certs) = kept
            .into_iter()
            .map(|m| (m.summary.arn.clone(), m))
            .collect();
    }

    /// A hybrid node's patch group tag as read within [`DETAIL_MAX_AGE`] (`Some(None)`: read,
    /// no such tag); `None`: read it again.
    pub fn group_tag(&self, id: &str) -> Option<Option<String>> {
        let tags = lock(&self.group_tags);
        let (g, at) = tags.get(id)?;
        (at.elapsed() <= DETAIL_MAX_AGE).then(|| g.clone())
    }

    /// The last patch group tag read for a hybrid node, however old (shown when a re-read
    /// fails).
    pub fn last_group_tag(&self, id: &str) -> Option<Option<String>> {
        lock(&self.group_tags).get(id).map(|(g, _)| g.clone())
    }

    /// After a unit's nodes were read: `read` are the tags just read; the ones of `kept`
    /// (reused, or whose re-read failed) stay as they were; every other node is forgotten.
    pub fn keep_group_tags<'a>(
        &self,
        read: impl IntoIterator<Item = (String, Option<String>)>,
        kept: impl IntoIterator<Item = &'a str>,
    ) {
        let mut tags = lock(&self.group_tags);
        let mut next: HashMap<String, (Option<String>, Instant)> = kept
            .into_iter()
            .filter_map(|id| tags.remove_entry(id))
            .collect();
        let now = Instant::now();
        next.extend(read.into_iter().map(|(id, g)| (id, (g, now))));
        *tags = next;
    }

    /// Where the next `ListCommands` can start (its `InvokedAfter`): the newest command kept,
    /// or the oldest one still running if earlier, never before `window_start`. `None`: read
    /// the whole window (nothing kept, or a command without a request time).
    pub fn commands_from(&self, window_start: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let kept = lock(&self.commands);
        let mut newest: Option<DateTime<Utc>> = None;
        let mut oldest_running: Option<DateTime<Utc>> = None;
        for c in kept.iter() {
            let t = c.requested_at?;
            newest = Some(newest.map_or(t, |n| n.max(t)));
            if c.is_running() {
                oldest_running = Some(oldest_running.map_or(t, |o| o.min(t)));
            }
        }
        let from = match (newest, oldest_running) {
            (Some(n), Some(o)) => n.min(o),
            (Some(n), None) => n,
            _ => return None,
        };
        Some(from.max(window_start))
    }

    /// The commands of this refresh: `fresh` (read from `commands_from`, or the whole
    /// window when `incremental` is false) with the kept ones it did not re-read, newest
    /// first, inside the window, at most `cap` — what reading the whole window would give.
    /// The result is kept for the next refresh.
    pub fn merge_commands(
        &self,
        fresh: Vec<CommandSummary>,
        incremental: bool,
        window_start: DateTime<Utc>,
        cap: usize,
    ) -> Vec<CommandSummary> {
        let mut kept = lock(&self.commands);
        let mut out = fresh;
        if incremental {
            let seen: std::collections::HashSet<String> =
                out.iter().map(|c| c.command_id.clone()).collect();
            out.extend(
                kept.iter()
                    .filter(|c| !seen.contains(&c.command_id))
                    .filter(|c| c.requested_at.is_some_and(|t| t >= window_start))
                    .cloned(),
            );
            // stable: equal times keep the server's order, re-read ones first
            out.sort_by_key(|c| std::cmp::Reverse(c.requested_at));
        }
        out.truncate(cap);
        kept.clone_from(&out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 30, h, m, 0).unwrap()
    }

    fn cmd(id: &str, t: DateTime<Utc>, status: &str) -> CommandSummary {
        CommandSummary {
            command_id: id.into(),
            status: status.into(),
            requested_at: Some(t),
            ..CommandSummary::default()
        }
    }

    fn ids(v: &[CommandSummary]) -> Vec<&str> {
        v.iter().map(|c| c.command_id.as_str()).collect()
    }

    #[test]
    fn group_tags_are_reused_for_an_hour_and_forgotten_with_their_node() {
        let memo = UnitMemo::default();
        assert_eq!(memo.group_tag("mi-1"), None, "never read");
        memo.keep_group_tags(
            [
                ("mi-1".to_string(), Some("web".to_string())),
                ("mi-2".to_string(), None),
            ],
            [],
        );
        assert_eq!(memo.group_tag("mi-1"), Some(Some("web".into())));
        assert_eq!(memo.group_tag("mi-2"), Some(None), "read: no tag");
        // an hour later: read again, the last value still known for a failed re-read
        let old = Instant::now() - DETAIL_MAX_AGE - Duration::from_secs(1);
        lock(&memo.group_tags).get_mut("mi-1").unwrap().1 = old;
        assert_eq!(memo.group_tag("mi-1"), None);
        assert_eq!(memo.last_group_tag("mi-1"), Some(Some("web".into())));
        // mi-1's re-read failed (kept, with its age); mi-2 is gone; mi-3 is new
        memo.keep_group_tags([("mi-3".to_string(), Some("db".to_string()))], ["mi-1"]);
        assert_eq!(memo.group_tag("mi-1"), None, "its age is not reset");
        assert_eq!(memo.last_group_tag("mi-1"), Some(Some("web".into())));
        assert_eq!(memo.last_group_tag("mi-2"), None, "forgotten");
        assert_eq!(memo.group_tag("mi-3"), Some(Some("db".into())));
    }

    #[test]
    fn commands_are_read_from_the_newest_or_the_oldest_running() {
        let memo = UnitMemo::default();
        let window = at(0, 0);
        assert_eq!(
            memo.commands_from(window),
            None,
            "nothing kept: the whole window"
        );
        memo.merge_commands(
            vec![
                cmd("c", at(9, 0), "Success"),
                cmd("b", at(8, 0), "InProgress"),
                cmd("a", at(7, 0), "Success"),
            ],
            false,
            window,
            100,
        );
        // b may still change: read again from its request time
        assert_eq!(memo.commands_from(window), Some(at(8, 0)));
        // b finished, d is new; a is kept without being read again
        let got = memo.merge_commands(
            vec![
                cmd("d", at(10, 0), "Pending"),
                cmd("c", at(9, 0), "Success"),
                cmd("b", at(8, 0), "Failed"),
            ],
            true,
            window,
            100,
        );
        assert_eq!(ids(&got), ["d", "c", "b", "a"]);
        assert_eq!(got[2].status, "Failed");
        assert_eq!(memo.commands_from(window), Some(at(10, 0)));
        // leaving the window, and the cap, drop the oldest
        let got = memo.merge_commands(vec![cmd("e", at(11, 0), "Success")], true, at(7, 30), 3);
        assert_eq!(ids(&got), ["e", "d", "c"]);
        // never before the window
        assert_eq!(memo.commands_from(at(12, 0)), Some(at(12, 0)));
    }

    #[test]
    fn a_command_without_request_time_means_reading_the_whole_window() {
        let memo = UnitMemo::default();
        let mut c = cmd("x", at(9, 0), "Success");
        c.requested_at = None;
        memo.merge_commands(vec![c], false, at(0, 0), 100);
        assert_eq!(memo.commands_from(at(0, 0)), None);
    }

    #[test]
    fn certificate_details_are_reused_only_for_an_unchanged_summary() {
        let memo = UnitMemo::default();
        let now = at(12, 0);
        let summary = Certificate {
            arn: "arn:aws:acm:us-east-1:111111111111:certificate/1".into(),
            in_use: true,
            not_after: Some(at(12, 0) + chrono::Duration::days(30)),
            days_left: Some(30),
            ..Certificate::default()
        };
        let detailed = Certificate {
            in_use_by: vec!["arn:aws:elasticloadbalancing:lb/1".into()],
            renewal_status: Some("SUCCESS".into()),
            ..summary.clone()
        };
        memo.keep_certificates(vec![CertMemo::new(summary.clone(), detailed.clone())]);
        // a day later: same summary but for days_left → the details, days_left of now
        let later = Certificate {
            days_left: Some(29),
            ..summary.clone()
        };
        let (c, _) = memo
            .certificate(&later, now + chrono::Duration::days(1))
            .expect("reused");
        assert_eq!(c.in_use_by, detailed.in_use_by);
        assert_eq!(c.days_left, Some(29));
        // a changed summary (renewed: new expiry) is described again
        let renewed = Certificate {
            not_after: Some(at(12, 0) + chrono::Duration::days(395)),
            ..summary.clone()
        };
        assert!(memo.certificate(&renewed, now).is_none());
        // forgotten once not kept
        memo.keep_certificates(Vec::new());
        assert!(memo.certificate(&summary, now).is_none());
    }
}
