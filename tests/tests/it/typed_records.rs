//! Typed records end to end, on both API versions: a struct of every kind of property
//! written (create, bulk create, update, unique creates) and read back (get, batch read,
//! list and search streams, the change feed), and values that do not fit refused by name.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use futures::{StreamExt, TryStreamExt};
use hubspot_crm::{
    AnyObject, ApiVersion, ChangeFeedOptions, Checkpoint, Client, Error, FailureCause, Filter,
    ItemOutcome, NewProperty, Objects, ReadOptions, SearchRequest, StreamOptions, TypedObjects,
    TypedUniqueOutcome,
};
use hubspot_sandbox::{Sandbox, SandboxConfig};
use serde::{Deserialize, Serialize};

use crate::common::{client, sandbox};

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
enum Channel {
    Email,
    Phone,
    Chat,
}

/// One deal, with a property of each kind.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
struct DealRow {
    dealname: String,
    #[serde(rename = "typed_amount")]
    amount: Option<f64>,
    typed_priority: Option<bool>,
    typed_start: Option<NaiveDate>,
    typed_close: Option<DateTime<Utc>>,
    typed_channels: Vec<Channel>,
    typed_note: Option<String>,
    typed_ext: Option<String>,
}

/// A number read over the text property `typed_note`.
#[derive(Debug, Deserialize, Serialize)]
struct NoteAsNumber {
    dealname: String,
    typed_note: Option<f64>,
}

fn row(name: &str, amount: f64) -> DealRow {
    DealRow {
        dealname: name.to_owned(),
        amount: Some(amount),
        typed_priority: Some(true),
        typed_start: NaiveDate::from_ymd_opt(2026, 3, 1),
        typed_close: Some(Utc.with_ymd_and_hms(2026, 3, 1, 9, 30, 0).unwrap()),
        typed_channels: vec![Channel::Email, Channel::Chat],
        typed_note: None,
        typed_ext: None,
    }
}

/// A sandbox whose deals have the properties of [`DealRow`], and its client on `version`.
async fn account(version: ApiVersion) -> (Sandbox, Client) {
    let sandbox = sandbox(SandboxConfig::default()).await;
    let client = client(&sandbox).with_api_version(version);
    let properties = client.properties();
    let group = "dealinformation";
    for property in [
        NewProperty::number("typed_amount", "Amount").in_group(group),
        NewProperty::bool("typed_priority", "Priority").in_group(group),
        NewProperty::date("typed_start", "Start").in_group(group),
        NewProperty::datetime("typed_close", "Close").in_group(group),
        NewProperty::checkbox(
            "typed_channels",
            "Channels",
            [("email", "Email"), ("phone", "Phone"), ("chat", "Chat")],
        )
        .in_group(group),
        NewProperty::string("typed_note", "Note").in_group(group),
        NewProperty::string("typed_ext", "External id")
            .unique()
            .in_group(group),
    ] {
        properties
            .ensure("deals", property)
            .await
            .expect("property ensured");
    }
    (sandbox, client)
}

fn deals(client: &Client) -> (Objects<AnyObject>, TypedObjects<AnyObject, DealRow>) {
    let deals = client.objects_of("deals").expect("deals");
    let typed = deals.typed::<DealRow>();
    (deals, typed)
}

/// The `properties` query a logged GET list or get sent.
fn properties_query(sandbox: &Sandbox, skip: usize) -> Vec<String> {
    sandbox
        .request_log()
        .into_iter()
        .skip(skip)
        .filter_map(|r| r.query)
        .filter_map(|q| {
            q.split('&')
                .find_map(|pair| pair.strip_prefix("properties=").map(str::to_owned))
        })
        .collect()
}

