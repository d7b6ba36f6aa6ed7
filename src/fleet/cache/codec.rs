//! The binary record encoding of the snapshot cache's bulk (nodes and certificates).
//!
//! JSON of 50,000 nodes takes ~300 ms to parse; this takes a fraction of that, so the
//! console paints its first frame from the cache at once. Plain little-endian fields in a
//! fixed order per record; a string is its `u32` length in the record and its UTF-8 bytes in
//! the block's text section (one UTF-8 check per block, not one per string); timestamps are
//! seconds + nanoseconds. Decoding never panics: a short or malformed buffer is an error
//! (the cache is then ignored).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use chrono::{DateTime, Utc};

use crate::model::{
    Certificate, Compliance, Node, PatchOperation, PingStatus, PlatformType, RebootOption,
    SharedStr,
};

/// Why a cache could not be decoded.
#[derive(Debug, PartialEq, Eq)]
pub struct Bad(pub &'static str);

impl std::fmt::Display for Bad {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

/// Records go to `buf`; the bytes of their strings to `text` (see [`Writer::str`]).
#[derive(Default)]
pub struct Writer {
    pub buf: Vec<u8>,
    pub text: Vec<u8>,
}

impl Writer {
    pub fn u8(&mut self, v: u8) {
        self.buf.push(v);
    }
    pub fn bool(&mut self, v: bool) {
        self.u8(u8::from(v));
    }
    pub fn u32(&mut self, v: u32) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    pub fn i64(&mut self, v: i64) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    pub fn bytes(&mut self, b: &[u8]) {
        self.u32(b.len() as u32);
        self.buf.extend_from_slice(b);
    }
    /// The length here, the bytes in the text section.
    pub fn str(&mut self, s: &str) {
        self.u32(s.len() as u32);
        self.text.extend_from_slice(s.as_bytes());
    }
    /// Append a block: its record count, its records and its text, each length-prefixed.
    pub fn block(&mut self, count: usize, block: &Writer) {
        self.u32(count as u32);
        self.bytes(&block.buf);
        self.bytes(&block.text);
    }
    pub fn opt_str(&mut self, s: Option<&str>) {
        match s {
            None => self.u8(0),
            Some(s) => {
                self.u8(1);
                self.str(s);
            }
        }
    }
    pub fn strs(&mut self, v: &[String]) {
        self.u32(v.len() as u32);
        for s in v {
            self.str(s);
        }
    }
    pub fn time(&mut self, t: Option<DateTime<Utc>>) {
        match t {
            None => self.u8(0),
            Some(t) => {
                self.u8(1);
                self.i64(t.timestamp());
                self.u32(t.timestamp_subsec_nanos());
            }
        }
    }
    pub fn opt_i64(&mut self, v: Option<i64>) {
        match v {
            None => self.u8(0),
            Some(v) => {
                self.u8(1);
                self.i64(v);
            }
        }
    }
}

#[derive(Clone)]
pub struct Reader<'a> {
    b: &'a [u8],
    /// What is left of the block's text section.
    text: &'a str,
    /// Values of repeating fields seen in this block, handed out shared.
    interned: Interned<'a>,
}

type Interned<'a> = HashMap<&'a str, SharedStr, BuildHasherDefault<Fnv>>;

/// FNV-1a: the interned strings are short, where it beats SipHash several times over (and
/// the cache is our own file, so hash flooding is not a concern).
#[derive(Default)]
struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for b in bytes {
            h = (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

impl<'a> Reader<'a> {
    pub fn new(b: &'a [u8]) -> Self {
        Reader {
            b,
            text: "",
            interned: Interned::default(),
        }
    }
    /// Read a block written by [`Writer::block`]: its count (each record at least
    /// `min_size` bytes) and a reader over its records and text.
    pub fn block(&mut self, min_size: usize) -> Result<(usize, Reader<'a>), Bad> {
        let n = self.u32()? as usize;
        let records = self.bytes()?;
        let text = std::str::from_utf8(self.bytes()?).map_err(|_| Bad("bad UTF-8"))?;
        if n.saturating_mul(min_size.max(1)) > records.len() {
            return Err(Bad("count larger than the data"));
        }
        Ok((
            n,
            Reader {
                b: records,
                text,
                interned: Interned::default(),
            },
        ))
    }
    /// Records and text both used up.
    pub fn is_done(&self) -> bool {
        self.b.is_empty() && self.text.is_empty()
    }
    pub fn is_empty(&self) -> bool {
        self.b.is_empty()
    }
    pub fn take_exact(&mut self, n: usize) -> Result<&'a [u8], Bad> {
        if self.b.len() < n {
            return Err(Bad("truncated"));
        }
        let (head, rest) = self.b.split_at(n);
        self.b = rest;
        Ok(head)
    }
    pub fn u8(&mut self) -> Result<u8, Bad> {
        Ok(self.take_exact(1)?[0])
    }
    pub fn bool(&mut self) -> Result<bool, Bad> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(Bad("bad boolean")),
        }
    }
    pub fn u32(&mut self) -> Result<u32, Bad> {
        Ok(u32::from_le_bytes(
            self.take_exact(4)?.try_into().expect("4 bytes"),
        ))
    }
    pub fn i64(&mut self) -> Result<i64, Bad> {
        Ok(i64::from_le_bytes(
            self.take_exact(8)?.try_into().expect("8 bytes"),
        ))
    }
    pub fn bytes(&mut self) -> Result<&'a [u8], Bad> {
        let n = self.u32()? as usize;
        self.take_exact(n)
    }
    fn text_str(&mut self) -> Result<&'a str, Bad> {
        let n = self.u32()? as usize;
        // `get` fails past the end and off a character boundary
        let s = self.text.get(..n).ok_or(Bad("bad string"))?;
        self.text = &self.text[n..];
        Ok(s)
    }
    pub fn str(&mut self) -> Result<String, Bad> {
        Ok(self.text_str()?.to_owned())
    }
    /// A string of a field that repeats across records: one allocation per distinct value
    /// in the block.
    pub fn shared(&mut self) -> Result<SharedStr, Bad> {
        let s = self.text_str()?;
        Ok(self
            .interned
            .entry(s)
            .or_insert_with(|| SharedStr::from(s))
            .clone())
    }
    pub fn opt_shared(&mut self) -> Result<Option<SharedStr>, Bad> {
        Ok(if self.bool()? {
            Some(self.shared()?)
        } else {
            None
        })
    }
    pub fn opt_str(&mut self) -> Result<Option<String>, Bad> {
        Ok(if self.bool()? {
            Some(self.str()?)
        } else {
            None
        })
    }
    /// A count of items each at least `min_size` bytes long, checked against what is left
    /// (a corrupt count must not allocate gigabytes).
    pub fn count(&mut self, min_size: usize) -> Result<usize, Bad> {
        let n = self.u32()? as usize;
        if n.saturating_mul(min_size.max(1)) > self.b.len() {
            return Err(Bad("count larger than the data"));
        }
        Ok(n)
    }
    pub fn strs(&mut self) -> Result<Vec<String>, Bad> {
        let n = self.count(4)?;
        (0..n).map(|_| self.str()).collect()
    }
    pub fn time(&mut self) -> Result<Option<DateTime<Utc>>, Bad> {
        if !self.bool()? {
            return Ok(None);
        }
        let secs = self.i64()?;
        let nanos = self.u32()?;
        DateTime::from_timestamp(secs, nanos)
            .map(Some)
            .ok_or(Bad("bad timestamp"))
    }
    pub fn opt_i64(&mut self) -> Result<Option<i64>, Bad> {
        Ok(if self.bool()? {
            Some(self.i64()?)
        } else {
            None
        })
    }
}

