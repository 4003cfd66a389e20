//! The shared store: every process of one app counts in the same Redis, atomically.
//!
//! Each window is a sorted set of reservations scored by time, in microseconds by the Redis
//! server's clock (so the machines' clocks need not agree); every step is one Lua script, so
//! no two processes ever both take the last place.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures::future::BoxFuture;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use sha2::{Digest, Sha256};

use super::daily::DAY_MS;
use super::store::{Bucket, LimitStore, Report, Reservation, StoreError, StoreResult, Take, Want};
use super::window::{MAX_OBSERVED, MAX_REPORTED_WINDOW};
use super::{OnUnreachable, RateLimits};
use crate::error::ValidationError;

/// Rate-limit counts kept in Redis, shared by every process (on any machine) that uses the
/// same app: together they keep to the app's window and daily budget, where processes with
/// their own in-process limiters would each use the whole window.
///
/// Keys are per app: derived from a hash of the access token (never the token itself), or
/// set with [`RedisStore::app_key`] (needed with OAuth, whose tokens change). Give the store
/// to [`ClientBuilder::rate_limit_store`](crate::ClientBuilder::rate_limit_store); the
/// client's [`RateLimits`] say what to count.
///
/// ```no_run
/// use hubspot_crm::{Client, OnUnreachable, RateLimits, RedisStore};
///
/// let store = RedisStore::new("redis://127.0.0.1:6379/")?
///     // Four workers: if Redis goes away, each keeps to a quarter of the window.
///     .on_unreachable(OnUnreachable::InProcess { workers: 4 });
/// let client = Client::builder()
///     .access_token(std::env::var("HUBSPOT_ACCESS_TOKEN").unwrap_or_default())
///     .rate_limits(RateLimits {
///         general: Some(RateLimits::PROFESSIONAL),
///         ..RateLimits::default()
///     })
///     .rate_limit_store(store)
///     .build()?;
/// # Ok::<(), hubspot_crm::Error>(())
/// ```
#[derive(Clone)]
pub struct RedisStore {
    connection: ConnectionManager,
    app_key: Option<String>,
    prefix: String,
    on_unreachable: OnUnreachable,
    timeout: Duration,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("app_key", &self.app_key)
            .field("prefix", &self.prefix)
            .field("on_unreachable", &self.on_unreachable)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// The longest a key or prefix may be.
const MAX_KEY_LEN: usize = 200;

impl RedisStore {
    /// A store on the Redis at `url` (`redis://host:port/db`, `rediss://` for TLS if the
    /// `redis` crate was built with it). Connects on first use, and again after losing the
    /// connection. While unreachable, requests wait ([`OnUnreachable::Wait`]) unless
    /// [`Self::on_unreachable`] says otherwise.
    pub fn new(url: &str) -> Result<Self, ValidationError> {
        let client = redis::Client::open(url)
            .map_err(|e| ValidationError::new("redis_url", format!("is not a Redis URL: {e}")))?;
        // Each step is bounded by `timeout` here; the manager only bounds connecting.
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(1)))
            .set_response_timeout(None)
            // Reconnects are retried by the limiter, which knows what the caller wants.
            .set_number_of_retries(1)
            .set_min_delay(Duration::from_millis(10))
            .set_max_delay(Duration::from_millis(100));
        let connection = ConnectionManager::new_lazy_with_config(client, config)
            .map_err(|e| ValidationError::new("redis_url", e.to_string()))?;
        Ok(RedisStore {
            connection,
            app_key: None,
            prefix: "hubspot-crm".to_owned(),
            on_unreachable: OnUnreachable::Wait,
            timeout: Duration::from_secs(1),
        })
    }

    /// Names the app (and account) whose limits these are, e.g. `"app-123:portal-456"`:
    /// every process with the same key shares one budget. Without it the key is a hash of
    /// the access token, which OAuth and custom token providers do not have.
    pub fn app_key(mut self, key: impl Into<String>) -> Self {
        self.app_key = Some(key.into());
        self
    }

    /// The start of every key (default `hubspot-crm`).
    pub fn key_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// What requests do while Redis cannot be reached (default [`OnUnreachable::Wait`]).
    pub fn on_unreachable(mut self, on_unreachable: OnUnreachable) -> Self {
        self.on_unreachable = on_unreachable;
        self
    }

    /// How long one step may take before Redis counts as unreachable (default 1 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    pub(crate) fn on_unreachable_setting(&self) -> OnUnreachable {
        self.on_unreachable
    }

    /// The store for one client: its keys, from the app key or `token`.
    pub(crate) fn for_app(
        &self,
        limits: &RateLimits,
        token: Option<&str>,
    ) -> Result<RedisLimits, ValidationError> {
        check_key_part("rate_limit_store.key_prefix", &self.prefix)?;
        if let OnUnreachable::InProcess { workers: 0 } = self.on_unreachable {
            return Err(ValidationError::new(
                "rate_limit_store.on_unreachable.workers",
                "must be at least 1",
            ));
        }
        if self.timeout.is_zero() {
            return Err(ValidationError::new(
                "rate_limit_store.timeout",
                "must be longer than zero",
            ));
        }
        let app = match (&self.app_key, token) {
            (Some(key), _) => {
                check_key_part("rate_limit_store.app_key", key)?;
                key.clone()
            }
            (None, Some(token)) => {
                let digest = Sha256::digest(format!("hubspot-crm rate limits\n{token}"));
                hex::encode(&digest[..16])
            }
            (None, None) => {
                return Err(ValidationError::new(
                    "rate_limit_store.app_key",
                    "is needed with OAuth or a custom token provider (their tokens change); \
                     name the app and account, e.g. \"app-123:portal-456\"",
                ));
            }
        };
        // One hash tag per app: with Redis Cluster, all of an app's keys share a slot.
        let base = format!("{}:{{{app}}}", self.prefix);
        Ok(RedisLimits {
            connection: self.connection.clone(),
            limits: *limits,
            keys: Keys {
                general: window_keys(&base, "general"),
                search: window_keys(&base, "search"),
                daily: format!("{base}:daily"),
            },
            tag: uuid::Uuid::new_v4().simple().to_string(),
            next_id: AtomicU64::new(1),
            timeout: self.timeout,
        })
    }
}

