//! Rate limits shared through Redis by several clients (as several worker processes would):
//! together they keep to one window, count one daily budget, and do what they were told when
//! Redis goes away. Each test starts its own `redis-server` on a free loopback port; where none
//! is installed (`apt-get install redis-server`), those tests say so on stderr and do not run,
//! unless `HUBSPOT_TEST_REDIS=require` (as in CI) makes that a failure.
//!
//! A binary of its own, not a module of `it` (see `it/main.rs`): the four-worker runs measure a
//! share of a window's ceiling, which the other end-to-end tests running at the same time on the
//! same cores would distort.

// The end-to-end tests' helpers, shared with `it`.
#[path = "it/common/mod.rs"]
mod common;

use std::io::{ErrorKind, Write};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{TOKEN, busiest, fast_retry, lead_input, sandbox};
use hubspot_crm::{
    Client, Error, FailureCause, NewRecord, OAuthRefresh, OnUnreachable, RateLimits, RedisStore,
    RetryPolicy, Window,
};
use hubspot_sandbox::{Sandbox, SandboxConfig};
use serde_json::json;

/// A `redis-server` of the test's own, stopped on drop.
struct RedisServer {
    child: Option<Child>,
    port: u16,
}

/// Set to `require` (as CI does), a missing `redis-server` fails the tests that need it
/// instead of skipping them.
const REDIS_POLICY_VAR: &str = "HUBSPOT_TEST_REDIS";

impl RedisServer {
    /// Starts one on a free port; where `redis-server` is not installed, says on stderr that
    /// the calling test does not run and returns `None`, unless [`REDIS_POLICY_VAR`] requires
    /// it. The one entry point of every test that needs Redis.
    fn start_or_skip() -> Option<Self> {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        match Self::spawn(port) {
            Ok(server) => Some(server),
            Err(e) if e.kind() == ErrorKind::NotFound => {
                assert!(
                    !redis_required(),
                    "redis-server not found on PATH, and {REDIS_POLICY_VAR}=require: \
                     apt-get install redis-server"
                );
                report_skipped();
                None
            }
            Err(e) => panic!("redis-server does not start: {e}"),
        }
    }

    /// Starts one on `port` and waits until it takes connections.
    fn spawn(port: u16) -> std::io::Result<Self> {
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no", "--dir"])
            .arg(std::env::temp_dir())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "redis-server did not start on port {port}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(RedisServer {
            child: Some(child),
            port,
        })
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port, empty.
    fn restart(&mut self) {
        self.stop();
        *self = Self::spawn(self.port).expect("redis-server starts again");
    }

    async fn connection(&self) -> redis::aio::MultiplexedConnection {
        redis::Client::open(self.url())
            .unwrap()
            .get_multiplexed_async_connection()
            .await
            .unwrap()
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Whether [`REDIS_POLICY_VAR`] makes a missing `redis-server` a failure; a value other than
/// `require` fails too, so that a misspelt setting never skips the tests unnoticed.
fn redis_required() -> bool {
    match std::env::var_os(REDIS_POLICY_VAR) {
        None => false,
        Some(value) if value.is_empty() => false,
        Some(value) if value == "require" => true,
        Some(value) => {
            panic!("{REDIS_POLICY_VAR}={value:?}: set it to `require` or leave it unset")
        }
    }
}

/// One line naming the test that did not run. libtest names each test's thread after the
/// test, and captures what `print!`/`eprintln!` write in a passing test; a write through
/// `io::stderr()` goes past that capture, so the line shows in plain `cargo test` output.
fn report_skipped() {
    let current = std::thread::current();
    let test = current.name().unwrap_or("a Redis test");
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED {test}: redis-server not found on PATH (apt-get install redis-server, \
         or set {REDIS_POLICY_VAR}=require to make this a failure)"
    );
}

fn window_limits(max: u32, window: Duration) -> RateLimits {
    RateLimits {
        general: Some(Window::new(max, window)),
        search: None,
        follow_headers: true,
        daily: None,
    }
}

/// A client of its own (its own connection to Redis, as another process would have).
fn client(sandbox: &Sandbox, limits: RateLimits, store: Option<RedisStore>) -> Client {
    client_with(sandbox, fast_retry(), limits, store)
}

