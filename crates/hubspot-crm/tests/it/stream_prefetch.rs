//! Prefetching streams (lists, searches, the change feed): the next page is asked for while
//! the reader works through one, items keep their order, an error comes after the items before
//! it, `max_items` costs no extra request, and a dropped stream sends nothing more.
//!
//! Overlap is shown by where the reader was when each request arrived, never by a duration.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::support::{
    catch_all, client, client_with, json_response, quick_retries, record_ids, record_json,
    request_json,
};
use chrono::{DateTime, SecondsFormat, Utc};
use futures::StreamExt;
use futures::stream::BoxStream;
use httpmock::prelude::*;
use hubspot_crm::{
    ChangeFeedOptions, Checkpoint, Error, Lead, ReadOptions, Record, SearchRequest, StreamOptions,
};
use hubspot_crm_mock::leads::operations::{ListWhen, SearchWhen};
use serde_json::{Value, json};

/// How long a slow reader spends on each item.
const PAUSE: Duration = Duration::from_millis(2);

/// Long enough for a request sent by something left running to arrive.
const SETTLE: Duration = Duration::from_millis(300);

/// A proxy's error page, as a gateway in front of HubSpot answers.
const HTML: &str =
    "<html><head><title>500 Internal Server Error</title></head><body>nginx</body></html>";

fn html_500() -> HttpMockResponse {
    HttpMockResponse::builder()
        .status(500)
        .header("content-type", "text/html")
        .body(HTML)
        .build()
}

/// How many items the reader has handled, and, per request in arrival order, how many it had
/// handled when that request arrived.
#[derive(Clone, Default)]
struct Progress {
    handled: Arc<AtomicUsize>,
    arrivals: Arc<Mutex<Vec<usize>>>,
}

impl Progress {
    fn arrived(&self) {
        let handled = self.handled.load(Ordering::SeqCst);
        self.arrivals.lock().unwrap().push(handled);
    }

    fn arrivals(&self) -> Vec<usize> {
        self.arrivals.lock().unwrap().clone()
    }

    /// The next item of `stream`, handled slowly.
    async fn next<T>(
        &self,
        stream: &mut BoxStream<'static, hubspot_crm::Result<T>>,
    ) -> Option<hubspot_crm::Result<T>> {
        let item = stream.next().await?;
        tokio::time::sleep(PAUSE).await;
        self.handled.fetch_add(1, Ordering::SeqCst);
        Some(item)
    }

    /// Every item of `stream`, handled slowly.
    async fn read_all<T>(
        &self,
        mut stream: BoxStream<'static, hubspot_crm::Result<T>>,
    ) -> Vec<hubspot_crm::Result<T>> {
        let mut items = Vec::new();
        while let Some(item) = self.next(&mut stream).await {
            items.push(item);
        }
        items
    }

    /// Reads `n` items slowly.
    async fn read<T>(&self, stream: &mut BoxStream<'static, hubspot_crm::Result<T>>, n: usize) {
        for _ in 0..n {
            self.next(stream).await.expect("an item").expect("a record");
        }
    }

    /// Reads slowly until `done` holds, at most `max` items; panics if it never does.
    async fn read_until<T>(
        &self,
        stream: &mut BoxStream<'static, hubspot_crm::Result<T>>,
        max: usize,
        done: impl AsyncFnMut() -> bool,
    ) -> usize {
        let mut done = done;
        let mut read = 0;
        while !done().await {
            assert!(read < max, "still not there after {read} items");
            self.next(stream).await.expect("an item").expect("a record");
            read += 1;
        }
        read
    }
}

/// Checks that each request after the first arrived while the reader was on the page before
/// it, having finished the one before that (so never more than one page ahead), given the
/// items each page yields.
fn assert_one_page_ahead(arrivals: &[usize], per_page: &[usize]) {
    let ends: Vec<usize> = per_page
        .iter()
        .scan(0, |sum, n| {
            *sum += n;
            Some(*sum)
        })
        .collect();
    for k in 1..arrivals.len() {
        assert!(
            arrivals[k] < ends[k - 1],
            "request {k} arrived after the reader finished the page before: {arrivals:?}, page ends {ends:?}"
        );
        let started = if k >= 2 { ends[k - 2] } else { 0 };
        assert!(
            arrivals[k] >= started,
            "request {k} arrived before the reader reached the page before: {arrivals:?}, page ends {ends:?}"
        );
    }
}