fn ping_code(p: PingStatus) -> u8 {
    match p {
        PingStatus::Online => 0,
        PingStatus::ConnectionLost => 1,
        PingStatus::Inactive => 2,
        PingStatus::Unknown => 3,
    }
}

fn ping_from(c: u8) -> Result<PingStatus, Bad> {
    Ok(match c {
        0 => PingStatus::Online,
        1 => PingStatus::ConnectionLost,
        2 => PingStatus::Inactive,
        3 => PingStatus::Unknown,
        _ => return Err(Bad("bad ping status")),
    })
}

fn platform_code(p: PlatformType) -> u8 {
    match p {
        PlatformType::Linux => 0,
        PlatformType::Windows => 1,
        PlatformType::MacOS => 2,
        PlatformType::Unknown => 3,
    }
}

fn platform_from(c: u8) -> Result<PlatformType, Bad> {
    Ok(match c {
        0 => PlatformType::Linux,
        1 => PlatformType::Windows,
        2 => PlatformType::MacOS,
        3 => PlatformType::Unknown,
        _ => return Err(Bad("bad platform type")),
    })
}

fn compliance_code(c: Compliance) -> u8 {
    match c {
        Compliance::Compliant => 0,
        Compliance::NonCompliant => 1,
        Compliance::Unreported => 2,
    }
}

