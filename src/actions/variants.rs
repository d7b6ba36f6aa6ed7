//! Outputs compared, not just listed (pure): the outputs of many targets grouped into
//! *variants* by content once what legitimately differs from node to node is normalised —
//! instance ids, host names, IP addresses, timestamps, UUIDs — so "412 identical · 3
//! variants" reads at a glance; each variant with its node count and nodes; a line diff of
//! a variant against the majority.
//!
//! Speed: grouping 1,000 outputs of 24,000 characters takes a few tens of milliseconds
//! (`benches/variants.rs`): one byte pass per output to normalise (in parallel), a 64-bit
//! hash per normalised text, and a full comparison only against each variant's sample.

use std::collections::HashMap;

/// One target's output and the names that are its own (host names, its IP): they are
/// normalised wherever they appear, beyond the generic patterns.
#[derive(Clone, Copy, Debug)]
pub struct Subject<'a> {
    pub text: &'a str,
    pub own: &'a [&'a str],
    /// The output was cut at the API's limit (24,000 characters from GetCommandInvocation,
    /// 2,500 from ListCommandInvocations): where it was cut depends on the node (its host
    /// names and ids have different lengths), so the cut line is dropped and the rest
    /// groups with any output it is the beginning of.
    pub truncated: bool,
}

impl<'a> Subject<'a> {
    /// An output that was not cut.
    pub fn new(text: &'a str, own: &'a [&'a str]) -> Self {
        Subject {
            text,
            own,
            truncated: false,
        }
    }
}

/// Ends the normalised text of a truncated output.
pub const TRUNCATED: &str = "<truncated>\n";

/// The normalised text of `s`: [`normalize`], and for a truncated output its complete
/// lines followed by [`TRUNCATED`].
pub fn normalize_subject(s: &Subject) -> String {
    if !s.truncated {
        return normalize(s.text, s.own);
    }
    let cut = s.text.rfind('\n').map_or(0, |i| i + 1);
    let mut n = normalize(&s.text[..cut], s.own);
    n.push_str(TRUNCATED);
    n
}

/// Outputs that are the same once normalised.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Variant {
    /// Indexes (into the grouped slice) of the targets with this output, in input order.
    pub members: Vec<usize>,
    /// The first member: its output stands for the variant.
    pub sample: usize,
    /// The normalised output (what the members share).
    pub normalized: String,
}

/// Variants, the largest first (ties: the one seen first).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Variants {
    pub variants: Vec<Variant>,
    pub total: usize,
}

impl Variants {
    /// Group `subjects` into variants.
    pub fn group(subjects: &[Subject]) -> Variants {
        let normalized = normalize_all(subjects);
        let texts: Vec<&str> = normalized.iter().map(String::as_str).collect();
        Variants::group_normalized(&texts)
    }

    /// Group texts that are already normalised (a live pane normalises each finished
    /// target once and regroups as more finish).
    pub fn group_normalized(texts: &[&str]) -> Variants {
        let mut by_hash: HashMap<u64, Vec<usize>> = HashMap::new();
        let mut variants: Vec<Variant> = Vec::new();
        for (i, &text) in texts.iter().enumerate() {
            let h = hash(text.as_bytes());
            let slot = by_hash.entry(h).or_default();
            match slot
                .iter()
                .copied()
                .find(|&v| variants[v].normalized == text)
            {
                Some(v) => variants[v].members.push(i),
                None => {
                    slot.push(variants.len());
                    variants.push(Variant {
                        members: vec![i],
                        sample: i,
                        normalized: text.to_string(),
                    });
                }
            }
        }
        let by_size = |a: &Variant, b: &Variant| {
            b.members
                .len()
                .cmp(&a.members.len())
                .then(a.sample.cmp(&b.sample))
        };
        variants.sort_by(by_size);
        // A truncated output joins the largest variant it is the beginning of (or, for
        // two truncated ones, either the beginning of the other): the same output cut at
        // different lengths is one variant.
        let mut kept: Vec<Variant> = Vec::with_capacity(variants.len());
        for v in variants {
            if let Some(b) = v
                .normalized
                .strip_suffix(TRUNCATED)
                .filter(|b| !b.is_empty())
                && let Some(k) =
                    kept.iter_mut()
                        .find(|k| match k.normalized.strip_suffix(TRUNCATED) {
                            Some(kb) => kb.starts_with(b) || b.starts_with(kb),
                            None => k.normalized.starts_with(b),
                        })
            {
                k.members.extend(v.members);
                k.members.sort_unstable();
                continue;
            }
            kept.push(v);
        }
        kept.sort_by(by_size);
        Variants {
            variants: kept,
            total: texts.len(),
        }
    }

