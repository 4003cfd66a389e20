//! A change feed: every record of a type modified since a checkpoint, in modification order,
//! each with the checkpoint to store after handling it.
//!
//! It is a search sorted by the last-modified property, ascending, paged by keyset: every page
//! asks for records modified at or after the last one seen, so the feed reads past HubSpot's
//! 10,000-result window and a record modified during the read (which moves to the end of the
//! order) is met again later instead of shifting others out of reach. HubSpot indexes changes
//! with a delay, so a feed (re)starts a small overlap before its checkpoint and drops what it
//! already delivered, by record id and modification time: delivery is at least once.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use futures::StreamExt;
use futures::future::BoxFuture;
use futures::stream::BoxStream;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result, ValidationError};
use crate::model::{Page, Record};
use crate::objects::{CrmObject, Objects};
use crate::search::{Filter, FilterGroup, Operator, SearchRequest, Sort, limits};
use crate::stream::{DEFAULT_PREFETCH, Next, OBJECT_ID_PROPERTY, PageItems, Pager, Prefetch};
use crate::validate::property_name;

/// Where a change feed is: the modification time of the last record handled. Store it after
/// handling each [`Change`] and start the next feed from it; it serializes as an RFC 3339
/// timestamp.
///
/// ```
/// use hubspot_crm::Checkpoint;
/// let checkpoint: Checkpoint = "2026-11-30T08:15:00.250Z".parse()?;
/// assert_eq!(checkpoint.to_string(), "2026-11-30T08:15:00.250Z");
/// assert!(Checkpoint::beginning() < checkpoint);
/// # Ok::<(), hubspot_crm::ValidationError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Checkpoint(DateTime<Utc>);

impl Checkpoint {
    /// Before every record: a feed from here reads them all.
    pub fn beginning() -> Self {
        Checkpoint(DateTime::UNIX_EPOCH)
    }

    /// Records modified at or after `at` (less the feed's overlap).
    pub fn at(at: DateTime<Utc>) -> Self {
        Checkpoint(at)
    }

    /// The modification time it stands at.
    pub fn modified_at(&self) -> DateTime<Utc> {
        self.0
    }
}

impl fmt::Display for Checkpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
    }
}

impl FromStr for Checkpoint {
    type Err = ValidationError;

    fn from_str(text: &str) -> std::result::Result<Self, Self::Err> {
        DateTime::parse_from_rfc3339(text.trim())
            .map(|t| Checkpoint(t.with_timezone(&Utc)))
            .map_err(|e| {
                ValidationError::new(
                    "checkpoint",
                    format!("`{text}` is not an RFC 3339 time: {e}"),
                )
            })
    }
}

/// One record of a change feed.
#[derive(Clone, Debug)]
pub struct Change {
    /// The record as the search returned it.
    pub record: Record,
    /// When it was last modified (its last-modified property).
    pub modified_at: DateTime<Utc>,
    /// The checkpoint to store once this change is handled.
    pub checkpoint: Checkpoint,
}

/// How a change feed reads.
#[derive(Clone, Debug)]
pub struct ChangeFeedOptions {
    /// How far before its checkpoint a feed starts, and how much it reads again when it polls,
    /// to meet changes HubSpot indexed late. Default 60 s.
    pub overlap: Duration,
    /// Records per search page, at most [`limits::MAX_LIMIT`]. Default 200.
    pub page_size: u32,
    /// Properties to read (the object type's defaults when empty); the last-modified property
    /// is always asked for. With none named and no defaults for the type, a custom
    /// [`modified_property`](field@Self::modified_property) is asked for alone, so records
    /// carry it and the properties HubSpot always returns (name others to read them too).
    pub properties: Vec<String>,
    /// Filters every record must also match (AND-ed), at most four.
    pub filters: Vec<Filter>,
    /// The last-modified property to order by; default [`CrmObject::LAST_MODIFIED_PROPERTY`].
    /// Every record must hold a time in it (ISO 8601, a date, or epoch milliseconds): one
    /// without ends the feed with [`Error::ModifiedTimeUnreadable`].
    pub modified_property: Option<String>,
    /// Once caught up, wait this long and read on (a feed that never ends); `None` (the
    /// default) ends the feed when it is caught up.
    pub poll_every: Option<Duration>,
    /// Pages fetched ahead of the one being read (default 1); `0` fetches a page only once
    /// the reader has used up the one before.
    pub prefetch: usize,
}

