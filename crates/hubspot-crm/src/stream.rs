//! Streams over every item of a paged read (a list, a search, a record's associations), one
//! page in memory at a time.
//!
//! Pages are fetched only as the stream is read, so dropping it stops the fetching. An error
//! is yielded once and ends the stream. A search sorted by `hs_object_id` pages by keyset
//! (each page asks for ids above the last one seen), so records archived or changed during
//! the read cannot shift others out of reach, and HubSpot's 10,000-result window is never
//! met; with another sort it pages by offset and, at the window, ends with an error saying
//! why, never silently short. Cursors that go in a circle, and endless empty pages, end a
//! stream with [`Error::Paging`].

use std::collections::{HashSet, VecDeque};
use std::future::Future;

use futures::StreamExt;
use futures::stream::BoxStream;

use crate::error::{Error, Result, ValidationError};
use crate::model::{Page, ReadOptions, Record};
use crate::objects::{CrmObject, Objects};
use crate::search::{Direction, Filter, SearchRequest, Sort, limits};

/// The record id property search sorts and filters on to read past 10,000 results.
pub const OBJECT_ID_PROPERTY: &str = "hs_object_id";

/// Records per page of a list: HubSpot's maximum.
pub const MAX_LIST_PAGE_SIZE: u32 = 100;

/// A stream of records; each item is a record or the error that ended the stream.
pub type RecordStream = BoxStream<'static, Result<Record>>;

/// How a list stream pages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StreamOptions {
    /// Records per request, 1 to 100 (default 100).
    pub page_size: u32,
    /// Stop after this many records.
    pub max_items: Option<usize>,
}

impl Default for StreamOptions {
    fn default() -> Self {
        StreamOptions {
            page_size: MAX_LIST_PAGE_SIZE,
            max_items: None,
        }
    }
}

impl StreamOptions {
    /// Pages of 100, no cap.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records per request, 1 to 100.
    pub fn page_size(mut self, page_size: u32) -> Self {
        self.page_size = page_size;
        self
    }

    /// Stop after `max_items` records.
    pub fn max_items(mut self, max_items: usize) -> Self {
        self.max_items = Some(max_items);
        self
    }
}

impl<O: CrmObject> Objects<O> {
    /// Every record, page after page (`paging.next.after`), fetched as the stream is read.
    ///
    /// ```no_run
    /// # async fn run(client: hubspot_crm::Client) -> hubspot_crm::Result<()> {
    /// use futures::StreamExt;
    /// use hubspot_crm::{Lead, ReadOptions, StreamOptions};
    /// let mut leads = client
    ///     .objects::<Lead>()
    ///     .list_stream(ReadOptions::new().properties(["hs_lead_name"]), StreamOptions::new());
    /// while let Some(lead) = leads.next().await {
    ///     println!("{:?}", lead?.property("hs_lead_name"));
    /// }
    /// # Ok(()) }
    /// ```
    pub fn list_stream(&self, options: ReadOptions, stream: StreamOptions) -> RecordStream {
        if stream.page_size == 0 || stream.page_size > MAX_LIST_PAGE_SIZE {
            let error = ValidationError::new(
                "page_size",
                format!("{} is outside 1..={MAX_LIST_PAGE_SIZE}", stream.page_size),
            );
            return failed(error);
        }
        let objects = self.clone();
        let options = std::sync::Arc::new(options);
        cursor_stream(stream.page_size, stream.max_items, move |limit, after| {
            let objects = objects.clone();
            let options = options.clone();
            async move {
                objects
                    .send_list(&options, Some(limit), after.as_deref())
                    .await
            }
        })
    }

    /// Every match of a search, page after page, fetched as the stream is read; at most
    /// `max_items` when given.
    ///
    /// Without a sort, results come in `hs_object_id` order and every page after the first
    /// adds an `hs_object_id > last id` filter to each filter group (keyset paging): no record
    /// is skipped when others are archived or changed meanwhile, and the stream goes on past
    /// HubSpot's 10,000-result window. With another sort, or filter groups too full to take
    /// that filter, pages follow HubSpot's offsets and the stream ends with a
    /// [`ValidationError`] at the window instead of stopping short. Pages default to 200
    /// results (`request.limit` sets another size).
    ///
    /// ```no_run
    /// # async fn run(client: hubspot_crm::Client) -> hubspot_crm::Result<()> {
    /// use futures::TryStreamExt;
    /// use hubspot_crm::{Filter, Lead, SearchRequest};
    /// let warm: Vec<_> = client
    ///     .objects::<Lead>()
    ///     .search_stream(SearchRequest::new().filter(Filter::eq("hs_lead_label", "WARM")), None)
    ///     .try_collect()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn search_stream(&self, request: SearchRequest, max_items: Option<usize>) -> RecordStream {
        if let Err(error) = request.validate() {
            return failed(error);
        }
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
        let state = SearchState::<O> {
            objects: self.clone(),
            base,
            next,
            page_size,
            by_ascending_id,
            keyset,
            last_id: None,
            restarted_after: None,
            total: None,
            pages: Pages::new(max_items),
        };
        futures::stream::unfold(state, next_found).boxed()
    }
}