fn client_with(
    sandbox: &Sandbox,
    retry: RetryPolicy,
    limits: RateLimits,
    store: Option<RedisStore>,
) -> Client {
    let builder = Client::builder()
        .access_token(TOKEN)
        .base_url(sandbox.base_url())
        .timeout(Duration::from_secs(10))
        .retry(retry)
        .rate_limits(limits);
    match store {
        Some(store) => builder.rate_limit_store(store),
        None => builder,
    }
    .build()
    .expect("client builds")
}

fn leads(contact: &str, worker: usize, count: usize) -> Vec<NewRecord> {
    (0..count)
        .map(|i| lead_input(&format!("worker {worker} lead {i}"), contact))
        .collect()
}

/// Arrival times of the requests to `path`, from the first.
fn arrivals(sandbox: &Sandbox, path: &str) -> Vec<Duration> {
    let log: Vec<_> = sandbox
        .request_log()
        .into_iter()
        .filter(|r| r.path == path)
        .collect();
    let mut times: Vec<_> = log.iter().map(|r| r.at - log[0].at.min(r.at)).collect();
    // Logged at arrival, by concurrent connections: nearly, not always, in order.
    times.sort();
    let first = times.first().copied().unwrap_or_default();
    times.iter().map(|t| *t - first).collect()
}

const BATCH_CREATE: &str = "/crm/v3/objects/leads/batch/create";

/// The two four-worker runs take turns: each measures a share of the window, which the
/// other's load on the same cores would distort.
static FOUR_WORKER_RUNS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The sandbox's window in the four-worker runs: 20 requests a second, on a 2 s window so
/// that an answer's latency (counted in the window until the answer arrives) is a small part
/// of it, as it is of HubSpot's 10 s window.
const WORKERS_WINDOW: (u32, Duration) = (40, Duration::from_secs(2));