    /// The most common output.
    pub fn majority(&self) -> Option<&Variant> {
        self.variants.first()
    }

    /// The variant (index into [`Variants::variants`]) of target `i`.
    pub fn variant_of(&self, i: usize) -> Option<usize> {
        self.variants.iter().position(|v| v.members.contains(&i))
    }

    /// Per target, its variant's index (`None` past the grouped targets).
    pub fn assignment(&self) -> Vec<Option<usize>> {
        let mut out = vec![None; self.total];
        for (v, var) in self.variants.iter().enumerate() {
            for &m in &var.members {
                if let Some(slot) = out.get_mut(m) {
                    *slot = Some(v);
                }
            }
        }
        out
    }

    /// "412 identical · 3 variants", "5 identical", "3 outputs · all differ", "no output yet".
    pub fn summary(&self) -> String {
        let Some(first) = self.variants.first() else {
            return "no output yet".to_string();
        };
        let others = self.variants.len() - 1;
        if others == 0 {
            return format!("{} identical", first.members.len());
        }
        if first.members.len() == 1 {
            return format!("{} outputs · all differ", self.total);
        }
        format!(
            "{} identical · {others} variant{}",
            first.members.len(),
            if others == 1 { "" } else { "s" }
        )
    }
}

/// Normalise every subject (on as many threads as the machine has, for large inputs).
fn normalize_all(subjects: &[Subject]) -> Vec<String> {
    let bytes: usize = subjects.iter().map(|s| s.text.len()).sum();
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    if workers < 2 || bytes < 1 << 20 {
        return subjects.iter().map(normalize_subject).collect();
    }
    let chunk = subjects.len().div_ceil(workers).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = subjects
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().map(normalize_subject).collect::<Vec<_>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    })
}

/// FNV-1a over 8-byte words: fast, and a collision only costs a string comparison.
fn hash(b: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ b.len() as u64;
    let mut chunks = b.chunks_exact(8);
    for c in &mut chunks {
        let w = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
        h = (h ^ w).wrapping_mul(0x100_0000_01b3).rotate_left(29);
    }
    for &x in chunks.remainder() {
        h = (h ^ u64::from(x)).wrapping_mul(0x100_0000_01b3);
    }
    h
}

/// Replace what legitimately differs between otherwise identical outputs:
/// - the subject's own names (`own`: host names, its IP, ...) → `<host>`;
/// - instance ids (`i-` + 8 or 17 hex, `mi-` + 17 hex) → `<instance>`;
/// - UUIDs → `<uuid>`;
/// - timestamps (`2026-11-23T07:01:02.123Z`, `2026-11-23 07:01:02`, `07:01:02`, bare dates)
///   → `<time>`;
/// - IPv4 addresses → `<ip>`;
/// - EC2 host names (`ip-10-0-1-5.ec2.internal`, `ip-10-16-3-4.eu-west-1.compute.internal`,
///   `EC2AMAZ-AB12CD3`) → `<host>`.
pub fn normalize(text: &str, own: &[&str]) -> String {
    let mut names: Vec<&str> = own.iter().copied().filter(|n| n.len() >= 3).collect();
    // the longest first: the FQDN before the short host name it starts with
    names.sort_by_key(|n| std::cmp::Reverse(n.len()));
    let mut owned: Option<String> = None;
    for name in names {
        let cur = owned.as_deref().unwrap_or(text);
        if cur.contains(name) {
            owned = Some(cur.replace(name, "<host>"));
        }
    }
    normalize_generic(owned.as_deref().unwrap_or(text))
}

fn normalize_generic(s: &str) -> String {
    let b = s.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(b.len());
    let mut copied = 0;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        // (a number right after a dot is the tail of a version or address, not a start)
        let word_start = i == 0 || !(is_word(b[i - 1]) || (b[i - 1] == b'.' && c.is_ascii_digit()));
        if word_start && c.is_ascii_alphanumeric() {
            let hit = match c {
                b'i' | b'm' => match_instance_id(&b[i..])
                    .map(|n| (n, "<instance>"))
                    .or_else(|| {
                        if c == b'i' {
                            match_ec2_host(&b[i..]).map(|n| (n, "<host>"))
                        } else {
                            None
                        }
                    }),
                b'E' => match_windows_host(&b[i..]).map(|n| (n, "<host>")),
                b'0'..=b'9' => match_uuid(&b[i..])
                    .map(|n| (n, "<uuid>"))
                    .or_else(|| match_timestamp(&b[i..]).map(|n| (n, "<time>")))
                    .or_else(|| match_ipv4(&b[i..]).map(|n| (n, "<ip>"))),
                b'a'..=b'f' | b'A'..=b'F' => match_uuid(&b[i..]).map(|n| (n, "<uuid>")),
                _ => None,
            };
            if let Some((n, tag)) = hit {
                out.extend_from_slice(&b[copied..i]);
                out.extend_from_slice(tag.as_bytes());
                i += n;
                copied = i;
                continue;
            }
            // skip the rest of this word: no pattern starts inside one
            while i < b.len() && is_word(b[i]) {
                i += 1;
            }
            continue;
        }
        i += 1;
    }
    out.extend_from_slice(&b[copied..]);
    // Only ASCII was replaced with ASCII at ASCII boundaries: still UTF-8.
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

