//! The account's property validation rules: per property, the rules its admins set on
//! values (lengths, ranges, patterns, domains, characters), served by the property
//! validations API and applied to record writes.
//!
//! Sources: the property validations spec (v3 and 2026-09: paths, rule types, the
//! `ruleArguments` list); HubSpot's property validations guide (a PUT of a rule type
//! replaces that type's rule and keeps the others; `ALPHANUMERIC` takes `ALPHANUMERIC`,
//! `ALPHA_ONLY` or `NUMERIC_ONLY`); hubspot-facts.md, "API versions" (2026-09 applies the
//! account's admin-configured validation rules to API writes). Where those say nothing (the
//! error code, how subdomains or unusual characters count), the sandbox picks the reading
//! that refuses less, the one `hubspot-crm` checks locally too.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use regex::Regex;
use serde_json::{Value, json};

use crate::error::ApiResult;
use crate::{SandboxConfig, Shared, lock};

/// Every rule type of the property validations spec.
pub(crate) const RULE_TYPES: &[&str] = &[
    "AFTER_DATETIME_DURATION",
    "AFTER_DURATION",
    "ALPHANUMERIC",
    "BEFORE_DATETIME_DURATION",
    "BEFORE_DURATION",
    "DAYS_OF_WEEK",
    "DECIMAL",
    "DOMAIN",
    "EMAIL",
    "EMAIL_ALLOWED_DOMAINS",
    "EMAIL_BLOCKED_DOMAINS",
    "END_DATE",
    "END_DATETIME",
    "FORMAT",
    "MAX_LENGTH",
    "MAX_NUMBER",
    "MIN_LENGTH",
    "MIN_NUMBER",
    "PHONE_NUMBER_WITH_EXPLICIT_COUNTRY_CODE",
    "REGEX",
    "SPECIAL_CHARACTERS",
    "START_DATE",
    "START_DATETIME",
    "URL",
    "URL_ALLOWED_DOMAINS",
    "URL_BLOCKED_DOMAINS",
    "WHITESPACE",
];

/// Error code of a value refused by a property validation rule: a sandbox pick in HubSpot's
/// style, since no source gives HubSpot's.
const REFUSED_BY_RULE: &str = "PROPERTY_VALIDATION_RULE";

/// A rule given to [`SandboxConfig::property_validation`], its type as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Configured {
    object_type: String,
    property: String,
    rule_type: String,
    args: Vec<String>,
}

