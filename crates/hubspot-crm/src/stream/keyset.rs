//! The pager of a search: by keyset (ids above the last one seen) when sorted by id, else by
//! HubSpot's offsets up to its 10,000-result window.

use futures::future::BoxFuture;

use crate::error::{Error, Result, ValidationError};
use crate::model::{OBJECT_ID_PROPERTY, Page, Record};
use crate::objects::{CrmObject, Objects};
use crate::search::{Direction, Filter, SearchRequest, Sort, limits};
use crate::stream::pages::Pages;
use crate::stream::{Next, PageItems, Pager};

pub(super) struct SearchPager<O> {
    objects: Objects<O>,
    /// The caller's search with the effective sort, before any restart.
    base: SearchRequest,
    /// The request of the next page.
    next: SearchRequest,
    page_size: u32,
    by_ascending_id: bool,
    /// Whether the stream can restart past the window, or why not.
    keyset: std::result::Result<(), ValidationError>,
    /// The highest record id taken, when sorted by id.
    last_id: Option<u64>,
    /// The id the latest restart started after.
    restarted_after: Option<u64>,
    /// HubSpot's latest `total`.
    total: Option<u64>,
    pages: Pages,
    /// Whether the page being fetched was asked for by keyset (else by offset).
    fetching_by_keyset: bool,
}

impl<O: CrmObject> SearchPager<O> {
    /// The paging of a validated `request`: by `hs_object_id` ascending when it names no sort.
    pub(super) fn new(
        objects: Objects<O>,
        request: SearchRequest,
        max_items: Option<usize>,
    ) -> Self {
        let mut base = request;
        if base.sorts.is_empty() {
            base = base.sort(Sort::ascending(OBJECT_ID_PROPERTY));
        }
        // An unspecified direction is HubSpot's default, ascending.
        let by_ascending_id = matches!(
            base.sorts.as_slice(),
            [sort] if sort.property_name == OBJECT_ID_PROPERTY
                && sort.direction.unwrap_or(Direction::Ascending) == Direction::Ascending
        );
        let keyset = keyset_possible(&base, by_ascending_id);
        let page_size = base
            .limit
            .and_then(|l| u32::try_from(l).ok())
            .unwrap_or(limits::MAX_LIMIT);
        let next = base.clone();
        base.after = None;
        SearchPager {
            objects,
            base,
            next,
            page_size,
            by_ascending_id,
            keyset,
            last_id: None,
            restarted_after: None,
            total: None,
            pages: Pages::new(max_items),
            fetching_by_keyset: false,
        }
    }
}

/// Whether a search can go on past the window by restarting after the last id, or why not.
fn keyset_possible(
    request: &SearchRequest,
    by_ascending_id: bool,
) -> std::result::Result<(), ValidationError> {
    let window = limits::MAX_RESULTS;
    if !by_ascending_id {
        return Err(ValidationError::new(
            "sorts",
            format!(
                "the search has more than {window} results, which HubSpot only pages through when sorted by {OBJECT_ID_PROPERTY} ascending (or unsorted); sort that way, narrow the filters or set max_items"
            ),
        ));
    }
    for (g, group) in request.filter_groups.iter().enumerate() {
        if group.filters.len() >= limits::MAX_FILTERS_PER_GROUP {
            return Err(ValidationError::new(
                format!("filterGroups[{g}].filters"),
                format!(
                    "the search has more than {window} results; reading past them adds a {OBJECT_ID_PROPERTY} filter to each group, and this group already has HubSpot's maximum of {} filters",
                    limits::MAX_FILTERS_PER_GROUP
                ),
            ));
        }
    }
    let filters: usize = request.filter_groups.iter().map(|g| g.filters.len()).sum();
    let added = request.filter_groups.len().max(1);
    if filters + added > limits::MAX_FILTERS_TOTAL {
        return Err(ValidationError::new(
            "filterGroups",
            format!(
                "the search has more than {window} results; reading past them adds a {OBJECT_ID_PROPERTY} filter to each group, which would make {} filters, over HubSpot's {}",
                filters + added,
                limits::MAX_FILTERS_TOTAL
            ),
        ));
    }
    Ok(())
}

/// The base search restricted to ids above `last_id`, from its first page.
fn restart_after(base: &SearchRequest, last_id: u64) -> SearchRequest {
    let above = Filter::gt(OBJECT_ID_PROPERTY, last_id.to_string());
    let mut request = base.clone();
    if request.filter_groups.is_empty() {
        request = request.filter(above);
    } else {
        for group in &mut request.filter_groups {
            group.filters.push(above.clone().into());
        }
    }
    request.after = None;
    request
}

impl<O: CrmObject> Pager for SearchPager<O> {
    type Item = Record;
    type Answer = Result<Page<Record>>;
    type Fetch = BoxFuture<'static, Self::Answer>;

