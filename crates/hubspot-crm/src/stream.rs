//! Streams over every item of a paged read (a list, a search, a record's associations), a
//! bounded number of pages in memory at a time.
//!
//! While the reader works through one page, the next one is already being fetched: by default
//! one page ahead, up to [`StreamOptions::prefetch`] pages, or none (`0`: fetched when the
//! reader runs out). The fetching runs in a Tokio task of its own, spawned when the stream is
//! first read (so nothing is sent before) and stopped when it is dropped (nothing is sent
//! after): a request fetched ahead moves on, and its answer is read within its timeout, while
//! the reader awaits something else. Streams must therefore be read inside a Tokio runtime,
//! as every call of the client is. Items come in page order. An error is yielded once, after the items before it, and ends the
//! stream. A search sorted by `hs_object_id` pages by keyset (each page asks for ids above
//! the last one seen), so records archived or changed during the read cannot shift others out
//! of reach, and HubSpot's 10,000-result window is never met; with another sort it pages by
//! offset and, at the window, ends with an error saying why, never silently short. Cursors
//! that go in a circle, and endless empty pages, end a stream with [`Error::Paging`].

use std::collections::{HashSet, VecDeque};
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};

use futures::Stream;
use futures::StreamExt;
use futures::future::BoxFuture;
use futures::stream::BoxStream;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::error::{Error, Result, ValidationError};
use crate::model::{Page, ReadOptions, Record};
use crate::objects::{CrmObject, Objects};
use crate::search::{Direction, Filter, SearchRequest, Sort, limits};

pub use crate::model::OBJECT_ID_PROPERTY;

/// Records per page of a list: HubSpot's maximum.
pub const MAX_LIST_PAGE_SIZE: u32 = 100;

/// Pages a stream fetches ahead of the one being read, unless told otherwise.
pub(crate) const DEFAULT_PREFETCH: usize = 1;

/// A stream of records; each item is a record or the error that ended the stream.
pub type RecordStream = BoxStream<'static, Result<Record>>;

/// How a list or search stream pages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StreamOptions {
    /// Records per request of a list, 1 to 100 (default 100). A search's pages are
    /// `SearchRequest::limit` results instead.
    pub page_size: u32,
    /// Stop after this many records.
    pub max_items: Option<usize>,
    /// Pages fetched ahead of the one being read (default 1); `0` fetches a page only once
    /// the reader has used up the one before.
    pub prefetch: usize,
}

impl Default for StreamOptions {
    fn default() -> Self {
        StreamOptions {
            page_size: MAX_LIST_PAGE_SIZE,
            max_items: None,
            prefetch: DEFAULT_PREFETCH,
        }
    }
}

impl StreamOptions {
    /// Pages of 100, no cap, one page fetched ahead.
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

    /// Keep up to `pages` pages fetched (or being fetched) ahead of the one being read, so
    /// that HubSpot's latency overlaps the reader's own work; `0` fetches on demand.
    ///
    /// Memory stays bounded: at most `pages` pages beyond the one being read. Pages still
    /// come one request after another, each asked for once the answer before it is in (its
    /// cursor, or the last id of a search, leads to the next), and `max_items` is kept
    /// exactly: no request is sent for records past it.
    ///
    /// The fetching runs in a Tokio task of its own, spawned at the first read and stopped
    /// when the stream is dropped: each request goes out as soon as the answer before it is
    /// in, and moves on while the reader awaits something else (a database write), so a
    /// pause longer than the client's [timeout](crate::ClientBuilder::timeout) costs no
    /// resend. The stream must be read inside a Tokio runtime. On a current-thread runtime
    /// the task runs only while the reader awaits: a reader that works between records
    /// without awaiting cannot overlap with the network there (measured with the reader's
    /// time half the server's: 1.52 times the server's time, as on demand, against 1.03 on
    /// the multi-threaded runtime). Use the multi-threaded runtime for such a reader.
    ///
    /// ```no_run
    /// # async fn run(client: hubspot_crm::Client) -> hubspot_crm::Result<()> {
    /// use futures::TryStreamExt;
    /// use hubspot_crm::{ReadOptions, StreamOptions};
    /// // Slow handling of each lead: keep three pages coming meanwhile.
    /// let mut leads = client
    ///     .leads()
    ///     .list_stream(ReadOptions::new(), StreamOptions::new().prefetch(3));
    /// while let Some(lead) = leads.try_next().await? {
    ///     println!("{}", lead.id); // ... write it somewhere ...
    /// }
    /// # Ok(()) }
    /// ```
    pub fn prefetch(mut self, pages: usize) -> Self {
        self.prefetch = pages;
        self
    }
}