#[tokio::test]
async fn a_struct_of_every_property_kind_is_written_and_read_back() {
    for &version in ApiVersion::ALL {
        let (sandbox, client) = account(version).await;
        let (deals, typed) = deals(&client);

        let created = typed.create(&row("Solo", 1200.5)).await.expect("created");
        assert_eq!(created.properties, row("Solo", 1200.5), "{version:?}");
        // What HubSpot holds, as the untyped record shows it.
        let raw = deals
            .get_with(
                &created.id,
                &ReadOptions::new().properties(["typed_close", "typed_channels", "typed_priority"]),
            )
            .await
            .unwrap();
        // ISO 8601 in UTC, as chrono writes it.
        assert_eq!(raw.property("typed_close"), Some("2026-03-01T09:30:00Z"));
        assert_eq!(raw.property("typed_channels"), Some("email;chat"));
        assert_eq!(raw.property("typed_priority"), Some("true"));

        let skip = sandbox.request_log().len();
        let read = typed.get(&created.id).await.expect("read");
        assert_eq!(read.properties, row("Solo", 1200.5));
        assert_eq!(read.id, created.id);
        assert!(!read.archived);
        assert_eq!(read.created_at, raw.created_at);
        assert_eq!(
            properties_query(&sandbox, skip),
            [
                "dealname%2Ctyped_amount%2Ctyped_priority%2Ctyped_start%2Ctyped_close%2Ctyped_channels%2Ctyped_note%2Ctyped_ext"
            ],
            "a typed read asks for exactly the struct's properties"
        );

        let mut changed = row("Solo", 99.0);
        changed.typed_priority = Some(false);
        changed.typed_channels = vec![Channel::Phone];
        let updated = typed
            .update((created.id.as_str(), &changed))
            .await
            .expect("updated");
        assert_eq!(updated.properties, changed);

        let many: Vec<DealRow> = (0..3)
            .map(|i| row(&format!("Bulk {i}"), f64::from(i)))
            .collect();
        let result = typed.create_many(&many).await.expect("bulk create");
        let ids: Vec<String> = result.succeeded().map(|r| r.id.clone()).collect();
        assert_eq!(
            result
                .succeeded()
                .map(|r| &r.properties)
                .collect::<Vec<_>>(),
            many.iter().collect::<Vec<_>>()
        );

        let read = typed
            .read_many(ids.clone(), &ReadOptions::new())
            .await
            .expect("batch read");
        let names: Vec<&str> = read
            .succeeded()
            .map(|r| r.properties.dealname.as_str())
            .collect();
        assert_eq!(names, ["Bulk 0", "Bulk 1", "Bulk 2"]);

        let listed: Vec<_> = typed
            .list_stream(ReadOptions::new(), StreamOptions::new().page_size(2))
            .try_collect()
            .await
            .expect("list stream");
        let mut listed: Vec<DealRow> = listed.into_iter().map(|r| r.properties).collect();
        listed.sort_by(|a, b| a.dealname.cmp(&b.dealname));
        let mut expected = many.clone();
        expected.push(changed.clone());
        expected.sort_by(|a, b| a.dealname.cmp(&b.dealname));
        assert_eq!(listed, expected, "{version:?}");

        let found: Vec<_> = typed
            .search_stream(
                SearchRequest::new()
                    .filter(Filter::eq("typed_priority", "true"))
                    .limit(2),
                StreamOptions::new(),
            )
            .try_collect()
            .await
            .expect("search stream");
        let mut found: Vec<String> = found.into_iter().map(|r| r.id).collect();
        found.sort();
        let mut bulk_ids = ids.clone();
        bulk_ids.sort();
        assert_eq!(found, bulk_ids);
    }
}