/// Checks that each request after the first arrived once the page before was used up.
fn assert_on_demand(arrivals: &[usize], per_page: &[usize]) {
    let mut end = 0;
    for k in 1..arrivals.len() {
        end += per_page[k - 1];
        assert_eq!(arrivals[k], end, "request {k}: {arrivals:?}");
    }
}

// ---- lists ----

const FIRST_ID: u64 = 7000;

fn lead(id: u64) -> Value {
    record_json(
        &id.to_string(),
        json!({"hs_lead_name": format!("Lead {id}")}),
    )
}

/// HubSpot's list answer: records `from..to`, and the next cursor unless it is the last page.
fn list_page(from: u64, to: u64, next: Option<u64>) -> Value {
    let results: Vec<Value> = (from..to).map(lead).collect();
    match next {
        Some(after) => {
            json!({"results": results, "paging": {"next": {"after": after.to_string()}}})
        }
        None => json!({"results": results}),
    }
}

/// What one page of a served list answers.
#[derive(Clone, Copy, PartialEq)]
enum Answer {
    Records,
    /// A proxy's HTML 500.
    Html500,
    /// A 503 after 300 ms, which a retrying client sends again.
    Slow503,
}

/// Serves `total` leads in pages of `size`, one mock per page (matched on `after` and
/// `limit`); page `special.0` (from 0) answers `special.1`.
async fn serve_list<'a>(
    server: &'a MockServer,
    total: u64,
    size: u64,
    progress: &Progress,
    special: Option<(usize, Answer)>,
) -> Vec<httpmock::Mock<'a>> {
    let mut mocks = Vec::new();
    let end = FIRST_ID + total;
    let mut from = FIRST_ID;
    while from < end {
        let to = (from + size).min(end);
        let next = (to < end).then_some(to);
        let answer = match special {
            Some((page, answer)) if page == mocks.len() => answer,
            _ => Answer::Records,
        };
        let progress = progress.clone();
        let mock = server
            .mock_async(|when, then| {
                let when = ListWhen::new(when).limit(i32::try_from(size).unwrap());
                if from == FIRST_ID {
                    when.after(None::<&str>);
                } else {
                    when.after(from.to_string().as_str());
                }
                let then = if answer == Answer::Slow503 {
                    then.delay(Duration::from_millis(300))
                } else {
                    then
                };
                let body = list_page(from, to, next);
                then.respond_with(move |_: &HttpMockRequest| {
                    progress.arrived();
                    match answer {
                        Answer::Records => json_response(200, &body),
                        Answer::Html500 => html_500(),
                        Answer::Slow503 => json_response(
                            503,
                            &json!({"status": "error", "message": "unavailable"}),
                        ),
                    }
                });
            })
            .await;
        mocks.push(mock);
        from = to;
    }
    mocks
}

fn list(
    server: &MockServer,
    options: StreamOptions,
) -> BoxStream<'static, hubspot_crm::Result<Record>> {
    client(server)
        .objects::<Lead>()
        .list_stream(ReadOptions::new().properties(["hs_lead_name"]), options)
}

fn ok_ids(items: &[hubspot_crm::Result<Record>]) -> Vec<u64> {
    let records: Vec<Record> = items.iter().map(|r| r.as_ref().unwrap().clone()).collect();
    record_ids(&records)
}

#[tokio::test]
async fn list_pages_come_in_order_whatever_the_prefetch() {
    for prefetch in [0, 1, 3] {
        let server = MockServer::start_async().await;
        let progress = Progress::default();
        let pages = serve_list(&server, 130, 20, &progress, None).await;

        let items = progress
            .read_all(list(
                &server,
                StreamOptions::new().page_size(20).prefetch(prefetch),
            ))
            .await;

        assert_eq!(
            ok_ids(&items),
            (FIRST_ID..FIRST_ID + 130).collect::<Vec<_>>()
        );
        assert_eq!(pages.len(), 7);
        for page in &pages {
            page.assert_calls_async(1).await;
        }
    }
}

