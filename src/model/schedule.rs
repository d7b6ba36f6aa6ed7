//! Maintenance-window and association schedules as AWS writes them: `cron(...)`, `rate(...)`
//! and `at(...)`, evaluated in a time zone with a schedule offset, and described in words.
//!
//! Written from the Systems Manager user guide, "Reference: Cron and rate expressions for
//! Systems Manager" (`reference-cron-and-rate-expressions`) and "Maintenance window scheduling
//! and active period options" (`maintenance-windows-schedule-options`):
//! - maintenance-window cron has six required fields `Minutes Hours Day-of-month Month
//!   Day-of-week Year`; associations have five (no year); an optional seventh *Seconds* field
//!   comes first (`cron(0 0 2 ? 1/1 THU#3 *)`);
//! - one of day-of-month and day-of-week must be `?`; day-of-week is `1-7` or `SUN-SAT`
//!   (1 = Sunday); day-of-month takes `L` and `W`, day-of-week `L` and `#`;
//! - `rate(N minutes|hours|days)`; `at(yyyy-mm-ddThh:mm:ss)` runs once;
//! - a schedule offset (1..6 days, cron only) runs each occurrence that many days later;
//! - the schedule is evaluated in the window's IANA `ScheduleTimezone` (UTC when unset).
//!
//! A schedule that does not parse is kept verbatim ([`Schedule::Unparsed`]) and never guessed.

use chrono::{
    DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc,
    Weekday,
};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// A parsed schedule expression.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Schedule {
    Cron(Cron),
    /// Every `every` (a whole number of minutes, hours or days).
    Rate {
        value: u32,
        unit: RateUnit,
    },
    /// Once, at this local date-time (in the schedule's time zone).
    At(NaiveDateTime),
    /// Not understood: shown verbatim with a marker.
    Unparsed(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RateUnit {
    Minutes,
    Hours,
    Days,
}

impl RateUnit {
    pub fn seconds(self) -> i64 {
        match self {
            RateUnit::Minutes => 60,
            RateUnit::Hours => 3600,
            RateUnit::Days => 86_400,
        }
    }
}

/// Day-of-month field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DayOfMonth {
    /// `?`
    Any,
    /// Days 1..=31 (from `*`, lists, ranges, steps).
    Days(Vec<u32>),
    /// `L`
    Last,
    /// `LW`
    LastWeekday,
    /// `15W`: the weekday nearest the 15th, within the month.
    NearestWeekday(u32),
}

/// Day-of-week field (days as 1 = Sunday .. 7 = Saturday, as AWS numbers them).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DayOfWeek {
    /// `?`
    Any,
    Days(Vec<u32>),
    /// `6L`: the last Friday of the month.
    Last(u32),
    /// `THU#3`: the third Thursday of the month.
    Nth(u32, u32),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cron {
    pub minutes: Vec<u32>,
    pub hours: Vec<u32>,
    pub dom: DayOfMonth,
    pub months: Vec<u32>,
    pub dow: DayOfWeek,
    /// `None` = every year.
    pub years: Option<Vec<i32>>,
}

const DAY_NAMES: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
const MONTH_NAMES: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];

impl Schedule {
    /// Parse a schedule as AWS writes it. Never fails: what is not understood is kept verbatim.
    pub fn parse(text: &str) -> Schedule {
        let t = text.trim();
        let inner = |prefix: &str| {
            t.strip_prefix(prefix)
                .and_then(|r| r.strip_suffix(')'))
                .map(str::trim)
        };
        let parsed = if let Some(body) = inner("cron(") {
            parse_cron(body).map(Schedule::Cron)
        } else if let Some(body) = inner("rate(") {
            parse_rate(body)
        } else if let Some(body) = inner("at(") {
            NaiveDateTime::parse_from_str(body, "%Y-%m-%dT%H:%M:%S")
                .ok()
                .map(Schedule::At)
        } else {
            None
        };
        parsed.unwrap_or_else(|| Schedule::Unparsed(t.to_string()))
    }

    pub fn is_parsed(&self) -> bool {
        !matches!(self, Schedule::Unparsed(_))
    }
}

