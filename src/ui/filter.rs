//! The `/` filter language, as k9s users expect it:
//!
//! - words match as **case-insensitive substrings** of the row's visible text;
//! - a word with regex metacharacters (`^ $ * + ? ( ) [ ] { } | \`) is a **regular
//!   expression** (case-insensitive); `-r` makes every word one;
//! - `-f` switches to **fuzzy** matching (characters in order, as k9s `/-f`);
//! - `field:value` terms narrow by a field of the view (each view lists its fields in a
//!   [`FieldSpec`] table, which also checks values: `days:abc` is an error, not zero rows);
//! - `!` negates a word or a term (`!ping:online`, `!windows`).
//!
//! A filter that cannot be applied (a bad regex) carries an error; the table then shows
//! the error and no rows, never every row.

use regex::{Regex, RegexBuilder};

/// What values a `field:` accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldKind {
    /// Any text, matched as a case-insensitive substring.
    Text,
    /// `yes`/`no` (also `true`/`false`, `1`/`0`, `on`/`off`).
    YesNo,
    /// A whole number (e.g. `days:14`).
    Number,
    /// One of these words, or a prefix of one (`ping:lost`, `compliance:non`).
    Choice(&'static [&'static str]),
    /// A question to the patch index, by the field's name (`cve:CVE-2024-1234`,
    /// `kb:KB5034441`, `patch:openssl`): a malformed id is an error, never an empty
    /// "all clear".
    PatchQuery,
}

/// One `field:` a view accepts: the table that drives validation, matching and help.
/// Adding a field is one line here plus one arm in the view's `field_matches`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldSpec {
    pub name: &'static str,
    /// Other spellings accepted for the same field.
    pub aliases: &'static [&'static str],
    pub kind: FieldKind,
    /// One line for the help overlay.
    pub help: &'static str,
}

impl FieldSpec {
    pub const fn text(name: &'static str, help: &'static str) -> FieldSpec {
        FieldSpec {
            name,
            aliases: &[],
            kind: FieldKind::Text,
            help,
        }
    }
    pub const fn yes_no(name: &'static str, help: &'static str) -> FieldSpec {
        FieldSpec {
            name,
            aliases: &[],
            kind: FieldKind::YesNo,
            help,
        }
    }
    pub const fn number(name: &'static str, help: &'static str) -> FieldSpec {
        FieldSpec {
            name,
            aliases: &[],
            kind: FieldKind::Number,
            help,
        }
    }
    pub const fn choice(
        name: &'static str,
        values: &'static [&'static str],
        help: &'static str,
    ) -> FieldSpec {
        FieldSpec {
            name,
            aliases: &[],
            kind: FieldKind::Choice(values),
            help,
        }
    }
    /// A patch-index question (`cve`, `kb` or `patch`; see [`FieldKind::PatchQuery`]).
    pub const fn patch_query(name: &'static str, help: &'static str) -> FieldSpec {
        FieldSpec {
            name,
            aliases: &[],
            kind: FieldKind::PatchQuery,
            help,
        }
    }
    pub const fn alias(mut self, aliases: &'static [&'static str]) -> FieldSpec {
        self.aliases = aliases;
        self
    }

    /// Is `value` acceptable for this field? The error says what is.
    pub fn check(&self, value: &str) -> Result<(), String> {
        match self.kind {
            FieldKind::Text => Ok(()),
            FieldKind::YesNo => yes_no(value)
                .map(|_| ())
                .ok_or_else(|| format!("`{}:{value}`: use yes or no", self.name)),
            FieldKind::Number => value
                .parse::<i64>()
                .map(|_| ())
                .map_err(|_| format!("`{}:{value}`: use a whole number", self.name)),
            FieldKind::Choice(values) => {
                if prefix_of_any(value, values) {
                    Ok(())
                } else {
                    Err(format!(
                        "`{}:{value}`: use one of {}",
                        self.name,
                        values.join(", ")
                    ))
                }
            }
            FieldKind::PatchQuery => crate::model::patch_index::PatchQuery::parse(self.name, value)
                .map(|_| ())
                .map_err(|e| e.0),
        }
    }

    /// Accepted values, for help (`yes|no`, `critical|security|other`, `N`, `text`).
    pub fn values(&self) -> String {
        match self.kind {
            FieldKind::Text => "text".into(),
            FieldKind::YesNo => "yes|no".into(),
            FieldKind::Number => "N".into(),
            FieldKind::Choice(v) => v.join("|"),
            FieldKind::PatchQuery => match self.name {
                "cve" => "CVE-YYYY-NNNN".into(),
                "kb" => "KBNNNNNNN".into(),
                _ => "name".into(),
            },
        }
    }
}

