//! Account validation rules: requirements an account's admins configure, which HubSpot's
//! date-versioned API (2026-09) applies to writes and the v3 paths do not.

use std::sync::Arc;

use serde_json::json;

use crate::error::{ApiError, ApiResult, Detail};
use crate::schema;
use crate::store::Object;

/// Error code of a property a validation rule requires.
pub(crate) const REQUIRED_FIELD: &str = "REQUIRED_FIELD";

/// A validation rule of the account, applied to writes on the 2026-09 paths only (register
/// it with [`SandboxConfig::validation_rule`](crate::SandboxConfig::validation_rule)).
///
/// A write that breaks a rule is a 400 `VALIDATION_ERROR` whose `errors[]` has one entry per
/// missing property, with code `REQUIRED_FIELD` and `context.propertyName`; in batch writes
/// it refuses the inputs that break it like any other refused value (see
/// [`PartialSuccess`](crate::PartialSuccess)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationRule {
    object_type: String,
    property: String,
    condition: Condition,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Condition {
    /// Required on create (a required field of the create form).
    OnCreate,
    /// Required on any write that leaves `property` equal to `equals`.
    When { property: String, equals: String },
}

impl ValidationRule {
    /// `property` must have a non-blank value when an object of `object_type` (a type name
    /// or id as in a path: `leads`, `0-136`, `2-1234567`) is created. Updates are not
    /// checked.
    pub fn required_on_create(object_type: impl Into<String>, property: impl Into<String>) -> Self {
        ValidationRule {
            object_type: object_type.into(),
            property: property.into(),
            condition: Condition::OnCreate,
        }
    }

    /// `property` must have a non-blank value whenever `when_property` equals `equals`
    /// (exactly) on an object of `object_type`. Checked on creates and updates against the
    /// object as the write leaves it: values the write does not touch count.
    pub fn required_when(
        object_type: impl Into<String>,
        property: impl Into<String>,
        when_property: impl Into<String>,
        equals: impl Into<String>,
    ) -> Self {
        ValidationRule {
            object_type: object_type.into(),
            property: property.into(),
            condition: Condition::When {
                property: when_property.into(),
                equals: equals.into(),
            },
        }
    }

    /// The type the rule is about, as given.
    pub(crate) fn object_type(&self) -> &str {
        &self.object_type
    }
}

/// The rules one write must pass: the required properties of its object type (none on the
/// legacy paths), and its property validation rules.
#[derive(Debug, Default)]
pub(crate) struct Rules<'a> {
    required: Vec<&'a ValidationRule>,
    values: Option<Arc<crate::property_validations::TypeRules>>,
}

impl<'a> Rules<'a> {
    /// No rules (the v3/v4 paths).
    pub fn none() -> Self {
        Rules::default()
    }

    /// The account's required-property rules of a type.
    pub fn required(required: Vec<&'a ValidationRule>) -> Self {
        Rules {
            required,
            values: None,
        }
    }

    /// These rules, and `values`, the property validation rules of the type, if any.
    pub fn with_values(self, values: Option<Arc<crate::property_validations::TypeRules>>) -> Self {
        Rules { values, ..self }
    }

    /// Checks a write of validated `props` to an object of `otype`: a create when
    /// `existing` is `None`, else an update of `existing`.
    pub fn check(
        &self,
        otype: &str,
        props: &[(String, String)],
        existing: Option<&Object>,
    ) -> ApiResult<()> {
        // The values written first, as other refused values come before the record's rules.
        if let Some(values) = &self.values {
            crate::property_validations::check(values, props)?;
        }
        if self.required.is_empty() {
            return Ok(());
        }
        // The value after the write: the last one written, else the stored one.
        let value = |name: &str| {
            props
                .iter()
                .rev()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
                .or_else(|| existing.and_then(|o| o.get(name)))
        };
        let mut missing: Vec<(&str, String)> = Vec::new();
        for rule in &self.required {
            let message = match &rule.condition {
                Condition::OnCreate if existing.is_none() => format!(
                    "Property \"{}\" is required to create a {}",
                    rule.property,
                    schema::singular(otype)
                ),
                Condition::When { property, equals }
                    if value(property) == Some(equals.as_str()) =>
                {
                    format!(
                        "Property \"{}\" is required when \"{property}\" is \"{equals}\"",
                        rule.property
                    )
                }
                _ => continue,
            };
            let blank = value(&rule.property).is_none_or(|v| v.trim().is_empty());
            if blank && !missing.iter().any(|(p, _)| *p == rule.property) {
                missing.push((&rule.property, message));
            }
        }
        if missing.is_empty() {
            return Ok(());
        }
        let summary: Vec<&str> = missing.iter().map(|(_, m)| m.as_str()).collect();
        let details: Vec<Detail> = missing
            .iter()
            .map(|(p, m)| Detail {
                message: m.clone(),
                code: Some(REQUIRED_FIELD.into()),
                context: Some(json!({"propertyName": [p]})),
            })
            .collect();
        Err(ApiError::validation(format!(
            "Property values were not valid: {}",
            summary.join("; ")
        ))
        .with_errors(&details))
    }
}