fn compliance_from(c: u8) -> Result<Compliance, Bad> {
    Ok(match c {
        0 => Compliance::Compliant,
        1 => Compliance::NonCompliant,
        2 => Compliance::Unreported,
        _ => return Err(Bad("bad compliance")),
    })
}

fn operation_code(o: Option<PatchOperation>) -> u8 {
    match o {
        None => 0,
        Some(PatchOperation::Scan) => 1,
        Some(PatchOperation::Install) => 2,
    }
}

fn operation_from(c: u8) -> Result<Option<PatchOperation>, Bad> {
    Ok(match c {
        0 => None,
        1 => Some(PatchOperation::Scan),
        2 => Some(PatchOperation::Install),
        _ => return Err(Bad("bad patch operation")),
    })
}

fn reboot_code(o: Option<RebootOption>) -> u8 {
    match o {
        None => 0,
        Some(RebootOption::RebootIfNeeded) => 1,
        Some(RebootOption::NoReboot) => 2,
    }
}

fn reboot_from(c: u8) -> Result<Option<RebootOption>, Bad> {
    Ok(match c {
        0 => None,
        1 => Some(RebootOption::RebootIfNeeded),
        2 => Some(RebootOption::NoReboot),
        _ => return Err(Bad("bad reboot option")),
    })
}

/// Smallest encoded node (for count checks).
pub const MIN_NODE: usize = 64;
/// Smallest encoded certificate.
pub const MIN_CERT: usize = 40;

pub fn put_node(w: &mut Writer, n: &Node) {
    w.str(&n.instance_id);
    w.str(&n.account_id);
    w.str(&n.region);
    w.str(&n.name);
    w.str(&n.computer_name);
    w.str(&n.ip_address);
    w.str(&n.resource_type);
    w.u8(platform_code(n.platform_type));
    w.str(&n.platform_name);
    w.str(&n.platform_version);
    w.str(&n.agent_version);
    w.bool(n.agent_outdated);
    w.u8(ping_code(n.ping_status));
    w.time(n.last_ping);
    w.time(n.registration_date);
    w.opt_str(n.iam_role.as_deref());
    w.opt_str(n.patch_group.as_deref());
    w.opt_str(n.baseline_id.as_deref());
    w.u8(compliance_code(n.compliance));
    for v in [
        n.installed,
        n.installed_other,
        n.installed_pending_reboot,
        n.installed_rejected,
        n.missing,
        n.failed,
        n.not_applicable,
        n.critical_noncompliant,
        n.security_noncompliant,
        n.other_noncompliant,
    ] {
        w.u32(v);
    }
    w.u8(operation_code(n.last_operation));
    w.time(n.last_operation_start);
    w.time(n.last_operation_end);
    w.u8(reboot_code(n.reboot_option));
}

