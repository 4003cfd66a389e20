//! Object types defined outside `hubspot-crm`, as a user's crate defines them: deals, tickets
//! and a custom object, each a `CrmObject` impl of a few lines, run through every generic
//! operation against the sandbox.

use std::time::Duration;

use futures::TryStreamExt;
use hubspot_crm::{
    Client, CrmObject, Filter, NewRecord, Objects, RateLimits, ReadOptions, RecordUpdate,
    RetryPolicy, SearchRequest, Sort, StreamOptions, ValidationError,
};
use hubspot_sandbox::{Sandbox, SandboxConfig};

/// Deals (`0-3`): a deal needs a name.
struct Deal;
impl CrmObject for Deal {
    const OBJECT_TYPE: &'static str = "deals";
    const OBJECT_TYPE_ID: &'static str = "0-3";
    const DEFAULT_PROPERTIES: &'static [&'static str] = &["dealname", "amount", "dealstage"];

    fn validate_new(input: &NewRecord) -> Result<(), ValidationError> {
        match input.properties.get("dealname") {
            Some(name) if !name.trim().is_empty() => Ok(()),
            _ => Err(ValidationError::new("dealname", "is required")),
        }
    }
}

/// Tickets (`0-5`).
struct Ticket;
impl CrmObject for Ticket {
    const OBJECT_TYPE: &'static str = "tickets";
    const OBJECT_TYPE_ID: &'static str = "0-5";
    const DEFAULT_PROPERTIES: &'static [&'static str] = &["subject", "hs_pipeline_stage"];
}

/// A custom object of the account, addressed by its type id.
struct Machine;
impl CrmObject for Machine {
    const OBJECT_TYPE: &'static str = "2-1234567";
    const OBJECT_TYPE_ID: &'static str = "2-1234567";
}

async fn start() -> (Sandbox, Client) {
    let sandbox = Sandbox::start(SandboxConfig::new()).await.unwrap();
    let client = Client::builder()
        .access_token("pat-na1-test")
        .base_url(sandbox.base_url())
        .timeout(Duration::from_secs(10))
        .retry(RetryPolicy::disabled())
        .rate_limits(RateLimits::off())
        .build()
        .unwrap();
    (sandbox, client)
}

/// Every generic operation on `objects`, whose records carry `name_property`; asserts the
/// paths the sandbox received.
async fn exercise<O: CrmObject>(sandbox: &Sandbox, objects: Objects<O>, name_property: &str) {
    let base = format!("/crm/v3/objects/{}", O::OBJECT_TYPE);
    let seen_before = sandbox.request_log().len();

    let created = objects
        .create(NewRecord::new().property(name_property, "first"))
        .await
        .unwrap();
    assert_eq!(created.property(name_property), Some("first"));

    let read = objects.get(&created.id).await.unwrap();
    assert_eq!(read.id, created.id);
    for default in O::DEFAULT_PROPERTIES {
        assert!(read.properties.contains_key(*default), "{default} is read");
    }

    let updated = objects
        .update(RecordUpdate::new(created.id.clone()).property(name_property, "renamed"))
        .await
        .unwrap();
    assert_eq!(updated.property(name_property), Some("renamed"));

    let inputs: Vec<NewRecord> = (0..250)
        .map(|i| NewRecord::new().property(name_property, format!("bulk {i:03}")))
        .collect();
    let bulk = objects.create_many(inputs).await.unwrap();
    assert!(bulk.is_complete_success(), "{:?}", bulk.failed().next());
    let names: Vec<String> = bulk
        .outcomes
        .iter()
        .map(|o| {
            o.succeeded()
                .unwrap()
                .property(name_property)
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(names[0], "bulk 000");
    assert_eq!(names[249], "bulk 249");

    let listed: Vec<_> = objects
        .list_stream(
            ReadOptions::new().properties([name_property]),
            StreamOptions::new().page_size(100),
        )
        .try_collect()
        .await
        .unwrap();
    assert_eq!(listed.len(), 251);

    let found: Vec<_> = objects
        .search_stream(
            SearchRequest::new()
                .filter(Filter::has_property(name_property))
                .sort(Sort::ascending("hs_object_id"))
                .properties([name_property])
                .limit(100),
            None,
        )
        .try_collect()
        .await
        .unwrap();
    assert_eq!(found.len(), 251);
    let ids: Vec<u64> = found.iter().map(|r| r.id.parse().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "sorted by id");

    objects.archive(&created.id).await.unwrap();
    let gone = objects.get(&created.id).await.unwrap_err();
    assert_eq!(gone.status(), Some(404));

    let requests: Vec<(String, String)> = sandbox.request_log()[seen_before..]
        .iter()
        .map(|r| (r.method.clone(), r.path.clone()))
        .collect();
    let id_path = format!("{base}/{}", created.id);
    let expected_start = [
        ("POST", base.clone()),
        ("GET", id_path.clone()),
        ("PATCH", id_path.clone()),
        ("POST", format!("{base}/batch/create")),
        ("POST", format!("{base}/batch/create")),
        ("POST", format!("{base}/batch/create")),
    ];
    for (i, (method, path)) in expected_start.iter().enumerate() {
        assert_eq!((requests[i].0.as_str(), &requests[i].1), (*method, path));
    }
    assert_eq!(
        requests
            .iter()
            .filter(|(m, p)| m == "GET" && *p == base)
            .count(),
        3,
        "251 records in pages of 100"
    );
    assert_eq!(
        requests
            .iter()
            .filter(|(_, p)| *p == format!("{base}/search"))
            .count(),
        3,
        "251 matches in pages of 100"
    );
    assert_eq!(
        requests[requests.len() - 2],
        ("DELETE".to_owned(), id_path.clone())
    );
}

#[tokio::test]
async fn deals_defined_outside_the_crate_run_every_operation() {
    let (sandbox, client) = start().await;
    exercise(&sandbox, client.objects::<Deal>(), "dealname").await;
    // The object's own rule runs before anything is sent.
    let before = sandbox.request_count();
    let error = client
        .objects::<Deal>()
        .create(NewRecord::new().property("amount", "10"))
        .await
        .unwrap_err();
    assert!(
        matches!(&error, hubspot_crm::Error::Validation(v) if v.field == "dealname"),
        "{error:?}"
    );
    assert_eq!(sandbox.request_count(), before);
}

#[tokio::test]
async fn tickets_defined_outside_the_crate_run_every_operation() {
    let (sandbox, client) = start().await;
    exercise(&sandbox, client.objects::<Ticket>(), "subject").await;
}

#[tokio::test]
async fn a_custom_object_runs_every_operation_typed_and_untyped() {
    let (sandbox, client) = start().await;
    exercise(&sandbox, client.objects::<Machine>(), "serial").await;
    // The same store through a type named at run time.
    let untyped = client.objects_of("2-1234567").unwrap();
    let page = untyped
        .list_page(&ReadOptions::new().properties(["serial"]), Some(10), None)
        .await
        .unwrap();
    assert_eq!(page.results.len(), 10);
    assert!(client.objects_of("../deals").is_err());
}
