//! How long a GET's query string is as sent, and which names of a read's property lists fit
//! into the client's budget for it
//! ([`ClientBuilder::max_query_length`](crate::ClientBuilder::max_query_length)); the names
//! left over are read by batch reads (see `long_lists`).

use crate::error::ValidationError;
use crate::model::OBJECT_ID_PROPERTY;

/// The length of a query string as requests encode it (`application/x-www-form-urlencoded`,
/// each `,` of a list as `%2C`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct QueryLength {
    bytes: usize,
    pairs: usize,
}

impl QueryLength {
    /// The query of the parameters given a value.
    pub(crate) fn of(pairs: &[(&str, Option<&str>)]) -> Self {
        pairs
            .iter()
            .filter_map(|(key, value)| value.map(|v| (key, v)))
            .fold(QueryLength::default(), |query, (key, value)| {
                query.with(key, value)
            })
    }

    /// The query with `key=value` added.
    fn with(self, key: &str, value: &str) -> Self {
        QueryLength {
            bytes: self.bytes + usize::from(self.pairs > 0) + encoded(key) + 1 + encoded(value),
            pairs: self.pairs + 1,
        }
    }

    /// The query with the comma-joined `names` added as `key`, if there are any.
    fn with_list(self, key: &str, names: &[String]) -> Self {
        if names.is_empty() {
            self
        } else {
            self.with(key, &names.join(","))
        }
    }
}

fn encoded(text: &str) -> usize {
    form_urlencoded::byte_serialize(text.as_bytes())
        .map(str::len)
        .sum()
}

/// Where a read's property lists go: into its GET's query string, or into batch reads of the
/// records it returned.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Split {
    /// `properties` of the GET.
    pub(crate) properties: Vec<String>,
    /// `propertiesWithHistory` of the GET.
    pub(crate) history: Vec<String>,
    /// Properties read by batch read afterwards.
    pub(crate) rest_properties: Vec<String>,
    /// Properties with history read by batch read afterwards.
    pub(crate) rest_history: Vec<String>,
}

impl Split {
    /// Whether the GET carries everything.
    pub(crate) fn is_whole(&self) -> bool {
        self.rest_properties.is_empty() && self.rest_history.is_empty()
    }
}

/// Splits `properties` and `history` so that the GET's query string, `others` and the names
/// kept, stays within `budget` bytes: all of them when they fit, else the first names that
/// fit, the others left for batch reads. `field` names the parameter to blame when `others`
/// leaves no room.
pub(crate) fn split(
    others: QueryLength,
    properties: Vec<String>,
    history: Vec<String>,
    budget: usize,
    field: &str,
) -> std::result::Result<Split, ValidationError> {
    let whole = others
        .with_list("properties", &properties)
        .with_list("propertiesWithHistory", &history);
    if whole.bytes <= budget {
        return Ok(Split {
            properties,
            history,
            ..Split::default()
        });
    }
    let (mut kept, rest_properties) = fill(others, "properties", properties, budget);
    if kept.is_empty() && !rest_properties.is_empty() {
        // Without a `properties` list HubSpot answers with its defaults: ask for a property
        // every record has (and every answer carries) instead.
        kept = vec![OBJECT_ID_PROPERTY.to_owned()];
    }
    let query = others.with_list("properties", &kept);
    if query.bytes > budget {
        return Err(ValidationError::new(
            field,
            format!(
                "makes the query string {} bytes long before any property is listed, over the client's max_query_length of {budget}",
                others.bytes
            ),
        ));
    }
    let (history, rest_history) = fill(query, "propertiesWithHistory", history, budget);
    Ok(Split {
        properties: kept,
        history,
        rest_properties,
        rest_history,
    })
}

/// The first of `names` that fit into `query` as the list `key` within `budget` bytes, and
/// the others.
fn fill(
    query: QueryLength,
    key: &str,
    mut names: Vec<String>,
    budget: usize,
) -> (Vec<String>, Vec<String>) {
    let mut bytes = query.bytes + usize::from(query.pairs > 0) + encoded(key) + 1;
    let mut kept = 0;
    for (i, name) in names.iter().enumerate() {
        let cost = encoded(name) + if i > 0 { encoded(",") } else { 0 };
        if bytes + cost > budget {
            break;
        }
        bytes += cost;
        kept += 1;
    }
    let rest = names.split_off(kept);
    (names, rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(prefix: &str, n: usize) -> Vec<String> {
        (0..n).map(|i| format!("{prefix}{i:03}")).collect()
    }

    #[test]
    fn query_length_is_the_encoded_length() {
        let query = QueryLength::of(&[("archived", Some("false")), ("after", None)])
            .with_list("properties", &names("p", 3));
        let sent = "archived=false&properties=p000%2Cp001%2Cp002";
        assert_eq!(query.bytes, sent.len());
    }

    #[test]
    fn lists_that_fit_stay_whole() {
        let others = QueryLength::of(&[("archived", Some("false"))]);
        let split = split(others, names("p", 3), names("h", 2), 1_024, "x").unwrap();
        assert!(split.is_whole());
        assert_eq!(split.properties, names("p", 3));
        assert_eq!(split.history, names("h", 2));
    }

    #[test]
    fn long_lists_keep_the_first_names_that_fit_and_leave_the_rest() {
        let others = QueryLength::of(&[("archived", Some("false"))]);
        // "archived=false&properties=" is 26 bytes, each name 4 and each comma 3 more.
        let budget = 26 + 4 + 7 * 9;
        let split = split(others, names("p", 20), names("h", 5), budget, "x").unwrap();
        assert_eq!(split.properties, names("p", 10));
        assert_eq!(split.rest_properties, names("p", 20)[10..]);
        assert!(split.history.is_empty());
        assert_eq!(split.rest_history, names("h", 5));
        let sent = others.with_list("properties", &split.properties);
        assert_eq!(sent.bytes, budget);
    }

    #[test]
    fn history_takes_what_the_properties_leave() {
        let others = QueryLength::default();
        let properties = names("p", 2);
        // "properties=p000%2Cp001" is 22 bytes; "&propertiesWithHistory=h000" 27 more.
        let split = split(others, properties.clone(), names("h", 3), 22 + 27, "x").unwrap();
        assert_eq!(split.properties, properties);
        assert_eq!(split.history, names("h", 1));
        assert_eq!(split.rest_history, names("h", 3)[1..]);
    }

    #[test]
    fn a_first_name_too_long_leaves_the_object_id_in_the_url() {
        let others = QueryLength::default();
        let long = vec!["x".repeat(2_000), "name".to_owned()];
        let split = split(others, long.clone(), Vec::new(), 1_024, "x").unwrap();
        assert_eq!(split.properties, [OBJECT_ID_PROPERTY]);
        assert_eq!(split.rest_properties, long);
    }

    #[test]
    fn other_parameters_past_the_budget_are_a_validation_error() {
        let types = vec!["2-1234567"; 200].join(",");
        let others = QueryLength::of(&[("associations", Some(types.as_str()))]);
        let error = split(others, names("p", 2), Vec::new(), 1_024, "associations").unwrap_err();
        assert_eq!(error.field, "associations");
        assert!(error.reason.contains("max_query_length of 1024"), "{error}");
    }
}