impl<O: CrmObject> Objects<O> {
    /// Every record, page after page (`paging.next.after`), the next page fetched while the
    /// reader works through one ([`StreamOptions::prefetch`]).
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
        cursor_stream(
            stream.page_size,
            stream.max_items,
            stream.prefetch,
            move |limit, after| {
                let objects = objects.clone();
                let options = options.clone();
                async move {
                    objects
                        .send_list(&options, Some(limit), after.as_deref())
                        .await
                }
            },
        )
    }

    /// Every match of a search, page after page, the next page fetched while the reader works
    /// through one; at most `max_items` when given. The same as [`Self::search_stream_with`]
    /// with `StreamOptions` of that `max_items` and the default prefetch (one page).
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
        let options = StreamOptions {
            max_items,
            ..StreamOptions::default()
        };
        self.search_stream_with(request, options)
    }

    /// [`Self::search_stream`] with [`StreamOptions`]: `max_items` and `prefetch` apply. A
    /// search's page size is `request.limit` (default 200), so `page_size` must stay at its
    /// default; another value ends the stream with a [`ValidationError`] before anything is
    /// sent.
    ///
    /// ```no_run
    /// # async fn run(client: hubspot_crm::Client) -> hubspot_crm::Result<()> {
    /// use futures::TryStreamExt;
    /// use hubspot_crm::{Filter, SearchRequest, StreamOptions};
    /// let request = SearchRequest::new().filter(Filter::eq("hs_lead_label", "HOT"));
    /// // The first 1,000 matches, two pages fetched ahead of the one being handled.
    /// let options = StreamOptions::new().max_items(1_000).prefetch(2);
    /// let mut hot = client.leads().search_stream_with(request, options);
    /// while let Some(lead) = hot.try_next().await? {
    ///     println!("{}", lead.id);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn search_stream_with(
        &self,
        request: SearchRequest,
        options: StreamOptions,
    ) -> RecordStream {
        if options.page_size != MAX_LIST_PAGE_SIZE {
            return failed(ValidationError::new(
                "page_size",
                format!(
                    "a search's page size is its request's `limit` (1..={}), not `page_size`",
                    limits::MAX_LIMIT
                ),
            ));
        }
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
        let pager = SearchPager::<O> {
            objects: self.clone(),
            base,
            next,
            page_size,
            by_ascending_id,
            keyset,
            last_id: None,
            restarted_after: None,
            total: None,
            pages: Pages::new(options.max_items),
            fetching_by_keyset: false,
        };
        Prefetch::new(pager, options.prefetch).boxed()
    }
}

/// A stream that yields `error` and ends, having sent nothing.
fn failed(error: ValidationError) -> RecordStream {
    futures::stream::once(async move { Err(Error::Validation(error)) }).boxed()
}

/// What a paged read does next.
pub(crate) enum Next<A> {
    /// Fetch a page; its answer goes to [`Pager::take`].
    Fetch(BoxFuture<'static, A>),
    /// Nothing more to read.
    Done,
    /// End with this error, sending nothing more.
    Fail(Error),
}

/// The paging of one read: which page to ask for next, given the answers so far. The next
/// request depends only on answers taken, never on what the reader consumed, so it can go out
/// before the reader reaches the page before it.
pub(crate) trait Pager: Send + 'static {
    /// What the stream yields.
    type Item: Send + 'static;
    /// A page's answer.
    type Answer: Send + 'static;