fn is_word(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

fn run_of(b: &[u8], f: impl Fn(u8) -> bool) -> usize {
    b.iter().take_while(|&&c| f(c)).count()
}

fn boundary(b: &[u8], at: usize) -> bool {
    b.get(at).is_none_or(|&c| !c.is_ascii_alphanumeric())
}

fn match_instance_id(b: &[u8]) -> Option<usize> {
    let prefix = if b.starts_with(b"mi-") {
        3
    } else if b.starts_with(b"i-") {
        2
    } else {
        return None;
    };
    let n = run_of(&b[prefix..], |c| c.is_ascii_hexdigit());
    let end = prefix + n;
    ((n == 8 || (n == 17 && prefix == 2) || (n == 17 && prefix == 3)) && boundary(b, end))
        .then_some(end)
}

fn match_uuid(b: &[u8]) -> Option<usize> {
    let mut pos = 0;
    for (k, len) in [8usize, 4, 4, 4, 12].iter().enumerate() {
        if run_of(&b[pos.min(b.len())..], |c| c.is_ascii_hexdigit()) != *len {
            return None;
        }
        pos += len;
        if k < 4 {
            if b.get(pos) != Some(&b'-') {
                return None;
            }
            pos += 1;
        }
    }
    boundary(b, pos).then_some(pos)
}

fn digits(b: &[u8], at: usize) -> usize {
    run_of(&b[at.min(b.len())..], |c| c.is_ascii_digit())
}

fn match_timestamp(b: &[u8]) -> Option<usize> {
    let mut pos = 0;
    if digits(b, 0) == 4
        && b.get(4) == Some(&b'-')
        && digits(b, 5) == 2
        && b.get(7) == Some(&b'-')
        && digits(b, 8) == 2
    {
        pos = 10;
        match b.get(pos) {
            Some(b'T') | Some(b' ') if digits(b, pos + 1) == 2 => pos += 1,
            _ => return boundary(b, pos).then_some(pos),
        }
    }
    if digits(b, pos) == 2
        && b.get(pos + 2) == Some(&b':')
        && digits(b, pos + 3) == 2
        && b.get(pos + 5) == Some(&b':')
        && digits(b, pos + 6) == 2
    {
        pos += 8;
        if matches!(b.get(pos), Some(b'.') | Some(b',')) {
            let n = digits(b, pos + 1);
            if n > 0 {
                pos += 1 + n;
            }
        }
        if b.get(pos) == Some(&b'Z') {
            pos += 1;
        }
        return Some(pos);
    }
    None
}

fn match_ipv4(b: &[u8]) -> Option<usize> {
    let mut pos = 0;
    for k in 0..4 {
        let n = digits(b, pos);
        if n == 0 || n > 3 {
            return None;
        }
        pos += n;
        if k < 3 {
            if b.get(pos) != Some(&b'.') {
                return None;
            }
            pos += 1;
        }
    }
    // not a version like 1.2.3.4.5, and not glued to letters
    (boundary(b, pos) && !(b.get(pos) == Some(&b'.') && digits(b, pos + 1) > 0)).then_some(pos)
}

/// `ip-10-0-1-5` with its domain (`.ec2.internal`, `.eu-west-1.compute.internal`).
fn match_ec2_host(b: &[u8]) -> Option<usize> {
    if !b.starts_with(b"ip-") {
        return None;
    }
    let mut pos = 3;
    for k in 0..4 {
        let n = digits(b, pos);
        if n == 0 || n > 3 {
            return None;
        }
        pos += n;
        if k < 3 {
            if b.get(pos) != Some(&b'-') {
                return None;
            }
            pos += 1;
        }
    }
    // the domain labels that follow, as long as they end in `internal`
    let mut end = pos;
    let mut look = pos;
    while b.get(look) == Some(&b'.') {
        let n = run_of(&b[look + 1..], |c| {
            c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-'
        });
        if n == 0 {
            break;
        }
        look += 1 + n;
        if b[look - n..look] == *b"internal" {
            end = look;
        }
    }
    boundary(b, end).then_some(end)
}

/// `EC2AMAZ-XXXXXXX` (the default computer name of Windows EC2 instances).
fn match_windows_host(b: &[u8]) -> Option<usize> {
    let rest = b.strip_prefix(b"EC2AMAZ-")?;
    let n = run_of(rest, |c| c.is_ascii_uppercase() || c.is_ascii_digit());
    (n == 7 && boundary(b, 8 + n)).then_some(8 + n)
}

/// A line of a diff.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DiffLine {
    Same(String),
    /// In the variant, not in the majority.
    Added(String),
    /// In the majority, not in the variant.
    Removed(String),
    /// `… 12 identical lines …`
    Skipped(usize),
}