/// The spec of `name` (or one of its aliases) among `fields`.
pub fn find_field<'a>(fields: &'a [FieldSpec], name: &str) -> Option<&'a FieldSpec> {
    fields
        .iter()
        .find(|f| f.name == name || f.aliases.contains(&name))
}

/// One `field:value` term.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Term {
    /// As typed (lower-cased); the table resolves aliases to the canonical name.
    pub field: String,
    /// Lower-cased.
    pub value: String,
    pub negate: bool,
}

/// How free words match.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Mode {
    /// Substring, or regex for words with metacharacters (the default).
    #[default]
    Text,
    /// Every word a regex (`-r`).
    Regex,
    /// Characters in order (`-f`).
    Fuzzy,
}

/// A parsed filter.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    /// What the user typed.
    pub text: String,
    pub mode: Mode,
    /// Positive free words: each must match the row's text.
    pub words: Vec<Word>,
    /// Negated free words: the row must match none.
    pub exclude: Vec<Word>,
    pub terms: Vec<Term>,
    /// Why the filter cannot be applied (a bad regex); the table shows it and no rows.
    pub error: Option<String>,
}

/// Characters that make a word a regular expression (`.` is not one: host names and
/// versions are full of dots, and a substring is what they mean).
const REGEX_META: &[char] = &[
    '^', '$', '*', '+', '?', '(', ')', '[', ']', '{', '}', '|', '\\',
];

impl Filter {
    pub fn parse(text: &str) -> Filter {
        let mut f = Filter {
            text: text.to_string(),
            ..Default::default()
        };
        let mut toks = text.split_whitespace().peekable();
        match toks.peek() {
            Some(&"-f") => {
                f.mode = Mode::Fuzzy;
                toks.next();
            }
            Some(&"-r") => {
                f.mode = Mode::Regex;
                toks.next();
            }
            _ => {}
        }
        for tok in toks {
            let (negate, body) = match tok.strip_prefix('!') {
                Some(b) => (true, b),
                None => (false, tok),
            };
            if body.is_empty() {
                continue;
            }
            match body.split_once(':') {
                Some((field, value))
                    if !field.is_empty()
                        && !value.is_empty()
                        && field.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') =>
                {
                    f.terms.push(Term {
                        field: field.to_ascii_lowercase(),
                        value: value.to_lowercase(),
                        negate,
                    })
                }
                _ => match Word::new(body, f.mode) {
                    Ok(w) if negate => f.exclude.push(w),
                    Ok(w) => f.words.push(w),
                    Err(e) => {
                        if f.error.is_none() {
                            f.error = Some(e);
                        }
                    }
                },
            }
        }
        f
    }

    pub fn is_empty(&self) -> bool {
        self.words.is_empty() && self.exclude.is_empty() && self.terms.is_empty()
    }

    /// Free words to match (either kind).
    pub fn has_text(&self) -> bool {
        !self.words.is_empty() || !self.exclude.is_empty()
    }

    /// Every row matching `self` also matches `prev` (so we may filter only prev's matches).
    pub fn refines(&self, prev: &Filter) -> bool {
        self.refines_with(prev, |_| false)
    }