fn check_key_part(field: &str, value: &str) -> Result<(), ValidationError> {
    if value.is_empty() || value.len() > MAX_KEY_LEN {
        return Err(ValidationError::new(
            field,
            format!("must be 1 to {MAX_KEY_LEN} bytes"),
        ));
    }
    if value
        .chars()
        .any(|c| c.is_control() || c.is_whitespace() || c == '{' || c == '}')
    {
        return Err(ValidationError::new(
            field,
            "must not hold spaces, control characters or braces",
        ));
    }
    Ok(())
}

/// The keys of one window: its log (sorted set), pause (until when, µs) and the window
/// HubSpot reported (hash).
#[derive(Debug, Clone)]
struct WindowKeys {
    log: String,
    pause: String,
    reported: String,
}

fn window_keys(base: &str, name: &str) -> WindowKeys {
    WindowKeys {
        log: format!("{base}:{name}"),
        pause: format!("{base}:{name}:pause"),
        reported: format!("{base}:{name}:reported"),
    }
}

#[derive(Debug, Clone)]
struct Keys {
    general: WindowKeys,
    search: WindowKeys,
    daily: String,
}

/// One client's view of a [`RedisStore`].
#[derive(Debug)]
pub(crate) struct RedisLimits {
    connection: ConnectionManager,
    limits: RateLimits,
    keys: Keys,
    /// Unique per client: reservations are `<tag>:<id>`.
    tag: String,
    next_id: AtomicU64,
    timeout: Duration,
}

/// Current time by the server's clock, in microseconds. `replicate_commands` lets Redis
/// before 5 replicate a script that reads the clock; later versions always do.
const PRELUDE: &str = r"
if redis.replicate_commands then pcall(redis.replicate_commands) end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
";

/// KEYS: per window its log, pause and reported keys, then the daily key.
/// ARGV: window count n; per window max and length (ms); the reservation's member; daily budget
/// (0: none), UTC offset (ms) and day length (ms); whether HubSpot's reported window is
/// followed (1/0); the longest pause (µs).
/// Returns {0, day's count or -1} when taken, {1, wait µs} when full, {2, reset ms} when
/// the day is spent.
///
/// Reservations and pauses ahead of the clock (it was set back since) count from now, so that no
/// wait is longer than a window or the longest pause; values that are no numbers count as
/// absent.
const TAKE: &str = r"
local n = tonumber(ARGV[1])
local member = ARGV[2 + 2 * n]
local budget = tonumber(ARGV[3 + 2 * n])
local offset = tonumber(ARGV[4 + 2 * n])
local day_ms = tonumber(ARGV[5 + 2 * n])
local follow = ARGV[6 + 2 * n] == '1'
local max_pause = tonumber(ARGV[7 + 2 * n])
local dkey = KEYS[3 * n + 1]
local day, used = 0, 0
if budget > 0 then
  day = math.floor((math.floor(now / 1000) + offset) / day_ms)
  local stored = redis.call('HMGET', dkey, 'day', 'used')
  if stored[1] and tonumber(stored[1]) == day then used = tonumber(stored[2]) or 0 end
  if used >= budget then return {2, (day + 1) * day_ms - offset} end