impl SandboxConfig {
    /// Sets a property validation rule of the account: `property` of `object_type` (a type
    /// name or id as in a path: `deals`, `0-3`, a custom `2-1234567` or its registered name)
    /// gets the rule `rule_type` (HubSpot's name, e.g. `MAX_LENGTH`) with arguments `args`
    /// (`["80"]`). A second rule of the same type for the property replaces the first, as a
    /// PUT does.
    ///
    /// The rules are served by `GET /crm/v3/property-validations/{objectTypeId}`,
    /// `/{propertyName}` and `/{propertyName}/rule-type/{ruleType}` (and the 2026-09 paths,
    /// `/crm/property-validations/2026-09/...`), and changed by `PUT` of the last. Writes on
    /// 2026-09 (creates, updates, upserts; single and batch) refuse a value that breaks one,
    /// as HubSpot's 2026-09 API applies the account's admin-configured rules; v3 writes do
    /// only with [`SandboxConfig::property_validations_on_v3`]. A refused value is a 400
    /// `VALIDATION_ERROR` like any other (`Property values were not valid: [...]` naming the
    /// property, code `PROPERTY_VALIDATION_RULE`), a batch refused whole or per input as
    /// [`PartialSuccess`](crate::PartialSuccess) says. The empty string (clearing) passes.
    ///
    /// Enforced: `MIN_LENGTH` and `MAX_LENGTH` (Unicode characters), `MIN_NUMBER` and
    /// `MAX_NUMBER` (a value that is not a decimal number breaks them), `REGEX` (Rust's
    /// syntax, found anywhere in the value unless anchored), `EMAIL_ALLOWED_DOMAINS` and
    /// `URL_ALLOWED_DOMAINS` (a listed domain or its subdomains), `EMAIL_BLOCKED_DOMAINS` and
    /// `URL_BLOCKED_DOMAINS` (a listed domain itself), `ALPHANUMERIC` (letters and digits,
    /// letters or digits; whitespace passes). Other rule types, arguments not of their type's
    /// form (`MAX_LENGTH ["ten"]`), patterns that do not compile and rules with
    /// `shouldApplyNormalization` are served but not enforced.
    ///
    /// [`Sandbox::start`](crate::Sandbox::start) fails with
    /// [`std::io::ErrorKind::InvalidInput`] if `object_type` names no type or `rule_type` is
    /// not one of the spec's.
    ///
    /// ```
    /// use hubspot_sandbox::{Sandbox, SandboxConfig};
    /// use serde_json::{Value, json};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let config = SandboxConfig::new().property_validation("deals", "dealname", "MAX_LENGTH", ["10"]);
    /// let sandbox = Sandbox::start(config).await.unwrap();
    /// let http = reqwest::Client::new();
    /// let create = |path: &str| {
    ///     http.post(format!("{}{path}", sandbox.base_url()))
    ///         .bearer_auth("token")
    ///         .json(&json!({"properties": {"dealname": "A much longer deal name"}}))
    ///         .send()
    /// };
    /// let dated = create("/crm/objects/2026-09/deals").await.unwrap();
    /// assert_eq!(dated.status(), 400);
    /// let error: Value = dated.json().await.unwrap();
    /// assert_eq!(error["errors"][0]["code"], "PROPERTY_VALIDATION_RULE");
    /// assert_eq!(error["errors"][0]["context"]["propertyName"][0], "dealname");
    /// assert_eq!(create("/crm/v3/objects/deals").await.unwrap().status(), 201);
    /// # sandbox.shutdown().await;
    /// # }
    /// ```
    pub fn property_validation(
        mut self,
        object_type: &str,
        property: impl Into<String>,
        rule_type: &str,
        args: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        self.property_validations.push(Configured {
            object_type: object_type.trim().to_owned(),
            property: property.into().trim().to_owned(),
            rule_type: rule_type.trim().to_owned(),
            args: args.into_iter().map(Into::into).collect(),
        });
        self
    }

    /// Whether v3 writes apply the account's property validation rules too (default: no).
    ///
    /// hubspot-facts.md ("API versions") says 2026-09 applies an account's admin-configured
    /// validation rules to API writes, "a write v3 accepted can be a 400 there": the default
    /// reads that as v3 not applying them. HubSpot's knowledge base says the rules hold
    /// wherever users set values, apart from workflows and some forms, which may include v3
    /// API writes: `true` models that reading.
    pub fn property_validations_on_v3(mut self, on: bool) -> Self {
        self.property_validations_on_v3 = on;
        self
    }
}

/// One rule as stored: what it was set to, and its check when the sandbox enforces it.
#[derive(Debug, Clone)]
pub(crate) struct StoredRule {
    rule_type: String,
    args: Vec<String>,
    normalize: bool,
    check: Option<Check>,
}

impl StoredRule {
    fn new(rule_type: &str, args: Vec<String>, normalize: bool) -> Self {
        let check = if normalize {
            // HubSpot does not say how it normalizes a value first.
            None
        } else {
            Check::parse(rule_type, &args)
        };
        StoredRule {
            rule_type: rule_type.to_owned(),
            args,
            normalize,
            check,
        }
    }

    /// The rule as the API answers it (`PublicPropertyValidationRule`).
    pub fn to_json(&self) -> Value {
        json!({
            "ruleType": self.rule_type,
            "ruleArguments": self.args,
            "shouldApplyNormalization": self.normalize,
        })
    }
}

/// The rules of one object type, by property (in name order), each property's rules in the
/// order they were first set.
pub(crate) type TypeRules = BTreeMap<String, Vec<StoredRule>>;

/// Every object type's rules, by canonical type. Writes take an `Arc` of their type's rules,
/// so a PUT meanwhile does not change a write under way.
#[derive(Debug, Default)]
pub(crate) struct Account {
    by_type: HashMap<String, Arc<TypeRules>>,
}

