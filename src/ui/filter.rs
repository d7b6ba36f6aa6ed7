//! The `/` filter language: fuzzy words matched over the visible columns, `field:value`
//! terms (`account:prod os:ubuntu ping:lost compliance:non sev:critical stale:yes`), and
//! `!` negation of either (`!ping:online`, `!windows`).

/// One `field:value` term.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Term {
    pub field: String,
    /// Lower-cased.
    pub value: String,
    pub negate: bool,
}

/// A parsed filter.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    /// What the user typed.
    pub text: String,
    /// Positive free words joined by spaces: each must match the row's text fuzzily
    /// (as a subsequence, smart case).
    pub fuzzy: String,
    pub words: Vec<Word>,
    /// Negated free words (lower-case): the row must not contain them.
    pub exclude: Vec<String>,
    pub terms: Vec<Term>,
}

impl Filter {
    pub fn parse(text: &str) -> Filter {
        let mut f = Filter {
            text: text.to_string(),
            ..Default::default()
        };
        let mut words = Vec::new();
        for tok in text.split_whitespace() {
            let (negate, body) = match tok.strip_prefix('!') {
                Some(b) => (true, b),
                None => (false, tok),
            };
            if body.is_empty() {
                continue;
            }
            match body.split_once(':') {
                Some((field, value)) if !field.is_empty() && !value.is_empty() => {
                    f.terms.push(Term {
                        field: field.to_ascii_lowercase(),
                        value: value.to_lowercase(),
                        negate,
                    })
                }
                _ if negate => f.exclude.push(body.to_lowercase()),
                _ => words.push(body),
            }
        }
        f.fuzzy = words.join(" ");
        f.words = words.iter().map(|w| Word::new(w)).collect();
        f
    }

    pub fn is_empty(&self) -> bool {
        self.fuzzy.is_empty() && self.exclude.is_empty() && self.terms.is_empty()
    }

    /// Every row matching `self` also matches `prev` (so we may filter only prev's matches).
    pub fn refines(&self, prev: &Filter) -> bool {
        self.refines_with(prev, |_| false)
    }

    /// Like [`Filter::refines`], where `substring(field)` says the field matches by
    /// substring: then a term whose value grew around the old one (`account:wo` after
    /// `account:w`) narrows too, unless negated.
    pub fn refines_with(&self, prev: &Filter, substring: impl Fn(&str) -> bool) -> bool {
        if prev.is_empty() {
            return true;
        }
        // Same structured terms (or narrower) plus possibly more; words kept, the last one
        // possibly extended, more words added (every word must match, so each addition
        // narrows).
        let (pw, nw) = (&prev.words, &self.words);
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
        prev.terms.iter().all(narrower)
            && prev.exclude.iter().all(|e| self.exclude.contains(e))
            && pw.len() <= nw.len()
            && pw.iter().enumerate().all(|(i, w)| {
                if i + 1 == pw.len() {
                    nw[i].text.starts_with(&w.text)
                } else {
                    nw[i].text == w.text
                }
            })
    }

    /// Does `hay` (a row's searchable text) pass the free-text part of the filter?
    pub fn text_matches(&self, hay: &str) -> bool {
        self.words.iter().all(|w| w.matches(hay)) && !self.exclude.iter().any(|e| contains(hay, e))
    }
}

/// One fuzzy word: matches when its characters appear in order (smart case: case-sensitive
/// only when the word has an upper-case letter).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Word {
    pub text: String,
    case_sensitive: bool,
    ascii: bool,
}

impl Word {
    pub fn new(text: &str) -> Word {
        Word {
            text: text.to_string(),
            case_sensitive: text.chars().any(|c| c.is_uppercase()),
            ascii: text.is_ascii(),
        }
    }

    pub fn matches(&self, hay: &str) -> bool {
        if self.ascii {
            let p = self.text.as_bytes();
            if p.is_empty() {
                return true;
            }
            let mut i = 0;
            for &b in hay.as_bytes() {
                let b = if self.case_sensitive {
                    b
                } else {
                    b.to_ascii_lowercase()
                };
                let want = if self.case_sensitive {
                    p[i]
                } else {
                    p[i].to_ascii_lowercase()
                };
                if b == want {
                    i += 1;
                    if i == p.len() {
                        return true;
                    }
                }
            }
            false
        } else {
            let mut pat = self.text.chars().peekable();
            for c in hay.chars() {
                let Some(&p) = pat.peek() else { return true };
                let eq = if self.case_sensitive {
                    c == p
                } else {
                    c.to_lowercase().eq(p.to_lowercase())
                };
                if eq {
                    pat.next();
                }
            }
            pat.peek().is_none()
        }
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

    #[test]
    fn parses_terms_words_and_negation() {
        let f = Filter::parse("web account:Prod !ping:online !win");
        assert_eq!(f.fuzzy, "web");
        assert_eq!(f.exclude, vec!["win"]);
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
        assert!(!Filter::parse("we").refines(&Filter::parse("web")));
        assert!(Filter::parse("web os:x").refines(&Filter::parse("web")));
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
}
