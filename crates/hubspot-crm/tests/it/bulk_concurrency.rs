//! Bulk requests are sent a bounded number at a time.
//!
//! A bare HTTP/1.1 server holds each request for a moment and counts how many are open at
//! once; it answers batch archives with 204, as HubSpot does.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crate::support::default_retry_client;
use hubspot_crm::{BulkOptions, DEFAULT_CONCURRENCY, Lead};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

#[derive(Default)]
struct Counts {
    open: AtomicUsize,
    most_open: AtomicUsize,
    requests: AtomicUsize,
    ids: AtomicUsize,
}

async fn start() -> (String, Arc<Counts>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let counts = Arc::new(Counts::default());
    let shared = counts.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            tokio::spawn(serve(socket, shared.clone()));
        }
    });
    (url, counts)
}

async fn serve(socket: TcpStream, counts: Arc<Counts>) {
    let (read, mut write) = socket.into_split();
    let mut read = BufReader::new(read);
    let mut line = String::new();
    loop {
        line.clear();
        if read.read_line(&mut line).await.unwrap_or(0) == 0 {
            return;
        }
        assert!(
            line.starts_with("POST /crm/v3/objects/leads/batch/archive "),
            "{line}"
        );
        let mut length = 0;
        loop {
            line.clear();
            read.read_line(&mut line).await.unwrap();
            if line == "\r\n" {
                break;
            }
            if let Some((name, value)) = line.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().unwrap();
            }
        }
        let mut body = vec![0; length];
        read.read_exact(&mut body).await.unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        counts
            .ids
            .fetch_add(body["inputs"].as_array().unwrap().len(), Ordering::SeqCst);
        counts.requests.fetch_add(1, Ordering::SeqCst);
        let open = counts.open.fetch_add(1, Ordering::SeqCst) + 1;
        counts.most_open.fetch_max(open, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(150)).await;
        // Closed before answering: the client cannot send another request on it sooner.
        counts.open.fetch_sub(1, Ordering::SeqCst);
        write
            .write_all(b"HTTP/1.1 204 No Content\r\n\r\n")
            .await
            .unwrap();
    }
}

fn ids(n: u64) -> Vec<String> {
    (1..=n).map(|id| id.to_string()).collect()
}

#[tokio::test]
async fn no_more_than_the_chosen_number_of_requests_are_in_flight() {
    let (url, counts) = start().await;
    let result = default_retry_client(&url)
        .objects::<Lead>()
        .bulk(BulkOptions::new().concurrency(3))
        .archive(ids(1000))
        .await
        .unwrap();

    assert!(result.is_complete_success());
    assert_eq!(counts.requests.load(Ordering::SeqCst), 10);
    assert_eq!(counts.ids.load(Ordering::SeqCst), 1000);
    let most = counts.most_open.load(Ordering::SeqCst);
    assert!(most <= 3, "{most} requests were open at once");
    assert!(most >= 2, "requests were not sent concurrently");
}

#[tokio::test]
async fn the_default_keeps_a_small_number_in_flight() {
    let (url, counts) = start().await;
    let result = default_retry_client(&url)
        .objects::<Lead>()
        .archive_many(ids(1500))
        .await
        .unwrap();

    assert_eq!(result.succeeded().count(), 1500);
    assert_eq!(counts.requests.load(Ordering::SeqCst), 15);
    let most = counts.most_open.load(Ordering::SeqCst);
    assert!(
        most <= DEFAULT_CONCURRENCY,
        "{most} requests were open at once"
    );
}
