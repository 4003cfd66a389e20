//! Typed search requests, checked against HubSpot's limits before sending.

use serde::{Deserialize, Serialize};

use crate::error::ValidationError;

/// HubSpot's search limits, kept in one place.
pub mod limits {
    /// Filter groups per request.
    pub const MAX_FILTER_GROUPS: usize = 5;
    /// Filters in one group.
    pub const MAX_FILTERS_PER_GROUP: usize = 6;
    /// Filters across all groups.
    pub const MAX_FILTERS_TOTAL: usize = 18;
    /// Sorts per request.
    pub const MAX_SORTS: usize = 1;
    /// Results per page.
    pub const MAX_LIMIT: u32 = 200;
    /// Characters in `query`.
    pub const MAX_QUERY_CHARS: usize = 3000;
    /// Results one search can page through; past this HubSpot answers 400.
    pub const MAX_RESULTS: u64 = 10_000;
}

/// Comparison of a filter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Operator {
    /// Equal.
    Eq,
    /// Not equal.
    Neq,
    /// Less than.
    Lt,
    /// Less than or equal.
    Lte,
    /// Greater than.
    Gt,
    /// Greater than or equal.
    Gte,
    /// Between `value` and `high_value`.
    Between,
    /// One of `values`.
    In,
    /// None of `values`.
    NotIn,
    /// Has any value.
    HasProperty,
    /// Has no value.
    NotHasProperty,
    /// Contains the token (`*` wildcards allowed).
    ContainsToken,
    /// Does not contain the token.
    NotContainsToken,
}

impl Operator {
    /// HubSpot's name of the operator.
    pub fn as_str(self) -> &'static str {
        match self {
            Operator::Eq => "EQ",
            Operator::Neq => "NEQ",
            Operator::Lt => "LT",
            Operator::Lte => "LTE",
            Operator::Gt => "GT",
            Operator::Gte => "GTE",
            Operator::Between => "BETWEEN",
            Operator::In => "IN",
            Operator::NotIn => "NOT_IN",
            Operator::HasProperty => "HAS_PROPERTY",
            Operator::NotHasProperty => "NOT_HAS_PROPERTY",
            Operator::ContainsToken => "CONTAINS_TOKEN",
            Operator::NotContainsToken => "NOT_CONTAINS_TOKEN",
        }
    }
}

/// One condition on a property.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Filter {
    /// The property.
    pub property_name: String,
    /// The comparison.
    pub operator: Operator,
    /// The value compared with (most operators).
    pub value: Option<String>,
    /// The upper bound (`BETWEEN`).
    pub high_value: Option<String>,
    /// The values (`IN`, `NOT_IN`).
    pub values: Vec<String>,
}

impl Filter {
    fn new(property: impl Into<String>, operator: Operator) -> Self {
        Filter {
            property_name: property.into(),
            operator,
            value: None,
            high_value: None,
            values: Vec::new(),
        }
    }

    /// `property <operator> value` for the single-value operators (EQ, NEQ, LT, LTE, GT, GTE,
    /// CONTAINS_TOKEN, NOT_CONTAINS_TOKEN).
    pub fn compare(
        property: impl Into<String>,
        operator: Operator,
        value: impl Into<String>,
    ) -> Self {
        Filter {
            value: Some(value.into()),
            ..Filter::new(property, operator)
        }
    }

    /// `property == value`.
    pub fn eq(property: impl Into<String>, value: impl Into<String>) -> Self {
        Self::compare(property, Operator::Eq, value)
    }

    /// `property > value`.
    pub fn gt(property: impl Into<String>, value: impl Into<String>) -> Self {
        Self::compare(property, Operator::Gt, value)
    }

    /// `low <= property <= high`.
    pub fn between(
        property: impl Into<String>,
        low: impl Into<String>,
        high: impl Into<String>,
    ) -> Self {
        Filter {
            value: Some(low.into()),
            high_value: Some(high.into()),
            ..Filter::new(property, Operator::Between)
        }
    }

    /// `property` is one of `values`.
    pub fn is_in<I, S>(property: impl Into<String>, values: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Filter {
            values: values.into_iter().map(Into::into).collect(),
            ..Filter::new(property, Operator::In)
        }
    }

    /// `property` is none of `values`.
    pub fn not_in<I, S>(property: impl Into<String>, values: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Filter {
            operator: Operator::NotIn,
            ..Self::is_in(property, values)
        }
    }

    /// `property` has a value.
    pub fn has_property(property: impl Into<String>) -> Self {
        Filter::new(property, Operator::HasProperty)
    }

    /// `property` has no value.
    pub fn not_has_property(property: impl Into<String>) -> Self {
        Filter::new(property, Operator::NotHasProperty)
    }

    fn validate(&self, field: &str) -> Result<(), ValidationError> {
        if self.property_name.trim().is_empty() {
            return Err(ValidationError::new(
                format!("{field}.propertyName"),
                "must not be blank",
            ));
        }
        let needs = |what: &str| {
            ValidationError::new(
                field.to_owned(),
                format!("{} needs {what}", self.operator.as_str()),
            )
        };
        match self.operator {
            Operator::Between if self.value.is_none() || self.high_value.is_none() => {
                Err(needs("value and high_value"))
            }
            Operator::In | Operator::NotIn if self.values.is_empty() => {
                Err(needs("at least one of values"))
            }
            Operator::Eq
            | Operator::Neq
            | Operator::Lt
            | Operator::Lte
            | Operator::Gt
            | Operator::Gte
            | Operator::ContainsToken
            | Operator::NotContainsToken
                if self.value.is_none() =>
            {
                Err(needs("a value"))
            }
            _ => Ok(()),
        }
    }
}