/// The line diff of `variant` against `majority` (both normalised), with `context` lines
/// kept around each change and longer identical runs folded.
pub fn diff(majority: &str, variant: &str, context: usize) -> Vec<DiffLine> {
    use similar::{ChangeTag, TextDiff};
    let d = TextDiff::from_lines(majority, variant);
    let mut lines: Vec<DiffLine> = d
        .iter_all_changes()
        .map(|c| {
            let text = c.value().trim_end_matches(['\n', '\r']).to_string();
            match c.tag() {
                ChangeTag::Equal => DiffLine::Same(text),
                ChangeTag::Insert => DiffLine::Added(text),
                ChangeTag::Delete => DiffLine::Removed(text),
            }
        })
        .collect();
    // fold identical runs further than `context` from a change
    let changed: Vec<bool> = lines
        .iter()
        .map(|l| !matches!(l, DiffLine::Same(_)))
        .collect();
    let near = |i: usize| {
        let lo = i.saturating_sub(context);
        let hi = (i + context + 1).min(changed.len());
        changed[lo..hi].iter().any(|&c| c)
    };
    let mut out = Vec::with_capacity(lines.len());
    let mut skipped = 0;
    for (i, l) in lines.drain(..).enumerate() {
        if matches!(l, DiffLine::Same(_)) && !near(i) {
            skipped += 1;
            continue;
        }
        if skipped > 0 {
            out.push(DiffLine::Skipped(skipped));
            skipped = 0;
        }
        out.push(l);
    }
    if skipped > 0 {
        out.push(DiffLine::Skipped(skipped));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subjects(texts: &[String]) -> Vec<Subject<'_>> {
        texts.iter().map(|t| Subject::new(t, &[])).collect()
    }

    #[test]
    fn identical_outputs_group_ignoring_what_differs_per_node() {
        let mut texts: Vec<String> = (0..412)
            .map(|i| {
                format!(
                    "2026-11-23T07:0{}:12.345Z ip-10-{}-2-3.eu-west-1.compute.internal i-{i:017x}\nLoaded: 10.0.{}.{}\nsnapshot 3f2504e0-4f89-11d3-9a0c-{i:012x}\n",
                    i % 10,
                    i % 200,
                    i % 250,
                    1 + i % 250
                )
            })
            .collect();
        texts.push("Failed: yum lock held\n".into());
        texts.push("Failed: yum lock held\n".into());
        texts.push("Failed: disk full\n".into());
        texts.push("Installed 4 patches\n".into());
        let v = Variants::group(&subjects(&texts));
        assert_eq!(v.variants.len(), 4);
        assert_eq!(v.variants[0].members.len(), 412);
        assert_eq!(v.variants[1].members, vec![412, 413]);
        assert_eq!(v.summary(), "412 identical · 3 variants");
        assert_eq!(v.variant_of(413), Some(1));
        assert_eq!(v.assignment()[415], Some(3));
        assert_eq!(
            v.variants[0].normalized,
            "<time> <host> <instance>\nLoaded: <ip>\nsnapshot <uuid>\n"
        );
        assert_eq!(
            Variants::group(&subjects(&texts[..5])).summary(),
            "5 identical"
        );
        assert_eq!(
            Variants::group(&subjects(&texts[412..])).summary(),
            "2 identical · 2 variants"
        );
        let all_differ: Vec<String> = vec!["a".into(), "b".into()];
        assert_eq!(
            Variants::group(&subjects(&all_differ)).summary(),
            "2 outputs · all differ"
        );
        assert_eq!(Variants::group(&[]).summary(), "no output yet");
    }

    #[test]
    fn outputs_cut_at_the_limit_at_node_dependent_places_are_one_variant() {
        // the same report from 60 nodes whose host names differ in length, cut at 2,000
        // characters as the API cuts it: the cut falls in different lines
        let report = |i: usize, pkg: &str| {
            let host = format!("ip-10-{}-{}-{}.ec2.internal", i % 16, i * 7 % 251, i % 253);
            let mut s = String::new();
            for k in 0..200 {
                s.push_str(&format!("{host} line {k} {pkg}\n"));
            }
            let mut cut = 2_000;
            while !s.is_char_boundary(cut) {
                cut -= 1;
            }
            s.truncate(cut);
            (s, host)
        };
        let data: Vec<(String, String)> = (0..60)
            .map(|i| {
                report(
                    i,
                    if i % 20 == 0 {
                        "openssl-3.0.8-13"
                    } else {
                        "openssl-3.0.8-14"
                    },
                )
            })
            .collect();
        let owns: Vec<[&str; 1]> = data.iter().map(|(_, h)| [h.as_str()]).collect();
        let subjects: Vec<Subject> = data
            .iter()
            .zip(&owns)
            .map(|((t, _), own)| Subject {
                text: t,
                own,
                truncated: true,
            })
            .collect();
        let v = Variants::group(&subjects);
        assert_eq!(
            v.summary(),
            "57 identical · 1 variant",
            "{:#?}",
            v.variants.len()
        );
        assert_eq!(v.variants[1].members, vec![0, 20, 40]);
        // without the truncation flag every cut is its own variant: the noise this removes
        let untruncated: Vec<Subject> = subjects
            .iter()
            .map(|s| Subject::new(s.text, s.own))
            .collect();
        assert!(Variants::group(&untruncated).variants.len() > 2);
        // a complete output and the same output cut short group together
        let full = "a\nb\nc\n";
        let cut = "a\nb\nc";
        let v = Variants::group(&[
            Subject::new(full, &[]),
            Subject {
                text: cut,
                own: &[],
                truncated: true,
            },
        ]);
        assert_eq!(v.summary(), "2 identical");
    }

    #[test]
    fn own_names_and_patterns_are_normalised_but_real_differences_stay() {
        let a = normalize(
            "web-dc1-03.corp.example.com up 3 days",
            &["web-dc1-03.corp.example.com"],
        );
        let b = normalize(
            "web-dc2-07.corp.example.com up 3 days",
            &["web-dc2-07.corp.example.com"],
        );
        assert_eq!(a, b);
        assert_eq!(normalize("EC2AMAZ-AB12CD3 ok", &[]), "<host> ok");
        // versions are not IPs, and a package release differs
        assert_eq!(
            normalize("openssl-3.0.8-1.amzn2023.0.14.x86_64", &[]),
            "openssl-3.0.8-1.amzn2023.0.14.x86_64"
        );
        assert_ne!(
            normalize("openssl-3.0.8-1.amzn2023.0.14", &[]),
            normalize("openssl-3.0.8-1.amzn2023.0.13", &[])
        );
        assert_eq!(normalize("1.2.3.4.5", &[]), "1.2.3.4.5");
        assert_eq!(
            normalize(
                "node i-0123456789abcdef0 at 10:11:12 took 5s, pi-12345678x",
                &[]
            ),
            "node <instance> at <time> took 5s, pi-12345678x"
        );
        assert_eq!(normalize("version 2026-01-02", &[]), "version <time>");
        assert_eq!(normalize("at 10.0.1.5:80", &[]), "at <ip>:80");
        // words containing the patterns are left alone; non-ASCII survives
        assert_eq!(normalize("xi-0123abcd café", &[]), "xi-0123abcd café");
        assert_eq!(normalize("mi-0123456789abcdef0", &[]), "<instance>");
        assert_eq!(
            normalize(
                "/var/lib/amazon/ssm/i-0123456789abcdef0/document/orchestration/3f2504e0-4f89-11d3-9a0c-0305e82c3301/_script.sh",
                &[]
            ),
            "/var/lib/amazon/ssm/<instance>/document/orchestration/<uuid>/_script.sh"
        );
    }

    #[test]
    fn diff_against_the_majority_folds_identical_runs() {
        let majority: String = (1..=20).map(|i| format!("line {i}\n")).collect();
        let variant = majority.replace("line 10\n", "line ten\n");
        let d = diff(&majority, &variant, 2);
        assert_eq!(d.first(), Some(&DiffLine::Skipped(7)));
        assert!(d.contains(&DiffLine::Removed("line 10".into())));
        assert!(d.contains(&DiffLine::Added("line ten".into())));
        assert_eq!(d.last(), Some(&DiffLine::Skipped(8)));
        assert!(
            diff(&majority, &majority, 2)
                .iter()
                .all(|l| matches!(l, DiffLine::Skipped(_)))
        );
    }
}
