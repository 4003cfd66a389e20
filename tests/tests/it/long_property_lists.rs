//! Reads of 1,000 properties of 40 characters, on both API versions, against a sandbox that
//! answers 414 past HubSpot's lower URL limit (8 KiB): a get, a list page, a list stream and
//! `all_properties` (batch reads included) each come back with every value, and no request
//! line passes the limit.

use futures::TryStreamExt;
use hubspot_crm::{ApiVersion, Client, RateLimits, ReadOptions, Record, StreamOptions};
use hubspot_sandbox::{RecordedRequest, Sandbox, SandboxConfig};
use serde_json::{Map, Value, json};

use crate::common;

/// HubSpot's lower URL limit, which the sandbox enforces here.
const URL_LIMIT: usize = 8 * 1024;

/// 1,000 property names of 40 characters.
fn names() -> Vec<String> {
    (0..1_000)
        .map(|i| format!("account_property_{i:04}_{}", "x".repeat(18)))
        .collect()
}

/// The value seeded for `name` on the `n`th company.
fn value(n: usize, name: &str) -> String {
    format!("{n}:{name}")
}

/// A sandbox whose companies define the 1,000 properties (as account properties with unique
/// values, the sandbox's way of defining them), with `count` companies holding a value for
/// each; their ids in order.
async fn sandbox_with_companies(count: usize) -> (Sandbox, Vec<String>) {
    let config = names().into_iter().fold(
        SandboxConfig::new().max_request_line(URL_LIMIT),
        |config, name| config.unique_property("companies", name),
    );
    let sandbox = common::sandbox(config).await;
    let ids = (0..count)
        .map(|n| {
            let mut properties: Map<String, Value> = names()
                .iter()
                .map(|name| (name.clone(), json!(value(n, name))))
                .collect();
            properties.insert("name".into(), json!(format!("Company {n}")));
            sandbox.seed_object("companies", Value::Object(properties))
        })
        .collect();
    (sandbox, ids)
}

fn client_for(sandbox: &Sandbox, version: ApiVersion) -> Client {
    Client::builder()
        .access_token(common::TOKEN)
        .base_url(sandbox.base_url())
        .retry(common::fast_retry())
        .rate_limits(RateLimits::off())
        .api_version(version)
        .build()
        .expect("client builds")
}

fn objects_path(version: ApiVersion) -> &'static str {
    match version {
        ApiVersion::V3 => "/crm/v3/objects/companies",
        ApiVersion::V2026_09 => "/crm/objects/2026-09/companies",
        other => panic!("no paths known for {other}"),
    }
}

/// The length of the request line the sandbox received: `METHOD target HTTP/1.1`.
fn request_line(request: &RecordedRequest) -> usize {
    let query = request.query.as_ref().map_or(0, |q| 1 + q.len());
    request.method.len() + 1 + request.path.len() + query + 1 + "HTTP/1.1".len()
}

/// `(method, path)` of the requests after the first `skip`, each checked: its request line
/// within the sandbox's limit and its query string within the client's budget.
fn sent_since(sandbox: &Sandbox, skip: usize, client: &Client) -> Vec<(String, String)> {
    let log = sandbox.request_log();
    log[skip..]
        .iter()
        .map(|r| {
            assert!(
                request_line(r) <= URL_LIMIT,
                "{} {} passes the limit",
                r.method,
                r.path
            );
            let query = r.query.as_ref().map_or(0, String::len);
            assert!(query <= client.max_query_length(), "{query} bytes");
            (r.method.clone(), r.path.clone())
        })
        .collect()
}

fn calls(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
        .collect()
}

/// Panics unless `record`, the `n`th company, has each of the 1,000 values.
fn assert_every_value(record: &Record, n: usize) {
    for name in names() {
        assert_eq!(
            record.property(&name),
            Some(value(n, &name).as_str()),
            "company {} ({n}), {name}",
            record.id
        );
    }
}

#[tokio::test]
async fn the_whole_list_in_one_url_is_a_414() {
    let (sandbox, ids) = sandbox_with_companies(1).await;
    let url = format!(
        "{}/crm/v3/objects/companies/{}?properties={}",
        sandbox.base_url(),
        ids[0],
        names().join(",")
    );
    // The client's HTTP stack without the client's splitting.
    let answer = client_for(&sandbox, ApiVersion::V3)
        .http()
        .get(url)
        .bearer_auth(common::TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 414);
}