fn parse_rate(body: &str) -> Option<Schedule> {
    let mut it = body.split_whitespace();
    let value: u32 = it.next()?.parse().ok()?;
    let unit = match it.next()? {
        "minute" | "minutes" => RateUnit::Minutes,
        "hour" | "hours" => RateUnit::Hours,
        "day" | "days" => RateUnit::Days,
        _ => return None,
    };
    if it.next().is_some() || value == 0 {
        return None;
    }
    Some(Schedule::Rate { value, unit })
}

fn parse_cron(body: &str) -> Option<Cron> {
    let fields: Vec<&str> = body.split_whitespace().collect();
    // 5 = association form (no year), 6 = maintenance-window form, 7 = seconds first.
    let f: &[&str] = match fields.len() {
        5 | 6 => &fields,
        7 => {
            // Seconds: only a single second value makes sense to a scheduler that runs once
            // per minute at most; anything else is not guessed.
            fields[0].parse::<u32>().ok().filter(|s| *s < 60)?;
            &fields[1..]
        }
        _ => return None,
    };
    let minutes = values(f[0], 0, 59, &[])?;
    let hours = values(f[1], 0, 23, &[])?;
    let months = values(f[3], 1, 12, &MONTH_NAMES)?;
    let dom = parse_dom(f[2])?;
    let dow = parse_dow(f[4])?;
    // One of the two day fields must be `?` (AWS rejects `*` in both, and a value in both).
    let dom_any = dom == DayOfMonth::Any;
    let dow_any = dow == DayOfWeek::Any;
    if dom_any == dow_any {
        return None;
    }
    let years = match f.get(5) {
        None | Some(&"*") => None,
        Some(y) => Some(
            values(y, 1970, 2199, &[])?
                .into_iter()
                .map(|v| v as i32)
                .collect(),
        ),
    };
    Some(Cron {
        minutes,
        hours,
        dom,
        months,
        dow,
        years,
    })
}

fn parse_dom(s: &str) -> Option<DayOfMonth> {
    Some(match s {
        "?" => DayOfMonth::Any,
        "L" => DayOfMonth::Last,
        "LW" => DayOfMonth::LastWeekday,
        _ => {
            if let Some(d) = s.strip_suffix('W') {
                let d: u32 = d.parse().ok()?;
                if !(1..=31).contains(&d) {
                    return None;
                }
                DayOfMonth::NearestWeekday(d)
            } else {
                DayOfMonth::Days(values(s, 1, 31, &[])?)
            }
        }
    })
}

fn parse_dow(s: &str) -> Option<DayOfWeek> {
    if s == "?" {
        return Some(DayOfWeek::Any);
    }
    if s == "L" {
        // `L` alone in day-of-week is the last day of the week: Saturday.
        return Some(DayOfWeek::Days(vec![7]));
    }
    if let Some((d, n)) = s.split_once('#') {
        let d = one_value(d, 1, 7, &DAY_NAMES)?;
        let n: u32 = n.parse().ok()?;
        return (1..=5).contains(&n).then_some(DayOfWeek::Nth(d, n));
    }
    if let Some(d) = s.strip_suffix('L') {
        return Some(DayOfWeek::Last(one_value(d, 1, 7, &DAY_NAMES)?));
    }
    Some(DayOfWeek::Days(values(s, 1, 7, &DAY_NAMES)?))
}

/// One number or name (names are 1-based: `SUN` = 1, `JAN` = 1).
fn one_value(s: &str, lo: u32, hi: u32, names: &[&str]) -> Option<u32> {
    let v = if let Some(i) = names.iter().position(|n| n.eq_ignore_ascii_case(s)) {
        i as u32 + 1
    } else {
        s.parse().ok()?
    };
    (lo..=hi).contains(&v).then_some(v)
}

/// A list of `*`, `a`, `a-b`, `a/step`, `a-b/step`, `*/step`, sorted and without duplicates.
fn values(s: &str, lo: u32, hi: u32, names: &[&str]) -> Option<Vec<u32>> {
    let mut out = Vec::new();
    for part in s.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, st)) => (r, st.parse::<u32>().ok().filter(|s| *s > 0)?),
            None => (part, 1),
        };
        let (a, b) = if range == "*" {
            (lo, hi)
        } else if let Some((a, b)) = range.split_once('-') {
            (one_value(a, lo, hi, names)?, one_value(b, lo, hi, names)?)
        } else {
            let a = one_value(range, lo, hi, names)?;
            // `a/step` runs from a to the end of the range.
            (a, if part.contains('/') { hi } else { a })
        };
        if a > b {
            return None;
        }
        out.extend((a..=b).step_by(step as usize));
    }
    out.sort_unstable();
    out.dedup();
    (!out.is_empty()).then_some(out)
}