    fn next(&mut self) -> Next<Self::Fetch> {
        if !self.pages.wants_more() {
            return Next::Done;
        }
        let keyset = self.by_ascending_id && self.keyset.is_ok();
        if keyset && let Some(last_id) = self.last_id {
            // Every page after the first starts after the last id, so records archived or
            // changed during the read never shift later ones out of reach.
            if self.restarted_after == Some(last_id) {
                self.pages.more = false;
                return Next::Fail(Error::Paging(format!(
                    "search returned no record above {OBJECT_ID_PROPERTY} {last_id} after filtering on it"
                )));
            }
            self.restarted_after = Some(last_id);
            self.next = restart_after(&self.base, last_id);
        }
        let offset = self
            .next
            .after
            .as_deref()
            .and_then(|a| a.parse::<u64>().ok());
        if offset.is_some_and(|o| o >= limits::MAX_RESULTS) {
            // Offset paging (another sort, or filter groups too full for the id filter) at
            // the window: HubSpot would answer 400.
            self.pages.more = false;
            if self.total.is_some_and(|t| t <= limits::MAX_RESULTS) {
                return Next::Done;
            }
            let reason = match &self.keyset {
                Err(reason) => reason.clone(),
                Ok(()) => ValidationError::new(
                    "after",
                    format!(
                        "starts at or past HubSpot's {}-result window",
                        limits::MAX_RESULTS
                    ),
                ),
            };
            return Next::Fail(reason.into());
        }
        let mut limit = self.pages.limit(self.page_size);
        if let Some(offset) = offset {
            // Stay inside the window.
            limit = limit.min(u32::try_from(limits::MAX_RESULTS - offset).unwrap_or(u32::MAX));
        }
        self.next.limit = Some(i32::try_from(limit).unwrap_or(i32::MAX));
        self.fetching_by_keyset = keyset;
        let objects = self.objects.clone();
        let request = self.next.clone();
        Next::Fetch(Box::pin(async move { objects.send_search(&request).await }))
    }

    fn take(&mut self, answer: Self::Answer, out: &mut PageItems<Record>) {
        let page = match answer {
            Ok(page) => page,
            Err(error) => return self.pages.end_with(error, out),
        };
        self.total = page.total;
        let (results, error) = if self.fetching_by_keyset {
            // The id filter, not HubSpot's offset, leads to the next page.
            self.pages.more = page.next_after.is_some() && !page.results.is_empty();
            (page.results, None)
        } else {
            self.pages.advance(&mut self.next.after, page)
        };
        let mut records = Vec::with_capacity(results.len());
        for record in results {
            if self
                .pages
                .remaining
                .is_some_and(|left| records.len() >= left)
            {
                break;
            }
            if self.by_ascending_id
                && let Ok(id) = record.id.parse::<u64>()
            {
                // A page can overlap what was taken (a server ignoring the id filter, or
                // offsets shifted by a change): each record is yielded once.
                if self.last_id.is_some_and(|last| id <= last) {
                    tracing::debug!(id, "skipping a search result already yielded");
                    continue;
                }
                self.last_id = Some(id);
            }
            records.push(record);
        }
        self.pages.deliver(records, error, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::{Filter, FilterGroup};

    /// The generated search types have no `PartialEq`: compare what goes on the wire.
    fn json<T: serde::Serialize>(value: &T) -> serde_json::Value {
        serde_json::to_value(value).unwrap()
    }

    #[test]
    fn restart_ands_the_id_filter_into_every_group() {
        let base = SearchRequest::new()
            .filter(Filter::eq("hs_lead_label", "WARM"))
            .filter_group(FilterGroup::new([
                Filter::eq("hs_lead_label", "HOT"),
                Filter::has_property("hubspot_owner_id"),
            ]))
            .after("9800");
        let restarted = restart_after(&base, 41);
        assert_eq!(restarted.after, None);
        for group in &restarted.filter_groups {
            assert_eq!(
                json(group.filters.last().unwrap()),
                json(&*Filter::gt("hs_object_id", "41"))
            );
        }
        assert_eq!(restarted.filter_groups[1].filters.len(), 3);
        let unfiltered = restart_after(&SearchRequest::new(), 7);
        assert_eq!(
            json(&unfiltered.filter_groups),
            json(&[&*FilterGroup::new([Filter::gt("hs_object_id", "7")])])
        );
    }

    #[test]
    fn keyset_needs_room_for_one_more_filter_per_group() {
        let five = FilterGroup::new((0..5).map(|i| Filter::eq(format!("p{i}"), "x")));
        let six = FilterGroup::new((0..6).map(|i| Filter::eq(format!("p{i}"), "x")));
        let fits = SearchRequest::new().filter_group(five.clone());
        assert_eq!(keyset_possible(&fits, true), Ok(()));
        let full = SearchRequest::new()
            .filter_group(five.clone())
            .filter_group(six);
        assert_eq!(
            keyset_possible(&full, true).unwrap_err().field,
            "filterGroups[1].filters"
        );
        // 3 groups of 5 make 15; adding 3 makes 18: allowed. 4 groups of 5 are invalid anyway.
        let three = (0..3).fold(SearchRequest::new(), |r, _| r.filter_group(five.clone()));
        assert_eq!(keyset_possible(&three, true), Ok(()));
        let mut over = three.clone();
        over.filter_groups[0].filters.pop();
        over = over.filter_group(FilterGroup::new([
            Filter::eq("a", "1"),
            Filter::eq("b", "1"),
            Filter::eq("c", "1"),
        ]));
        // 14 + 3 = 17 filters in 4 groups; adding 4 makes 21.
        assert_eq!(
            keyset_possible(&over, true).unwrap_err().field,
            "filterGroups"
        );
        assert_eq!(keyset_possible(&fits, false).unwrap_err().field, "sorts");
    }
}