end
local wait = 0
local lengths = {}
for i = 1, n do
  local log, pause, reported = KEYS[3 * i - 2], KEYS[3 * i - 1], KEYS[3 * i]
  local max, len = tonumber(ARGV[2 * i]), tonumber(ARGV[2 * i + 1]) * 1000
  local r = redis.call('HMGET', reported, 'max', 'length')
  local rmax, rlen = tonumber(r[1]), tonumber(r[2])
  if follow and rmax and rlen then max, len = rmax, rlen * 1000 end
  lengths[i] = len
  redis.call('ZREMRANGEBYSCORE', log, '-inf', now - len)
  for _, ahead in ipairs(redis.call('ZRANGEBYSCORE', log, now, '+inf')) do
    redis.call('ZADD', log, now, ahead)
  end
  local paused = tonumber(redis.call('GET', pause) or '0') or 0
  if paused - now > max_pause then
    paused = now + max_pause
    redis.call('SET', pause, paused, 'PX', math.ceil(max_pause / 1000) + 1000)
  end
  if paused - now > wait then wait = paused - now end
  local count = redis.call('ZCARD', log)
  if count >= max then
    local oldest = redis.call('ZRANGE', log, count - max, count - max, 'WITHSCORES')
    local free = tonumber(oldest[2]) + len
    if free - now > wait then wait = free - now end
  end
end
if wait > 0 then return {1, math.ceil(wait)} end
for i = 1, n do
  redis.call('ZADD', KEYS[3 * i - 2], now, member)
  redis.call('PEXPIRE', KEYS[3 * i - 2], math.ceil(lengths[i] / 1000) + 1000)
end
if budget > 0 then
  redis.call('HSET', dkey, 'day', day, 'used', used + 1)
  redis.call('PEXPIRE', dkey, 2 * day_ms)
  return {0, used + 1}
end
return {0, -1}
";

/// KEYS: the logs the reservation is in. ARGV: its member, then each log's window length (ms).
/// Moves the reservation to now, back in even if a take dropped it meanwhile (the request took
/// longer than the window), and keeps each log for a window from now.
const SETTLE: &str = r"
for i = 1, #KEYS do
  redis.call('ZADD', KEYS[i], now, ARGV[1])
  local keep = tonumber(ARGV[1 + i]) + 1000
  if redis.call('PTTL', KEYS[i]) < keep then redis.call('PEXPIRE', KEYS[i], keep) end
end
return 0
";

/// KEYS: the general log and reported keys, then the daily key.
/// ARGV: has window (0/1), max, remaining, length (ms), prefix for unseen requests,
/// daily used (-1: none), daily budget, UTC offset (ms), day length (ms), and the day the
/// daily count is of (taken only while it is the store's day).
const OBSERVE: &str = r"
if ARGV[1] == '1' then
  local max, remaining, len = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
  redis.call('HSET', KEYS[2], 'max', max, 'length', len)
  redis.call('PEXPIRE', KEYS[2], 86400000)
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - len * 1000)
  local unseen = max - redis.call('ZCARD', KEYS[1]) - remaining
  for j = 1, unseen do redis.call('ZADD', KEYS[1], now, ARGV[5] .. j) end
  if unseen > 0 then redis.call('PEXPIRE', KEYS[1], len + 1000) end
end
local reported, budget = tonumber(ARGV[6]), tonumber(ARGV[7])
if reported >= 0 and budget > 0 then
  local offset, day_ms = tonumber(ARGV[8]), tonumber(ARGV[9])
  local day = math.floor((math.floor(now / 1000) + offset) / day_ms)
  if tonumber(ARGV[10]) == day then
    local stored = redis.call('HMGET', KEYS[3], 'day', 'used')
    local used = 0
    if stored[1] and tonumber(stored[1]) == day then used = tonumber(stored[2]) or 0 end
    if reported > used then used = reported end
    redis.call('HSET', KEYS[3], 'day', day, 'used', used)
    redis.call('PEXPIRE', KEYS[3], 2 * day_ms)
  end
end
return 0
";

/// KEYS: the pause key. ARGV: the wait (µs). Never shortens a longer pause.
const PAUSE: &str = r"
local until_ = now + tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
if until_ > current then
  redis.call('SET', KEYS[1], until_, 'PX', math.ceil(tonumber(ARGV[1]) / 1000) + 1000)
end
return 0
";

