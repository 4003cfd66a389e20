//! The rules this client checks itself, read from their arguments once, and the checks.
//!
//! HubSpot documents the rule types and the shape of their arguments (property validations
//! guide: lengths and numbers take one value, `ALPHANUMERIC` one of `ALPHANUMERIC`,
//! `ALPHA_ONLY`, `NUMERIC_ONLY`), not every detail of how it applies them. Where a detail is
//! not documented, the check takes the reading that refuses less, so that a value refused
//! here is one HubSpot refuses too; HubSpot still checks everything when the value is sent.

use regex::Regex;

use super::RuleType;

/// One rule, ready to check a value.
#[derive(Clone, Debug)]
pub(super) enum Check {
    MinLength(usize),
    MaxLength(usize),
    MinNumber(Bound),
    MaxNumber(Bound),
    /// A pattern, compiled once.
    Pattern(Regex),
    /// Email addresses must (`allowed`) or must not be at these domains.
    EmailDomains {
        allowed: bool,
        domains: Vec<String>,
    },
    /// URLs must (`allowed`) or must not point at these domains.
    UrlDomains {
        allowed: bool,
        domains: Vec<String>,
    },
    /// Only these characters.
    Characters(Characters),
}

/// A number a rule compares with, and how the account wrote it (for messages).
#[derive(Clone, Debug)]
pub(super) struct Bound {
    value: f64,
    text: String,
}

/// The characters an `ALPHANUMERIC` rule takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Characters {
    Alphanumeric,
    AlphaOnly,
    NumericOnly,
}

impl Characters {
    fn name(self) -> &'static str {
        match self {
            Characters::Alphanumeric => "ALPHANUMERIC",
            Characters::AlphaOnly => "ALPHA_ONLY",
            Characters::NumericOnly => "NUMERIC_ONLY",
        }
    }

    /// Whether `c` may appear. Whitespace is let through: HubSpot does not say whether these
    /// rules allow spaces, so only another character surely breaks them.
    fn allows(self, c: char) -> bool {
        c.is_whitespace()
            || match self {
                Characters::Alphanumeric => c.is_alphanumeric(),
                Characters::AlphaOnly => c.is_alphabetic(),
                Characters::NumericOnly => c.is_numeric(),
            }
    }
}

/// Why a rule cannot be checked here.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Unchecked {
    /// HubSpot checks this rule type; this client does not.
    NotLocal,
    /// The arguments are not of the form the rule type takes.
    Arguments(String),
    /// The pattern does not compile as a Rust regular expression (HubSpot's dialect may still
    /// take it).
    Pattern(String),
}

/// Reads a rule's arguments into a check.
pub(super) fn parse(rule_type: &RuleType, args: &[String]) -> Result<Check, Unchecked> {
    match rule_type {
        RuleType::MinLength => one_length(args).map(Check::MinLength),
        RuleType::MaxLength => one_length(args).map(Check::MaxLength),
        RuleType::MinNumber => one_number(args).map(Check::MinNumber),
        RuleType::MaxNumber => one_number(args).map(Check::MaxNumber),
        RuleType::Regex => pattern(args),
        RuleType::EmailAllowedDomains | RuleType::EmailBlockedDomains => Ok(Check::EmailDomains {
            allowed: *rule_type == RuleType::EmailAllowedDomains,
            domains: domains(args, false)?,
        }),
        RuleType::UrlAllowedDomains | RuleType::UrlBlockedDomains => Ok(Check::UrlDomains {
            allowed: *rule_type == RuleType::UrlAllowedDomains,
            domains: domains(args, true)?,
        }),
        RuleType::Alphanumeric => characters(args).map(Check::Characters),
        _ => Err(Unchecked::NotLocal),
    }
}

/// The one argument of a rule that takes one.
fn only(args: &[String]) -> Result<&str, Unchecked> {
    match args {
        [one] => Ok(one.trim()),
        _ => Err(Unchecked::Arguments(format!(
            "takes one argument, not {}",
            args.len()
        ))),
    }
}

fn one_length(args: &[String]) -> Result<usize, Unchecked> {
    let arg = only(args)?;
    arg.parse().map_err(|_| {
        Unchecked::Arguments(format!("`{}` is not a number of characters", shown(arg)))
    })
}