    /// The page to fetch next; called once the answer before it is taken, never while a fetch
    /// is under way.
    fn next(&mut self) -> Next<Self::Answer>;

    /// Takes a page's answer, appending what it yields to `out` in order. An error comes last
    /// and ends the read.
    fn take(&mut self, answer: Self::Answer, out: &mut VecDeque<Result<Self::Item>>);
}

/// The most pages a fetching task's channel holds (tokio caps a channel's capacity; an
/// absurd `prefetch` must not reach it).
const MAX_WAITING_PAGES: usize = 1024;

/// A page's items in order; an error, if any, comes last and ends the read.
type PageItems<T> = VecDeque<Result<T>>;

/// A stream over a [`Pager`]'s items that keeps up to `prefetch` pages fetched, or being
/// fetched, ahead of the one being read. The fetching runs in a task of its own, spawned at
/// the first read: a request moves on (and its answer is read within its timeout) while the
/// reader is busy with something else. Dropping the stream stops the task.
pub(crate) struct Prefetch<P: Pager> {
    /// The paging, until the first read hands it to the fetching task.
    pager: Option<P>,
    prefetch: usize,
    /// The page being read.
    reading: PageItems<P::Item>,
    /// Pages taken from the task so far, the one being read included.
    taken: usize,
    fetcher: Option<Fetcher<P::Item>>,
}

// Nothing is pinned in place: the pager is moved into a task, the rest is moved freely.
impl<P: Pager> Unpin for Prefetch<P> {}

impl<P: Pager> Prefetch<P> {
    pub(crate) fn new(pager: P, prefetch: usize) -> Self {
        Prefetch {
            pager: Some(pager),
            prefetch,
            reading: VecDeque::new(),
            taken: 0,
            fetcher: None,
        }
    }
}