/// A stream that yields `error` and ends, having sent nothing.
fn failed(error: ValidationError) -> RecordStream {
    futures::stream::once(async move { Err(Error::Validation(error)) }).boxed()
}

/// The page in hand and what is left to read: what every paged read (lists, searches,
/// association lists) keeps between pages.
struct Pages<T> {
    page: std::vec::IntoIter<T>,
    remaining: Option<usize>,
    more: bool,
    /// Yielded once the page in hand is used up.
    pending_error: Option<Error>,
    /// The latest cursors followed (at most [`MAX_REMEMBERED_CURSORS`]): one seen again
    /// would page in a circle.
    cursors: HashSet<String>,
    cursor_order: VecDeque<String>,
    /// Empty pages in a row that still named a next page.
    empty_pages: u32,
}

/// Cursors a stream remembers to notice a cycle; a cycle longer than this is not seen, but
/// [`MAX_EMPTY_PAGES`] still ends one that yields nothing.
const MAX_REMEMBERED_CURSORS: usize = 1024;

/// Empty pages in a row, each naming a next page, after which a stream ends with
/// [`Error::Paging`] instead of asking forever.
const MAX_EMPTY_PAGES: u32 = 3;

impl<T> Pages<T> {
    fn new(max_items: Option<usize>) -> Self {
        Pages {
            page: Vec::new().into_iter(),
            remaining: max_items,
            more: true,
            pending_error: None,
            cursors: HashSet::new(),
            cursor_order: VecDeque::new(),
            empty_pages: 0,
        }
    }

    /// Items per request: the page size, or fewer when the cap is near.
    fn limit(&self, page_size: u32) -> u32 {
        match self.remaining {
            Some(left) => page_size.min(u32::try_from(left).unwrap_or(u32::MAX)),
            None => page_size,
        }
    }

    fn take_one(&mut self, item: T) -> T {
        if let Some(left) = &mut self.remaining {
            *left = left.saturating_sub(1);
        }
        item
    }

    fn end_with(&mut self, error: Error) -> Option<Error> {
        self.more = false;
        Some(error)
    }

    /// The next item in hand, or what ends the stream; `None` when a page must be fetched.
    fn next_in_hand(&mut self) -> Option<Option<Result<T>>> {
        if self.remaining == Some(0) {
            return Some(None);
        }
        if let Some(item) = self.page.next() {
            return Some(Some(Ok(self.take_one(item))));
        }
        if let Some(error) = self.pending_error.take() {
            self.more = false;
            return Some(Some(Err(error)));
        }
        if !self.more {
            return Some(None);
        }
        None
    }

    /// Takes a fetched page and follows its cursor into `after`. A cursor seen before would
    /// fetch pages in a circle: the stream ends with [`Error::Paging`] after this page.
    fn advance(&mut self, after: &mut Option<String>, page: Page<T>) {
        let empty = page.results.is_empty();
        self.page = page.results.into_iter();
        let Some(next) = page.next_after else {
            self.more = false;
            return;
        };
        self.empty_pages = if empty { self.empty_pages + 1 } else { 0 };
        if self.empty_pages >= MAX_EMPTY_PAGES {
            self.more = false;
            self.pending_error = Some(Error::Paging(format!(
                "{MAX_EMPTY_PAGES} empty pages in a row, each naming a next page"
            )));
        } else if !self.cursors.insert(next.clone()) {
            self.more = false;
            self.pending_error = Some(Error::Paging(format!(
                "paging went in a circle: the cursor `{next}` was returned again"
            )));
        } else {
            self.cursor_order.push_back(next.clone());
            if self.cursor_order.len() > MAX_REMEMBERED_CURSORS
                && let Some(oldest) = self.cursor_order.pop_front()
            {
                self.cursors.remove(&oldest);
            }
            *after = Some(next);
        }
    }
}