#[tokio::test]
async fn a_list_page_is_asked_for_while_the_reader_is_still_on_the_one_before() {
    let per_page = [20; 5];
    for prefetch in [1, 0] {
        let server = MockServer::start_async().await;
        let progress = Progress::default();
        let _pages = serve_list(&server, 100, 20, &progress, None).await;

        let items = progress
            .read_all(list(
                &server,
                StreamOptions::new().page_size(20).prefetch(prefetch),
            ))
            .await;

        assert_eq!(items.len(), 100);
        let arrivals = progress.arrivals();
        assert_eq!(arrivals.len(), 5);
        if prefetch == 1 {
            assert_one_page_ahead(&arrivals, &per_page);
        } else {
            assert_on_demand(&arrivals, &per_page);
        }
    }
}

#[tokio::test]
async fn an_html_500_on_page_3_comes_after_the_first_two_pages_and_ends_the_list() {
    for prefetch in [0, 1, 3] {
        let server = MockServer::start_async().await;
        let progress = Progress::default();
        let pages = serve_list(&server, 500, 100, &progress, Some((2, Answer::Html500))).await;

        let mut stream = list(&server, StreamOptions::new().prefetch(prefetch));
        let mut items = Vec::new();
        while let Some(item) = stream.next().await {
            items.push(item);
        }

        assert_eq!(items.len(), 201, "prefetch {prefetch}");
        assert_eq!(
            ok_ids(&items[..200]),
            (FIRST_ID..FIRST_ID + 200).collect::<Vec<_>>()
        );
        match &items[200] {
            Err(Error::Api(api)) => {
                assert_eq!(api.status, 500);
                assert_eq!(api.raw_body.as_deref(), Some(HTML));
            }
            other => panic!("expected the proxy's 500, got {other:?}"),
        }
        assert!(stream.next().await.is_none(), "the error ends the stream");
        tokio::time::sleep(Duration::from_millis(50)).await;
        for (i, page) in pages.iter().enumerate() {
            page.assert_calls_async(usize::from(i <= 2)).await;
        }
    }
}

#[tokio::test]
async fn a_dropped_list_stream_sends_nothing_more() {
    for (prefetch, read_first, ahead) in [(1, 150, 3), (3, 50, 4)] {
        let server = MockServer::start_async().await;
        let progress = Progress::default();
        let pages = serve_list(&server, 1000, 100, &progress, None).await;
        let mut stream = list(&server, StreamOptions::new().prefetch(prefetch));

        progress.read(&mut stream, read_first).await;
        // Until the pages fetched ahead have arrived, reading on (within the same page), and
        // a little more: no page beyond them is asked for.
        let last_ahead = &pages[ahead - 1];
        let read = progress
            .read_until(&mut stream, 40, async || {
                last_ahead.calls_async().await == 1
            })
            .await;
        progress.read(&mut stream, 49 - read).await;
        pages[ahead].assert_calls_async(0).await;
        drop(stream);
        tokio::time::sleep(SETTLE).await;

        for (i, page) in pages.iter().enumerate() {
            let expected = usize::from(i < ahead);
            assert_eq!(
                page.calls_async().await,
                expected,
                "prefetch {prefetch}, page {i}"
            );
        }
    }
}

#[tokio::test]
async fn a_stream_dropped_during_a_failing_fetch_does_not_retry_it() {
    let server = MockServer::start_async().await;
    let progress = Progress::default();
    let pages = serve_list(&server, 1000, 100, &progress, Some((2, Answer::Slow503))).await;
    let mut stream = client_with(&server, |b| b.retry(quick_retries()))
        .objects::<Lead>()
        .list_stream(
            ReadOptions::new().properties(["hs_lead_name"]),
            StreamOptions::new(),
        );

    progress.read(&mut stream, 101).await;
    // Page 3 is under way, its 503 still to come; drop the stream meanwhile.
    progress
        .read_until(&mut stream, 98, async || pages[2].calls_async().await == 1)
        .await;
    drop(stream);
    // Past the 503 and several retry delays: nothing was sent again.
    tokio::time::sleep(Duration::from_millis(300) + SETTLE).await;

    pages[2].assert_calls_async(1).await;
    for page in &pages[3..] {
        page.assert_calls_async(0).await;
    }
}

/// Shorter than a reader's pause, long enough for a loopback answer.
const SHORT_TIMEOUT: Duration = Duration::from_millis(300);