impl Default for ChangeFeedOptions {
    fn default() -> Self {
        ChangeFeedOptions {
            overlap: Duration::from_secs(60),
            page_size: limits::MAX_LIMIT,
            properties: Vec::new(),
            filters: Vec::new(),
            modified_property: None,
            poll_every: None,
            prefetch: DEFAULT_PREFETCH,
        }
    }
}

/// Entries the de-duplication map holds before it is first pruned.
const MIN_PRUNE_AT: usize = 1024;

/// Filters the feed adds to a user's: the modification bound, and in a tie scan an id bound.
const FEED_FILTERS: usize = 2;

impl ChangeFeedOptions {
    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// See [`Self::overlap`](field@Self::overlap).
    pub fn overlap(mut self, overlap: Duration) -> Self {
        self.overlap = overlap;
        self
    }

    /// See [`Self::page_size`](field@Self::page_size).
    pub fn page_size(mut self, page_size: u32) -> Self {
        self.page_size = page_size;
        self
    }

    /// See [`Self::properties`](field@Self::properties).
    pub fn properties<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.properties = names.into_iter().map(Into::into).collect();
        self
    }

    /// Adds a filter every record must match.
    pub fn filter(mut self, filter: Filter) -> Self {
        self.filters.push(filter);
        self
    }

    /// See [`Self::modified_property`](field@Self::modified_property).
    pub fn modified_property(mut self, name: impl Into<String>) -> Self {
        self.modified_property = Some(name.into());
        self
    }

    /// See [`Self::poll_every`](field@Self::poll_every).
    pub fn poll_every(mut self, every: Duration) -> Self {
        self.poll_every = Some(every);
        self
    }

    /// Keep up to `pages` pages fetched (or being fetched) ahead of the one being read; `0`
    /// fetches on demand. Each search follows from the answer before it (the next page starts
    /// at its last modification time), so the next one goes out as soon as that answer is in,
    /// while the reader still works through it. Once caught up, the wait of
    /// [`poll_every`](field@Self::poll_every) starts then too. The fetching runs in a task of
    /// its own, as for [`StreamOptions::prefetch`](crate::StreamOptions::prefetch) (which says
    /// what that means on a current-thread runtime).
    ///
    /// ```
    /// use hubspot_crm::ChangeFeedOptions;
    /// let options = ChangeFeedOptions::new().prefetch(2);
    /// assert_eq!(options.prefetch, 2);
    /// assert_eq!(ChangeFeedOptions::new().prefetch, 1);
    /// ```
    pub fn prefetch(mut self, pages: usize) -> Self {
        self.prefetch = pages;
        self
    }
}

/// A stream of [`Change`]s.
pub type ChangeStream = BoxStream<'static, Result<Change>>;