fn last_day(y: i32, m: u32) -> u32 {
    let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    NaiveDate::from_ymd_opt(ny, nm, 1)
        .and_then(|d| d.pred_opt())
        .map_or(28, |d| d.day())
}

/// AWS numbering: 1 = Sunday .. 7 = Saturday.
fn aws_dow(d: NaiveDate) -> u32 {
    d.weekday().num_days_from_sunday() + 1
}

fn is_weekday(d: NaiveDate) -> bool {
    !matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

/// The weekday nearest `day` that stays within the month (Quartz `W` semantics).
fn nearest_weekday(y: i32, m: u32, day: u32) -> Option<NaiveDate> {
    let day = day.min(last_day(y, m));
    let d = NaiveDate::from_ymd_opt(y, m, day)?;
    Some(match d.weekday() {
        Weekday::Sat if day == 1 => d + Duration::days(2),
        Weekday::Sat => d - Duration::days(1),
        Weekday::Sun if day == last_day(y, m) => d - Duration::days(2),
        Weekday::Sun => d + Duration::days(1),
        _ => d,
    })
}

impl Cron {
    fn day_matches(&self, d: NaiveDate) -> bool {
        let (y, m) = (d.year(), d.month());
        if !self.months.contains(&m) {
            return false;
        }
        if let Some(years) = &self.years
            && !years.contains(&y)
        {
            return false;
        }
        let dom_ok = match &self.dom {
            DayOfMonth::Any => true,
            DayOfMonth::Days(v) => v.contains(&d.day()),
            DayOfMonth::Last => d.day() == last_day(y, m),
            DayOfMonth::LastWeekday => {
                let mut l = NaiveDate::from_ymd_opt(y, m, last_day(y, m));
                while let Some(x) = l
                    && !is_weekday(x)
                {
                    l = x.pred_opt();
                }
                l == Some(d)
            }
            DayOfMonth::NearestWeekday(n) => nearest_weekday(y, m, *n) == Some(d),
        };
        let dow_ok = match &self.dow {
            DayOfWeek::Any => true,
            DayOfWeek::Days(v) => v.contains(&aws_dow(d)),
            DayOfWeek::Last(w) => aws_dow(d) == *w && d.day() + 7 > last_day(y, m),
            DayOfWeek::Nth(w, n) => aws_dow(d) == *w && (d.day() - 1) / 7 + 1 == *n,
        };
        dom_ok && dow_ok
    }

    /// The first occurrence strictly after `after`, evaluated in `tz`. Local times that do
    /// not exist (a daylight-saving gap) are skipped; ambiguous ones take the first instant.
    pub fn next_after(&self, after: DateTime<Utc>, tz: Tz) -> Option<DateTime<Utc>> {
        let start = after.with_timezone(&tz).date_naive();
        // A little over eight years covers every `L`/`#`/leap-day pattern; a year list that
        // ended earlier simply stops matching.
        for i in 0..(366 * 8 + 2) {
            let d = start + Duration::days(i);
            if let Some(years) = &self.years
                && years.iter().all(|y| *y < d.year())
            {
                return None;
            }
            if !self.day_matches(d) {
                continue;
            }
            for &h in &self.hours {
                for &m in &self.minutes {
                    let Some(t) = NaiveTime::from_hms_opt(h, m, 0) else {
                        continue;
                    };
                    let local = d.and_time(t);
                    let at = match tz.from_local_datetime(&local) {
                        LocalResult::Single(x) => x,
                        LocalResult::Ambiguous(a, _) => a,
                        LocalResult::None => continue,
                    };
                    let at = at.with_timezone(&Utc);
                    if at > after {
                        return Some(at);
                    }
                }
            }
        }
        None
    }
}

/// A schedule with everything that decides when it runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScheduleSpec {
    pub schedule: Schedule,
    /// IANA name as written (`Asia/Tokyo`); `None` = UTC.
    pub timezone: Option<String>,
    /// Days after each cron occurrence (1..6, cron only).
    pub offset_days: u32,
    /// The active period (`StartDate`/`EndDate`), when set.
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
}