/// A reader's pause between records (a database flush), longer than [`SHORT_TIMEOUT`].
const LONG_PAUSE: Duration = Duration::from_millis(600);

/// Reads a list of three pages of one lead, pausing [`LONG_PAUSE`] after each record, with a
/// client that times requests out after [`SHORT_TIMEOUT`] and retries; checks that every
/// record came and each page was asked for once.
async fn read_with_long_pauses() {
    let server = MockServer::start_async().await;
    let pages = serve_list(&server, 3, 1, &Progress::default(), None).await;
    let client = client_with(&server, |b| b.timeout(SHORT_TIMEOUT).retry(quick_retries()));
    let mut stream = client.objects::<Lead>().list_stream(
        ReadOptions::new().properties(["hs_lead_name"]),
        StreamOptions::new().page_size(1),
    );

    let mut records = Vec::new();
    while let Some(record) = stream.next().await {
        records.push(record.expect("a record, not a timeout"));
        // Not reading the stream meanwhile: the page fetched ahead goes on without it.
        tokio::time::sleep(LONG_PAUSE).await;
    }

    assert_eq!(record_ids(&records), [FIRST_ID, FIRST_ID + 1, FIRST_ID + 2]);
    for (i, page) in pages.iter().enumerate() {
        assert_eq!(page.calls_async().await, 1, "page {i}");
    }
}

#[tokio::test]
async fn a_reader_pausing_longer_than_the_request_timeout_gets_every_record_with_one_request_per_page()
 {
    read_with_long_pauses().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_pausing_longer_than_the_request_timeout_on_many_threads_gets_every_record_with_one_request_per_page()
 {
    read_with_long_pauses().await;
}

#[tokio::test]
async fn max_items_sends_only_the_list_requests_it_needs() {
    for prefetch in [1, 3] {
        for (max, last_limit) in [(150, 50), (200, 100)] {
            let server = MockServer::start_async().await;
            let first = server
                .mock_async(|when, then| {
                    ListWhen::new(when).limit(100).after(None::<&str>);
                    then.respond_with(|_: &HttpMockRequest| {
                        json_response(
                            200,
                            &list_page(FIRST_ID, FIRST_ID + 100, Some(FIRST_ID + 100)),
                        )
                    });
                })
                .await;
            let second = server
                .mock_async(|when, then| {
                    ListWhen::new(when)
                        .limit(last_limit)
                        .after((FIRST_ID + 100).to_string().as_str());
                    let to = FIRST_ID + 100 + u64::try_from(last_limit).unwrap();
                    // A next page is named, and never needed.
                    then.respond_with(move |_: &HttpMockRequest| {
                        json_response(200, &list_page(FIRST_ID + 100, to, Some(to)))
                    });
                })
                .await;
            let anything_else = catch_all(&server).await;

            let items: Vec<_> = list(
                &server,
                StreamOptions::new().max_items(max).prefetch(prefetch),
            )
            .collect()
            .await;
            tokio::time::sleep(Duration::from_millis(50)).await;

            assert_eq!(
                ok_ids(&items),
                (FIRST_ID..FIRST_ID + max as u64).collect::<Vec<_>>()
            );
            first.assert_calls_async(1).await;
            second.assert_calls_async(1).await;
            anything_else.assert_calls_async(0).await;
        }
    }
}

// ---- searches ----

/// Requests a search endpoint got: each body, in arrival order.
type Bodies = Arc<Mutex<Vec<Value>>>;

/// A search over `ids` (ascending) with HubSpot's keyset behaviour: it applies an
/// `hs_object_id GT` filter and `limit`. The request numbered `fail_at` (from 0) gets a
/// proxy's HTML 500.
async fn serve_search<'a>(
    server: &'a MockServer,
    ids: u64,
    progress: &Progress,
    fail_at: Option<usize>,
) -> (httpmock::Mock<'a>, Bodies) {
    let bodies = Bodies::default();
    let (log, progress) = (bodies.clone(), progress.clone());
    let mock = server
        .mock_async(|when, then| {
            SearchWhen::new(when);
            then.respond_with(move |req: &HttpMockRequest| {
                progress.arrived();
                let body = request_json(req);
                let n = {
                    let mut log = log.lock().unwrap();
                    log.push(body.clone());
                    log.len() - 1
                };
                if fail_at == Some(n) {
                    return html_500();
                }
                let above: u64 = body["filterGroups"][0]["filters"]
                    .as_array()
                    .and_then(|filters| {
                        filters
                            .iter()
                            .find(|f| f["propertyName"] == "hs_object_id" && f["operator"] == "GT")
                    })
                    .map_or(0, |f| f["value"].as_str().unwrap().parse().unwrap());
                let limit = body["limit"].as_u64().unwrap();
                let matching: Vec<u64> =
                    (1..=ids).map(|i| i * 3).filter(|id| *id > above).collect();
                let page: Vec<Value> = matching
                    .iter()
                    .take(limit as usize)
                    .map(|id| lead(*id))
                    .collect();
                let mut answer = json!({"total": matching.len(), "results": page});
                if matching.len() as u64 > limit {
                    answer["paging"] = json!({"next": {"after": limit.to_string()}});
                }
                json_response(200, &answer)
            });
        })
        .await;
    (mock, bodies)
}