fn one_number(args: &[String]) -> Result<Bound, Unchecked> {
    let arg = only(args)?;
    match decimal(arg) {
        Some(value) if value.is_finite() => Ok(Bound {
            value,
            text: arg.to_owned(),
        }),
        _ => Err(Unchecked::Arguments(format!(
            "`{}` is not a number",
            shown(arg)
        ))),
    }
}

fn pattern(args: &[String]) -> Result<Check, Unchecked> {
    let arg = match args {
        [one] if !one.is_empty() => one,
        _ => {
            return Err(Unchecked::Arguments(
                "takes one pattern, not blank".to_owned(),
            ));
        }
    };
    Regex::new(arg)
        .map(Check::Pattern)
        .map_err(|e| Unchecked::Pattern(e.to_string()))
}

fn characters(args: &[String]) -> Result<Characters, Unchecked> {
    match only(args)? {
        "ALPHANUMERIC" => Ok(Characters::Alphanumeric),
        "ALPHA_ONLY" => Ok(Characters::AlphaOnly),
        "NUMERIC_ONLY" => Ok(Characters::NumericOnly),
        other => Err(Unchecked::Arguments(format!(
            "`{}` is none of ALPHANUMERIC, ALPHA_ONLY and NUMERIC_ONLY",
            shown(other)
        ))),
    }
}

/// The domains of a domain rule, lowercase: `example.com`, also written `@example.com` or,
/// for URL rules, as a URL. A wildcard or anything else that is not a plain domain makes
/// the rule unreadable: what HubSpot makes of it is not documented.
fn domains(args: &[String], urls: bool) -> Result<Vec<String>, Unchecked> {
    if args.is_empty() {
        return Err(Unchecked::Arguments("names no domain".to_owned()));
    }
    args.iter()
        .map(|arg| {
            let arg = arg.trim();
            let domain = if urls && arg.contains("://") {
                url_host(arg).unwrap_or_default()
            } else {
                arg.trim_start_matches('@').to_ascii_lowercase()
            };
            if is_domain(&domain) {
                Ok(domain)
            } else {
                Err(Unchecked::Arguments(format!(
                    "`{}` is not a domain",
                    shown(arg)
                )))
            }
        })
        .collect()
}

