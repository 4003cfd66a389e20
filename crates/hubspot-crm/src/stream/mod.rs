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

#[cfg(test)]
mod fake;
mod keyset;
mod pages;
mod prefetch;

use futures::StreamExt;
use futures::stream::BoxStream;

use crate::error::{Error, Result, ValidationError};
use crate::model::{ReadOptions, Record};
use crate::objects::{CrmObject, Objects};
use crate::search::{SearchRequest, limits};

use keyset::SearchPager;
pub(crate) use pages::cursor_stream;
pub(crate) use prefetch::{Next, PageItems, Pager, Prefetch};

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
        let pager = SearchPager::new(self.clone(), request, options.max_items);
        Prefetch::new(pager, options.prefetch).boxed()
    }
}

/// A stream that yields `error` and ends, having sent nothing.
fn failed(error: ValidationError) -> RecordStream {
    futures::stream::once(async move { Err(Error::Validation(error)) }).boxed()
}