fn search(
    server: &MockServer,
    request: SearchRequest,
    options: StreamOptions,
) -> BoxStream<'static, hubspot_crm::Result<Record>> {
    client(server)
        .objects::<Lead>()
        .search_stream_with(request, options)
}

#[tokio::test]
async fn search_pages_come_in_order_and_ask_the_same_whatever_the_prefetch() {
    let mut asked = Vec::new();
    for prefetch in [0, 1, 3] {
        let server = MockServer::start_async().await;
        let progress = Progress::default();
        let (_mock, bodies) = serve_search(&server, 230, &progress, None).await;

        let items = progress
            .read_all(search(
                &server,
                SearchRequest::new().limit(50),
                StreamOptions::new().prefetch(prefetch),
            ))
            .await;

        assert_eq!(ok_ids(&items), (1..=230).map(|i| i * 3).collect::<Vec<_>>());
        let bodies = bodies.lock().unwrap().clone();
        assert_eq!(bodies.len(), 5);
        assert_eq!(
            bodies[1]["filterGroups"][0]["filters"][0],
            json!({"propertyName": "hs_object_id", "operator": "GT", "value": "150"})
        );
        asked.push(bodies);
    }
    assert_eq!(asked[0], asked[1]);
    assert_eq!(asked[0], asked[2]);
}

#[tokio::test]
async fn a_search_page_is_asked_for_while_the_reader_is_still_on_the_one_before() {
    let per_page = [25; 4];
    for prefetch in [1, 0] {
        let server = MockServer::start_async().await;
        let progress = Progress::default();
        let (_mock, _bodies) = serve_search(&server, 100, &progress, None).await;

        let items = progress
            .read_all(search(
                &server,
                SearchRequest::new().limit(25),
                StreamOptions::new().prefetch(prefetch),
            ))
            .await;

        assert_eq!(items.len(), 100);
        let arrivals = progress.arrivals();
        assert_eq!(arrivals.len(), 4);
        if prefetch == 1 {
            assert_one_page_ahead(&arrivals, &per_page);
        } else {
            assert_on_demand(&arrivals, &per_page);
        }
    }
}

#[tokio::test]
async fn an_html_500_on_the_third_search_comes_after_the_first_two_pages() {
    for prefetch in [0, 1, 3] {
        let server = MockServer::start_async().await;
        let progress = Progress::default();
        let (_mock, bodies) = serve_search(&server, 1000, &progress, Some(2)).await;

        let mut stream = search(
            &server,
            SearchRequest::new().limit(100),
            StreamOptions::new().prefetch(prefetch),
        );
        let mut items = Vec::new();
        while let Some(item) = stream.next().await {
            items.push(item);
        }

        assert_eq!(items.len(), 201, "prefetch {prefetch}");
        assert_eq!(
            ok_ids(&items[..200]),
            (1..=200).map(|i| i * 3).collect::<Vec<_>>()
        );
        assert!(
            matches!(&items[200], Err(Error::Api(api)) if api.status == 500),
            "{:?}",
            items[200]
        );
        assert!(stream.next().await.is_none());
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(bodies.lock().unwrap().len(), 3);
    }
}