impl<O: CrmObject> Objects<O> {
    /// Every record modified since `since` (less the overlap), oldest change first, each
    /// with the checkpoint to store after it; see the [module docs](crate::Checkpoint) for
    /// how it reads.
    ///
    /// A record modified while the feed runs is delivered (again) when the feed reaches its
    /// new modification time; none is lost, and one may come twice. The feed ends when it has
    /// read everything (unless [`ChangeFeedOptions::poll_every`] keeps it going), or with an
    /// error, after which a feed started from the last stored checkpoint goes on without a
    /// gap. Each search starts further on than the one before (a poll aside): an answer that
    /// would lead back to where its search started, as from a server ignoring the feed's
    /// filter, ends the feed with [`Error::FeedStalled`] instead of repeating it forever. A
    /// record without a readable modification time ends it with
    /// [`Error::ModifiedTimeUnreadable`]. The next page is fetched while the reader works
    /// through one ([`ChangeFeedOptions::prefetch`]); dropping the feed stops it.
    ///
    /// ```no_run
    /// # async fn run(client: hubspot_crm::Client, stored: Option<hubspot_crm::Checkpoint>) -> hubspot_crm::Result<()> {
    /// use futures::TryStreamExt;
    /// use hubspot_crm::{ChangeFeedOptions, Checkpoint};
    ///
    /// let since = stored.unwrap_or_else(Checkpoint::beginning);
    /// let mut feed = client.leads().changes(since, ChangeFeedOptions::new());
    /// while let Some(change) = feed.try_next().await? {
    ///     println!("lead {} changed at {}", change.record.id, change.modified_at);
    ///     // ... write it to your system, then store change.checkpoint ...
    /// }
    /// # Ok(()) }
    /// ```
    pub fn changes(&self, since: Checkpoint, options: ChangeFeedOptions) -> ChangeStream {
        let property = options
            .modified_property
            .clone()
            .unwrap_or_else(|| O::LAST_MODIFIED_PROPERTY.to_owned());
        if let Err(error) = check(&options, &property) {
            return futures::stream::once(async move { Err(Error::Validation(error)) }).boxed();
        }
        let overlap = millis(options.overlap);
        let start = since.0.timestamp_millis().saturating_sub(overlap).max(0);
        let prefetch = options.prefetch;
        let feed = Feed {
            objects: self.clone(),
            properties: feed_properties::<O>(&options, &property),
            property,
            options,
            overlap,
            lower: start,
            position: start,
            tie: None,
            delivered: HashMap::new(),
            prune_at: MIN_PRUNE_AT,
            fetching: Bound::From(start),
            caught_up: false,
            failed: false,
        };
        Prefetch::new(feed, prefetch).boxed()
    }
}

fn check(options: &ChangeFeedOptions, property: &str) -> std::result::Result<(), ValidationError> {
    property_name("modifiedProperty", property)?;
    if !(1..=limits::MAX_LIMIT).contains(&options.page_size) {
        return Err(ValidationError::new(
            "page_size",
            format!("{} is outside 1..={}", options.page_size, limits::MAX_LIMIT),
        ));
    }
    let room = limits::MAX_FILTERS_PER_GROUP - FEED_FILTERS;
    if options.filters.len() > room {
        return Err(ValidationError::new(
            "filters",
            format!(
                "{} filters; a change feed adds {FEED_FILTERS} of its own to HubSpot's {} per group, which leaves room for {room}",
                options.filters.len(),
                limits::MAX_FILTERS_PER_GROUP
            ),
        ));
    }
    for (i, name) in options.properties.iter().enumerate() {
        property_name(&format!("properties[{i}]"), name)?;
    }
    // The filters themselves are checked as part of the first request.
    feed_request(options, property, &[], Bound::From(0)).validate()
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// What one search of the feed asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Bound {
    /// Modified at or after this time (ms), oldest first.
    From(i64),
    /// Modified exactly at this time, ids above `after_id`, by id: for more records at one
    /// time than a page holds, which a time bound alone cannot page through.
    Tie { at: i64, after_id: u64 },
}

/// The properties a feed's searches ask for: the caller's, else the type's defaults, and
/// the last-modified property. Nothing (HubSpot's defaults) only when none are named and it
/// is the type's own last-modified property, which HubSpot returns whatever is asked.
fn feed_properties<O: CrmObject>(options: &ChangeFeedOptions, property: &str) -> Vec<String> {
    let mut properties = options.properties.clone();
    if properties.is_empty() {
        properties = O::DEFAULT_PROPERTIES
            .iter()
            .map(|p| (*p).to_owned())
            .collect();
    }
    if properties.is_empty() && property == O::LAST_MODIFIED_PROPERTY {
        return properties;
    }
    if !properties.iter().any(|p| p == property) {
        properties.push(property.to_owned());
    }
    properties
}