impl<P: Pager> Stream for Prefetch<P> {
    type Item = Result<P::Item>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if let Some(item) = this.reading.pop_front() {
                return Poll::Ready(Some(item));
            }
            let fetcher = match (&mut this.fetcher, this.pager.take()) {
                (Some(fetcher), _) => fetcher,
                (None, Some(pager)) => this.fetcher.insert(Fetcher::spawn(pager, this.prefetch)),
                (None, None) => return Poll::Ready(None),
            };
            // The reader waits: the next page may be fetched, even with `prefetch` 0.
            fetcher.allow(this.taken.saturating_add(this.prefetch.max(1)));
            match fetcher.pages.poll_recv(cx) {
                Poll::Ready(Some(page)) => {
                    this.taken += 1;
                    this.reading = page;
                    fetcher.allow(this.taken.saturating_add(this.prefetch));
                }
                Poll::Ready(None) => {
                    let end = std::task::ready!(fetcher.poll_end(cx));
                    this.fetcher = None;
                    return Poll::Ready(end.map(Err));
                }
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

/// The task fetching a [`Prefetch`]'s pages, and what links them.
struct Fetcher<T> {
    /// Pages fetched, in order.
    pages: mpsc::Receiver<PageItems<T>>,
    /// How many pages the task may have fetched in all: those taken, and those allowed ahead.
    allowed: watch::Sender<usize>,
    /// Whether the task may go on; see [`Fetcher::spawn`].
    running: Arc<Mutex<bool>>,
    task: JoinHandle<()>,
}

/// The lock of a fetching task's `running` flag; a panic while it was held changes nothing
/// about the flag.
fn lock(running: &Mutex<bool>) -> MutexGuard<'_, bool> {
    running.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<T: Send + 'static> Fetcher<T> {
    /// Spawns the task fetching `pager`'s pages. It runs while `running` holds, checked under
    /// its lock at each poll: once a dropped stream has cleared it, nothing more is sent.
    fn spawn<P: Pager<Item = T>>(pager: P, prefetch: usize) -> Self {
        // The allowance keeps at most `max(prefetch, 1)` pages waiting; past the cap, the
        // task waits for room instead.
        let (sender, pages) = mpsc::channel(prefetch.clamp(1, MAX_WAITING_PAGES));
        let (allowed, allowance) = watch::channel(0);
        let running = Arc::new(Mutex::new(true));
        let mut fetching = Box::pin(fetch_pages(pager, sender, allowance));
        let flag = running.clone();
        let task = tokio::spawn(std::future::poll_fn(move |cx| {
            let running = lock(&flag);
            if !*running {
                return Poll::Ready(());
            }
            fetching.as_mut().poll(cx)
        }));
        Fetcher {
            pages,
            allowed,
            running,
            task,
        }
    }

    /// Lets the task fetch up to `pages` pages in all.
    fn allow(&self, pages: usize) {
        self.allowed.send_if_modified(|allowed| {
            let more = pages > *allowed;
            *allowed = (*allowed).max(pages);
            more
        });
    }

    /// Once the task has sent its last page: how it ended. A panic in it is the reader's; a
    /// task cancelled from outside (a runtime shutting down) ends the read with an error
    /// rather than as if complete.
    fn poll_end(&mut self, cx: &mut Context<'_>) -> Poll<Option<Error>> {
        Poll::Ready(match std::task::ready!(Pin::new(&mut self.task).poll(cx)) {
            Ok(()) => None,
            Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
            Err(error) => Some(Error::Paging(format!(
                "the task fetching the pages was stopped: {error}"
            ))),
        })
    }
}

impl<T> Drop for Fetcher<T> {
    fn drop(&mut self) {
        // Waits for a poll of the task under way, so none starts a request after the drop.
        *lock(&self.running) = false;
        self.task.abort();
    }
}

/// Fetches `pager`'s pages one after another, each once the stream allows it, and sends them
/// on; ends after the last page or an error, or once the stream is gone.
async fn fetch_pages<P: Pager>(
    mut pager: P,
    pages: mpsc::Sender<PageItems<P::Item>>,
    mut allowance: watch::Receiver<usize>,
) {
    let mut sent = 0;
    loop {
        if allowance.wait_for(|allowed| *allowed > sent).await.is_err() {
            return;
        }
        let page = match pager.next() {
            Next::Fetch(fetch) => {
                let answer = fetch.await;
                let mut page = VecDeque::new();
                pager.take(answer, &mut page);
                page
            }
            Next::Done => return,
            Next::Fail(error) => VecDeque::from([Err(error)]),
        };
        if page.is_empty() {
            continue;
        }
        let ends = matches!(page.back(), Some(Err(_)));
        if pages.send(page).await.is_err() || ends {
            return;
        }
        sent += 1;
    }
}

/// What is left to read, and the cursors followed: what every paged read (lists, searches,
/// association lists) keeps between pages.
struct Pages {
    remaining: Option<usize>,
    more: bool,
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

impl Pages {
    fn new(max_items: Option<usize>) -> Self {
        Pages {
            remaining: max_items,
            more: true,
            cursors: HashSet::new(),
            cursor_order: VecDeque::new(),
            empty_pages: 0,
        }
    }

    /// Whether another page is to be fetched: more to read, and the cap not reached.
    fn wants_more(&self) -> bool {
        self.more && self.remaining != Some(0)
    }

    /// Items per request: the page size, or fewer when the cap is near.
    fn limit(&self, page_size: u32) -> u32 {
        match self.remaining {
            Some(left) => page_size.min(u32::try_from(left).unwrap_or(u32::MAX)),
            None => page_size,
        }
    }

    /// Counts an item against the cap; `false` when the cap is reached and it is dropped.
    fn count_one(&mut self) -> bool {
        match &mut self.remaining {
            Some(0) => false,
            Some(left) => {
                *left -= 1;
                true
            }
            None => true,
        }
    }