/// Why a next run cannot be given.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum NoNext {
    /// The expression was not understood (shown verbatim).
    Unparsed,
    /// The time zone is not an IANA name this build knows.
    UnknownTimezone(String),
    /// A rate schedule's phase is set by AWS; without a previous run it is not guessed.
    RateWithoutAnchor,
    /// Nothing after now (an `at()` in the past, a year list that ended, the end date passed).
    Never,
}

impl ScheduleSpec {
    pub fn new(expr: &str, timezone: Option<&str>, offset_days: u32) -> Self {
        ScheduleSpec {
            schedule: Schedule::parse(expr),
            timezone: timezone.filter(|t| !t.is_empty()).map(str::to_string),
            offset_days,
            start: None,
            end: None,
        }
    }

    pub fn tz(&self) -> Result<Tz, NoNext> {
        match &self.timezone {
            None => Ok(Tz::UTC),
            Some(t) => t
                .parse::<Tz>()
                .map_err(|_| NoNext::UnknownTimezone(t.clone())),
        }
    }

    /// The next run strictly after `now`, as AWS computes `NextExecutionTime`.
    /// `last_run` anchors a `rate()` schedule (AWS counts rates from the previous run).
    pub fn next_after(
        &self,
        now: DateTime<Utc>,
        last_run: Option<DateTime<Utc>>,
    ) -> Result<DateTime<Utc>, NoNext> {
        let tz = self.tz()?;
        // Runs before the start date do not happen; look from whichever is later.
        let from = self.start.map_or(now, |s| s.max(now));
        let next = match &self.schedule {
            Schedule::Unparsed(_) => return Err(NoNext::Unparsed),
            Schedule::Cron(c) => {
                // Each occurrence runs `offset` days later: the next run is the first
                // occurrence whose shifted time is after `from`.
                let off = Duration::days(self.offset_days as i64);
                c.next_after(from - off, tz).map(|t| t + off)
            }
            Schedule::Rate { value, unit } => {
                let step = Duration::seconds(*value as i64 * unit.seconds());
                let anchor = last_run.or(self.start).ok_or(NoNext::RateWithoutAnchor)?;
                if anchor > from {
                    Some(anchor)
                } else {
                    let n = (from - anchor).num_seconds() / step.num_seconds() + 1;
                    Some(anchor + step * n as i32)
                }
            }
            Schedule::At(local) => {
                let at = match tz.from_local_datetime(local) {
                    LocalResult::Single(x) | LocalResult::Ambiguous(x, _) => {
                        Some(x.with_timezone(&Utc))
                    }
                    LocalResult::None => None,
                };
                at.filter(|t| *t > from)
            }
        };
        match next {
            Some(t) if self.end.is_none_or(|e| t <= e) => Ok(t),
            _ => Err(NoNext::Never),
        }
    }

    /// The schedule in words: "every Sunday at 03:00 Asia/Tokyo". An unparsed schedule is
    /// given verbatim behind a marker.
    pub fn describe(&self) -> String {
        let tz = self.timezone.as_deref().unwrap_or("UTC");
        let base = match &self.schedule {
            Schedule::Unparsed(s) => return format!("{UNPARSED_MARK} {s}"),
            Schedule::Rate { value, unit } => {
                let u = match unit {
                    RateUnit::Minutes => "minute",
                    RateUnit::Hours => "hour",
                    RateUnit::Days => "day",
                };
                return if *value == 1 {
                    format!("every {u}")
                } else {
                    format!("every {value} {u}s")
                };
            }
            Schedule::At(t) => return format!("once at {} {tz}", t.format("%Y-%m-%d %H:%M")),
            Schedule::Cron(c) => describe_cron(c),
        };
        let off = match self.offset_days {
            0 => String::new(),
            1 => ", 1 day later".to_string(),
            n => format!(", {n} days later"),
        };
        format!("{base} {tz}{off}")
    }
}

/// Put in front of a schedule the client could not parse.
pub const UNPARSED_MARK: &str = "(?)";

fn day_name(d: u32) -> &'static str {
    [
        "Sunday",
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
    ][(d as usize).saturating_sub(1).min(6)]
}

fn ordinal(n: u32) -> &'static str {
    ["first", "second", "third", "fourth", "fifth"][(n as usize).saturating_sub(1).min(4)]
}

