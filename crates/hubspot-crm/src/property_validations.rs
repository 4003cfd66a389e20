//! The account's property validation rules (`/crm/v3/property-validations/{objectTypeId}`,
//! or `/crm/property-validations/2026-09/...`): read, written, cached per client, and checked
//! locally where the rule can be checked without guessing.
//!
//! Admins set these rules per property (a postal code of digits only, a name of at most 50
//! characters). HubSpot's 2026-09 API applies them to API writes, so a value that breaks one
//! is refused there; [`ValidationRules::check`] finds such values before anything is sent.

mod check;

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use hubspot_crm_api::shared::{PublicPropertyValidationRule, PublicPropertyValidationRuleMap};

use crate::client::Client;
use crate::error::{Error, Result, ValidationError};
use crate::route::{family, on_version};
use crate::validate::{check_object_type, path_segment, property_name};

use check::{Check, Unchecked};

/// What a rule of one type is set to (HubSpot's `PublicPropertyValidationRuleUpdate`): its
/// `ruleArguments` and, optionally, `shouldApplyNormalization`.
pub use hubspot_crm_api::shared::PublicPropertyValidationRuleUpdate as ValidationRuleUpdate;

/// Declares [`RuleType`] from one list of variants and HubSpot's names.
macro_rules! rule_types {
    ($($(#[$doc:meta])* $variant:ident => $name:literal,)*) => {
        /// A kind of property validation rule (HubSpot's `ruleType`), as the property
        /// validations spec lists them.
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum RuleType {
            $($(#[$doc])* $variant,)*
            /// A rule type HubSpot added after this crate was built: read and listed as
            /// unchecked, never sent.
            Other(String),
        }

        impl RuleType {
            /// Every rule type the spec lists.
            pub const ALL: &[RuleType] = &[$(RuleType::$variant,)*];

            /// HubSpot's name of the rule type, e.g. `MAX_LENGTH`.
            pub fn as_str(&self) -> &str {
                match self {
                    $(RuleType::$variant => $name,)*
                    RuleType::Other(name) => name,
                }
            }

            /// The rule type HubSpot names `name`; an unknown name is [`RuleType::Other`].
            pub fn parse(name: &str) -> RuleType {
                match name {
                    $($name => RuleType::$variant,)*
                    other => RuleType::Other(other.to_owned()),
                }
            }
        }
    };
}

rule_types! {
    /// A datetime at least a period (ISO 8601, `["P1Y"]`) after now.
    AfterDatetimeDuration => "AFTER_DATETIME_DURATION",
    /// A date at least a period (`["P7D"]`) after today.
    AfterDuration => "AFTER_DURATION",
    /// Only letters and digits, only letters or only digits (`["ALPHANUMERIC"]`,
    /// `["ALPHA_ONLY"]`, `["NUMERIC_ONLY"]`).
    Alphanumeric => "ALPHANUMERIC",
    /// A datetime at least a period before now.
    BeforeDatetimeDuration => "BEFORE_DATETIME_DURATION",
    /// A date at least a period before today.
    BeforeDuration => "BEFORE_DURATION",
    /// A date on certain days of the week.
    DaysOfWeek => "DAYS_OF_WEEK",
    /// A number with a limited number of decimal places.
    Decimal => "DECIMAL",
    /// A domain name.
    Domain => "DOMAIN",
    /// An email address.
    Email => "EMAIL",
    /// An email address at one of the listed domains.
    EmailAllowedDomains => "EMAIL_ALLOWED_DOMAINS",
    /// An email address at none of the listed domains.
    EmailBlockedDomains => "EMAIL_BLOCKED_DOMAINS",
    /// A date on or before a given date.
    EndDate => "END_DATE",
    /// A datetime on or before a given datetime.
    EndDatetime => "END_DATETIME",
    /// A value of a given format.
    Format => "FORMAT",
    /// At most this many characters (`["50"]`).
    MaxLength => "MAX_LENGTH",
    /// A number of at most this (`["100"]`).
    MaxNumber => "MAX_NUMBER",
    /// At least this many characters (`["2"]`).
    MinLength => "MIN_LENGTH",
    /// A number of at least this (`["1"]`).
    MinNumber => "MIN_NUMBER",
    /// A phone number that starts with its country code.
    PhoneNumberWithExplicitCountryCode => "PHONE_NUMBER_WITH_EXPLICIT_COUNTRY_CODE",
    /// A value matching a regular expression (`["^[A-Z]{3}-\\d+$"]`).
    Regex => "REGEX",
    /// Limits on special characters.
    SpecialCharacters => "SPECIAL_CHARACTERS",
    /// A date on or after a given date.
    StartDate => "START_DATE",
    /// A datetime on or after a given datetime.
    StartDatetime => "START_DATETIME",
    /// A URL.
    Url => "URL",
    /// A URL at one of the listed domains.
    UrlAllowedDomains => "URL_ALLOWED_DOMAINS",
    /// A URL at none of the listed domains.
    UrlBlockedDomains => "URL_BLOCKED_DOMAINS",
    /// Limits on whitespace.
    Whitespace => "WHITESPACE",
}

impl fmt::Display for RuleType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for RuleType {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for RuleType {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        String::deserialize(d).map(|name| RuleType::parse(&name))
    }
}

/// One rule of a property as HubSpot returns it: the generated `PublicPropertyValidationRule`
/// (`rule_type`, `rule_arguments`, `should_apply_normalization` through `Deref`), with its
/// type typed.
#[derive(Clone, Debug)]
pub struct ValidationRule(PublicPropertyValidationRule);

impl ValidationRule {
    /// The kind of rule.
    pub fn rule_type(&self) -> RuleType {
        RuleType::parse(&self.0.rule_type)
    }

    /// Its arguments, as the account set them (`["50"]` for a `MAX_LENGTH` of 50).
    pub fn arguments(&self) -> &[String] {
        &self.0.rule_arguments
    }
}

impl From<PublicPropertyValidationRule> for ValidationRule {
    fn from(rule: PublicPropertyValidationRule) -> Self {
        ValidationRule(rule)
    }
}

crate::model::deref_to!(ValidationRule => PublicPropertyValidationRule, 0);

/// One property's rules as HubSpot lists them: the generated `PublicPropertyValidationRuleMap`
/// (`property_name`, `property_validation_rules` through `Deref`).
#[derive(Clone, Debug)]
pub struct PropertyRules(PublicPropertyValidationRuleMap);

impl PropertyRules {
    /// The property the rules are about.
    pub fn property(&self) -> &str {
        &self.0.property_name
    }

    /// Its rules, typed.
    pub fn rules(&self) -> Vec<ValidationRule> {
        self.0
            .property_validation_rules
            .iter()
            .cloned()
            .map(ValidationRule)
            .collect()
    }
}

impl From<PublicPropertyValidationRuleMap> for PropertyRules {
    fn from(map: PublicPropertyValidationRuleMap) -> Self {
        PropertyRules(map)
    }
}

crate::model::deref_to!(PropertyRules => PublicPropertyValidationRuleMap, 0);

/// The validation rules of one object type's properties, read once into checks.
///
/// Checked here: `MIN_LENGTH` and `MAX_LENGTH` (characters, not bytes), `MIN_NUMBER` and
/// `MAX_NUMBER` (a value that is not a number breaks them), `REGEX` (compiled once, found
/// anywhere in the value unless anchored), `EMAIL_ALLOWED_DOMAINS`, `EMAIL_BLOCKED_DOMAINS`,
/// `URL_ALLOWED_DOMAINS`, `URL_BLOCKED_DOMAINS` and `ALPHANUMERIC`. Where HubSpot leaves a
/// detail open, a check takes the reading that refuses less, so what it refuses HubSpot
/// refuses too.
///
/// Left to HubSpot, and listed by [`Self::unchecked`]: every other rule type; a rule whose
/// arguments are not of its type's form (`MAX_LENGTH ["ten"]`); a pattern that does not
/// compile here (HubSpot's regular expressions are not Rust's; logged); and a rule with
/// `shouldApplyNormalization`, since HubSpot does not say how it changes the value first.
#[derive(Clone, Debug)]
pub struct ValidationRules {
    object_type: String,
    properties: Vec<PropertyRules>,
    checks: BTreeMap<String, Vec<Check>>,
    unchecked: Vec<(String, RuleType)>,
}

impl ValidationRules {
    /// The rules of `object_type`'s properties, e.g. from [`PropertyValidations::list`].
    pub fn new(
        object_type: impl Into<String>,
        properties: impl IntoIterator<Item = PropertyRules>,
    ) -> Self {
        let properties: Vec<PropertyRules> = properties.into_iter().collect();
        let mut rules = ValidationRules {
            object_type: object_type.into(),
            properties: Vec::new(),
            checks: BTreeMap::new(),
            unchecked: Vec::new(),
        };
        for property in &properties {
            for rule in &property.property_validation_rules {
                rules.add(&property.property_name, rule);
            }
        }
        rules.properties = properties;
        rules
    }

    /// Reads one rule into a check, or lists it as unchecked.
    fn add(&mut self, property: &str, rule: &PublicPropertyValidationRule) {
        let rule_type = RuleType::parse(&rule.rule_type);
        let args = rule.rule_arguments.as_slice();
        let parsed = if rule.should_apply_normalization {
            Err(Unchecked::NotLocal)
        } else {
            check::parse(&rule_type, args)
        };
        match parsed {
            Ok(check) => self
                .checks
                .entry(property.to_owned())
                .or_default()
                .push(check),
            Err(why) => {
                self.log_unchecked(property, &rule_type, args, &why);
                self.unchecked.push((property.to_owned(), rule_type));
            }
        }
    }

    fn log_unchecked(
        &self,
        property: &str,
        rule_type: &RuleType,
        args: &[String],
        why: &Unchecked,
    ) {
        let object_type = self.object_type.as_str();
        match why {
            Unchecked::NotLocal => {}
            Unchecked::Arguments(reason) => tracing::warn!(
                object_type, property, %rule_type, ?args, reason = reason.as_str(),
                "a property validation rule's arguments do not parse; HubSpot will check it"
            ),
            Unchecked::Pattern(error) => tracing::warn!(
                object_type, property, %rule_type, ?args, error = error.as_str(),
                "a REGEX validation rule does not compile here; HubSpot will check it"
            ),
        }
    }

    /// The object type the rules belong to, as it was asked for.
    pub fn object_type(&self) -> &str {
        &self.object_type
    }

    /// Every property's rules, as HubSpot listed them.
    pub fn properties(&self) -> &[PropertyRules] {
        &self.properties
    }

    /// Checks one value to write; an empty value (clearing) passes. Err names the property as
    /// its field, and the rule in its message.
    pub fn check(&self, property: &str, value: &str) -> std::result::Result<(), ValidationError> {
        if value.is_empty() {
            return Ok(());
        }
        let Some(checks) = self.checks.get(property) else {
            return Ok(());
        };
        for check in checks {
            check
                .check(value)
                .map_err(|reason| ValidationError::new(property, reason))?;
        }
        Ok(())
    }

    /// Checks values to write, by property name; the first value that breaks a rule is the
    /// error. For a batch, call it per input and attribute the error with
    /// [`ValidationError::at_item`].
    pub fn check_values(
        &self,
        values: &BTreeMap<String, String>,
    ) -> std::result::Result<(), ValidationError> {
        values
            .iter()
            .try_for_each(|(property, value)| self.check(property, value))
    }

    /// The rules this client cannot check itself (HubSpot checks them), for docs and logs.
    pub fn unchecked(&self) -> impl Iterator<Item = (&str, RuleType)> {
        self.unchecked
            .iter()
            .map(|(property, rule_type)| (property.as_str(), rule_type.clone()))
    }
}

/// The key a type's rules are cached under: the type as the path names it (the property
/// validations API takes type ids, which the account checks always send), without case.
fn rules_key(object_type: &str) -> String {
    object_type.trim().to_ascii_lowercase()
}

impl Client {
    /// The account's property validation rules: read, written, and checked locally.
    pub fn property_validations(&self) -> PropertyValidations {
        PropertyValidations::new(self.clone())
    }
}

/// HubSpot's property validations API: the rules an account's admins set on property values
/// (lengths, ranges, patterns, domains, ...). Get one with [`Client::property_validations`].
///
/// Object types go into the path as given, a name (`contacts`) or an id (`0-1`).
///
/// ```no_run
/// # async fn run() -> hubspot_crm::Result<()> {
/// use hubspot_crm::{RuleType, ValidationRuleUpdate};
///
/// let client = hubspot_crm::Client::from_env()?;
/// let validations = client.property_validations();
/// validations
///     .put_rule(
///         "deals",
///         "dealname",
///         RuleType::MaxLength,
///         ValidationRuleUpdate {
///             rule_arguments: vec!["80".to_owned()],
///             should_apply_normalization: None,
///         },
///     )
///     .await?;
/// let rules = validations.of("deals").await?;
/// if let Err(e) = rules.check("dealname", &"x".repeat(81)) {
///     println!("refused before sending: {e}");
/// }
/// for (property, rule_type) in rules.unchecked() {
///     println!("HubSpot checks {rule_type} on {property}");
/// }
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct PropertyValidations {
    client: Client,
}

impl PropertyValidations {
    /// The property validations API through `client`.
    pub fn new(client: Client) -> Self {
        PropertyValidations { client }
    }

    /// The client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Reads the rules of every property of an object type that has some
    /// (`GET /crm/v3/property-validations/{objectTypeId}`, or its 2026-09 path), and caches
    /// them for [`Self::of`].
    pub async fn list(&self, object_type: &str) -> Result<Vec<PropertyRules>> {
        check_object_type("objectTypeId", object_type)?;
        let list = self.fetch(object_type).await?;
        self.store(object_type, list.clone());
        Ok(list)
    }

    /// Reads one property's rules
    /// (`GET /crm/v3/property-validations/{objectTypeId}/{propertyName}`, or its 2026-09 path).
    pub async fn get(&self, object_type: &str, property: &str) -> Result<Vec<ValidationRule>> {
        check_path(object_type, property)?;
        let (call, api) = self.client.start::<family::PropertyValidations>().await?;
        on_version!(api, |api| {
            let result = api
                .get()
                .object_type_id(object_type)
                .property_name(property)
                .send()
                .await;
            let list = call.finish(result, Vec::new)?;
            Ok(list.results.into_iter().map(ValidationRule).collect())
        })
    }

    /// Reads one rule of a property (`GET .../{objectTypeId}/{propertyName}/rule-type/{ruleType}`).
    /// A property without a rule of that type is an [`Error::Api`] (HubSpot's 404).
    pub async fn get_rule(
        &self,
        object_type: &str,
        property: &str,
        rule_type: RuleType,
    ) -> Result<ValidationRule> {
        check_path(object_type, property)?;
        let rule_type = sendable(&rule_type)?;
        let (call, api) = self.client.start::<family::PropertyValidations>().await?;
        on_version!(api, |api| {
            let result = api
                .get_rule()
                .object_type_id(object_type)
                .property_name(property)
                .rule_type(rule_type)
                .send()
                .await;
            call.finish(result, Vec::new).map(ValidationRule)
        })
    }

    /// Sets a property's rule of one type, replacing the one there was
    /// (`PUT .../{objectTypeId}/{propertyName}/rule-type/{ruleType}`; HubSpot keeps the
    /// property's rules of other types). Arguments this client knows the form of are checked
    /// first: one number of characters for lengths, one number for ranges, one pattern for
    /// `REGEX`, `ALPHANUMERIC`, `ALPHA_ONLY` or `NUMERIC_ONLY` for `ALPHANUMERIC`, domains for
    /// the domain rules. Then the cached rules are dropped, so that [`Self::of`] reads them
    /// again: those of every type, as one type may be cached under its name and its id.
    pub async fn put_rule(
        &self,
        object_type: &str,
        property: &str,
        rule_type: RuleType,
        update: ValidationRuleUpdate,
    ) -> Result<()> {
        check_path(object_type, property)?;
        let name = sendable(&rule_type)?;
        check_arguments(&rule_type, &update.rule_arguments)?;
        let (call, api) = self.client.start::<family::PropertyValidations>().await?;
        let outcome = on_version!(api, |api| {
            let result = api
                .put_rule()
                .object_type_id(object_type)
                .property_name(property)
                .rule_type(name)
                .body(update)
                .send()
                .await;
            call.finish(result, Vec::new)
        });
        // Whatever the outcome: an error may come after HubSpot made the change.
        self.client.caches().validation_rules.clear();
        outcome.map(|_| ())
    }

    /// The rules of an object type, read from HubSpot once per client (clones share them)
    /// and read again once they are 10 minutes old; a failed read is not kept. Call
    /// [`Self::refresh`] after rules change elsewhere.
    pub async fn of(&self, object_type: &str) -> Result<Arc<ValidationRules>> {
        check_object_type("objectTypeId", object_type)?;
        self.client
            .caches()
            .validation_rules
            .get_or_try_fetch(rules_key(object_type), || async {
                let list = self.fetch(object_type).await?;
                Ok::<_, Error>(Arc::new(ValidationRules::new(object_type, list)))
            })
            .await
    }

    /// Reads an object type's rules from HubSpot again and caches them.
    pub async fn refresh(&self, object_type: &str) -> Result<Arc<ValidationRules>> {
        check_object_type("objectTypeId", object_type)?;
        let list = self.fetch(object_type).await?;
        // Other spellings of the type would keep the old copy.
        self.client.caches().validation_rules.clear();
        Ok(self.store(object_type, list))
    }

    fn store(&self, object_type: &str, list: Vec<PropertyRules>) -> Arc<ValidationRules> {
        let rules = Arc::new(ValidationRules::new(object_type, list));
        self.client
            .caches()
            .validation_rules
            .store(rules_key(object_type), rules.clone());
        rules
    }

    async fn fetch(&self, object_type: &str) -> Result<Vec<PropertyRules>> {
        let (call, api) = self.client.start::<family::PropertyValidations>().await?;
        on_version!(api, |api| {
            let result = api.list().object_type_id(object_type).send().await;
            let list = call.finish(result, Vec::new)?;
            Ok(list.results.into_iter().map(PropertyRules).collect())
        })
    }
}

/// Checks the path values of a property's rules: an object type, and a property name.
fn check_path(object_type: &str, property: &str) -> std::result::Result<(), ValidationError> {
    check_object_type("objectTypeId", object_type)?;
    path_segment("propertyName", property)?;
    property_name("propertyName", property)
}

/// HubSpot's name of a rule type the API takes.
fn sendable(rule_type: &RuleType) -> std::result::Result<&str, ValidationError> {
    match rule_type {
        RuleType::Other(name) => Err(ValidationError::new(
            "ruleType",
            format!(
                "`{}` is not a rule type of the property validations API (e.g. MAX_LENGTH, REGEX)",
                name.escape_debug()
            ),
        )),
        known => Ok(known.as_str()),
    }
}

/// Refuses arguments a length or number rule could not take (one number). Other rules' are
/// sent as given: HubSpot's forms for domains and patterns are not documented, and a pattern
/// that does not compile here may in HubSpot's dialect.
fn check_arguments(
    rule_type: &RuleType,
    args: &[String],
) -> std::result::Result<(), ValidationError> {
    let numeric = matches!(
        rule_type,
        RuleType::MinLength | RuleType::MaxLength | RuleType::MinNumber | RuleType::MaxNumber
    );
    match check::parse(rule_type, args) {
        Err(Unchecked::Arguments(reason)) if numeric => Err(ValidationError::new(
            "ruleArguments",
            format!("{rule_type}: {reason}"),
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests;