impl Bound {
    /// Where the search starts in the feed's order (time, then in a tie scan id): every
    /// search after it, up to a poll, starts further on.
    fn position(self) -> (i64, bool, u64) {
        match self {
            Bound::From(from) => (from, false, 0),
            Bound::Tie { at, after_id } => (at, true, after_id),
        }
    }
}

fn feed_request(
    options: &ChangeFeedOptions,
    property: &str,
    properties: &[String],
    bound: Bound,
) -> SearchRequest {
    let mut filters: Vec<Filter> = options.filters.clone();
    let sort = match bound {
        Bound::From(from) => {
            filters.push(Filter::compare(property, Operator::Gte, from.to_string()));
            Sort::ascending(property)
        }
        Bound::Tie { at, after_id } => {
            filters.push(Filter::eq(property, at.to_string()));
            filters.push(Filter::gt(OBJECT_ID_PROPERTY, after_id.to_string()));
            Sort::ascending(OBJECT_ID_PROPERTY)
        }
    };
    let mut request = SearchRequest::new()
        .filter_group(FilterGroup::new(filters))
        .sort(sort)
        .limit(options.page_size);
    if !properties.is_empty() {
        request = request.properties(properties.iter().cloned());
    }
    request
}

struct Feed<O> {
    objects: Objects<O>,
    property: String,
    /// What each search asks for ([`feed_properties`]).
    properties: Vec<String>,
    options: ChangeFeedOptions,
    overlap: i64,
    /// The lower bound (ms) of the next search.
    lower: i64,
    /// The latest modification time delivered (ms).
    position: i64,
    /// A tie scan under way.
    tie: Option<(i64, u64)>,
    /// Modification time (ms) of each record delivered at or after `position - overlap`
    /// (and, until the next prune, some before).
    delivered: HashMap<String, i64>,
    /// The size of `delivered` at which it is pruned next.
    prune_at: usize,
    /// What the search under way asked for.
    fetching: Bound,
    caught_up: bool,
    failed: bool,
}

/// A record's modification time (ms): its last-modified property, as HubSpot writes
/// datetimes (ISO 8601 or epoch milliseconds) or dates (midnight UTC).
fn modified_ms(record: &Record, property: &str) -> Result<i64> {
    let text = record.property(property).map(str::trim);
    let parsed = text.and_then(|text| {
        let at = match text.parse::<i64>() {
            Ok(ms) => DateTime::from_timestamp_millis(ms),
            Err(_) => DateTime::parse_from_rfc3339(text)
                .map(|t| t.with_timezone(&Utc))
                .ok()
                .or_else(|| {
                    let date = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
                    Some(date.and_time(chrono::NaiveTime::MIN).and_utc())
                }),
        };
        at.map(|at| at.timestamp_millis())
    });
    parsed.ok_or_else(|| Error::ModifiedTimeUnreadable {
        record_id: record.id.clone(),
        property: property.to_owned(),
        value: text.filter(|t| !t.is_empty()).map(str::to_owned),
    })
}

/// The records of a page with their modification times, up to the first without one, and
/// the error that one makes.
fn timed(results: Vec<Record>, property: &str) -> (Vec<(Record, i64)>, Option<Error>) {
    let mut timed = Vec::with_capacity(results.len());
    for record in results {
        match modified_ms(&record, property) {
            Ok(at) => timed.push((record, at)),
            Err(error) => return (timed, Some(error)),
        }
    }
    (timed, None)
}