/// `[1,2,3,4,5]` → "1-5"; `[0,15,30,45]` → "0,15,30,45".
fn compact(v: &[u32], name: impl Fn(u32) -> String) -> String {
    let contiguous = v.len() > 2 && v.windows(2).all(|w| w[1] == w[0] + 1);
    if contiguous {
        format!("{}–{}", name(v[0]), name(v[v.len() - 1]))
    } else {
        v.iter().map(|x| name(*x)).collect::<Vec<_>>().join(", ")
    }
}

fn describe_cron(c: &Cron) -> String {
    let all_minutes = c.minutes.len() == 60;
    let all_hours = c.hours.len() == 24;
    let time = if c.hours.len() == 1 && c.minutes.len() == 1 {
        format!("at {:02}:{:02}", c.hours[0], c.minutes[0])
    } else if c.minutes.len() > 1 && c.minutes.len() < 60 && is_step(&c.minutes) {
        let every = c.minutes[1] - c.minutes[0];
        let hours = if all_hours {
            String::new()
        } else {
            format!(" during hours {}", compact(&c.hours, |h| format!("{h:02}")))
        };
        format!("every {every} minutes{hours}")
    } else if all_minutes && all_hours {
        "every minute".to_string()
    } else {
        let times: Vec<String> = c
            .hours
            .iter()
            .flat_map(|h| c.minutes.iter().map(move |m| format!("{h:02}:{m:02}")))
            .take(6)
            .collect();
        let more = if c.hours.len() * c.minutes.len() > 6 {
            ", …"
        } else {
            ""
        };
        format!("at {}{more}", times.join(", "))
    };
    let days = match (&c.dom, &c.dow) {
        (_, DayOfWeek::Nth(d, n)) => {
            format!("on the {} {} of", ordinal(*n), day_name(*d))
        }
        (_, DayOfWeek::Last(d)) => format!("on the last {} of", day_name(*d)),
        (DayOfMonth::Any, DayOfWeek::Days(v)) if v.len() == 7 => "every day".to_string(),
        (DayOfMonth::Any, DayOfWeek::Days(v)) if *v == [2, 3, 4, 5, 6] => {
            "every weekday (Monday–Friday)".to_string()
        }
        (DayOfMonth::Any, DayOfWeek::Days(v)) => {
            format!("every {}", compact(v, |d| day_name(d).to_string()))
        }
        (DayOfMonth::Days(v), _) if v.len() == 31 => "every day".to_string(),
        (DayOfMonth::Days(v), _) => format!("on day {} of", compact(v, |d| d.to_string())),
        (DayOfMonth::Last, _) => "on the last day of".to_string(),
        (DayOfMonth::LastWeekday, _) => "on the last weekday of".to_string(),
        (DayOfMonth::NearestWeekday(n), _) => format!("on the weekday nearest day {n} of"),
        (DayOfMonth::Any, DayOfWeek::Any) => "every day".to_string(),
    };
    let months = if c.months.len() == 12 {
        if days.ends_with(" of") {
            " every month".to_string()
        } else {
            String::new()
        }
    } else {
        let m = compact(&c.months, |m| {
            let n = MONTH_NAMES[(m - 1) as usize];
            format!("{}{}", &n[..1], n[1..].to_ascii_lowercase())
        });
        if days.ends_with(" of") {
            format!(" {m}")
        } else {
            format!(" in {m}")
        }
    };
    let years = match &c.years {
        None => String::new(),
        Some(y) => format!(
            " in {}",
            compact(&y.iter().map(|v| *v as u32).collect::<Vec<_>>(), |v| v
                .to_string())
        ),
    };
    if days == "every day" && months.is_empty() && years.is_empty() && time.starts_with("every") {
        return time;
    }
    format!("{days}{months}{years} {time}")
}

