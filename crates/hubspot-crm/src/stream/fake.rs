//! A fake cursor-paged read of numbers, for the tests of the paging and prefetching.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::stream::BoxStream;

use crate::error::{Error, Result};
use crate::model::Page;
use crate::stream::cursor_stream;

/// What a fake paged read was asked: `(limit, after)` of each fetch started.
pub(super) type Asked = Arc<Mutex<Vec<(u32, Option<String>)>>>;

/// A cursor stream over `pages` pages of `per_page` numbers, each page answered `latency`
/// after it is asked for (virtual time under a paused clock), the page numbered `fail_at`
/// (from 0) with an error.
pub(super) fn numbers(
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