impl<O: CrmObject> Feed<O> {
    /// Follows a page's answer (its records with their modification times, and whether it
    /// names a next page) to the next bound; returns whether more is to be read.
    fn follow(&mut self, results: &[(Record, i64)], next_named: bool) -> bool {
        let bound = self.fetching;
        // More matches this search: the page is full, or HubSpot names a next page (whatever
        // the page's length). The next search starts from the page's end either way.
        let unfinished = next_named || results.len() >= self.options.page_size as usize;
        // More to read: this search unfinished, a tie scan under way, or one just ended
        // (records after its time are still to come).
        let mut more = unfinished;
        match bound {
            Bound::Tie { at, .. } => {
                more = true;
                let last_id = results
                    .iter()
                    .filter_map(|(r, _)| r.id.parse::<u64>().ok())
                    .max();
                match last_id {
                    Some(id) if unfinished => self.tie = Some((at, id)),
                    _ => {
                        // Every record at `at` is read: go on after it.
                        self.tie = None;
                        self.lower = at.saturating_add(1);
                    }
                }
            }
            Bound::From(from) => {
                let newest = results.iter().map(|(_, at)| *at).max().unwrap_or(from);
                if unfinished && newest <= from {
                    // A page that cannot move on by time: page through that time by id.
                    self.tie = Some((from, 0));
                } else if unfinished {
                    self.lower = newest;
                }
            }
        }
        more || self.tie.is_some()
    }

    /// The search to send next.
    fn upcoming(&self) -> Bound {
        match self.tie {
            Some((at, after_id)) => Bound::Tie { at, after_id },
            None => Bound::From(self.lower),
        }
    }

    fn stalled(&self) -> Error {
        let (at, after_id) = match self.upcoming() {
            Bound::From(from) => (from, None),
            Bound::Tie { at, after_id } => (at, Some(after_id)),
        };
        Error::FeedStalled {
            property: self.property.clone(),
            modified_at: DateTime::from_timestamp_millis(at).unwrap_or(DateTime::UNIX_EPOCH),
            after_id,
        }
    }

    /// Delivers the records not delivered before at the same time (a page overlaps the one
    /// before it, and the overlap is read again).
    fn deliver_new(&mut self, results: Vec<(Record, i64)>, out: &mut PageItems<Change>) {
        for (record, at) in results {
            if self.delivered.get(&record.id) != Some(&at) {
                out.push(self.deliver(record, at));
            }
        }
    }

    fn deliver(&mut self, record: Record, at: i64) -> Change {
        self.position = self.position.max(at);
        self.delivered.insert(record.id.clone(), at);
        if self.delivered.len() >= self.prune_at {
            // No search reaches below `position - overlap` again: forget what lies there,
            // and prune next when the map has doubled, so pruning stays linear overall.
            let keep_from = self.position.saturating_sub(self.overlap);
            self.delivered.retain(|_, at| *at >= keep_from);
            self.prune_at = (self.delivered.len() * 2).max(MIN_PRUNE_AT);
        }
        // `at` came from a valid time (`modified_ms`).
        let modified_at = Utc
            .timestamp_millis_opt(at)
            .single()
            .unwrap_or(DateTime::UNIX_EPOCH);
        Change {
            record,
            modified_at,
            checkpoint: Checkpoint(modified_at),
        }
    }
}

impl<O: CrmObject> Pager for Feed<O> {
    type Item = Change;
    type Answer = Result<Page<Record>>;
    type Fetch = BoxFuture<'static, Self::Answer>;

    fn next(&mut self) -> Next<Self::Fetch> {
        if self.failed {
            return Next::Done;
        }
        let mut wait = None;
        if self.caught_up {
            let Some(every) = self.options.poll_every else {
                return Next::Done;
            };
            wait = Some(every);
            // Read the overlap again: changes indexed late show up there.
            self.caught_up = false;
            self.lower = self.position.saturating_sub(self.overlap).max(0);
        }
        self.fetching = self.upcoming();
        let request = feed_request(
            &self.options,
            &self.property,
            &self.properties,
            self.fetching,
        );
        let objects = self.objects.clone();
        Next::Fetch(Box::pin(async move {
            if let Some(every) = wait {
                tokio::time::sleep(every).await;
            }
            objects.send_search(&request).await
        }))
    }

