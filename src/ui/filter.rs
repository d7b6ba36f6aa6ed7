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
    /// Positive free words joined by spaces: matched fuzzily against the row's text.
    pub fuzzy: String,
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
        f
    }

    pub fn is_empty(&self) -> bool {
        self.fuzzy.is_empty() && self.exclude.is_empty() && self.terms.is_empty()
    }

    /// Every row matching `self` also matches `prev` (so we may filter only prev's matches).
    pub fn refines(&self, prev: &Filter) -> bool {
        if prev.is_empty() {
            return true;
        }
        // Same structured terms plus possibly more; fuzzy text extended at the end.
        prev.terms.iter().all(|t| self.terms.contains(t))
            && prev.exclude.iter().all(|e| self.exclude.contains(e))
            && self.fuzzy.starts_with(&prev.fuzzy)
            && !prev.fuzzy.contains(' ')
            && !self.fuzzy[prev.fuzzy.len()..].contains(' ')
    }
}

/// Match helpers for `field:value` terms.
pub fn contains(hay: &str, value: &str) -> bool {
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
    }
}