#[tokio::test]
async fn a_dropped_search_stream_sends_nothing_more() {
    let server = MockServer::start_async().await;
    let progress = Progress::default();
    let (mock, _bodies) = serve_search(&server, 1000, &progress, None).await;
    let mut stream = search(
        &server,
        SearchRequest::new().limit(50),
        StreamOptions::new().prefetch(3),
    );

    // The page being read and three ahead, and no more while the first is read.
    let read = progress
        .read_until(&mut stream, 40, async || mock.calls_async().await == 4)
        .await;
    progress.read(&mut stream, 49 - read).await;
    mock.assert_calls_async(4).await;
    drop(stream);
    tokio::time::sleep(SETTLE).await;

    mock.assert_calls_async(4).await;
}

#[tokio::test]
async fn max_items_sends_only_the_search_requests_it_needs() {
    for prefetch in [1, 3] {
        let server = MockServer::start_async().await;
        let progress = Progress::default();
        let (_mock, bodies) = serve_search(&server, 1000, &progress, None).await;

        let items: Vec<_> = search(
            &server,
            SearchRequest::new().limit(100),
            StreamOptions::new().max_items(150).prefetch(prefetch),
        )
        .collect()
        .await;
        tokio::time::sleep(Duration::from_millis(50)).await;

        assert_eq!(items.len(), 150);
        let limits: Vec<Value> = bodies
            .lock()
            .unwrap()
            .iter()
            .map(|b| b["limit"].clone())
            .collect();
        assert_eq!(limits, [json!(100), json!(50)], "prefetch {prefetch}");
    }
}

#[tokio::test]
async fn a_search_page_size_comes_from_the_request_not_the_stream_options() {
    let server = MockServer::start_async().await;
    let anything = catch_all(&server).await;
    let items: Vec<_> = search(
        &server,
        SearchRequest::new(),
        StreamOptions::new().page_size(50),
    )
    .collect()
    .await;
    assert_eq!(items.len(), 1);
    assert!(
        matches!(&items[0], Err(Error::Validation(v)) if v.field == "page_size"),
        "{items:?}"
    );
    anything.assert_calls_async(0).await;
}

// ---- the change feed ----

const T0: i64 = 1_796_026_500_000;

/// Lead `i` of a feed's data: id `500 + i`, modified at `T0 + 1000 * i` ms.
fn changed(i: i64) -> Value {
    let at = DateTime::<Utc>::from_timestamp_millis(T0 + 1000 * i).unwrap();
    record_json(
        &(500 + i).to_string(),
        json!({
            "hs_lead_name": format!("Lead {i}"),
            "hs_lastmodifieddate": at.to_rfc3339_opts(SecondsFormat::Millis, true)
        }),
    )
}

/// A search over `total` leads by modification time: it applies the feed's
/// `hs_lastmodifieddate GTE` filter, sorts by it and applies `limit`. The request numbered
/// `fail_at` (from 0) gets a proxy's HTML 500.
async fn serve_feed<'a>(
    server: &'a MockServer,
    total: i64,
    progress: &Progress,
    fail_at: Option<usize>,
) -> httpmock::Mock<'a> {
    let (progress, count) = (progress.clone(), Arc::new(AtomicUsize::new(0)));
    server
        .mock_async(|when, then| {
            SearchWhen::new(when);
            then.respond_with(move |req: &HttpMockRequest| {
                progress.arrived();
                if fail_at == Some(count.fetch_add(1, Ordering::SeqCst)) {
                    return html_500();
                }
                let body = request_json(req);
                let from: i64 = body["filterGroups"][0]["filters"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|f| f["propertyName"] == "hs_lastmodifieddate" && f["operator"] == "GTE")
                    .map(|f| f["value"].as_str().unwrap().parse().unwrap())
                    .expect("a time bound");
                let limit = body["limit"].as_u64().unwrap() as usize;
                let matching: Vec<i64> = (0..total).filter(|i| T0 + 1000 * i >= from).collect();
                let results: Vec<Value> =
                    matching.iter().take(limit).map(|i| changed(*i)).collect();
                json_response(200, &json!({"total": matching.len(), "results": results}))
            });
        })
        .await
}

