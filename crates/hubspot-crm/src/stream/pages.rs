//! Cursor paging (`paging.next.after`): what is left to read, the cursors followed, and the
//! pager of lists and association lists.

use std::collections::{HashSet, VecDeque};
use std::future::Future;
use std::marker::PhantomData;

use futures::StreamExt;
use futures::stream::BoxStream;

use crate::error::{Error, Result};
use crate::model::Page;
use crate::stream::{Next, PageItems, Pager, Prefetch};

/// What is left to read, and the cursors followed: what every paged read (lists, searches,
/// association lists) keeps between pages.
pub(super) struct Pages {
    pub(super) remaining: Option<usize>,
    pub(super) more: bool,
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
    pub(super) fn new(max_items: Option<usize>) -> Self {
        Pages {
            remaining: max_items,
            more: true,
            cursors: HashSet::new(),
            cursor_order: VecDeque::new(),
            empty_pages: 0,
        }
    }

    /// Whether another page is to be fetched: more to read, and the cap not reached.
    pub(super) fn wants_more(&self) -> bool {
        self.more && self.remaining != Some(0)
    }

    /// Items per request: the page size, or fewer when the cap is near.
    pub(super) fn limit(&self, page_size: u32) -> u32 {
        match self.remaining {
            Some(left) => page_size.min(u32::try_from(left).unwrap_or(u32::MAX)),
            None => page_size,
        }
    }

    pub(super) fn end_with<T>(&mut self, error: Error, out: &mut PageItems<T>) {
        self.more = false;
        out.end_with(error);
    }

    /// Appends `items` up to the cap, then `error` unless the cap ended the read first.
    pub(super) fn deliver<T>(
        &mut self,
        mut items: Vec<T>,
        error: Option<Error>,
        out: &mut PageItems<T>,
    ) {
        if let Some(left) = &mut self.remaining {
            // Past the cap, the items are dropped, and the error after them.
            items.truncate(*left);
            *left -= items.len();
        }
        out.extend(items);
        if let Some(error) = error
            && self.remaining != Some(0)
        {
            self.end_with(error, out);
        }
    }

    /// Takes a fetched page and follows its cursor into `after`; returns its items and the
    /// error to end with after them. A cursor seen before would fetch pages in a circle: the
    /// read ends with [`Error::Paging`] after this page.
    pub(super) fn advance<T>(
        &mut self,
        after: &mut Option<String>,
        page: Page<T>,
    ) -> (Vec<T>, Option<Error>) {
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
    type Fetch = Fut;

    fn next(&mut self) -> Next<Fut> {
        if !self.pages.wants_more() {
            return Next::Done;
        }
        let limit = self.pages.limit(self.page_size);
        Next::Fetch((self.fetch)(limit, self.after.clone()))
    }

    fn take(&mut self, answer: Self::Answer, out: &mut PageItems<T>) {
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use futures::StreamExt;

    use crate::error::Error;
    use crate::model::Page;
    use crate::stream::cursor_stream;
    use crate::stream::fake::{Asked, numbers};

    /// Two pages of five numbers, both naming the cursor `again`: the second page goes in a
    /// circle, so its items are followed by a paging error.
    async fn circling(max_items: Option<usize>) -> Vec<Result<usize, String>> {
        cursor_stream(5, max_items, 1, |_, after: Option<String>| async move {
            let from = if after.is_some() { 5 } else { 0 };
            Ok(Page {
                results: (from..from + 5).collect(),
                next_after: Some("again".to_owned()),
                total: None,
            })
        })
        .map(|item| {
            item.map_err(|e| match e {
                Error::Paging(message) => message,
                other => panic!("expected a paging error, got {other:?}"),
            })
        })
        .collect()
        .await
    }

    #[tokio::test]
    async fn the_error_after_a_pages_items_comes_unless_max_items_ends_the_read_first() {
        let read = circling(None).await;
        assert_eq!(read.len(), 11);
        let numbers: Vec<usize> = read[..10].iter().map(|r| *r.as_ref().unwrap()).collect();
        assert_eq!(numbers, (0..10).collect::<Vec<_>>());
        assert_eq!(
            read[10],
            Err("paging went in a circle: the cursor `again` was returned again".to_owned())
        );
        // The cap reached inside the page, or at its last item: no error after it.
        for max in [8, 10] {
            let read = circling(Some(max)).await;
            let numbers: Vec<usize> = read.into_iter().map(Result::unwrap).collect();
            assert_eq!(numbers, (0..max).collect::<Vec<_>>(), "max_items {max}");
        }
        let read = circling(Some(11)).await;
        assert_eq!(read.len(), 11);
        assert!(read[10].is_err());
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
}