impl Account {
    /// The configured rules, each type resolved as a path would be.
    pub fn from_config(config: &SandboxConfig) -> std::io::Result<Account> {
        let invalid =
            |message: String| std::io::Error::new(std::io::ErrorKind::InvalidInput, message);
        let mut account = Account::default();
        for rule in &config.property_validations {
            let otype = config.resolve_type(&rule.object_type).ok_or_else(|| {
                invalid(format!(
                    "property_validation: no object type {:?}",
                    rule.object_type
                ))
            })?;
            if !RULE_TYPES.contains(&rule.rule_type.as_str()) {
                return Err(invalid(format!(
                    "property_validation: {:?} is not a rule type of the property validations spec",
                    rule.rule_type
                )));
            }
            if rule.property.is_empty() {
                return Err(invalid(
                    "property_validation: empty property name".to_owned(),
                ));
            }
            account.put(
                &otype,
                &rule.property,
                &rule.rule_type,
                rule.args.clone(),
                false,
            );
        }
        Ok(account)
    }

    /// The rules of the canonical type `otype`, if it has any.
    pub fn of(&self, otype: &str) -> Option<Arc<TypeRules>> {
        self.by_type.get(otype).cloned()
    }

    /// Sets `property`'s rule of `rule_type`, replacing the one there was (property
    /// validations guide: a PUT overwrites the rule of its type, not the others).
    pub fn put(
        &mut self,
        otype: &str,
        property: &str,
        rule_type: &str,
        args: Vec<String>,
        normalize: bool,
    ) {
        let rules = Arc::make_mut(self.by_type.entry(otype.to_owned()).or_default());
        let list = rules.entry(property.to_owned()).or_default();
        let rule = StoredRule::new(rule_type, args, normalize);
        match list.iter_mut().find(|r| r.rule_type == rule_type) {
            Some(old) => *old = rule,
            None => list.push(rule),
        }
    }
}

impl Shared {
    /// The property validation rules a write of `otype` on the API line `dated` (2026-09)
    /// must pass: none on v3 unless [`SandboxConfig::property_validations_on_v3`].
    pub(crate) fn property_rules(&self, otype: &str, dated: bool) -> Option<Arc<TypeRules>> {
        if !dated && !self.config.property_validations_on_v3 {
            return None;
        }
        lock(&self.property_validations).of(otype)
    }
}

/// Checks the values a write gives (validated, as written) against `rules`; every value
/// that breaks a rule is named in one refusal, as other refused values are.
pub(crate) fn check(rules: &TypeRules, props: &[(String, String)]) -> ApiResult<()> {
    let mut bad: Vec<(String, String, &str)> = Vec::new();
    for (name, value) in props {
        if value.is_empty() {
            continue;
        }
        let checks = rules.get(name).into_iter().flatten();
        if let Some(message) = checks
            .filter_map(|r| r.check.as_ref()?.refuse(value))
            .next()
        {
            bad.push((name.clone(), message, REFUSED_BY_RULE));
        }
    }
    if bad.is_empty() {
        Ok(())
    } else {
        Err(crate::store::property_error(&bad))
    }
}

/// An enforced rule.
#[derive(Debug, Clone)]
enum Check {
    MinLength(usize),
    MaxLength(usize),
    MinNumber(f64, String),
    MaxNumber(f64, String),
    Pattern(Regex),
    Domains {
        email: bool,
        allowed: bool,
        domains: Vec<String>,
    },
    Characters(&'static str),
}

impl Check {
    /// The check of a rule, when the sandbox enforces it and its arguments are of its form.
    fn parse(rule_type: &str, args: &[String]) -> Option<Check> {
        let only = match args {
            [one] => Some(one.trim()),
            _ => None,
        };
        let number = || only.and_then(decimal).filter(|(n, _)| n.is_finite());
        let domains = |email: bool, allowed: bool| {
            let domains: Option<Vec<String>> = args.iter().map(|a| domain_arg(a, email)).collect();
            domains
                .filter(|d| !d.is_empty())
                .map(|domains| Check::Domains {
                    email,
                    allowed,
                    domains,
                })
        };
        match rule_type {
            "MIN_LENGTH" => only?.parse().ok().map(Check::MinLength),
            "MAX_LENGTH" => only?.parse().ok().map(Check::MaxLength),
            "MIN_NUMBER" => number().map(|(n, t)| Check::MinNumber(n, t)),
            "MAX_NUMBER" => number().map(|(n, t)| Check::MaxNumber(n, t)),
            "REGEX" => match args {
                [pattern] if !pattern.is_empty() => Regex::new(pattern).ok().map(Check::Pattern),
                _ => None,
            },
            "EMAIL_ALLOWED_DOMAINS" => domains(true, true),
            "EMAIL_BLOCKED_DOMAINS" => domains(true, false),
            "URL_ALLOWED_DOMAINS" => domains(false, true),
            "URL_BLOCKED_DOMAINS" => domains(false, false),
            "ALPHANUMERIC" => match only? {
                "ALPHANUMERIC" => Some(Check::Characters("ALPHANUMERIC")),
                "ALPHA_ONLY" => Some(Check::Characters("ALPHA_ONLY")),
                "NUMERIC_ONLY" => Some(Check::Characters("NUMERIC_ONLY")),
                _ => None,
            },
            _ => None,
        }
    }