#[tokio::test]
async fn a_value_that_does_not_fit_is_refused_naming_the_record_and_property() {
    for &version in ApiVersion::ALL {
        let (_sandbox, client) = account(version).await;
        let (_, typed) = deals(&client);
        let mut noted = row("Noted", 5.0);
        noted.typed_note = Some("n/a".to_owned());
        let created = typed.create(&noted).await.expect("created");

        let numbers = client.objects_of("deals").unwrap().typed::<NoteAsNumber>();
        let error = numbers
            .get(&created.id)
            .await
            .expect_err("n/a is no number");
        match &error {
            Error::PropertyDecode {
                record_id,
                property,
                reason,
            } => {
                assert_eq!(record_id.as_deref(), Some(created.id.as_str()));
                assert_eq!(property.as_deref(), Some("typed_note"));
                assert!(reason.contains("`n/a`"), "{reason}");
            }
            other => panic!("{version:?}: {other:?}"),
        }
        assert!(
            error
                .to_string()
                .starts_with(&format!("record {}: property `typed_note`", created.id))
        );

        let stream: Vec<_> = numbers
            .list_stream(ReadOptions::new(), StreamOptions::new())
            .collect::<Vec<_>>()
            .await;
        assert_eq!(stream.len(), 1, "the stream ends at the error");
        assert!(matches!(&stream[0], Err(Error::PropertyDecode { .. })));

        let read = numbers
            .read_many([created.id.clone()], &ReadOptions::new())
            .await
            .unwrap();
        match &read.outcomes[0] {
            ItemOutcome::Failed(failure) => {
                assert_eq!(failure.input, created.id);
                assert!(
                    matches!(&failure.cause, FailureCause::RequestFailed(e) if matches!(**e, Error::PropertyDecode { .. }))
                );
            }
            other => panic!("{version:?}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_value_hubspot_cannot_store_is_refused_before_sending() {
    let (sandbox, client) = account(ApiVersion::V3).await;
    let (_, typed) = deals(&client);
    let before = sandbox.request_log().len();
    let mut bad = row("Bad", f64::NAN);
    bad.amount = Some(f64::NAN);
    let error = typed
        .create_many([&row("Good", 1.0), &bad])
        .await
        .expect_err("NaN is refused");
    match error {
        Error::Validation(e) => {
            assert_eq!(e.field, "typed_amount");
            assert_eq!(e.item, Some(1));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(sandbox.request_log().len(), before, "nothing was sent");
}

#[tokio::test]
async fn a_typed_change_feed_reads_changes_into_the_struct() {
    for &version in ApiVersion::ALL {
        let (_sandbox, client) = account(version).await;
        let (_, typed) = deals(&client);
        let inputs: Vec<DealRow> = (0..3)
            .map(|i| row(&format!("Feed {i}"), f64::from(i)))
            .collect();
        typed
            .create_many(&inputs)
            .await
            .unwrap()
            .into_result()
            .unwrap();

        let changes: Vec<_> = typed
            .changes(
                Checkpoint::beginning(),
                ChangeFeedOptions::new().page_size(2),
            )
            .try_collect()
            .await
            .expect("feed");
        let mut names: Vec<String> = changes
            .iter()
            .map(|c| c.record.properties.dealname.clone())
            .collect();
        names.sort();
        assert_eq!(names, ["Feed 0", "Feed 1", "Feed 2"], "{version:?}");
        assert!(
            changes
                .windows(2)
                .all(|w| w[0].modified_at <= w[1].modified_at)
        );
        assert_eq!(
            changes.last().unwrap().checkpoint.modified_at(),
            changes.last().unwrap().modified_at
        );
        assert_eq!(
            changes[0].record.properties.typed_channels,
            [Channel::Email, Channel::Chat]
        );
    }
}

#[tokio::test]
async fn typed_unique_creates_create_once_and_find_what_exists() {
    for &version in ApiVersion::ALL {
        let (_sandbox, client) = account(version).await;
        let (_, typed) = deals(&client);
        let keyed = |i: u32| DealRow {
            typed_ext: Some(format!("ext-{i}")),
            ..row(&format!("Unique {i}"), f64::from(i))
        };
        let first = typed
            .unique_by("typed_ext")
            .create([&keyed(1)])
            .await
            .expect("first");
        let created = match &first.outcomes[..] {
            [TypedUniqueOutcome::Created(record)] => record.clone(),
            other => panic!("{version:?}: {other:?}"),
        };
        assert_eq!(created.properties, keyed(1));

        let second = typed
            .unique_by("typed_ext")
            .create([&keyed(1), &keyed(2)])
            .await
            .expect("second");
        match &second.outcomes[..] {
            [
                TypedUniqueOutcome::AlreadyExisted(existing),
                TypedUniqueOutcome::Created(new),
            ] => {
                assert_eq!(existing.id, created.id);
                assert_eq!(existing.properties, keyed(1));
                assert_eq!(new.properties, keyed(2));
            }
            other => panic!("{version:?}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn typed_upserts_bulk_updates_and_single_pages_round_trip() {
    for &version in ApiVersion::ALL {
        let (_sandbox, client) = account(version).await;
        let (_, typed) = deals(&client);
        let keyed = DealRow {
            typed_ext: Some("ext-9".to_owned()),
            ..row("Upserted", 1.0)
        };
        let by_ext = |value: &DealRow| {
            typed
                .record_update("ext-9", value)
                .expect("convertible")
                .id_property("typed_ext")
        };
        let created = typed.upsert(by_ext(&keyed)).await.expect("upsert creates");
        assert_eq!(created.properties, keyed, "{version:?}");
        let changed = DealRow {
            amount: Some(2.5),
            ..keyed.clone()
        };
        let updated = typed
            .upsert(by_ext(&changed))
            .await
            .expect("upsert updates");
        assert_eq!(updated.id, created.id);
        assert_eq!(updated.properties.amount, Some(2.5));

        let many = typed
            .upsert_many([by_ext(&DealRow {
                amount: Some(3.0),
                ..keyed.clone()
            })])
            .await
            .expect("upsert many")
            .into_result()
            .expect("all upserted");
        assert_eq!(
            (many[0].id.as_str(), many[0].properties.amount),
            (created.id.as_str(), Some(3.0))
        );

        let renamed = DealRow {
            dealname: "Renamed".to_owned(),
            ..keyed.clone()
        };
        let result = typed
            .update_many([(created.id.as_str(), &renamed)])
            .await
            .expect("update many")
            .into_result()
            .expect("all updated");
        assert_eq!(result[0].properties.dealname, "Renamed");

        let page = typed
            .list_page(&ReadOptions::new(), Some(10), None)
            .await
            .expect("list page");
        assert_eq!(page.results.len(), 1);
        assert_eq!(page.results[0].properties, renamed);
        let page = typed
            .search_page(&SearchRequest::new().filter(Filter::eq("typed_ext", "ext-9")))
            .await
            .expect("search page");
        assert_eq!(page.total, Some(1));
        assert_eq!(page.results[0].properties, renamed);
    }
}

#[tokio::test]
async fn none_means_clear_clears_a_property_where_unset_keeps_it() {
    let (_sandbox, client) = account(ApiVersion::V3).await;
    let (_, typed) = deals(&client);
    let created = typed.create(&row("Kept", 7.0)).await.unwrap();
    let without_amount = DealRow {
        amount: None,
        ..row("Kept", 7.0)
    };
    let kept = typed
        .update((created.id.as_str(), &without_amount))
        .await
        .unwrap();
    assert_eq!(
        kept.properties.amount,
        Some(7.0),
        "None left the amount unset"
    );
    let cleared = typed
        .clone()
        .none_means(hubspot_crm::NoneMeans::Clear)
        .update((created.id.as_str(), &without_amount))
        .await
        .unwrap();
    assert_eq!(cleared.properties.amount, None, "None cleared the amount");
    let read = typed.get(&created.id).await.unwrap();
    assert_eq!(read.properties, without_amount);
}