/// Four clients create 5,000 leads each, at once, against a server allowing
/// [`WORKERS_WINDOW`], each client set to that whole window; returns the number of 429s.
async fn four_workers(sandbox: &Sandbox, redis: Option<&RedisServer>) -> u64 {
    let _turn = FOUR_WORKER_RUNS.lock().await;
    let contact = sandbox.seed_contact(json!({"email": "ada@example.com"}));
    let limits = window_limits(WORKERS_WINDOW.0, WORKERS_WINDOW.1);
    let workers = (0..4).map(|worker| {
        let store = redis.map(|r| RedisStore::new(&r.url()).unwrap());
        let client = client(sandbox, limits, store);
        let inputs = leads(&contact, worker, 5_000);
        async move {
            // One batch at a time per worker: four in flight keep the sandbox's answers
            // quick, and are more than the window lets through.
            client
                .objects::<hubspot_crm::Lead>()
                .bulk(hubspot_crm::BulkOptions::new().concurrency(1))
                .create(inputs)
                .await
                .unwrap()
        }
    });
    let results = futures::future::join_all(workers).await;
    for result in &results {
        assert_eq!(result.outcomes.len(), 5_000);
        assert!(result.is_complete_success(), "{:?}", result.failed().next());
    }
    let ids: std::collections::HashSet<_> = results
        .iter()
        .flat_map(|r| r.succeeded().map(|record| record.id.clone()))
        .collect();
    assert_eq!(ids.len(), 20_000, "every lead created once");
    assert_eq!(sandbox.live_count("leads"), 20_000);
    sandbox.rate_limited_count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_workers_sharing_redis_keep_to_one_window_with_no_429() {
    let Some(redis) = RedisServer::start_or_skip() else {
        return;
    };
    let (max, window) = WORKERS_WINDOW;
    let sandbox = sandbox(SandboxConfig::new().rate_limit(max, window)).await;
    let limited = four_workers(&sandbox, Some(&redis)).await;
    assert_eq!(limited, 0, "no request was answered 429");
    let times = arrivals(&sandbox, BATCH_CREATE);
    assert_eq!(
        times.len(),
        200,
        "one request per batch of 100, none resent"
    );
    assert!(busiest(&times, window) <= max as usize);
    // In whole windows from the first request, the server takes at most `max` per window:
    // the share of that the four workers used.
    let windows = (times.last().unwrap().as_secs_f64() / window.as_secs_f64()).floor();
    assert!(windows >= 3.0, "the run spans {windows} windows");
    let arrived = times
        .iter()
        .filter(|t| t.as_secs_f64() < windows * window.as_secs_f64())
        .count();
    let share = arrived as f64 / (windows * f64::from(max));
    eprintln!(
        "four workers sharing Redis: {arrived} requests in {windows} windows of {window:?}, \
         {share:.3} of the ceiling, no 429"
    );
    assert!(
        share >= 0.95,
        "{share:.3} of the ceiling: {arrived} requests in {windows} windows of {window:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_workers_with_their_own_limiters_run_into_429s() {
    let (max, window) = WORKERS_WINDOW;
    let sandbox = sandbox(SandboxConfig::new().rate_limit(max, window)).await;
    let limited = four_workers(&sandbox, None).await;
    eprintln!("four workers with their own limiters: {limited} requests answered 429");
    assert!(limited > 0, "four whole windows at once were all admitted");
}

#[tokio::test]
async fn keys_name_the_app_by_a_hash_of_its_token_never_the_token() {
    let Some(redis) = RedisServer::start_or_skip() else {
        return;
    };
    let sandbox = sandbox(SandboxConfig::new()).await;
    let (_, ids) = seed_leads(&sandbox, 1);
    let limits = window_limits(100, Duration::from_secs(10));
    for _ in 0..2 {
        let store = RedisStore::new(&redis.url()).unwrap();
        client(&sandbox, limits, Some(store))
            .leads()
            .get(&ids[0])
            .await
            .unwrap();
    }
    let mut connection = redis.connection().await;
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg("*")
        .query_async(&mut connection)
        .await
        .unwrap();
    assert!(!keys.is_empty());
    for key in &keys {
        assert!(!key.contains(TOKEN), "{key}");
        assert!(key.starts_with("hubspot-crm:{"), "{key}");
    }
    // Both clients counted in one window.
    let general = keys.iter().find(|k| k.ends_with("}:general")).unwrap();
    let count: u64 = redis::cmd("ZCARD")
        .arg(general)
        .query_async(&mut connection)
        .await
        .unwrap();
    assert_eq!(count, 2);
}

fn seed_leads(sandbox: &Sandbox, n: usize) -> (String, Vec<String>) {
    let contact = sandbox.seed_contact(json!({"email": "ada@example.com"}));
    let ids = sandbox.seed_leads(&contact, n);
    (contact, ids)
}

#[tokio::test]
async fn an_app_key_is_needed_when_the_token_changes() {
    let oauth = OAuthRefresh::new("client-id", "client-secret", "refresh-token");
    let error = Client::builder()
        .oauth(oauth)
        .rate_limit_store(RedisStore::new("redis://127.0.0.1:1/").unwrap())
        .build()
        .unwrap_err();
    let Error::Validation(error) = error else {
        panic!("{error:?}")
    };
    assert_eq!(error.field, "rate_limit_store.app_key");
    let bad = RedisStore::new("redis://127.0.0.1:1/")
        .unwrap()
        .app_key("has a space");
    let error = Client::builder()
        .access_token(TOKEN)
        .rate_limit_store(bad)
        .build()
        .unwrap_err();
    assert!(matches!(error, Error::Validation(e) if e.field == "rate_limit_store.app_key"));
    assert!(RedisStore::new("http://not-redis").is_err());
}

#[tokio::test]
async fn clients_sharing_redis_share_one_daily_budget() {
    let Some(redis) = RedisServer::start_or_skip() else {
        return;
    };
    let sandbox = sandbox(SandboxConfig::new()).await;
    let (_, ids) = seed_leads(&sandbox, 1);
    let limits = RateLimits {
        daily: Some(common::daily_budget_at_noon(10)),
        ..RateLimits::off()
    };
    let clients: Vec<_> = (0..3)
        .map(|_| {
            client(
                &sandbox,
                limits,
                Some(RedisStore::new(&redis.url()).unwrap()),
            )
        })
        .collect();
    let mut answered = 0;
    let mut spent = 0;
    for round in 0..6 {
        for client in &clients {
            match client.leads().get(&ids[0]).await {
                Ok(_) => answered += 1,
                Err(Error::DailyBudgetSpent { budget: 10, .. }) => spent += 1,
                Err(other) => panic!("round {round}: {other:?}"),
            }
        }
    }
    assert_eq!((answered, spent), (10, 8));
    assert_eq!(sandbox.request_count(), 10, "nothing sent past the budget");
}

/// A bulk create of 2,000 leads at 5 requests a second, with Redis stopped once the
/// sandbox has seen `stop_after` of them; returns the result and when Redis stopped.
async fn create_while_redis_stops(
    sandbox: &Sandbox,
    redis: &mut RedisServer,
    on_unreachable: OnUnreachable,
    stop_after: u64,
) -> hubspot_crm::BulkResult<NewRecord> {
    let contact = sandbox.seed_contact(json!({"email": "ada@example.com"}));
    let store = RedisStore::new(&redis.url())
        .unwrap()
        .app_key("app-1:portal-1")
        .on_unreachable(on_unreachable)
        .timeout(Duration::from_millis(200));
    let limits = window_limits(5, Duration::from_secs(1));
    let client = client(sandbox, limits, Some(store));
    let inputs = leads(&contact, 0, 2_000);
    let run = tokio::spawn(async move {
        client
            .objects::<hubspot_crm::Lead>()
            .bulk(hubspot_crm::BulkOptions::new().concurrency(2))
            .create(inputs)
            .await
            .unwrap()
    });
    while sandbox.request_count() < stop_after {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    redis.stop();
    run.await.unwrap()
}

#[tokio::test]
async fn with_fail_calls_fail_unsent_once_redis_stops() {
    let Some(mut redis) = RedisServer::start_or_skip() else {
        return;
    };
    let sandbox = sandbox(SandboxConfig::new()).await;
    let result = create_while_redis_stops(&sandbox, &mut redis, OnUnreachable::Fail, 5).await;
    let created = result.succeeded().count();
    let failed: Vec<_> = result.failed().collect();
    assert_eq!(created + failed.len(), 2_000, "every input accounted for");
    assert!((500..2_000).contains(&created), "{created} created");
    for failure in &failed {
        assert!(
            matches!(&failure.cause, FailureCause::RequestFailed(e) if matches!(**e, Error::RateLimitStore { .. })),
            "{failure}"
        );
        assert!(!failure.may_have_been_applied(), "never sent");
    }
    assert_eq!(sandbox.live_count("leads"), created);
    assert_eq!(
        sandbox.request_count() as usize,
        created / 100,
        "a request per created batch, none for the rest"
    );
}

#[tokio::test]
async fn with_wait_requests_hold_until_redis_is_back() {
    let Some(mut redis) = RedisServer::start_or_skip() else {
        return;
    };
    let sandbox = sandbox(SandboxConfig::new()).await;
    let contact = sandbox.seed_contact(json!({"email": "ada@example.com"}));
    let store = RedisStore::new(&redis.url())
        .unwrap()
        .on_unreachable(OnUnreachable::Wait)
        .timeout(Duration::from_millis(200));
    let limits = window_limits(5, Duration::from_secs(1));
    let client = client(&sandbox, limits, Some(store));
    client
        .leads()
        .create(lead_input("before", &contact))
        .await
        .unwrap();
    redis.stop();
    let waiting = tokio::spawn({
        let client = client.clone();
        let contact = contact.clone();
        async move {
            let inputs = leads(&contact, 1, 1_000);
            client.leads().create_many(inputs).await.unwrap()
        }
    });
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert_eq!(
        sandbox.request_count(),
        1,
        "nothing sent while Redis is down"
    );
    assert!(!waiting.is_finished());
    redis.restart();
    let result = waiting.await.unwrap();
    assert!(result.is_complete_success(), "{:?}", result.failed().next());
    assert_eq!(sandbox.live_count("leads"), 1_001);
    assert_eq!(sandbox.request_count(), 11);

    // Past the call's budget, waiting ends unsent.
    redis.stop();
    let patient = RetryPolicy {
        max_elapsed: Duration::from_millis(800),
        ..fast_retry()
    };
    let store = RedisStore::new(&redis.url())
        .unwrap()
        .timeout(Duration::from_millis(100));
    let client = client_with(&sandbox, patient, limits, Some(store));
    let started = Instant::now();
    let error = client
        .leads()
        .create(lead_input("after", &contact))
        .await
        .unwrap_err();
    assert!(matches!(error, Error::RateLimitStore { .. }), "{error:?}");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(sandbox.request_count(), 11);
}

#[tokio::test]
async fn with_in_process_requests_go_on_under_a_share_of_the_window() {
    let Some(mut redis) = RedisServer::start_or_skip() else {
        return;
    };
    let window = Duration::from_millis(500);
    let sandbox = sandbox(SandboxConfig::new().rate_limit(10, window)).await;
    let (_, ids) = seed_leads(&sandbox, 1);
    let store = RedisStore::new(&redis.url())
        .unwrap()
        .app_key("app-1")
        .on_unreachable(OnUnreachable::InProcess { workers: 2 })
        .timeout(Duration::from_millis(200));
    let client = client(&sandbox, window_limits(10, window), Some(store));
    client.leads().get(&ids[0]).await.unwrap();
    redis.stop();
    let reads = (0..20).map(|_| {
        let client = client.clone();
        let id = ids[0].clone();
        async move { client.leads().get(&id).await }
    });
    for read in futures::future::join_all(reads).await {
        read.unwrap();
    }
    let path = format!("/crm/v3/objects/leads/{}", ids[0]);
    let times = arrivals(&sandbox, &path);
    assert_eq!(times.len(), 21);
    // Never unlimited: half the window each, for two workers.
    assert!(busiest(&times[1..], window) <= 5, "{times:?}");
    assert_eq!(sandbox.rate_limited_count(), 0);

    // Back in Redis once it answers again (tried once a second; the first try after the
    // restart may find the old connection).
    redis.restart();
    let mut counted = 0;
    for _ in 0..5 {
        tokio::time::sleep(Duration::from_millis(1_100)).await;
        client.leads().get(&ids[0]).await.unwrap();
        counted = redis::cmd("ZCARD")
            .arg("hubspot-crm:{app-1}:general")
            .query_async(&mut redis.connection().await)
            .await
            .unwrap();
        if counted > 0 {
            break;
        }
    }
    assert_eq!(
        counted, 1,
        "the request after Redis came back was counted there"
    );
}

#[tokio::test]
async fn a_client_that_does_not_follow_headers_keeps_its_own_window_in_redis() {
    let Some(redis) = RedisServer::start_or_skip() else {
        return;
    };
    let sandbox = sandbox(SandboxConfig::new().rate_limit(5, Duration::from_secs(10))).await;
    let (_, ids) = seed_leads(&sandbox, 1);
    let store = || RedisStore::new(&redis.url()).unwrap();
    // One client learns HubSpot's window (5 per 10 s) from the headers, for every process.
    let following = client(
        &sandbox,
        window_limits(100, Duration::from_secs(10)),
        Some(store()),
    );
    following.leads().get(&ids[0]).await.unwrap();
    // Another keeps to 3 per 10 s, leaving room for others, whatever HubSpot reports.
    let modest = RateLimits {
        follow_headers: false,
        ..window_limits(3, Duration::from_secs(10))
    };
    let impatient = RetryPolicy {
        max_elapsed: Duration::from_secs(1),
        ..fast_retry()
    };
    let client = client_with(&sandbox, impatient, modest, Some(store()));
    let mut sent = 0;
    while client.leads().get(&ids[0]).await.is_ok() {
        sent += 1;
        assert!(sent < 5, "past its own window");
    }
    assert_eq!(
        sent, 2,
        "3 in the shared window, one of them the other client's"
    );
}

/// The Redis server's clock, in microseconds.
async fn redis_now_us(redis: &RedisServer) -> i64 {
    let (secs, micros): (i64, i64) = redis::cmd("TIME")
        .query_async(&mut redis.connection().await)
        .await
        .unwrap();
    secs * 1_000_000 + micros
}

const HOUR_US: i64 = 3_600_000_000;

/// A client of `app-1` keeping to 2 requests per 500 ms, whatever HubSpot reports, that
/// waits at most 5 s for room.
fn impatient_client(sandbox: &Sandbox, redis: &RedisServer) -> Client {
    let limits = RateLimits {
        follow_headers: false,
        ..window_limits(2, Duration::from_millis(500))
    };
    let impatient = RetryPolicy {
        max_elapsed: Duration::from_secs(5),
        ..fast_retry()
    };
    let store = RedisStore::new(&redis.url()).unwrap().app_key("app-1");
    client_with(sandbox, impatient, limits, Some(store))
}

#[tokio::test]
async fn slots_taken_before_the_redis_clock_was_set_back_hold_requests_a_window_at_most() {
    let Some(redis) = RedisServer::start_or_skip() else {
        return;
    };
    let sandbox = sandbox(SandboxConfig::new()).await;
    let (_, ids) = seed_leads(&sandbox, 1);
    // The window is full of slots an hour ahead: Redis's clock was set back an hour since.
    let ahead = redis_now_us(&redis).await + HOUR_US;
    redis::cmd("ZADD")
        .arg("hubspot-crm:{app-1}:general")
        .arg(ahead)
        .arg("other-process:1")
        .arg(ahead)
        .arg("other-process:2")
        .query_async::<()>(&mut redis.connection().await)
        .await
        .unwrap();
    let client = impatient_client(&sandbox, &redis);

    // They count from now: one window later there is room, well within the 5 s budget.
    client.leads().get(&ids[0]).await.unwrap();
    let path = format!("/crm/v3/objects/leads/{}", ids[0]);
    assert_eq!(arrivals(&sandbox, &path).len(), 1);
}

#[tokio::test]
async fn a_pause_set_before_the_redis_clock_was_set_back_is_cut_to_a_minute() {
    let Some(redis) = RedisServer::start_or_skip() else {
        return;
    };
    let sandbox = sandbox(SandboxConfig::new()).await;
    let (_, ids) = seed_leads(&sandbox, 1);
    let pause_key = "hubspot-crm:{app-1}:general:pause";
    let mut connection = redis.connection().await;
    redis::cmd("SET")
        .arg(pause_key)
        .arg(redis_now_us(&redis).await + HOUR_US)
        .query_async::<()>(&mut connection)
        .await
        .unwrap();
    let client = impatient_client(&sandbox, &redis);

    let error = client.leads().get(&ids[0]).await.unwrap_err();

    let Error::RateLimitWaitTooLong { wait, .. } = error else {
        panic!("expected RateLimitWaitTooLong, got {error:?}");
    };
    assert!(wait <= Duration::from_secs(60), "{wait:?}");
    // No pause is ever longer than a minute: the store keeps this one to a minute from now.
    let paused_until: i64 = redis::cmd("GET")
        .arg(pause_key)
        .query_async(&mut connection)
        .await
        .unwrap();
    assert!(
        paused_until <= redis_now_us(&redis).await + 60_000_000,
        "paused until {paused_until}"
    );
    let path = format!("/crm/v3/objects/leads/{}", ids[0]);
    assert!(arrivals(&sandbox, &path).is_empty(), "nothing was sent");
}

#[tokio::test]
async fn values_in_redis_that_are_no_numbers_count_as_absent() {
    let Some(redis) = RedisServer::start_or_skip() else {
        return;
    };
    let sandbox = sandbox(SandboxConfig::new()).await;
    let (_, ids) = seed_leads(&sandbox, 1);
    let mut connection = redis.connection().await;
    redis::cmd("SET")
        .arg("hubspot-crm:{app-1}:general:pause")
        .arg("<html>")
        .query_async::<()>(&mut connection)
        .await
        .unwrap();
    redis::cmd("HSET")
        .arg("hubspot-crm:{app-1}:general:reported")
        .arg("max")
        .arg("lots")
        .arg("length")
        .arg("10s")
        .query_async::<()>(&mut connection)
        .await
        .unwrap();
    let store = RedisStore::new(&redis.url()).unwrap().app_key("app-1");
    let limits = window_limits(2, Duration::from_millis(500));
    let client = client_with(&sandbox, fast_retry(), limits, Some(store));

    client.leads().get(&ids[0]).await.unwrap();
    let path = format!("/crm/v3/objects/leads/{}", ids[0]);
    assert_eq!(arrivals(&sandbox, &path).len(), 1);
}