    fn end_with<T>(&mut self, error: Error, out: &mut VecDeque<Result<T>>) {
        self.more = false;
        out.push_back(Err(error));
    }

    /// Appends `items` up to the cap, then `error` unless the cap ended the read first.
    fn deliver<T>(&mut self, items: Vec<T>, error: Option<Error>, out: &mut VecDeque<Result<T>>) {
        for item in items {
            if !self.count_one() {
                return;
            }
            out.push_back(Ok(item));
        }
        if let Some(error) = error
            && self.remaining != Some(0)
        {
            self.end_with(error, out);
        }
    }

    /// Takes a fetched page and follows its cursor into `after`; returns its items and the
    /// error to end with after them. A cursor seen before would fetch pages in a circle: the
    /// read ends with [`Error::Paging`] after this page.
    fn advance<T>(&mut self, after: &mut Option<String>, page: Page<T>) -> (Vec<T>, Option<Error>) {
        let empty = page.results.is_empty();
        let items = page.results;
        let Some(next) = page.next_after else {
            self.more = false;
            return (items, None);
        };
        self.empty_pages = if empty { self.empty_pages + 1 } else { 0 };
        if self.empty_pages >= MAX_EMPTY_PAGES {
            self.more = false;
            let error = Error::Paging(format!(
                "{MAX_EMPTY_PAGES} empty pages in a row, each naming a next page"
            ));
            return (items, Some(error));
        }
        if !self.cursors.insert(next.clone()) {
            self.more = false;
            let error = Error::Paging(format!(
                "paging went in a circle: the cursor `{next}` was returned again"
            ));
            return (items, Some(error));
        }
        self.cursor_order.push_back(next.clone());
        if self.cursor_order.len() > MAX_REMEMBERED_CURSORS
            && let Some(oldest) = self.cursor_order.pop_front()
        {
            self.cursors.remove(&oldest);
        }
        *after = Some(next);
        (items, None)
    }
}

/// A cursor-paged read: `fetch(limit, after)` gets one page.
struct CursorPager<T, F> {
    pages: Pages,
    after: Option<String>,
    page_size: u32,
    fetch: F,
    item: PhantomData<fn() -> T>,
}

impl<T, F, Fut> Pager for CursorPager<T, F>
where
    T: Send + 'static,
    F: FnMut(u32, Option<String>) -> Fut + Send + 'static,
    Fut: Future<Output = Result<Page<T>>> + Send + 'static,
{
    type Item = T;
    type Answer = Result<Page<T>>;

    fn next(&mut self) -> Next<Self::Answer> {
        if !self.pages.wants_more() {
            return Next::Done;
        }
        let limit = self.pages.limit(self.page_size);
        Next::Fetch(Box::pin((self.fetch)(limit, self.after.clone())))
    }

    fn take(&mut self, answer: Self::Answer, out: &mut VecDeque<Result<T>>) {
        match answer {
            Ok(page) => {
                let (items, error) = self.pages.advance(&mut self.after, page);
                self.pages.deliver(items, error, out);
            }
            Err(error) => self.pages.end_with(error, out),
        }
    }
}

/// A stream of every item of a cursor-paged read: `fetch(limit, after)` gets one page. Up to
/// `prefetch` pages are fetched ahead of the one being read; the first error ends it.
pub(crate) fn cursor_stream<T, F, Fut>(
    page_size: u32,
    max_items: Option<usize>,
    prefetch: usize,
    fetch: F,
) -> BoxStream<'static, Result<T>>
where
    T: Send + 'static,
    F: FnMut(u32, Option<String>) -> Fut + Send + 'static,
    Fut: Future<Output = Result<Page<T>>> + Send + 'static,
{
    let pager = CursorPager {
        pages: Pages::new(max_items),
        after: None,
        page_size,
        fetch,
        item: PhantomData,
    };
    Prefetch::new(pager, prefetch).boxed()
}

struct SearchPager<O> {
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