    /// Why `value` (not empty) breaks the rule, if it does.
    fn refuse(&self, value: &str) -> Option<String> {
        match self {
            Check::MinLength(min) => (value.chars().count() < *min)
                .then(|| format!("{value} is shorter than {min} characters (MIN_LENGTH rule)")),
            Check::MaxLength(max) => (value.chars().count() > *max)
                .then(|| format!("{value} is longer than {max} characters (MAX_LENGTH rule)")),
            Check::MinNumber(min, text) => match decimal(value) {
                None => Some(format!("{value} is not a number (MIN_NUMBER rule)")),
                Some((n, _)) => {
                    (n < *min).then(|| format!("{value} is less than {text} (MIN_NUMBER rule)"))
                }
            },
            Check::MaxNumber(max, text) => match decimal(value) {
                None => Some(format!("{value} is not a number (MAX_NUMBER rule)")),
                Some((n, _)) => {
                    (n > *max).then(|| format!("{value} is greater than {text} (MAX_NUMBER rule)"))
                }
            },
            Check::Pattern(regex) => (!regex.is_match(value)).then(|| {
                format!(
                    "{value} does not match the pattern {} (REGEX rule)",
                    regex.as_str()
                )
            }),
            Check::Domains {
                email,
                allowed,
                domains,
            } => refuse_domain(value, *email, *allowed, domains),
            Check::Characters(set) => {
                let allows = |c: char| {
                    c.is_whitespace()
                        || match *set {
                            "ALPHA_ONLY" => c.is_alphabetic(),
                            "NUMERIC_ONLY" => c.is_numeric(),
                            _ => c.is_alphanumeric(),
                        }
                };
                value.chars().any(|c| !allows(c)).then(|| {
                    format!("{value} has characters other than {set} allows (ALPHANUMERIC rule)")
                })
            }
        }
    }
}

/// A decimal number (as number properties take them) and its text.
fn decimal(text: &str) -> Option<(f64, String)> {
    let text = text.trim();
    if !crate::values::is_decimal(text) {
        return None;
    }
    text.parse().ok().map(|n| (n, text.to_owned()))
}

/// A domain argument, lowercase: `example.com`, `@example.com` for email rules, or a URL
/// for URL rules; `None` for anything else (a wildcard among them).
fn domain_arg(arg: &str, email: bool) -> Option<String> {
    let arg = arg.trim();
    let domain = if !email && arg.contains("://") {
        url_host(arg)?
    } else {
        arg.trim_start_matches('@').to_ascii_lowercase()
    };
    let label_ok =
        |l: &str| !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    domain.split('.').all(label_ok).then_some(domain)
}

/// The host of a URL, lowercase; a value without a scheme is read as `http://`.
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

fn refuse_domain(value: &str, email: bool, allowed: bool, domains: &[String]) -> Option<String> {
    let host = if email {
        value
            .trim()
            .rsplit_once('@')
            .map(|(_, d)| d.trim_end_matches('.').to_ascii_lowercase())
            .filter(|d| !d.is_empty())
    } else {
        url_host(value)
    };
    let rule = match (email, allowed) {
        (true, true) => "EMAIL_ALLOWED_DOMAINS",
        (true, false) => "EMAIL_BLOCKED_DOMAINS",
        (false, true) => "URL_ALLOWED_DOMAINS",
        (false, false) => "URL_BLOCKED_DOMAINS",
    };
    let within =
        |host: &str, d: &str| host == d || host.strip_suffix(d).is_some_and(|r| r.ends_with('.'));
    let refused = match &host {
        Some(host) if allowed => !domains.iter().any(|d| within(host, d)),
        Some(host) => domains.contains(host),
        None => allowed,
    };
    let why = if allowed {
        "is not at a domain the"
    } else {
        "is at a domain the"
    };
    let verb = if allowed { "allows" } else { "blocks" };
    refused.then(|| format!("{value} {why} {rule} rule {verb}"))
}
