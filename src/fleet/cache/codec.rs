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
    Certificate, Compliance, Node, PatchOperation, PingStatus, PlatformType, RawValue,
    RebootOption, SharedStr,
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

/// The code of an enum value AWS sent that this build does not know; its text follows
/// in the text section.
const OTHER: u8 = 255;

/// Write an enum's code, or [`OTHER`] and the value as it came.
fn put_code(w: &mut Writer, code: Option<u8>, raw: &str) {
    match code {
        Some(c) => w.u8(c),
        None => {
            w.u8(OTHER);
            w.str(raw);
        }
    }
}

/// Read a code written by [`put_code`]: `Ok(Err(raw))` for an unknown value.
fn get_code<'a>(r: &mut Reader<'a>) -> Result<Result<u8, RawValue>, Bad> {
    match r.u8()? {
        OTHER => Ok(Err(RawValue::new(r.text_str()?))),
        c => Ok(Ok(c)),
    }
}

fn put_ping(w: &mut Writer, p: PingStatus) {
    let code = match p {
        PingStatus::Online => Some(0),
        PingStatus::ConnectionLost => Some(1),
        PingStatus::Inactive => Some(2),
        PingStatus::Unknown => Some(3),
        PingStatus::Other(_) => None,
    };
    put_code(w, code, p.as_str());
}

fn get_ping(r: &mut Reader<'_>) -> Result<PingStatus, Bad> {
    Ok(match get_code(r)? {
        Ok(0) => PingStatus::Online,
        Ok(1) => PingStatus::ConnectionLost,
        Ok(2) => PingStatus::Inactive,
        Ok(3) => PingStatus::Unknown,
        Err(raw) => PingStatus::Other(raw),
        Ok(_) => return Err(Bad("bad ping status")),
    })
}

fn put_platform(w: &mut Writer, p: PlatformType) {
    let code = match p {
        PlatformType::Linux => Some(0),
        PlatformType::Windows => Some(1),
        PlatformType::MacOS => Some(2),
        PlatformType::Unknown => Some(3),
        PlatformType::Other(_) => None,
    };
    put_code(w, code, p.as_str());
}

fn get_platform(r: &mut Reader<'_>) -> Result<PlatformType, Bad> {
    Ok(match get_code(r)? {
        Ok(0) => PlatformType::Linux,
        Ok(1) => PlatformType::Windows,
        Ok(2) => PlatformType::MacOS,
        Ok(3) => PlatformType::Unknown,
        Err(raw) => PlatformType::Other(raw),
        Ok(_) => return Err(Bad("bad platform type")),
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

fn put_operation(w: &mut Writer, o: Option<PatchOperation>) {
    let code = match o {
        None => Some(0),
        Some(PatchOperation::Scan) => Some(1),
        Some(PatchOperation::Install) => Some(2),
        Some(PatchOperation::Other(_)) => None,
    };
    put_code(w, code, o.map_or("", PatchOperation::as_str));
}

fn get_operation(r: &mut Reader<'_>) -> Result<Option<PatchOperation>, Bad> {
    Ok(match get_code(r)? {
        Ok(0) => None,
        Ok(1) => Some(PatchOperation::Scan),
        Ok(2) => Some(PatchOperation::Install),
        Err(raw) => Some(PatchOperation::Other(raw)),
        Ok(_) => return Err(Bad("bad patch operation")),
    })
}

fn put_reboot(w: &mut Writer, o: Option<RebootOption>) {
    let code = match o {
        None => Some(0),
        Some(RebootOption::RebootIfNeeded) => Some(1),
        Some(RebootOption::NoReboot) => Some(2),
        Some(RebootOption::Other(_)) => None,
    };
    put_code(w, code, o.map_or("", RebootOption::as_str));
}

fn get_reboot(r: &mut Reader<'_>) -> Result<Option<RebootOption>, Bad> {
    Ok(match get_code(r)? {
        Ok(0) => None,
        Ok(1) => Some(RebootOption::RebootIfNeeded),
        Ok(2) => Some(RebootOption::NoReboot),
        Err(raw) => Some(RebootOption::Other(raw)),
        Ok(_) => return Err(Bad("bad reboot option")),
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
    put_platform(w, n.platform_type);
    w.str(&n.platform_name);
    w.str(&n.platform_version);
    w.str(&n.agent_version);
    w.bool(n.agent_outdated);
    put_ping(w, n.ping_status);
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
    put_operation(w, n.last_operation);
    w.time(n.last_operation_start);
    w.time(n.last_operation_end);
    put_reboot(w, n.reboot_option);
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
        platform_type: get_platform(r)?,
        platform_name: r.shared()?,
        platform_version: r.shared()?,
        agent_version: r.shared()?,
        agent_outdated: r.bool()?,
        ping_status: get_ping(r)?,
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
        last_operation: get_operation(r)?,
        last_operation_start: r.time()?,
        last_operation_end: r.time()?,
        reboot_option: get_reboot(r)?,
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

    #[test]
    fn unknown_enum_values_survive_the_cache_verbatim() {
        let n = Node {
            instance_id: "i-0123456789abcdef0".into(),
            ping_status: PingStatus::from_wire("Hibernating"),
            platform_type: PlatformType::from_wire("FreeBSD"),
            last_operation: Some(PatchOperation::from_wire("Audit")),
            reboot_option: Some(RebootOption::from_wire("RebootAlways")),
            ..Node::default()
        };
        let known = Node {
            ping_status: PingStatus::Online,
            platform_type: PlatformType::Linux,
            last_operation: Some(PatchOperation::Install),
            reboot_option: Some(RebootOption::NoReboot),
            ..n.clone()
        };
        let mut b = Writer::default();
        put_node(&mut b, &n);
        put_node(&mut b, &known);
        let mut w = Writer::default();
        w.block(2, &b);
        let (count, mut r) = Reader::new(&w.buf).block(MIN_NODE).unwrap();
        assert_eq!(count, 2);
        let back = get_node(&mut r).unwrap();
        assert_eq!(back, n);
        assert_eq!(back.ping_status.as_str(), "Hibernating");
        assert_eq!(back.platform_type.as_str(), "FreeBSD");
        assert_eq!(back.last_operation.unwrap().as_str(), "Audit");
        assert_eq!(get_node(&mut r).unwrap(), known);
        assert!(r.is_done());
    }
}