fn is_step(v: &[u32]) -> bool {
    v.len() > 1 && {
        let d = v[1] - v[0];
        d > 0 && v.windows(2).all(|w| w[1] - w[0] == d) && v[0] < d
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn next(expr: &str, tz: Option<&str>, off: u32, now: &str) -> String {
        ScheduleSpec::new(expr, tz, off)
            .next_after(utc(now), None)
            .unwrap()
            .to_rfc3339()
    }

    // The examples of the user guide's "Reference: Cron and rate expressions for Systems
    // Manager" table ("Minutes Hours Day of month Month Day of week Year — Meaning").
    #[test]
    fn user_guide_cron_examples_run_when_the_guide_says() {
        let now = "2026-11-25T12:00:00Z"; // a Wednesday
        // "0 10 * * ? *" — Run at 10:00 am (UTC) every day
        assert_eq!(
            next("cron(0 10 * * ? *)", None, 0, now),
            "2026-11-26T10:00:00+00:00"
        );
        // "15 12 * * ? *" — Run at 12:15 PM (UTC) every day
        assert_eq!(
            next("cron(15 12 * * ? *)", None, 0, now),
            "2026-11-25T12:15:00+00:00"
        );
        // "0 18 ? * MON-FRI *" — Run at 6:00 PM (UTC) every Monday through Friday
        assert_eq!(
            next("cron(0 18 ? * MON-FRI *)", None, 0, "2026-11-27T19:00:00Z"),
            "2026-11-30T18:00:00+00:00"
        );
        // "0 8 1 * ? *" — Run at 8:00 AM (UTC) every 1st day of the month
        assert_eq!(
            next("cron(0 8 1 * ? *)", None, 0, now),
            "2026-12-01T08:00:00+00:00"
        );
        // "0/15 * * * ? *" — Run every 15 minutes
        assert_eq!(
            next("cron(0/15 * * * ? *)", None, 0, "2026-11-25T12:01:00Z"),
            "2026-11-25T12:15:00+00:00"
        );
        // "0/10 * ? * MON-FRI *" — every 10 minutes Monday through Friday
        assert_eq!(
            next(
                "cron(0/10 * ? * MON-FRI *)",
                None,
                0,
                "2026-11-28T12:00:00Z"
            ),
            "2026-11-30T00:00:00+00:00"
        );
        // "0/5 8-17 ? * MON-FRI *" — every 5 minutes Mon-Fri between 8:00 AM and 5:55 PM
        assert_eq!(
            next(
                "cron(0/5 8-17 ? * MON-FRI *)",
                None,
                0,
                "2026-11-25T17:56:00Z"
            ),
            "2026-11-26T08:00:00+00:00"
        );
        // "0 0 2 ? 1/1 THU#3 *" (seconds first) — 02:00 AM the third Thursday of every month
        assert_eq!(
            next("cron(0 0 2 ? 1/1 THU#3 *)", None, 0, now),
            "2026-12-17T02:00:00+00:00"
        );
        // "0 0 2 L * ?" … 02:00 AM on the last day of every month (five-field form)
        assert_eq!(
            next("cron(0 2 L * ?)", None, 0, now),
            "2026-11-30T02:00:00+00:00"
        );
        // "0 15 10 ? * 6L" — 10:15 AM on the last Friday of every month
        assert_eq!(
            next("cron(15 10 ? * 6L *)", None, 0, now),
            "2026-11-27T10:15:00+00:00"
        );
        // "0 0 0 21 1/1 ? *" — midnight on the 21st of each month
        assert_eq!(
            next("cron(0 0 0 21 1/1 ? *)", None, 0, now),
            "2026-12-21T00:00:00+00:00"
        );
    }

    // "cron(30 23 ? * TUE#3 *)" with --schedule-offset 2: "the third Tuesday of every month
    // at 11:30 PM … won't run until 11:30 PM two days later" (same page, Schedule offsets).
    #[test]
    fn schedule_offset_runs_days_after_the_occurrence() {
        // Third Tuesday of December 2026 is the 15th → runs Thursday the 17th.
        assert_eq!(
            next("cron(30 23 ? * TUE#3 *)", None, 2, "2026-11-25T00:00:00Z"),
            "2026-12-17T23:30:00+00:00"
        );
        // Third Tuesday of November 2026 was the 17th; 17th+2 = 19th, already past on the 25th.
        // On the 18th the shifted run (the 19th) is still ahead.
        assert_eq!(
            next("cron(30 23 ? * TUE#3 *)", None, 2, "2026-11-18T00:00:00Z"),
            "2026-11-19T23:30:00+00:00"
        );
    }

    // "maintenance-windows-schedule-options" example 1: cron(0 09 ? * WED *) in
    // America/Los_Angeles runs at 09:00 Pacific (17:00 UTC in winter).
    #[test]
    fn time_zones_shift_the_occurrence() {
        assert_eq!(
            next(
                "cron(0 09 ? * WED *)",
                Some("America/Los_Angeles"),
                0,
                "2026-11-25T00:00:00Z"
            ),
            "2026-11-25T17:00:00+00:00"
        );
        // Sunday 03:00 in Tokyo is Saturday 18:00 UTC.
        assert_eq!(
            next(
                "cron(0 3 ? * SUN *)",
                Some("Asia/Tokyo"),
                0,
                "2026-11-25T00:00:00Z"
            ),
            "2026-11-28T18:00:00+00:00"
        );
        // Daylight saving: 02:30 does not exist in New York on 2027-03-14 → the next day.
        assert_eq!(
            next(
                "cron(30 2 * * ? *)",
                Some("America/New_York"),
                0,
                "2027-03-14T00:00:00Z"
            ),
            "2027-03-15T06:30:00+00:00"
        );
    }

    #[test]
    fn rate_and_at_schedules() {
        let spec = ScheduleSpec::new("rate(7 days)", None, 0);
        let last = utc("2026-11-20T03:00:00Z");
        assert_eq!(
            spec.next_after(utc("2026-11-25T00:00:00Z"), Some(last))
                .unwrap()
                .to_rfc3339(),
            "2026-11-27T03:00:00+00:00"
        );
        assert_eq!(
            spec.next_after(utc("2026-11-25T00:00:00Z"), None),
            Err(NoNext::RateWithoutAnchor)
        );
        // at(2019-07-07T13:15:30) (user guide example) is in the past: never again.
        let at = ScheduleSpec::new("at(2019-07-07T13:15:30)", None, 0);
        assert_eq!(
            at.next_after(utc("2026-11-25T00:00:00Z"), None),
            Err(NoNext::Never)
        );
        assert_eq!(
            at.next_after(utc("2019-01-01T00:00:00Z"), None)
                .unwrap()
                .to_rfc3339(),
            "2019-07-07T13:15:30+00:00"
        );
    }

    #[test]
    fn bad_schedules_are_kept_verbatim_never_guessed() {
        for bad in [
            "cron(0 3 * * * *)",    // `*` in both day fields
            "cron(0 3 ? * ? *)",    // `?` in both
            "cron(61 3 ? * SUN *)", // minute out of range
            "cron(0 3 ? * FUNDAY *)",
            "rate(0 days)",
            "rate(5 fortnights)",
            "every sunday",
            "cron(0 3 ? *)",
        ] {
            let s = ScheduleSpec::new(bad, None, 0);
            assert_eq!(s.schedule, Schedule::Unparsed(bad.to_string()), "{bad}");
            assert_eq!(s.describe(), format!("(?) {bad}"));
            assert_eq!(
                s.next_after(utc("2026-11-25T00:00:00Z"), None),
                Err(NoNext::Unparsed)
            );
        }
        let tz = ScheduleSpec::new("cron(0 3 ? * SUN *)", Some("Mars/Olympus"), 0);
        assert_eq!(
            tz.next_after(utc("2026-11-25T00:00:00Z"), None),
            Err(NoNext::UnknownTimezone("Mars/Olympus".into()))
        );
    }

    #[test]
    fn schedules_in_words() {
        let w = |e: &str, tz: Option<&str>, off| ScheduleSpec::new(e, tz, off).describe();
        assert_eq!(
            w("cron(0 3 ? * SUN *)", Some("Asia/Tokyo"), 0),
            "every Sunday at 03:00 Asia/Tokyo"
        );
        assert_eq!(w("cron(0 1 * * ? *)", None, 0), "every day at 01:00 UTC");
        assert_eq!(
            w("cron(0 10 ? * MON-FRI *)", None, 0),
            "every weekday (Monday–Friday) at 10:00 UTC"
        );
        assert_eq!(
            w("cron(30 23 ? * TUE#3 *)", Some("Europe/Berlin"), 2),
            "on the third Tuesday of every month at 23:30 Europe/Berlin, 2 days later"
        );
        assert_eq!(
            w("cron(0 2 L * ? *)", None, 0),
            "on the last day of every month at 02:00 UTC"
        );
        assert_eq!(w("rate(30 minutes)", None, 0), "every 30 minutes");
        assert_eq!(w("rate(1 day)", None, 0), "every day");
        assert_eq!(w("cron(0/15 * * * ? *)", None, 0), "every 15 minutes UTC");
        assert_eq!(
            w("cron(0 22 ? * TUE,THU *)", None, 0),
            "every Tuesday, Thursday at 22:00 UTC"
        );
    }
}
