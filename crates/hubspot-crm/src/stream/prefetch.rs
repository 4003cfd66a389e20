//! Running a [`Pager`]'s fetches in a task of their own, up to `prefetch` pages ahead of
//! the reader.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};

use futures::Stream;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::error::{Error, Result};

/// What a paged read does next.
pub(crate) enum Next<F> {
    /// Fetch a page with this future; its answer goes to [`Pager::take`].
    Fetch(F),
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
    /// The future fetching one page. Named rather than boxed, so that a page costs no
    /// allocation of its own: the fetching task holds it in place.
    type Fetch: Future<Output = Self::Answer> + Send + 'static;

    /// The page to fetch next; called once the answer before it is taken, never while a fetch
    /// is under way.
    fn next(&mut self) -> Next<Self::Fetch>;

    /// Takes a page's answer, adding what it yields to `out` in order, and the error that
    /// ends the read, if any.
    fn take(&mut self, answer: Self::Answer, out: &mut PageItems<Self::Item>);
}

/// The most pages a fetching task's channel holds (tokio caps a channel's capacity; an
/// absurd `prefetch` must not reach it).
const MAX_WAITING_PAGES: usize = 1024;

/// A page's items in order, and the error after them that ends the read, if any. The items
/// are the page's own vector, moved along whole and read out in place: a record is not
/// copied from queue to queue.
pub(crate) struct PageItems<T> {
    items: Vec<T>,
    end: Option<Error>,
}

impl<T> PageItems<T> {
    pub(crate) fn new() -> Self {
        PageItems {
            items: Vec::new(),
            end: None,
        }
    }

    pub(crate) fn push(&mut self, item: T) {
        self.items.push(item);
    }

    /// Adds `items` after those already in; the first batch is taken over as it is.
    pub(crate) fn extend(&mut self, mut items: Vec<T>) {
        if self.items.is_empty() {
            self.items = items;
        } else {
            self.items.append(&mut items);
        }
    }

    /// Ends the read with `error`, after the items.
    pub(crate) fn end_with(&mut self, error: Error) {
        self.end = Some(error);
    }

    fn is_empty(&self) -> bool {
        self.items.is_empty() && self.end.is_none()
    }
}

/// The page being read: its items one after another, then its error.
struct Reading<T> {
    items: std::vec::IntoIter<T>,
    end: Option<Error>,
}

impl<T> Reading<T> {
    fn empty() -> Self {
        Reading {
            items: Vec::new().into_iter(),
            end: None,
        }
    }

    fn next(&mut self) -> Option<Result<T>> {
        match self.items.next() {
            Some(item) => Some(Ok(item)),
            None => self.end.take().map(Err),
        }
    }
}

impl<T> From<PageItems<T>> for Reading<T> {
    fn from(page: PageItems<T>) -> Self {
        Reading {
            items: page.items.into_iter(),
            end: page.end,
        }
    }
}

/// A stream over a [`Pager`]'s items that keeps up to `prefetch` pages fetched, or being
/// fetched, ahead of the one being read. The fetching runs in a task of its own, spawned at
/// the first read: a request moves on (and its answer is read within its timeout) while the
/// reader is busy with something else. Dropping the stream stops the task.
pub(crate) struct Prefetch<P: Pager> {
    /// The paging, until the first read hands it to the fetching task.
    pager: Option<P>,
    prefetch: usize,
    /// The page being read.
    reading: Reading<P::Item>,
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
            reading: Reading::empty(),
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
            if let Some(item) = this.reading.next() {
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
                    this.reading = Reading::from(page);
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
                let mut page = PageItems::new();
                pager.take(answer, &mut page);
                page
            }
            Next::Done => return,
            Next::Fail(error) => {
                let mut page = PageItems::new();
                page.end_with(error);
                page
            }
        };
        if page.is_empty() {
            continue;
        }
        let ends = page.end.is_some();
        if pages.send(page).await.is_err() || ends {
            return;
        }
        sent += 1;
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use futures::StreamExt;

    use crate::error::Error;
    use crate::model::Page;
    use crate::stream::cursor_stream;
    use crate::stream::fake::{Asked, numbers};

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
}