    fn next(&mut self) -> Next<Self::Answer> {
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

    fn take(&mut self, answer: Self::Answer, out: &mut VecDeque<Result<Record>>) {
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
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    /// What a fake paged read was asked: `(limit, after)` of each fetch started.
    type Asked = Arc<Mutex<Vec<(u32, Option<String>)>>>;

    /// A cursor stream over `pages` pages of `per_page` numbers, each page answered `latency`
    /// after it is asked for (virtual time under a paused clock), the page numbered `fail_at`
    /// (from 0) with an error.
    fn numbers(
        pages: usize,
        per_page: usize,
        latency: Duration,
        fail_at: Option<usize>,
        max_items: Option<usize>,
        prefetch: usize,
        asked: &Asked,
    ) -> BoxStream<'static, Result<usize>> {
        let asked = asked.clone();
        cursor_stream(
            u32::try_from(per_page).unwrap(),
            max_items,
            prefetch,
            move |limit, after| {
                asked.lock().unwrap().push((limit, after.clone()));
                let page: usize = after.map_or(0, |a| a.parse().unwrap());
                async move {
                    // A zero sleep still waits for the timer: leave it out to answer at once.
                    if !latency.is_zero() {
                        tokio::time::sleep(latency).await;
                    }
                    if fail_at == Some(page) {
                        return Err(Error::Paging(format!("page {page} failed")));
                    }
                    let from = page * per_page;
                    let to = from + (limit as usize).min(per_page);
                    Ok(Page {
                        results: (from..to).collect(),
                        next_after: (page + 1 < pages).then(|| (page + 1).to_string()),
                        total: None,
                    })
                }
            },
        )
    }

    #[tokio::test(start_paused = true)]
    async fn a_page_ahead_hides_the_readers_time_behind_the_servers() {
        // The measured case: 100 ms a page, a reader spending half that on each page.
        let latency = Duration::from_millis(100);
        let (pages, per_page) = (100, 50);
        let mut elapsed = Vec::new();
        for prefetch in [0, 1] {
            let asked = Asked::default();
            let mut stream = numbers(pages, per_page, latency, None, None, prefetch, &asked);
            let start = tokio::time::Instant::now();
            let mut read = 0;
            while let Some(n) = stream.next().await {
                assert_eq!(n.unwrap(), read);
                read += 1;
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            assert_eq!(read, pages * per_page);
            assert_eq!(asked.lock().unwrap().len(), pages);
            elapsed.push(start.elapsed());
        }
        let server_time = latency * u32::try_from(pages).unwrap();
        // Virtual time: exact up to the timer's millisecond.
        assert!(
            elapsed[0] >= server_time + Duration::from_millis(50) * 99,
            "{elapsed:?}"
        );
        assert!(elapsed[1] <= server_time.mul_f64(1.05), "{elapsed:?}");
    }

    /// Under a paused clock, returns once every other task is idle (time only moves then):
    /// the fetching task has gone as far as it may.
    async fn settle() {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }

    #[tokio::test(start_paused = true)]
    async fn at_most_prefetch_pages_are_fetched_beyond_the_one_being_read() {
        let (pages, per_page) = (10, 5);
        for prefetch in [0, 1, 3] {
            let asked = Asked::default();
            let mut stream = numbers(
                pages,
                per_page,
                Duration::ZERO,
                None,
                None,
                prefetch,
                &asked,
            );
            for i in 0..pages * per_page {
                assert_eq!(stream.next().await.unwrap().unwrap(), i);
                settle().await;
                // Answers come at once here, so exactly as many pages as allowed are ahead.
                let reading = i / per_page;
                let started = asked.lock().unwrap().len();
                assert_eq!(
                    started,
                    pages.min(reading + 1 + prefetch),
                    "prefetch {prefetch}, item {i}"
                );
            }
            assert!(stream.next().await.is_none());
            assert_eq!(asked.lock().unwrap().len(), pages);
        }
    }

    #[tokio::test(start_paused = true)]
    async fn pages_ahead_are_fetched_while_the_reader_is_away_from_the_stream() {
        let asked = Asked::default();
        let latency = Duration::from_millis(100);
        let mut stream = numbers(10, 5, latency, None, None, 3, &asked);
        assert_eq!(stream.next().await.unwrap().unwrap(), 0);
        // Busy elsewhere for ten answers' time, not reading the stream.
        tokio::time::sleep(latency * 10).await;
        // Page 0 and three ahead: each request went out as the answer before it came.
        assert_eq!(asked.lock().unwrap().len(), 4);
        let rest: Vec<usize> = stream.map(|n| n.unwrap()).collect().await;
        assert_eq!(rest, (1..50).collect::<Vec<_>>());
        assert_eq!(asked.lock().unwrap().len(), 10);
    }

    #[tokio::test(start_paused = true)]
    async fn an_absurd_prefetch_fetches_everything_ahead_in_order() {
        let asked = Asked::default();
        let mut stream = numbers(1_500, 2, Duration::ZERO, None, None, usize::MAX, &asked);
        assert_eq!(stream.next().await.unwrap().unwrap(), 0);
        settle().await;
        // Past the channel's room the task waits for the reader: every page is still read.
        let read: Vec<usize> = stream.map(|n| n.unwrap()).collect().await;
        assert_eq!(read, (1..3_000).collect::<Vec<_>>());
        assert_eq!(asked.lock().unwrap().len(), 1_500);
    }

    #[tokio::test]
    #[should_panic(expected = "a bug while fetching")]
    async fn a_panic_while_fetching_reaches_the_reader() {
        let mut stream = cursor_stream(5, None, 1, |_, _| async {
            panic!("a bug while fetching");
            #[allow(unreachable_code)]
            Ok(Page::<usize> {
                results: Vec::new(),
                next_after: None,
                total: None,
            })
        });
        stream.next().await;
    }

    #[tokio::test]
    async fn an_error_comes_after_the_items_before_it_and_ends_the_stream() {
        for prefetch in [0, 1, 3] {
            let asked = Asked::default();
            let items: Vec<_> = numbers(6, 4, Duration::ZERO, Some(2), None, prefetch, &asked)
                .collect()
                .await;
            assert_eq!(items.len(), 9, "prefetch {prefetch}");
            let numbers: Vec<usize> = items[..8].iter().map(|r| *r.as_ref().unwrap()).collect();
            assert_eq!(numbers, (0..8).collect::<Vec<_>>());
            assert!(matches!(&items[8], Err(Error::Paging(m)) if m == "page 2 failed"));
            assert_eq!(asked.lock().unwrap().len(), 3, "nothing after the error");
        }
    }

    #[tokio::test]
    async fn max_items_asks_for_no_page_past_it() {
        for prefetch in [0, 1, 3] {
            for (max, limits) in [(150, vec![100, 50]), (200, vec![100, 100])] {
                let asked = Asked::default();
                let items: Vec<_> =
                    numbers(5, 100, Duration::ZERO, None, Some(max), prefetch, &asked)
                        .collect()
                        .await;
                assert_eq!(items.len(), max);
                let asked: Vec<u32> = asked.lock().unwrap().iter().map(|(l, _)| *l).collect();
                assert_eq!(asked, limits, "prefetch {prefetch}, max_items {max}");
            }
        }
    }

    #[tokio::test(start_paused = true)]
    async fn nothing_is_fetched_before_the_first_read_or_after_a_drop() {
        let asked = Asked::default();
        let latency = Duration::from_millis(100);
        let mut stream = numbers(10, 5, latency, None, None, 3, &asked);
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert!(asked.lock().unwrap().is_empty());
        for _ in 0..3 {
            stream.next().await.unwrap().unwrap();
        }
        // Page 0 is being read and one more is under way.
        assert_eq!(asked.lock().unwrap().len(), 2);
        drop(stream);
        tokio::time::sleep(Duration::from_secs(10)).await;
        assert_eq!(asked.lock().unwrap().len(), 2);
    }

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