    /// Like [`Filter::refines`], where `substring(field)` says the field matches by
    /// substring: then a term whose value grew around the old one (`account:wo` after
    /// `account:w`) narrows too, unless negated.
    pub fn refines_with(&self, prev: &Filter, substring: impl Fn(&str) -> bool) -> bool {
        if prev.error.is_some() || self.error.is_some() {
            return false;
        }
        if prev.is_empty() {
            return true;
        }
        if prev.mode != self.mode {
            return false;
        }
        let narrower = |t: &Term| {
            self.terms.iter().any(|n| {
                n == t
                    || (!t.negate
                        && !n.negate
                        && n.field == t.field
                        && substring(&t.field)
                        && n.value.contains(t.value.as_str()))
            })
        };
        let (pw, nw) = (&prev.words, &self.words);
        prev.terms.iter().all(narrower)
            && prev.exclude.iter().all(|e| self.exclude.contains(e))
            && pw.len() <= nw.len()
            && pw
                .iter()
                .enumerate()
                .all(|(i, w)| i + 1 == pw.len() && nw[i].narrows(w) || nw[i].text == w.text)
    }

    /// Does `hay` (a row's searchable text) pass the free-text part of the filter?
    pub fn text_matches(&self, hay: &str) -> bool {
        self.words.iter().all(|w| w.matches(hay)) && !self.exclude.iter().any(|e| e.matches(hay))
    }

    /// Character positions in `hay` the positive words matched (for highlighting).
    pub fn match_positions(&self, hay: &str) -> Vec<usize> {
        let mut idx: Vec<usize> = Vec::new();
        for w in &self.words {
            w.positions(hay, &mut idx);
        }
        idx.sort_unstable();
        idx.dedup();
        idx
    }
}

#[derive(Clone, Debug)]
enum How {
    /// Case-insensitive substring (lower-cased needle).
    Sub(String),
    Regex(Regex),
    /// Characters in order, smart case.
    Fuzzy {
        case_sensitive: bool,
    },
}

/// One free word of a filter.
#[derive(Clone, Debug)]
pub struct Word {
    pub text: String,
    how: How,
}

impl PartialEq for Word {
    fn eq(&self, other: &Word) -> bool {
        self.text == other.text && self.kind() == other.kind()
    }
}

impl Eq for Word {}

impl Word {
    /// A word in `mode`; a bad regex is an error naming the word.
    pub fn new(text: &str, mode: Mode) -> Result<Word, String> {
        let regex = match mode {
            Mode::Fuzzy => {
                return Ok(Word {
                    text: text.to_string(),
                    how: How::Fuzzy {
                        case_sensitive: text.chars().any(|c| c.is_uppercase()),
                    },
                });
            }
            Mode::Regex => true,
            Mode::Text => text.contains(REGEX_META),
        };
        let how = if regex {
            let re = RegexBuilder::new(text)
                .case_insensitive(true)
                .size_limit(1 << 20)
                .build()
                .map_err(|e| {
                    let msg = e.to_string();
                    let last = msg.lines().last().unwrap_or("").trim().to_string();
                    format!("invalid regex `{text}`: {last}")
                })?;
            How::Regex(re)
        } else {
            How::Sub(text.to_lowercase())
        };
        Ok(Word {
            text: text.to_string(),
            how,
        })
    }

    fn kind(&self) -> u8 {
        match self.how {
            How::Sub(_) => 0,
            How::Regex(_) => 1,
            How::Fuzzy { .. } => 2,
        }
    }

    /// Every row `self` matches is matched by `prev` (same kind, typed further).
    fn narrows(&self, prev: &Word) -> bool {
        match (&self.how, &prev.how) {
            (How::Sub(a), How::Sub(b)) => a.contains(b.as_str()),
            (How::Fuzzy { .. }, How::Fuzzy { .. }) => self.text.starts_with(&prev.text),
            _ => self.text == prev.text && self.kind() == prev.kind(),
        }
    }

