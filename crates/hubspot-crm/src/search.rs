//! Typed search requests, checked against HubSpot's limits before sending. Each type wraps the
//! generated one that goes on the wire (its fields read through `Deref`), adding constructors
//! and checks.

use hubspot_crm_api::shared::{
    self, PublicObjectSearchRequest, PublicObjectSearchRequestSortsItem,
};

use crate::error::ValidationError;

/// Sort order (HubSpot's `ASCENDING` / `DESCENDING`).
pub use hubspot_crm_api::shared::PublicObjectSearchRequestSortsItemDirection as Direction;

/// Comparison of a filter (HubSpot's `FilterOperator`).
pub use hubspot_crm_api::shared::FilterOperator as Operator;

/// HubSpot's search limits, kept in one place.
pub use crate::validate::search_limits as limits;

/// One condition on a property: the generated `Filter`, built by its comparison.
#[derive(Clone, Debug)]
pub struct Filter(shared::Filter);

impl Filter {
    fn new(property: impl Into<String>, operator: Operator) -> Self {
        Filter(shared::Filter {
            high_value: None,
            operator,
            property_name: property.into(),
            value: None,
            values: Vec::new(),
        })
    }

    /// `property <operator> value` for the single-value operators (EQ, NEQ, LT, LTE, GT, GTE,
    /// CONTAINS_TOKEN, NOT_CONTAINS_TOKEN).
    pub fn compare(
        property: impl Into<String>,
        operator: Operator,
        value: impl Into<String>,
    ) -> Self {
        let mut filter = Filter::new(property, operator);
        filter.0.value = Some(value.into());
        filter
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
        let mut filter = Self::compare(property, Operator::Between, low);
        filter.0.high_value = Some(high.into());
        filter
    }

    /// `property` is one of `values`.
    pub fn is_in<I, S>(property: impl Into<String>, values: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut filter = Filter::new(property, Operator::In);
        filter.0.values = values.into_iter().map(Into::into).collect();
        filter
    }

    /// `property` is none of `values`.
    pub fn not_in<I, S>(property: impl Into<String>, values: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut filter = Self::is_in(property, values);
        filter.0.operator = Operator::NotIn;
        filter
    }

    /// `property` has a value.
    pub fn has_property(property: impl Into<String>) -> Self {
        Filter::new(property, Operator::HasProperty)
    }

    /// `property` has no value.
    pub fn not_has_property(property: impl Into<String>) -> Self {
        Filter::new(property, Operator::NotHasProperty)
    }
}

crate::model::deref_to!(Filter => shared::Filter, 0);

impl From<Filter> for shared::Filter {
    fn from(filter: Filter) -> Self {
        filter.0
    }
}

/// Filters that must all match: the generated `FilterGroup`.
#[derive(Clone, Debug)]
pub struct FilterGroup(shared::FilterGroup);

impl FilterGroup {
    /// A group of `filters`.
    pub fn new(filters: impl IntoIterator<Item = Filter>) -> Self {
        FilterGroup(shared::FilterGroup {
            filters: filters.into_iter().map(Into::into).collect(),
        })
    }
}

crate::model::deref_to!(FilterGroup => shared::FilterGroup, 0);

impl From<FilterGroup> for shared::FilterGroup {
    fn from(group: FilterGroup) -> Self {
        group.0
    }
}

/// A sort on one property: the generated sort item.
#[derive(Clone, Debug)]
pub struct Sort(PublicObjectSearchRequestSortsItem);

impl Sort {
    /// Ascending by `property`.
    pub fn ascending(property: impl Into<String>) -> Self {
        Sort(PublicObjectSearchRequestSortsItem {
            direction: Some(Direction::Ascending),
            property_name: property.into(),
        })
    }

    /// Descending by `property`.
    pub fn descending(property: impl Into<String>) -> Self {
        Sort(PublicObjectSearchRequestSortsItem {
            direction: Some(Direction::Descending),
            property_name: property.into(),
        })
    }
}

crate::model::deref_to!(Sort => PublicObjectSearchRequestSortsItem, 0);

impl From<Sort> for PublicObjectSearchRequestSortsItem {
    fn from(sort: Sort) -> Self {
        sort.0
    }
}

/// A search: filter groups are OR-ed, filters within a group AND-ed. Wraps the generated
/// request body (fields through `Deref`/`DerefMut`).
///
/// ```
/// use hubspot_crm::{Filter, SearchRequest, Sort};
/// let warm = SearchRequest::new()
///     .filter(Filter::eq("hs_lead_label", "WARM"))
///     .sort(Sort::descending("hs_createdate"))
///     .properties(["hs_lead_name"])
///     .limit(100);
/// assert_eq!(warm.filter_groups.len(), 1);
/// assert!(warm.validate().is_ok());
/// ```
#[derive(Clone, Debug, Default)]
pub struct SearchRequest(PublicObjectSearchRequest);

impl SearchRequest {
    /// An empty search (matches everything).
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a filter group (OR-ed with the others).
    pub fn filter_group(mut self, group: FilterGroup) -> Self {
        self.0.filter_groups.push(group.into());
        self
    }

    /// Adds a group holding one filter.
    pub fn filter(self, filter: Filter) -> Self {
        self.filter_group(FilterGroup::new([filter]))
    }

    /// Sets the sort.
    pub fn sort(mut self, sort: Sort) -> Self {
        self.0.sorts = vec![sort.into()];
        self
    }

    /// Text matched against the object's default searchable properties.
    pub fn query(mut self, query: impl Into<String>) -> Self {
        self.0.query = Some(query.into());
        self
    }

    /// Properties to return.
    pub fn properties<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.0.properties = names.into_iter().map(Into::into).collect();
        self
    }

    /// Page size, at most [`limits::MAX_LIMIT`].
    pub fn limit(mut self, limit: u32) -> Self {
        self.0.limit = Some(i32::try_from(limit).unwrap_or(i32::MAX));
        self
    }

    /// Cursor from the previous page.
    pub fn after(mut self, after: impl Into<String>) -> Self {
        self.0.after = Some(after.into());
        self
    }

    /// The generated body, as sent.
    pub fn as_body(&self) -> &PublicObjectSearchRequest {
        &self.0
    }

    /// Checks HubSpot's limits and rules: filter groups, filters per group and in all, at
    /// most [`limits::MAX_FILTER_VALUES`] values per IN or NOT_IN, sorts, `limit` and `query`
    /// length; that every filter carries exactly what its operator compares with (no value
    /// for HAS_PROPERTY, `values` and not `value` for IN, ...); that property names (of
    /// filters, sorts and `properties`) are names; and that `after` is an offset.
    /// [`Objects::search_page`](crate::Objects::search_page) also rejects an `after` at or
    /// past the 10,000-result window.
    pub fn validate(&self) -> Result<(), ValidationError> {
        crate::validate::search_request(self.as_body())
    }
}

crate::model::deref_to!(mut SearchRequest => PublicObjectSearchRequest, 0);