fn feed(
    server: &MockServer,
    options: ChangeFeedOptions,
) -> BoxStream<'static, hubspot_crm::Result<hubspot_crm::Change>> {
    let since = Checkpoint::at(DateTime::<Utc>::from_timestamp_millis(T0).unwrap());
    client(server).leads().changes(
        since,
        options
            .page_size(10)
            .overlap(Duration::ZERO)
            .properties(["hs_lead_name"]),
    )
}

fn change_ids(items: &[hubspot_crm::Result<hubspot_crm::Change>]) -> Vec<u64> {
    items
        .iter()
        .map(|c| c.as_ref().unwrap().record.id.parse().unwrap())
        .collect()
}

/// New changes per page of 10 over 60 leads: each page after the first starts at the last
/// one's time, so it repeats one change, which the feed drops.
const FEED_PAGES: [usize; 7] = [10, 9, 9, 9, 9, 9, 5];

#[tokio::test]
async fn feed_changes_come_in_order_whatever_the_prefetch() {
    for prefetch in [0, 1, 3] {
        let server = MockServer::start_async().await;
        let progress = Progress::default();
        let mock = serve_feed(&server, 60, &progress, None).await;

        let items = progress
            .read_all(feed(&server, ChangeFeedOptions::new().prefetch(prefetch)))
            .await;

        assert_eq!(
            change_ids(&items),
            (500..560).collect::<Vec<_>>(),
            "prefetch {prefetch}"
        );
        mock.assert_calls_async(FEED_PAGES.len()).await;
        let arrivals = progress.arrivals();
        match prefetch {
            0 => assert_on_demand(&arrivals, &FEED_PAGES),
            1 => assert_one_page_ahead(&arrivals, &FEED_PAGES),
            _ => {}
        }
    }
}

#[tokio::test]
async fn an_html_500_mid_feed_comes_after_the_changes_before_it_and_ends_the_feed() {
    for prefetch in [0, 1, 3] {
        let server = MockServer::start_async().await;
        let progress = Progress::default();
        let mock = serve_feed(&server, 60, &progress, Some(2)).await;

        let mut stream = feed(&server, ChangeFeedOptions::new().prefetch(prefetch));
        let mut items = Vec::new();
        while let Some(item) = stream.next().await {
            items.push(item);
        }

        assert_eq!(items.len(), 20, "prefetch {prefetch}");
        assert_eq!(change_ids(&items[..19]), (500..519).collect::<Vec<_>>());
        assert!(
            matches!(&items[19], Err(Error::Api(api)) if api.status == 500),
            "{:?}",
            items[19]
        );
        assert!(stream.next().await.is_none());
        tokio::time::sleep(Duration::from_millis(50)).await;
        mock.assert_calls_async(3).await;
    }
}

#[tokio::test]
async fn a_dropped_feed_sends_nothing_more() {
    let server = MockServer::start_async().await;
    let progress = Progress::default();
    let mock = serve_feed(&server, 60, &progress, None).await;
    let mut stream = feed(&server, ChangeFeedOptions::new());

    // The page being read and the one after it, and no more while the first is read.
    let read = progress
        .read_until(&mut stream, 6, async || mock.calls_async().await == 2)
        .await;
    progress.read(&mut stream, 9 - read).await;
    mock.assert_calls_async(2).await;
    drop(stream);
    tokio::time::sleep(SETTLE).await;

    mock.assert_calls_async(2).await;
}

#[tokio::test]
async fn a_dropped_polling_feed_stops_polling() {
    let server = MockServer::start_async().await;
    let progress = Progress::default();
    let mock = serve_feed(&server, 5, &progress, None).await;
    let mut stream = feed(
        &server,
        ChangeFeedOptions::new().poll_every(Duration::from_millis(20)),
    );

    progress.read(&mut stream, 5).await;
    // Caught up: it polls while it is read.
    let waited = tokio::time::timeout(Duration::from_millis(150), stream.next()).await;
    assert!(waited.is_err(), "nothing new: {waited:?}");
    let polled = mock.calls_async().await;
    assert!(polled >= 3, "{polled} searches");
    drop(stream);
    // A search already sent may still arrive; then nothing, over many polling periods.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let settled = mock.calls_async().await;
    assert!(settled <= polled + 1, "{polled} then {settled}");
    tokio::time::sleep(SETTLE).await;
    mock.assert_calls_async(settled).await;
}