    pub fn matches(&self, hay: &str) -> bool {
        match &self.how {
            How::Sub(s) => contains(hay, s),
            How::Regex(re) => re.is_match(hay),
            How::Fuzzy { case_sensitive } => fuzzy_matches(&self.text, *case_sensitive, hay),
        }
    }

    /// Push the character positions this word matched in `hay`.
    fn positions(&self, hay: &str, out: &mut Vec<usize>) {
        let byte_spans: Vec<(usize, usize)> = match &self.how {
            How::Sub(s) => {
                let mut v = Vec::new();
                if s.is_empty() {
                    return;
                }
                let lower = hay.to_lowercase();
                if lower.len() != hay.len() {
                    // lower-casing changed byte offsets: match on chars instead
                    let h: Vec<char> = hay.chars().flat_map(char::to_lowercase).collect();
                    let n: Vec<char> = s.chars().collect();
                    let mut i = 0;
                    while i + n.len() <= h.len() {
                        if h[i..i + n.len()] == n[..] {
                            out.extend(i..i + n.len());
                            i += n.len();
                        } else {
                            i += 1;
                        }
                    }
                    return;
                }
                let mut from = 0;
                while let Some(p) = lower[from..].find(s.as_str()) {
                    v.push((from + p, from + p + s.len()));
                    from += p + s.len();
                }
                v
            }
            How::Regex(re) => re
                .find_iter(hay)
                .filter(|m| m.end() > m.start())
                .map(|m| (m.start(), m.end()))
                .collect(),
            How::Fuzzy { case_sensitive } => {
                fuzzy_positions(&self.text, *case_sensitive, hay, out);
                return;
            }
        };
        if byte_spans.is_empty() {
            return;
        }
        for (ci, (bi, _)) in hay.char_indices().enumerate() {
            if byte_spans.iter().any(|(s, e)| bi >= *s && bi < *e) {
                out.push(ci);
            }
        }
    }
}

fn fuzzy_matches(pat: &str, case_sensitive: bool, hay: &str) -> bool {
    let mut p = pat.chars().peekable();
    for c in hay.chars() {
        let Some(&want) = p.peek() else { return true };
        let eq = if case_sensitive {
            c == want
        } else {
            c.to_lowercase().eq(want.to_lowercase())
        };
        if eq {
            p.next();
        }
    }
    p.peek().is_none()
}

fn fuzzy_positions(pat: &str, case_sensitive: bool, hay: &str, out: &mut Vec<usize>) {
    let mut p = pat.chars().peekable();
    let mut found = Vec::new();
    for (i, c) in hay.chars().enumerate() {
        let Some(&want) = p.peek() else { break };
        let eq = if case_sensitive {
            c == want
        } else {
            c.to_lowercase().eq(want.to_lowercase())
        };
        if eq {
            found.push(i);
            p.next();
        }
    }
    if p.peek().is_none() {
        out.extend(found);
    }
}

/// Case-insensitive substring test for `field:value` terms (`value` is lower-case);
/// allocation-free for ASCII.
pub fn contains(hay: &str, value: &str) -> bool {
    if value.is_empty() {
        return true;
    }
    if value.is_ascii() {
        let v = value.as_bytes();
        return hay
            .as_bytes()
            .windows(v.len())
            .any(|w| w.eq_ignore_ascii_case(v));
    }
    hay.to_lowercase().contains(value)
}

/// Value is a prefix of one of the accepted spellings (`non` → `non_compliant`).
pub fn prefix_of_any(value: &str, spellings: &[&str]) -> bool {
    spellings.iter().any(|s| s.starts_with(value))
}