pub fn get_node(r: &mut Reader<'_>) -> Result<Node, Bad> {
    Ok(Node {
        instance_id: r.str()?,
        account_id: r.str()?,
        region: r.str()?,
        name: r.str()?,
        computer_name: r.str()?,
        ip_address: r.str()?,
        resource_type: r.shared()?,
        platform_type: platform_from(r.u8()?)?,
        platform_name: r.shared()?,
        platform_version: r.shared()?,
        agent_version: r.shared()?,
        agent_outdated: r.bool()?,
        ping_status: ping_from(r.u8()?)?,
        last_ping: r.time()?,
        registration_date: r.time()?,
        iam_role: r.opt_shared()?,
        patch_group: r.opt_shared()?,
        baseline_id: r.opt_shared()?,
        compliance: compliance_from(r.u8()?)?,
        installed: r.u32()?,
        installed_other: r.u32()?,
        installed_pending_reboot: r.u32()?,
        installed_rejected: r.u32()?,
        missing: r.u32()?,
        failed: r.u32()?,
        not_applicable: r.u32()?,
        critical_noncompliant: r.u32()?,
        security_noncompliant: r.u32()?,
        other_noncompliant: r.u32()?,
        last_operation: operation_from(r.u8()?)?,
        last_operation_start: r.time()?,
        last_operation_end: r.time()?,
        reboot_option: reboot_from(r.u8()?)?,
    })
}

pub fn put_cert(w: &mut Writer, c: &Certificate) {
    w.str(&c.arn);
    w.str(&c.account_id);
    w.str(&c.region);
    w.str(&c.domain_name);
    w.strs(&c.subject_alternative_names);
    w.str(&c.cert_type);
    w.str(&c.status);
    w.str(&c.key_algorithm);
    w.time(c.not_before);
    w.time(c.not_after);
    w.opt_i64(c.days_left);
    w.bool(c.in_use);
    w.strs(&c.in_use_by);
    w.opt_str(c.renewal_eligibility.as_deref());
    w.opt_str(c.renewal_status.as_deref());
    w.opt_str(c.failure_reason.as_deref());
}

pub fn get_cert(r: &mut Reader<'_>) -> Result<Certificate, Bad> {
    Ok(Certificate {
        arn: r.str()?,
        account_id: r.str()?,
        region: r.str()?,
        domain_name: r.str()?,
        subject_alternative_names: r.strs()?,
        cert_type: r.str()?,
        status: r.str()?,
        key_algorithm: r.str()?,
        not_before: r.time()?,
        not_after: r.time()?,
        days_left: r.opt_i64()?,
        in_use: r.bool()?,
        in_use_by: r.strs()?,
        renewal_eligibility: r.opt_str()?,
        renewal_status: r.opt_str()?,
        failure_reason: r.opt_str()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block_with(s: &str) -> Vec<u8> {
        let mut b = Writer::default();
        b.str(s);
        b.u32(7);
        let mut w = Writer::default();
        w.block(1, &b);
        w.buf
    }

    #[test]
    fn strings_come_back_from_the_text_section() {
        let bytes = block_with("héllo ☃");
        let (n, mut r) = Reader::new(&bytes).block(1).unwrap();
        assert_eq!(n, 1);
        assert_eq!(r.str().unwrap(), "héllo ☃");
        assert_eq!(r.u32().unwrap(), 7);
        assert!(r.is_done());
    }

    #[test]
    fn a_corrupt_string_length_is_an_error_not_a_panic() {
        let good = block_with("héllo");
        // records start after the count and the records' length: 8 bytes in
        for len in [2u32, 99, u32::MAX] {
            let mut bad = good.clone();
            bad[8..12].copy_from_slice(&len.to_le_bytes());
            let (_, mut r) = Reader::new(&bad).block(1).unwrap();
            // 2 cuts `é` in half; the others run past the text
            assert_eq!(r.str().unwrap_err(), Bad("bad string"), "length {len}");
        }
        // text that is not UTF-8 is rejected when the block is opened
        let mut bad = good;
        let last = bad.len() - 1;
        bad[last] = 0xff;
        assert_eq!(Reader::new(&bad).block(1).err(), Some(Bad("bad UTF-8")));
    }
}