    fn take(&mut self, answer: Self::Answer, out: &mut PageItems<Change>) {
        let page = match answer {
            Ok(page) => page,
            Err(error) => {
                self.failed = true;
                out.end_with(error);
                return;
            }
        };
        let (results, unreadable) = timed(page.results, &self.property);
        if let Some(error) = unreadable {
            // The records before it are in order; past it, neither order nor checkpoint holds.
            self.deliver_new(results, out);
            self.failed = true;
            out.end_with(error);
            return;
        }
        let more = self.follow(&results, page.next_after.is_some());
        self.caught_up = !more;
        self.deliver_new(results, out);
        if more && self.upcoming().position() <= self.fetching.position() {
            // The answer leads back to where this search started (a server ignoring the
            // filter): asking again would bring the same, forever.
            self.failed = true;
            out.end_with(self.stalled());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(request: &SearchRequest) -> serde_json::Value {
        serde_json::to_value(request.as_body()).unwrap()
    }

    #[test]
    fn a_feed_search_is_one_group_sorted_by_modification_time() {
        let options = ChangeFeedOptions::new()
            .filter(Filter::eq("hs_lead_label", "HOT"))
            .properties(["hs_lead_name"]);
        let properties = feed_properties::<crate::Lead>(&options, "hs_lastmodifieddate");
        let body = json(&feed_request(
            &options,
            "hs_lastmodifieddate",
            &properties,
            Bound::From(1_700),
        ));
        assert_eq!(
            body["filterGroups"],
            serde_json::json!([{"filters": [
                {"propertyName": "hs_lead_label", "operator": "EQ", "value": "HOT"},
                {"propertyName": "hs_lastmodifieddate", "operator": "GTE", "value": "1700"}
            ]}])
        );
        assert_eq!(
            body["sorts"],
            serde_json::json!([{"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"}])
        );
        assert_eq!(
            body["properties"],
            serde_json::json!(["hs_lead_name", "hs_lastmodifieddate"])
        );
        assert_eq!(body["limit"], 200);
    }

    #[test]
    fn a_tie_scan_pages_one_time_by_id() {
        let options = ChangeFeedOptions::new();
        let body = json(&feed_request(
            &options,
            "hs_lastmodifieddate",
            &[],
            Bound::Tie {
                at: 5,
                after_id: 77,
            },
        ));
        assert_eq!(
            body["filterGroups"][0]["filters"],
            serde_json::json!([
                {"propertyName": "hs_lastmodifieddate", "operator": "EQ", "value": "5"},
                {"propertyName": "hs_object_id", "operator": "GT", "value": "77"}
            ])
        );
        assert_eq!(body["sorts"][0]["propertyName"], "hs_object_id");
    }

    /// A type whose reads name their own default properties.
    struct Deal;

    impl CrmObject for Deal {
        const OBJECT_TYPE: &'static str = "deals";
        const OBJECT_TYPE_ID: &'static str = "0-3";
        const DEFAULT_PROPERTIES: &'static [&'static str] = &["dealname", "amount"];
    }

    #[test]
    fn the_modified_property_is_always_asked_for() {
        let none = ChangeFeedOptions::new();
        assert_eq!(
            feed_properties::<crate::Lead>(&none, "synced_ms"),
            ["synced_ms"]
        );
        assert_eq!(
            feed_properties::<Deal>(&none, "hs_lastmodifieddate"),
            ["dealname", "amount", "hs_lastmodifieddate"]
        );
        assert_eq!(
            feed_properties::<Deal>(&none, "synced_ms"),
            ["dealname", "amount", "synced_ms"]
        );
        let named = ChangeFeedOptions::new().properties(["synced_ms", "hs_lead_name"]);
        assert_eq!(
            feed_properties::<crate::Lead>(&named, "synced_ms"),
            ["synced_ms", "hs_lead_name"]
        );
        // HubSpot returns a type's own last-modified property whatever is asked: its default
        // properties are kept.
        assert!(feed_properties::<crate::Lead>(&none, "hs_lastmodifieddate").is_empty());
        assert!(feed_properties::<crate::Contact>(&none, "lastmodifieddate").is_empty());
    }

    fn lead(id: &str, property: &str, value: Option<&str>) -> Record {
        let value = value.map_or(serde_json::Value::Null, Into::into);
        let object: hubspot_crm_api::shared::SimplePublicObject =
            serde_json::from_value(serde_json::json!({
                "id": id,
                "properties": {property: value},
                "createdAt": "2026-11-20T08:00:00.000Z",
                "updatedAt": "2026-11-26T10:00:00.000Z",
                "archived": false
            }))
            .unwrap();
        Record::from(object)
    }

    #[test]
    fn modification_times_read_as_hubspot_writes_them_and_never_fall_back_to_updated_at() {
        let ms = |value: &str| modified_ms(&lead("7", "synced_ms", Some(value)), "synced_ms");
        assert_eq!(ms("1796026500250").unwrap(), 1_796_026_500_250);
        assert_eq!(ms("2026-11-30T08:15:00.250Z").unwrap(), 1_796_026_500_250);
        assert_eq!(
            ms("2026-11-30T09:15:00.250+01:00").unwrap(),
            1_796_026_500_250
        );
        assert_eq!(ms("2026-11-30").unwrap(), 1_795_996_800_000);
        for bad in ["", "soon", "1.5e12", "9223372036854775807"] {
            match ms(bad) {
                Err(Error::ModifiedTimeUnreadable {
                    record_id,
                    property,
                    value,
                }) => {
                    assert_eq!((record_id.as_str(), property.as_str()), ("7", "synced_ms"));
                    assert_eq!(value.as_deref(), Some(bad).filter(|b| !b.is_empty()));
                }
                other => panic!("`{bad}`: {other:?}"),
            }
        }
        let missing = modified_ms(&lead("8", "hs_lead_name", Some("x")), "synced_ms");
        assert!(
            matches!(&missing, Err(Error::ModifiedTimeUnreadable { record_id, value: None, .. }) if record_id == "8"),
            "{missing:?}"
        );
        assert!(modified_ms(&lead("9", "synced_ms", None), "synced_ms").is_err());
    }

    #[test]
    fn options_are_checked_before_anything_is_sent() {
        let five = (0..5).map(|i| Filter::eq(format!("p{i}"), "x"));
        let mut options = ChangeFeedOptions::new();
        options.filters = five.collect();
        assert_eq!(
            check(&options, "hs_lastmodifieddate").unwrap_err().field,
            "filters"
        );
        let options = ChangeFeedOptions::new().page_size(201);
        assert_eq!(
            check(&options, "hs_lastmodifieddate").unwrap_err().field,
            "page_size"
        );
        let options = ChangeFeedOptions::new();
        assert_eq!(
            check(&options, "bad name").unwrap_err().field,
            "modifiedProperty"
        );
        assert!(check(&ChangeFeedOptions::new(), "hs_lastmodifieddate").is_ok());
    }

    #[test]
    fn checkpoints_round_trip_as_rfc3339() {
        let checkpoint: Checkpoint = "2026-12-01T10:00:00.123+01:00".parse().unwrap();
        assert_eq!(checkpoint.to_string(), "2026-12-01T09:00:00.123Z");
        let json = serde_json::to_string(&checkpoint).unwrap();
        assert_eq!(
            serde_json::from_str::<Checkpoint>(&json).unwrap(),
            checkpoint
        );
        assert_eq!(
            "yesterday".parse::<Checkpoint>().unwrap_err().field,
            "checkpoint"
        );
    }
}