/// A stream of every item of a cursor-paged read: `fetch(limit, after)` gets one page.
/// Pages are fetched as the stream is read; the first error ends it.
pub(crate) fn cursor_stream<T, F, Fut>(
    page_size: u32,
    max_items: Option<usize>,
    fetch: F,
) -> BoxStream<'static, Result<T>>
where
    T: Send + 'static,
    F: FnMut(u32, Option<String>) -> Fut + Send + 'static,
    Fut: Future<Output = Result<Page<T>>> + Send,
{
    struct State<T, F> {
        pages: Pages<T>,
        after: Option<String>,
        page_size: u32,
        fetch: F,
    }
    let state = State {
        pages: Pages::new(max_items),
        after: None,
        page_size,
        fetch,
    };
    futures::stream::unfold(state, |mut s| async move {
        loop {
            if let Some(next) = s.pages.next_in_hand() {
                return next.map(|item| (item, s));
            }
            let limit = s.pages.limit(s.page_size);
            match (s.fetch)(limit, s.after.clone()).await {
                Ok(page) => s.pages.advance(&mut s.after, page),
                Err(error) => {
                    let error = s.pages.end_with(error);
                    return error.map(|e| (Err(e), s));
                }
            }
        }
    })
    .boxed()
}

struct SearchState<O> {
    objects: Objects<O>,
    /// The caller's search with the effective sort, before any restart.
    base: SearchRequest,
    /// The request of the next page.
    next: SearchRequest,
    page_size: u32,
    by_ascending_id: bool,
    /// Whether the stream can restart past the window, or why not.
    keyset: std::result::Result<(), ValidationError>,
    /// The highest record id yielded, when sorted by id.
    last_id: Option<u64>,
    /// The id the latest restart started after.
    restarted_after: Option<u64>,
    /// HubSpot's latest `total`.
    total: Option<u64>,
    pages: Pages<Record>,
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

async fn next_found<O: CrmObject>(
    mut s: SearchState<O>,
) -> Option<(Result<Record>, SearchState<O>)> {
    loop {
        if s.pages.remaining == Some(0) {
            return None;
        }
        if let Some(record) = s.pages.page.next() {
            if s.by_ascending_id
                && let Ok(id) = record.id.parse::<u64>()
            {
                // A page can overlap what was yielded (a server ignoring the id filter, or
                // offsets shifted by a change): each record is yielded once.
                if s.last_id.is_some_and(|last| id <= last) {
                    tracing::debug!(id, "skipping a search result already yielded");
                    continue;
                }
                s.last_id = Some(id);
            }
            let record = s.pages.take_one(record);
            return Some((Ok(record), s));
        }
        if let Some(error) = s.pages.pending_error.take() {
            s.pages.more = false;
            return Some((Err(error), s));
        }
        if !s.pages.more {
            return None;
        }
        let keyset = s.by_ascending_id && s.keyset.is_ok();
        if keyset && let Some(last_id) = s.last_id {
            // Every page after the first starts after the last id, so records archived or
            // changed during the read never shift later ones out of reach.
            if s.restarted_after == Some(last_id) {
                let error = Error::Paging(format!(
                    "search returned no record above {OBJECT_ID_PROPERTY} {last_id} after filtering on it"
                ));
                let error = s.pages.end_with(error);
                return error.map(|e| (Err(e), s));
            }
            s.restarted_after = Some(last_id);
            s.next = restart_after(&s.base, last_id);
        }
        let offset = s.next.after.as_deref().and_then(|a| a.parse::<u64>().ok());
        if offset.is_some_and(|o| o >= limits::MAX_RESULTS) {
            // Offset paging (another sort, or filter groups too full for the id filter) at
            // the window: HubSpot would answer 400.
            if s.total.is_some_and(|t| t <= limits::MAX_RESULTS) {
                return None;
            }
            let reason = match &s.keyset {
                Err(reason) => reason.clone(),
                Ok(()) => ValidationError::new(
                    "after",
                    format!(
                        "starts at or past HubSpot's {}-result window",
                        limits::MAX_RESULTS
                    ),
                ),
            };
            let error = s.pages.end_with(reason.into());
            return error.map(|e| (Err(e), s));
        }
        let mut limit = s.pages.limit(s.page_size);
        if let Some(offset) = offset {
            // Stay inside the window.
            limit = limit.min(u32::try_from(limits::MAX_RESULTS - offset).unwrap_or(u32::MAX));
        }
        s.next.limit = Some(i32::try_from(limit).unwrap_or(i32::MAX));
        match s.objects.send_search(&s.next).await {
            Ok(page) => {
                s.total = page.total;
                if keyset {
                    // The id filter, not HubSpot's offset, leads to the next page.
                    s.pages.more = page.next_after.is_some() && !page.results.is_empty();
                    s.pages.page = page.results.into_iter();
                } else {
                    s.pages.advance(&mut s.next.after, page);
                }
            }
            Err(error) => {
                let error = s.pages.end_with(error);
                return error.map(|e| (Err(e), s));
            }
        }
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