/// Letters, digits and `-` in labels separated by single dots.
fn is_domain(domain: &str) -> bool {
    !domain.is_empty()
        && domain.split('.').all(|label| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

/// A decimal number: digits with an optional sign, fraction and exponent, as HubSpot's
/// number properties take them (no `NaN`, `inf` or thousands separators).
fn decimal(text: &str) -> Option<f64> {
    let text = text.trim();
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (mantissa, exponent) = match unsigned.split_once(['e', 'E']) {
        Some((m, e)) => (m, Some(e.strip_prefix(['-', '+']).unwrap_or(e))),
        None => (unsigned, None),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let ok = !(whole.is_empty() && fraction.is_empty())
        && digits(whole)
        && digits(fraction)
        && exponent.is_none_or(|e| !e.is_empty() && digits(e));
    ok.then(|| text.parse().ok()).flatten()
}

/// The host a URL points at, lowercase; a value without a scheme (`example.com/pricing`,
/// as HubSpot's `website` values often are) is read as `http://`.
fn url_host(value: &str) -> Option<String> {
    let value = value.trim();
    let url = if value.contains("://") {
        reqwest::Url::parse(value)
    } else {
        reqwest::Url::parse(&format!("http://{value}"))
    };
    let host = url
        .ok()?
        .host_str()?
        .trim_end_matches('.')
        .to_ascii_lowercase();
    (!host.is_empty()).then_some(host)
}

/// The domain of an email address, lowercase.
fn email_domain(value: &str) -> Option<String> {
    let (_, domain) = value.trim().rsplit_once('@')?;
    let domain = domain.trim_end_matches('.').to_ascii_lowercase();
    (!domain.is_empty()).then_some(domain)
}

/// Whether `host` is `domain` or one of its subdomains.
fn within(host: &str, domain: &str) -> bool {
    host == domain
        || host
            .strip_suffix(domain)
            .is_some_and(|rest| rest.ends_with('.'))
}

/// A value as an error message shows it: escaped, and cut after 60 characters.
fn shown(value: &str) -> String {
    cut(&value.escape_debug().collect::<String>())
}

/// `text` cut after 60 characters.
fn cut(text: &str) -> String {
    const MAX: usize = 60;
    match text.char_indices().nth(MAX) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

impl Check {
    /// Checks a non-empty value; the error says why the rule refuses it.
    pub(super) fn check(&self, value: &str) -> Result<(), String> {
        match self {
            Check::MinLength(min) => min_length(value, *min),
            Check::MaxLength(max) => max_length(value, *max),
            Check::MinNumber(bound) => number(value, bound, RuleType::MinNumber),
            Check::MaxNumber(bound) => number(value, bound, RuleType::MaxNumber),
            Check::Pattern(regex) => matches(value, regex),
            Check::EmailDomains { allowed, domains } => {
                let rule = if *allowed {
                    RuleType::EmailAllowedDomains
                } else {
                    RuleType::EmailBlockedDomains
                };
                at_domains(
                    email_domain(value),
                    value,
                    domains,
                    rule,
                    "an email address",
                )
            }
            Check::UrlDomains { allowed, domains } => {
                let rule = if *allowed {
                    RuleType::UrlAllowedDomains
                } else {
                    RuleType::UrlBlockedDomains
                };
                at_domains(url_host(value), value, domains, rule, "a URL")
            }
            Check::Characters(set) => only_characters(value, *set),
        }
    }
}

/// HubSpot counts characters in a way it does not document: as Unicode characters, or (as
/// Java strings do) as UTF-16 units, where a character outside the Basic Multilingual Plane
/// (most emoji) counts twice. A minimum is checked against the larger count and a maximum
/// against the smaller, so that neither refuses a value one of the counts accepts.
fn min_length(value: &str, min: usize) -> Result<(), String> {
    if value.encode_utf16().count() >= min {
        return Ok(());
    }
    Err(format!(
        "is {} characters long; the account's MIN_LENGTH rule asks for at least {min}",
        value.chars().count()
    ))
}

fn max_length(value: &str, max: usize) -> Result<(), String> {
    let length = value.chars().count();
    if length <= max {
        return Ok(());
    }
    Err(format!(
        "is {length} characters long; the account's MAX_LENGTH rule allows at most {max}"
    ))
}

fn number(value: &str, bound: &Bound, rule: RuleType) -> Result<(), String> {
    let Some(number) = decimal(value) else {
        return Err(format!(
            "`{}` is not a number, and the account's {rule} rule takes numbers",
            shown(value)
        ));
    };
    let (holds, relation) = match rule {
        RuleType::MinNumber => (number >= bound.value, "at least"),
        _ => (number <= bound.value, "at most"),
    };
    if holds {
        return Ok(());
    }
    Err(format!(
        "{} is out of range: the account's {rule} rule asks for {relation} {}",
        shown(value.trim()),
        bound.text
    ))
}

/// A pattern is looked for anywhere in the value: HubSpot does not say whether it must match
/// the whole value, and a pattern found nowhere matches it under either reading. A pattern
/// meant for the whole value is anchored (`^...$`).
fn matches(value: &str, regex: &Regex) -> Result<(), String> {
    if regex.is_match(value) {
        return Ok(());
    }
    Err(format!(
        "`{}` does not match `{}`, the account's REGEX rule",
        shown(value),
        cut(regex.as_str())
    ))
}

/// An allowed domain takes its subdomains too, a blocked one only itself: HubSpot does not
/// say how subdomains count, and these readings refuse the least.
fn at_domains(
    host: Option<String>,
    value: &str,
    domains: &[String],
    rule: RuleType,
    what: &str,
) -> Result<(), String> {
    let allowed = matches!(
        rule,
        RuleType::EmailAllowedDomains | RuleType::UrlAllowedDomains
    );
    let listed = || domains.join(", ");
    match host {
        Some(host) if allowed && domains.iter().any(|d| within(&host, d)) => Ok(()),
        Some(host) if !allowed && domains.contains(&host) => Err(format!(
            "`{}` is at {host}, which the account's {rule} rule blocks",
            shown(value)
        )),
        None if allowed => Err(format!(
            "`{}` is not {what} with a domain, and the account's {rule} rule allows only {}",
            shown(value),
            listed()
        )),
        Some(_) if allowed => Err(format!(
            "`{}` is not at a domain the account's {rule} rule allows ({})",
            shown(value),
            listed()
        )),
        _ => Ok(()),
    }
}

fn only_characters(value: &str, set: Characters) -> Result<(), String> {
    match value.chars().find(|c| !set.allows(*c)) {
        None => Ok(()),
        Some(c) => Err(format!(
            "`{}` has {c:?}, which the account's ALPHANUMERIC rule ({}) does not allow",
            shown(value),
            set.name()
        )),
    }
}