/// `yes/true/1` → Some(true), `no/false/0` → Some(false).
pub fn yes_no(value: &str) -> Option<bool> {
    match value {
        "y" | "yes" | "true" | "1" | "on" => Some(true),
        "n" | "no" | "false" | "0" | "off" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(f: &str, hay: &str) -> bool {
        Filter::parse(f).text_matches(hay)
    }

    #[test]
    fn parses_terms_words_and_negation() {
        let f = Filter::parse("web account:Prod !ping:online !win");
        assert_eq!(f.words[0].text, "web");
        assert_eq!(f.exclude[0].text, "win");
        assert_eq!(
            f.terms,
            vec![
                Term {
                    field: "account".into(),
                    value: "prod".into(),
                    negate: false
                },
                Term {
                    field: "ping".into(),
                    value: "online".into(),
                    negate: true
                },
            ]
        );
        assert!(Filter::parse("").is_empty());
        assert!(Filter::parse("webs").refines(&Filter::parse("web")));
        assert!(Filter::parse("xweb").refines(&Filter::parse("web")));
        assert!(!Filter::parse("we").refines(&Filter::parse("web")));
        assert!(Filter::parse("web os:x").refines(&Filter::parse("web")));
        assert!(!Filter::parse("-f web").refines(&Filter::parse("web")));
        // a substring field's value growing narrows; other fields, or negated terms, do not
        let sub = |f: &str| f == "account";
        let (a, b) = (Filter::parse("account:w"), Filter::parse("account:wo"));
        assert!(b.refines_with(&a, sub));
        assert!(!b.refines(&a));
        assert!(!a.refines_with(&b, sub));
        let (a, b) = (Filter::parse("ping:l"), Filter::parse("ping:lost"));
        assert!(!b.refines_with(&a, sub));
        let (a, b) = (Filter::parse("!account:w"), Filter::parse("!account:wo"));
        assert!(!b.refines_with(&a, sub));
    }

    #[test]
    fn substring_by_default_regex_with_metacharacters_fuzzy_on_request() {
        // substring, case-insensitive: web-prod is not ops-tooling's "w…e…b…p…r…o…d"
        assert!(m("web-prod", "api-1 i-0abc WEB-PROD us-east-1"));
        assert!(!m("web-prod", "web-1 i-0abc ops-tooling us-east-1 prod"));
        // fuzzy only with -f
        assert!(m("-f web-prod", "web-1 i-0abc ops-tooling us-east-1 -prod"));
        // metacharacters make a regex
        assert!(m("^web-[0-9]+", "web-12 i-0abc"));
        assert!(!m("^web-[0-9]+", "api web-12"));
        assert!(m("-r web.prod", "webXprod"));
        assert!(
            !m("web.prod", "webXprod"),
            "a dot alone is a plain substring"
        );
        // negation works for both kinds
        assert!(!m("!windows", "Microsoft Windows Server"));
        assert!(m("!win(dows)?$", "Windows Server"));
        // a bad regex is an error, not a match-all
        let f = Filter::parse("web (oops");
        assert!(
            f.error
                .as_deref()
                .unwrap()
                .contains("invalid regex `(oops`")
        );
    }

    #[test]
    fn highlights_follow_the_matching_kind() {
        let f = Filter::parse("prod");
        assert_eq!(f.match_positions("web-prod x"), vec![4, 5, 6, 7]);
        let f = Filter::parse("-f wp");
        assert_eq!(f.match_positions("web-prod"), vec![0, 4]);
        let f = Filter::parse("^we");
        assert_eq!(f.match_positions("web-prod"), vec![0, 1]);
    }

    #[test]
    fn field_specs_check_values() {
        let days = FieldSpec::number("days", "days left at most");
        assert!(days.check("14").is_ok());
        assert!(days.check("x").unwrap_err().contains("whole number"));
        let ping = FieldSpec::choice("ping", &["online", "connectionlost", "lost"], "");
        assert!(ping.check("lo").is_ok());
        assert!(ping.check("x").unwrap_err().contains("one of online"));
        let stale = FieldSpec::yes_no("stale", "");
        assert!(stale.check("maybe").is_err());
        let fields = [FieldSpec::text("patchgroup", "").alias(&["pg"])];
        assert_eq!(
            find_field(&fields, "pg").map(|f| f.name),
            Some("patchgroup")
        );
    }
}
