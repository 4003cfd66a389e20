//! The account's own properties end to end, on both API versions: a unique external id
//! ensured on an object type that has none, then used by `unique_by` to create records
//! exactly once, run after run.

use std::collections::BTreeMap;

use futures::TryStreamExt;
use hubspot_crm::{
    ApiVersion, Client, Ensured, Error, NewProperty, NewRecord, RateLimits, ReadOptions,
    StreamOptions, UniqueOutcome,
};
use hubspot_sandbox::{Sandbox, SandboxConfig};

use crate::common::{self, fast_retry, requests_to, sandbox};

const EXTERNAL_ID: &str = "external_id";

fn client_on(sandbox: &Sandbox, version: ApiVersion) -> Client {
    Client::builder()
        .access_token(common::TOKEN)
        .base_url(sandbox.base_url())
        .retry(fast_retry())
        .rate_limits(RateLimits::off())
        .api_version(version)
        .build()
        .expect("client builds")
}

fn properties_path(version: ApiVersion) -> &'static str {
    match version {
        ApiVersion::V3 => "/crm/v3/properties/deals",
        ApiVersion::V2026_09 => "/crm/properties/2026-09/deals",
        other => panic!("no properties path for {other} yet"),
    }
}

fn deals(range: std::ops::Range<usize>) -> Vec<NewRecord> {
    range
        .map(|i| {
            NewRecord::new()
                .property("dealname", format!("Renewal {i}"))
                .property(EXTERNAL_ID, format!("B-{i:03}"))
        })
        .collect()
}

/// Every live deal's id, by external id.
async fn stored(client: &Client) -> BTreeMap<String, Vec<String>> {
    let records: Vec<_> = client
        .objects_of("deals")
        .unwrap()
        .list_stream(
            ReadOptions::new().properties([EXTERNAL_ID]),
            StreamOptions::new(),
        )
        .try_collect()
        .await
        .expect("deals can be listed");
    let mut by_key: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for record in records {
        let key = record.property(EXTERNAL_ID).unwrap_or_default().to_owned();
        by_key.entry(key).or_default().push(record.id.clone());
    }
    by_key
}

async fn ensure_external_id(client: &Client) -> Ensured {
    let property = NewProperty::string(EXTERNAL_ID, "External ID")
        .unique()
        .in_group("dealinformation");
    client
        .properties()
        .ensure("deals", property)
        .await
        .expect("the property is ensured")
}

async fn an_ensured_property_sets_up_unique_by(version: ApiVersion) {
    let sandbox = sandbox(SandboxConfig::new()).await;
    let client = client_on(&sandbox, version);
    let deals_of = |client: &Client| client.objects_of("deals").unwrap();

    // Without the property, unique_by refuses before writing anything.
    let refused = deals_of(&client)
        .unique_by(EXTERNAL_ID)
        .create(deals(0..3))
        .await
        .unwrap_err();
    let Error::Validation(e) = &refused else {
        panic!("expected a validation error, got {refused:?}");
    };
    assert_eq!(e.field, EXTERNAL_ID);
    assert_eq!(sandbox.live_count("deals"), 0);

    let ensured = ensure_external_id(&client).await;
    assert!(ensured.was_created(), "{ensured:?}");
    assert!(ensured.definition().has_unique_value);
    let first = deals_of(&client)
        .unique_by(EXTERNAL_ID)
        .create(deals(0..10))
        .await
        .expect("the first run creates");
    assert_eq!(first.created().count(), 10, "{:?}", first.outcomes);

    // A second run, as another process would start it: its own client, the same setup.
    let again = client_on(&sandbox, version);
    let ensured = ensure_external_id(&again).await;
    assert!(matches!(ensured, Ensured::AlreadyExisted(_)), "{ensured:?}");
    let second = deals_of(&again)
        .unique_by(EXTERNAL_ID)
        .create(deals(0..15))
        .await
        .expect("the second run completes");
    for (i, outcome) in second.outcomes.iter().enumerate() {
        match (i < 10, outcome) {
            (true, UniqueOutcome::AlreadyExisted(record)) => {
                let UniqueOutcome::Created(made) = &first.outcomes[i] else {
                    unreachable!("every input of the first run was created");
                };
                assert_eq!(record.id, made.id, "input {i}");
            }
            (false, UniqueOutcome::Created(record)) => {
                assert_eq!(
                    record.property(EXTERNAL_ID),
                    Some(format!("B-{i:03}").as_str())
                )
            }
            (existed, other) => panic!("input {i} (existed: {existed}): {other:?}"),
        }
    }

    let by_key = stored(&again).await;
    assert_eq!(by_key.len(), 15);
    assert!(by_key.values().all(|ids| ids.len() == 1), "{by_key:?}");
    assert_eq!(
        requests_to(&sandbox, "POST", properties_path(version)),
        1,
        "the property was created once"
    );
    sandbox.shutdown().await;
}

/// One `#[tokio::test]` per version for each scenario, in modules `v3` and `v2026_09`.
macro_rules! on_each_version {
    ($($scenario:ident),* $(,)?) => {
        mod v3 {
            $(
                #[tokio::test]
                async fn $scenario() {
                    super::$scenario(hubspot_crm::ApiVersion::V3).await;
                }
            )*
        }
        mod v2026_09 {
            $(
                #[tokio::test]
                async fn $scenario() {
                    super::$scenario(hubspot_crm::ApiVersion::V2026_09).await;
                }
            )*
        }
    };
}

on_each_version!(an_ensured_property_sets_up_unique_by);