/// KEYS: a log. ARGV: how many requests to count now, the prefix of their members, and how
/// long to keep the log (ms).
const ADD: &str = r"
for j = 1, tonumber(ARGV[1]) do redis.call('ZADD', KEYS[1], now, ARGV[2] .. j) end
local keep = tonumber(ARGV[3])
if redis.call('PTTL', KEYS[1]) < keep then redis.call('PEXPIRE', KEYS[1], keep) end
return 0
";

/// The scripts, compiled once (their hashes are what is sent after the first use).
struct Scripts {
    take: redis::Script,
    settle: redis::Script,
    observe: redis::Script,
    pause: redis::Script,
    add: redis::Script,
}

fn scripts() -> &'static Scripts {
    static SCRIPTS: std::sync::OnceLock<Scripts> = std::sync::OnceLock::new();
    SCRIPTS.get_or_init(|| Scripts {
        take: redis::Script::new(&format!("{PRELUDE}{TAKE}")),
        settle: redis::Script::new(&format!("{PRELUDE}{SETTLE}")),
        observe: redis::Script::new(&format!("{PRELUDE}{OBSERVE}")),
        pause: redis::Script::new(&format!("{PRELUDE}{PAUSE}")),
        add: redis::Script::new(&format!("{PRELUDE}{ADD}")),
    })
}

impl RedisLimits {
    /// The windows a request counts against, search first (the order TAKE's keys are in).
    fn windows(&self, want: Want) -> impl Iterator<Item = (&WindowKeys, super::Window)> {
        [
            (want.search, Bucket::Search),
            (want.general, Bucket::General),
        ]
        .into_iter()
        .filter_map(move |(wanted, bucket)| {
            let (keys, window) = self.window(bucket);
            Some((keys, window.filter(|_| wanted)?))
        })
    }

    /// `bucket`'s keys and configured window.
    fn window(&self, bucket: Bucket) -> (&WindowKeys, Option<super::Window>) {
        match bucket {
            Bucket::General => (&self.keys.general, self.limits.general),
            Bucket::Search => (&self.keys.search, self.limits.search),
        }
    }

    fn member(&self, id: u64) -> String {
        format!("{}:{id}", self.tag)
    }

    fn daily_args(&self) -> (u64, i64) {
        self.limits.daily.map_or((0, 0), |d| {
            (d.requests, i64::from(d.utc_offset_minutes) * 60_000)
        })
    }

    async fn run<T: redis::FromRedisValue>(
        &self,
        invocation: &redis::ScriptInvocation<'_>,
    ) -> StoreResult<T> {
        let mut connection = self.connection.clone();
        match tokio::time::timeout(self.timeout, invocation.invoke_async(&mut connection)).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(error)) => Err(StoreError(format!("Redis: {error}"))),
            Err(_) => Err(StoreError(format!(
                "Redis did not answer within {:?}",
                self.timeout
            ))),
        }
    }

    async fn reserve(&self, want: Want) -> StoreResult<Take> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let script = &scripts().take;
        let mut invocation = script.prepare_invoke();
        let windows: Vec<_> = self.windows(want).collect();
        invocation.arg(windows.len());
        for (keys, window) in &windows {
            invocation
                .key(&keys.log)
                .key(&keys.pause)
                .key(&keys.reported)
                .arg(window.max.max(1))
                .arg(window.length.as_millis() as u64);
        }
        let (budget, offset) = if want.daily {
            self.daily_args()
        } else {
            (0, 0)
        };
        invocation
            .key(&self.keys.daily)
            .arg(self.member(id))
            .arg(budget)
            .arg(offset)
            .arg(DAY_MS)
            .arg(u8::from(self.limits.follow_headers))
            .arg(MAX_REPORTED_WINDOW.as_micros() as u64);
        let (kind, value): (i64, i64) = self.run(&invocation).await?;
        take_answer(kind, value, Reservation { id, want }, budget)
    }

    async fn settle_reservation(&self, reservation: Reservation) -> StoreResult<()> {
        let mut invocation = scripts().settle.prepare_invoke();
        let windows: Vec<_> = self.windows(reservation.want).collect();
        if windows.is_empty() {
            // Only the daily budget: nothing moves.
            return Ok(());
        }
        invocation.arg(self.member(reservation.id));
        for (keys, window) in &windows {
            // Kept at least as long as any window HubSpot may report.
            let keep = window.length.max(MAX_REPORTED_WINDOW);
            invocation.key(&keys.log).arg(keep.as_millis() as u64);
        }
        self.run::<i64>(&invocation).await.map(drop)
    }

    async fn observe_report(&self, report: Report) -> StoreResult<()> {
        let mut invocation = scripts().observe.prepare_invoke();
        let (budget, offset) = self.daily_args();
        let window = report.window.filter(|_| self.limits.general.is_some());
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        invocation
            .key(&self.keys.general.log)
            .key(&self.keys.general.reported)
            .key(&self.keys.daily)
            .arg(u8::from(window.is_some()))
            .arg(window.map_or(0, |w| w.max))
            .arg(window.map_or(0, |w| w.remaining))
            .arg(window.map_or(0, |w| w.length.as_millis() as u64))
            .arg(format!("{}:unseen{id}:", self.tag))
            .arg(
                report
                    .daily_used
                    .map_or(-1, |d| d.used.min(i64::MAX as u64) as i64),
            )
            .arg(budget)
            .arg(offset)
            .arg(DAY_MS)
            .arg(report.daily_used.map_or(i64::MIN, |d| d.day));
        self.run::<i64>(&invocation).await.map(drop)
    }

    async fn pause_bucket(&self, bucket: Bucket, wait: Duration) -> StoreResult<()> {
        let (keys, _) = self.window(bucket);
        let mut invocation = scripts().pause.prepare_invoke();
        invocation
            .key(&keys.pause)
            .arg(wait.as_micros().min(u128::from(u64::MAX)) as u64);
        self.run::<i64>(&invocation).await.map(drop)
    }
}