/// Filters that must all match.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FilterGroup {
    /// The filters, AND-ed.
    pub filters: Vec<Filter>,
}

impl FilterGroup {
    /// A group of `filters`.
    pub fn new(filters: impl IntoIterator<Item = Filter>) -> Self {
        FilterGroup {
            filters: filters.into_iter().collect(),
        }
    }
}

/// Sort order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub enum Direction {
    /// Smallest first.
    Ascending,
    /// Largest first.
    Descending,
}

/// A sort on one property.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Sort {
    /// The property.
    pub property_name: String,
    /// The order.
    pub direction: Direction,
}

impl Sort {
    /// Ascending by `property`.
    pub fn ascending(property: impl Into<String>) -> Self {
        Sort {
            property_name: property.into(),
            direction: Direction::Ascending,
        }
    }

    /// Descending by `property`.
    pub fn descending(property: impl Into<String>) -> Self {
        Sort {
            property_name: property.into(),
            direction: Direction::Descending,
        }
    }
}

/// A search: filter groups are OR-ed, filters within a group AND-ed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SearchRequest {
    /// The filter groups.
    pub filter_groups: Vec<FilterGroup>,
    /// At most one sort.
    pub sorts: Vec<Sort>,
    /// Text matched against the object's default searchable properties.
    pub query: Option<String>,
    /// Properties to return.
    pub properties: Vec<String>,
    /// Page size, at most 200.
    pub limit: Option<u32>,
    /// Cursor from the previous page.
    pub after: Option<String>,
}

impl SearchRequest {
    /// An empty search (matches everything).
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a filter group (OR-ed with the others).
    pub fn filter_group(mut self, group: FilterGroup) -> Self {
        self.filter_groups.push(group);
        self
    }

    /// Adds a group holding one filter.
    pub fn filter(self, filter: Filter) -> Self {
        self.filter_group(FilterGroup::new([filter]))
    }

    /// Sets the sort.
    pub fn sort(mut self, sort: Sort) -> Self {
        self.sorts = vec![sort];
        self
    }

    /// Sets the text query.
    pub fn query(mut self, query: impl Into<String>) -> Self {
        self.query = Some(query.into());
        self
    }

    /// Properties to return.
    pub fn properties<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.properties = names.into_iter().map(Into::into).collect();
        self
    }

    /// Page size.
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = Some(limit);
        self
    }

    /// Cursor to start after.
    pub fn after(mut self, after: impl Into<String>) -> Self {
        self.after = Some(after.into());
        self
    }

    /// Checks HubSpot's limits: filter groups, filters per group and in all, sorts, `limit`
    /// and `query` length.
    pub fn validate(&self) -> Result<(), ValidationError> {
        use limits::*;
        if self.filter_groups.len() > MAX_FILTER_GROUPS {
            return Err(ValidationError::new(
                "filterGroups",
                format!(
                    "{} groups; HubSpot allows at most {MAX_FILTER_GROUPS}",
                    self.filter_groups.len()
                ),
            ));
        }
        let mut total = 0;
        for (g, group) in self.filter_groups.iter().enumerate() {
            if group.filters.is_empty() {
                return Err(ValidationError::new(
                    format!("filterGroups[{g}].filters"),
                    "a group needs at least one filter",
                ));
            }
            if group.filters.len() > MAX_FILTERS_PER_GROUP {
                return Err(ValidationError::new(
                    format!("filterGroups[{g}].filters"),
                    format!(
                        "{} filters; HubSpot allows at most {MAX_FILTERS_PER_GROUP} per group",
                        group.filters.len()
                    ),
                ));
            }
            for (f, filter) in group.filters.iter().enumerate() {
                filter.validate(&format!("filterGroups[{g}].filters[{f}]"))?;
            }
            total += group.filters.len();
        }
        if total > MAX_FILTERS_TOTAL {
            return Err(ValidationError::new(
                "filterGroups",
                format!("{total} filters in all; HubSpot allows at most {MAX_FILTERS_TOTAL}"),
            ));
        }
        if self.sorts.len() > MAX_SORTS {
            return Err(ValidationError::new(
                "sorts",
                format!("{} sorts; HubSpot allows {MAX_SORTS}", self.sorts.len()),
            ));
        }
        if let Some(limit) = self.limit
            && !(1..=MAX_LIMIT).contains(&limit)
        {
            return Err(ValidationError::new(
                "limit",
                format!("{limit} is outside 1..={MAX_LIMIT}"),
            ));
        }
        if let Some(query) = &self.query {
            let chars = query.chars().count();
            if chars > MAX_QUERY_CHARS {
                return Err(ValidationError::new(
                    "query",
                    format!("{chars} characters; HubSpot allows at most {MAX_QUERY_CHARS}"),
                ));
            }
        }
        Ok(())
    }
}