#[tokio::test]
async fn a_get_of_1000_properties_with_history_is_one_record_with_every_value() {
    let (sandbox, ids) = sandbox_with_companies(1).await;
    for version in [ApiVersion::V3, ApiVersion::V2026_09] {
        let client = client_for(&sandbox, version);
        let mark = sandbox.request_log().len();
        let options = ReadOptions::new()
            .properties(names())
            .properties_with_history(names())
            .associations(["contacts"]);
        let record = client
            .companies()
            .get_with(&ids[0], &options)
            .await
            .unwrap();
        assert_every_value(&record, 0);
        for name in names() {
            let history = record.history(&name);
            assert_eq!(history.len(), 1, "{name}");
            assert_eq!(history[0].value, value(0, &name));
        }
        assert_eq!(record.property("name"), None, "not asked for");
        // One GET with the first names, one batch read of the rest (one id: within 50).
        let path = objects_path(version);
        assert_eq!(
            sent_since(&sandbox, mark, &client),
            calls(&[
                ("GET", &format!("{path}/{}", ids[0])),
                ("POST", &format!("{path}/batch/read")),
            ]),
            "{version}"
        );
    }
}

#[tokio::test]
async fn a_list_page_and_a_stream_of_1000_properties_batch_read_each_page_once() {
    let (sandbox, ids) = sandbox_with_companies(120).await;
    for version in [ApiVersion::V3, ApiVersion::V2026_09] {
        let client = client_for(&sandbox, version);
        let companies = client.companies();
        let options = ReadOptions::new().properties(names());
        let path = objects_path(version);
        let batch = format!("{path}/batch/read");

        let mark = sandbox.request_log().len();
        let page = companies
            .list_page(&options, Some(100), None)
            .await
            .unwrap();
        assert_eq!(page.results.len(), 100);
        for (n, record) in page.results.iter().enumerate() {
            assert_eq!(record.id, ids[n]);
            assert_every_value(record, n);
        }
        assert!(page.next_after.is_some());
        assert_eq!(
            sent_since(&sandbox, mark, &client),
            calls(&[("GET", path), ("POST", &batch)])
        );

        let mark = sandbox.request_log().len();
        let records: Vec<Record> = companies
            .list_stream(options.clone(), StreamOptions::new().prefetch(0))
            .try_collect()
            .await
            .unwrap();
        let read: Vec<&str> = records.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(read, ids);
        for (n, record) in records.iter().enumerate() {
            assert_every_value(record, n);
        }
        // Two pages (100 and 20), each followed by its one batch read.
        assert_eq!(
            sent_since(&sandbox, mark, &client),
            calls(&[
                ("GET", path),
                ("POST", &batch),
                ("GET", path),
                ("POST", &batch)
            ]),
            "{version}"
        );
    }
}

#[tokio::test]
async fn all_properties_brings_every_defined_property_from_the_cached_definitions() {
    let (sandbox, ids) = sandbox_with_companies(3).await;
    for version in [ApiVersion::V3, ApiVersion::V2026_09] {
        let client = client_for(&sandbox, version);
        let definitions = client.properties().definitions("companies").await.unwrap();
        assert!(definitions.len() > 1_000, "{}", definitions.len());
        let mark = sandbox.request_log().len();
        let companies = client.companies();
        let record = companies
            .get_with(&ids[2], &ReadOptions::new().all_properties())
            .await
            .unwrap();
        assert_every_value(&record, 2);
        assert_eq!(record.property("name"), Some("Company 2"));
        for definition in definitions.iter() {
            assert!(
                record.properties.contains_key(&definition.name),
                "{} is defined but not read",
                definition.name
            );
        }
        let records: Vec<Record> = companies
            .list_stream(ReadOptions::new().all_properties(), StreamOptions::new())
            .try_collect()
            .await
            .unwrap();
        assert_eq!(records.len(), 3);
        for (n, record) in records.iter().enumerate() {
            assert_every_value(record, n);
        }
        // Batch reads list every name in their bodies.
        let read = companies
            .read_many(ids.clone(), &ReadOptions::new().all_properties())
            .await
            .unwrap();
        let read: Vec<&Record> = read.succeeded().collect();
        assert_eq!(read.len(), 3);
        for (n, record) in read.iter().enumerate() {
            assert_every_value(record, n);
        }
        // The definitions were read once, before: every read took them from the cache.
        let path = objects_path(version);
        let batch = format!("{path}/batch/read");
        assert_eq!(
            sent_since(&sandbox, mark, &client),
            calls(&[
                ("GET", &format!("{path}/{}", ids[2])),
                ("POST", &batch),
                ("GET", path),
                ("POST", &batch),
                ("POST", &batch),
            ]),
            "{version}"
        );
    }
}