impl RedisLimits {
    async fn add_sent(&self, bucket: Bucket, count: usize) -> StoreResult<()> {
        let (keys, window) = self.window(bucket);
        let Some(window) = window else { return Ok(()) };
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let keep = window.length.max(MAX_REPORTED_WINDOW) + Duration::from_secs(1);
        let mut invocation = scripts().add.prepare_invoke();
        invocation
            .key(&keys.log)
            .arg(count.min(MAX_OBSERVED as usize))
            .arg(format!("{}:fallback{id}:", self.tag))
            .arg(keep.as_millis() as u64);
        self.run::<i64>(&invocation).await.map(drop)
    }
}

/// TAKE's answer, whatever numbers it holds: a wait of zero or less is the shortest, one of
/// years is cut by the limiter; an unknown kind is an error.
fn take_answer(kind: i64, value: i64, reservation: Reservation, budget: u64) -> StoreResult<Take> {
    match kind {
        0 => Ok(Take::Taken {
            reservation,
            daily_used: u64::try_from(value).ok(),
        }),
        1 => Ok(Take::Wait(Duration::from_micros(
            value.max(1).unsigned_abs(),
        ))),
        2 => Ok(Take::DailySpent {
            budget,
            resets_at_ms: value,
        }),
        other => Err(StoreError(format!("Redis: unexpected answer {other}"))),
    }
}

impl LimitStore for RedisLimits {
    fn take(&self, want: Want) -> BoxFuture<'_, StoreResult<Take>> {
        Box::pin(self.reserve(want))
    }

    fn settle(&self, reservation: Reservation) -> BoxFuture<'_, StoreResult<()>> {
        Box::pin(self.settle_reservation(reservation))
    }

    fn observe(&self, report: Report) -> BoxFuture<'_, StoreResult<()>> {
        Box::pin(self.observe_report(report))
    }

    fn pause(&self, bucket: Bucket, wait: Duration) -> BoxFuture<'_, StoreResult<()>> {
        Box::pin(self.pause_bucket(bucket, wait))
    }

    fn add(&self, bucket: Bucket, count: usize) -> BoxFuture<'_, StoreResult<()>> {
        Box::pin(self.add_sent(bucket, count))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reservation() -> Reservation {
        Reservation {
            id: 7,
            want: Want {
                search: false,
                general: true,
                daily: false,
            },
        }
    }

    #[test]
    fn any_numbers_in_a_take_answer_are_read_without_panicking() {
        let wait = |value| take_answer(1, value, reservation(), 0).unwrap();
        assert_eq!(wait(-5), Take::Wait(Duration::from_micros(1)));
        assert_eq!(wait(i64::MIN), Take::Wait(Duration::from_micros(1)));
        assert_eq!(wait(0), Take::Wait(Duration::from_micros(1)));
        assert_eq!(
            wait(i64::MAX),
            Take::Wait(Duration::from_micros(i64::MAX as u64))
        );
        assert_eq!(
            take_answer(0, -1, reservation(), 0).unwrap(),
            Take::Taken {
                reservation: reservation(),
                daily_used: None
            }
        );
        let error = take_answer(9, 0, reservation(), 0).unwrap_err();
        assert_eq!(error.0, "Redis: unexpected answer 9");
    }
}
