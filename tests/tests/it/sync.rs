//! Syncing end to end against the sandbox: exactly-once creates by an external id through
//! faults, the change feed over tied timestamps, concurrent updates, resuming and index lag,
//! and receiving signed webhooks.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode, Uri};
use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use hubspot_crm::{
    AnyObject, BulkOptions, Change, ChangeFeedOptions, Checkpoint, Client, CrmObject, Error, Leads,
    NewRecord, Objects, ReadOptions, Record, RecordId, RecordUpdate, StreamOptions, UniqueOptions,
    UniqueOutcome, UniqueResult, ValidationError, WebhookEvent, WebhookEventKind,
    WebhookObjectType, WebhookVerifier, parse_events,
};
use hubspot_sandbox::{Sandbox, SandboxConfig, WebhookOptions, webhook};
use serde_json::{Value, json};

use crate::common::{self, client, sandbox};

const EXTERNAL_ID: &str = "external_id";
const LEADS_BATCH_CREATE: &str = "/crm/v3/objects/leads/batch/create";
const LEADS_BATCH_READ: &str = "/crm/v3/objects/leads/batch/read";

fn ext(i: usize) -> String {
    format!("crm-{i:05}")
}

fn lead_inputs(leads: &Leads, contact: &str, range: std::ops::Range<usize>) -> Vec<NewRecord> {
    range
        .map(|i| {
            leads
                .new_lead(format!("Lead {i}"))
                .contact(contact)
                .property(EXTERNAL_ID, ext(i))
                .into_new_record()
        })
        .collect()
}

fn options(concurrency: usize) -> UniqueOptions {
    UniqueOptions::new()
        .index_delay(Duration::from_millis(50))
        .bulk(BulkOptions::new().concurrency(concurrency))
}

/// Every live record of `objects` with `properties`.
async fn all<O: CrmObject>(objects: &Objects<O>, properties: &[&str]) -> Vec<Record> {
    objects
        .list_stream(
            ReadOptions::new().properties(properties.iter().copied()),
            StreamOptions::new(),
        )
        .try_collect()
        .await
        .expect("records can be listed")
}

/// Record ids of the store by their `property` value.
fn ids_by(records: &[Record], property: &str) -> BTreeMap<String, Vec<String>> {
    let mut by = BTreeMap::<String, Vec<String>>::new();
    for record in records {
        let key = record.property(property).unwrap_or_default().to_owned();
        by.entry(key).or_default().push(record.id.clone());
    }
    by
}

/// Batch creates sent to `path`, and the inputs of those whose body the sandbox logged
/// (a fault answered before reading the body leaves none).
fn inputs_sent(sandbox: &Sandbox, path: &str) -> (usize, usize) {
    let creates: Vec<_> = sandbox
        .request_log()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path == path)
        .collect();
    let inputs = creates
        .iter()
        .filter_map(|r| r.body.as_deref())
        .filter_map(|b| serde_json::from_str::<Value>(b).ok())
        .map(|b| b["inputs"].as_array().map_or(0, Vec::len))
        .sum();
    (creates.len(), inputs)
}

fn requests(sandbox: &Sandbox, method: &str, path: &str) -> usize {
    common::requests_to(sandbox, method, path)
}

/// Asserts that every input was created once and is the store's record for its id.
fn assert_all_created(
    result: &UniqueResult,
    keys: &[String],
    store: &BTreeMap<String, Vec<String>>,
    property: &str,
) {
    assert_eq!(result.outcomes.len(), keys.len());
    let failed: Vec<String> = result
        .failed()
        .take(5)
        .map(|f| format!("{} may_exist={} {}", f.index, f.may_exist, f.cause))
        .collect();
    assert_eq!(result.failed().count(), 0, "failed, first ones: {failed:?}");
    assert_eq!(result.unresolved().count(), 0);
    assert_eq!(result.already_existed().count(), 0);
    assert_eq!(result.created().count(), keys.len());
    let expected: BTreeSet<&String> = keys.iter().collect();
    let held: BTreeSet<&String> = store.keys().collect();
    assert_eq!(held, expected, "the store holds exactly the inputs' ids");
    for (i, outcome) in result.outcomes.iter().enumerate() {
        let record = outcome.record().expect("created");
        assert_eq!(
            store[&keys[i]].as_slice(),
            [record.id.as_str()],
            "input {i} ({}): one record, the outcome's",
            keys[i]
        );
        if let Some(value) = record.property(property) {
            assert_eq!(value, keys[i]);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acceptance_20000_leads_are_created_exactly_once_through_faults() {
    const N: usize = 20_000;
    let config = SandboxConfig::new()
        .unique_property("leads", EXTERNAL_ID)
        .fail_rate(0.05, 101)
        .fail_after_work_rate(0.03, 102)
        .lose_answer_rate(0.02, 103)
        .drop_rate(0.02, 104)
        .index_delay(Duration::from_millis(20));
    let sandbox = sandbox(config).await;
    let contact = sandbox.seed_contact(json!({"email": "ada@example.com"}));
    let client = client(&sandbox);
    let leads = client.leads();

    let result = leads
        .unique_by(EXTERNAL_ID)
        .options(options(8))
        .create(lead_inputs(&leads, &contact, 0..N))
        .await
        .expect("the run completes");

    let (creates, sent) = inputs_sent(&sandbox, LEADS_BATCH_CREATE);
    let reads = requests(&sandbox, "POST", LEADS_BATCH_READ);
    println!(
        "rounds {}, {creates} batch creates ({sent} inputs in logged bodies), {reads} batch reads",
        result.rounds
    );
    assert!(result.rounds > 1, "faults made a second round necessary");
    assert!(creates > N / 100, "some inputs were sent again");
    assert!(reads > 0, "outcomes were looked up");

    let stored = all(&leads, &[EXTERNAL_ID]).await;
    assert_eq!(stored.len(), N, "no lead without an external id either");
    let keys: Vec<String> = (0..N).map(ext).collect();
    assert_all_created(&result, &keys, &ids_by(&stored, EXTERNAL_ID), EXTERNAL_ID);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn existing_external_ids_come_back_already_existing_and_are_not_created_again() {
    let sandbox = sandbox(SandboxConfig::new().unique_property("leads", EXTERNAL_ID)).await;
    let contact = sandbox.seed_contact(json!({"email": "ada@example.com"}));
    let client = client(&sandbox);
    let leads = client.leads();
    // Every third id exists already, under another name.
    let existing: Vec<usize> = (0..120).step_by(3).collect();
    let made = leads
        .create_many(
            existing
                .iter()
                .map(|&i| {
                    leads
                        .new_lead(format!("Existing {i}"))
                        .contact(&contact)
                        .property(EXTERNAL_ID, ext(i))
                        .into_new_record()
                })
                .collect(),
        )
        .await
        .unwrap()
        .into_result()
        .expect("the existing leads are created");
    let existing_ids: HashMap<String, String> = made
        .iter()
        .map(|r| (r.property(EXTERNAL_ID).unwrap().to_owned(), r.id.clone()))
        .collect();
    assert_eq!(existing_ids.len(), existing.len());

    let result = leads
        .unique_by(EXTERNAL_ID)
        .options(options(4))
        .create(lead_inputs(&leads, &contact, 0..120))
        .await
        .unwrap();

    for (i, outcome) in result.outcomes.iter().enumerate() {
        match (existing_ids.get(&ext(i)), outcome) {
            (Some(id), UniqueOutcome::AlreadyExisted(record)) => assert_eq!(&record.id, id),
            (None, UniqueOutcome::Created(record)) => {
                assert_eq!(record.property(EXTERNAL_ID), Some(ext(i).as_str()))
            }
            (expected, other) => panic!("input {i}: existing {expected:?}, got {other:?}"),
        }
    }
    assert_eq!(result.already_existed().count(), 40);
    assert_eq!(result.created().count(), 80);
    let stored = all(&leads, &[EXTERNAL_ID, "hs_lead_name"]).await;
    assert_eq!(stored.len(), 120);
    let by_id = ids_by(&stored, EXTERNAL_ID);
    assert!(by_id.values().all(|ids| ids.len() == 1));
    for record in &stored {
        let key = record.property(EXTERNAL_ID).unwrap();
        if let Some(id) = existing_ids.get(key) {
            assert_eq!(&record.id, id);
            assert!(
                record
                    .property("hs_lead_name")
                    .unwrap()
                    .starts_with("Existing "),
                "not overwritten: {record:?}"
            );
        }
    }
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_look_up_before_indexing_sends_again_meets_the_conflict_and_finds_its_record_later() {
    const N: usize = 600;
    // The sandbox indexes slower than the client waits.
    let config = SandboxConfig::new()
        .unique_property("leads", EXTERNAL_ID)
        .lose_answer_rate(0.4, 301)
        .index_delay(Duration::from_millis(600));
    let sandbox = sandbox(config).await;
    let contact = sandbox.seed_contact(json!({"email": "ada@example.com"}));
    let client = client(&sandbox);
    let leads = client.leads();

    let result = leads
        .unique_by(EXTERNAL_ID)
        .options(
            // One request at a time: the seeded losses fall the same way every run.
            options(1)
                .index_delay(Duration::from_millis(100))
                .max_rounds(20),
        )
        .create(lead_inputs(&leads, &contact, 0..N))
        .await
        .unwrap();

    let (creates, sent) = inputs_sent(&sandbox, LEADS_BATCH_CREATE);
    println!(
        "index lag: rounds {}, {creates} batch creates ({sent} inputs in logged bodies)",
        result.rounds
    );
    assert!(
        creates > N / 100 && result.rounds > 2,
        "lost creates were looked up before indexing and sent again"
    );
    let stored = all(&leads, &[EXTERNAL_ID]).await;
    assert_eq!(stored.len(), N);
    let keys: Vec<String> = (0..N).map(ext).collect();
    assert_all_created(&result, &keys, &ids_by(&stored, EXTERNAL_ID), EXTERNAL_ID);
    sandbox.shutdown().await;
}

/// Runs `create` and returns its validation error, checking that nothing was written.
async fn refused(
    sandbox: &Sandbox,
    leads: &Leads,
    property: &str,
    inputs: Vec<NewRecord>,
) -> ValidationError {
    let before = sandbox.request_log().len();
    let result = leads
        .unique_by(property)
        .options(options(2))
        .create(inputs)
        .await;
    let after: Vec<_> = sandbox.request_log().into_iter().skip(before).collect();
    let other: Vec<_> = after
        .iter()
        .filter(|r| !(r.method == "GET" && r.path == "/crm/v3/properties/leads"))
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert!(
        other.is_empty(),
        "nothing but the properties read: {other:?}"
    );
    match result {
        Err(Error::Validation(e)) => e,
        other => panic!("expected a validation error, got {other:?}"),
    }
}

#[tokio::test]
async fn bad_inputs_and_properties_are_refused_before_anything_is_written() {
    let sandbox = sandbox(SandboxConfig::new().unique_property("leads", EXTERNAL_ID)).await;
    let contact = sandbox.seed_contact(json!({"email": "ada@example.com"}));
    let client = client(&sandbox);
    let leads = client.leads();
    let lead = |name: &str, id: Option<&str>| {
        let lead = leads.new_lead(name).contact(&contact);
        match id {
            Some(id) => lead.property(EXTERNAL_ID, id),
            None => lead,
        }
        .into_new_record()
    };

    let repeated = vec![
        lead("a", Some("crm-1")),
        lead("b", Some("crm-2")),
        lead("c", Some("crm-1")),
    ];
    let e = refused(&sandbox, &leads, EXTERNAL_ID, repeated).await;
    assert_eq!((e.field.as_str(), e.item), (EXTERNAL_ID, Some(2)), "{e}");
    assert!(e.reason.contains("item 0"), "{e}");

    let by_case = vec![lead("a", Some("CRM-7")), lead("b", Some(" crm-7"))];
    let e = refused(&sandbox, &leads, EXTERNAL_ID, by_case).await;
    assert_eq!((e.field.as_str(), e.item), (EXTERNAL_ID, Some(1)), "{e}");

    let missing = vec![lead("a", Some("crm-1")), lead("b", None)];
    let e = refused(&sandbox, &leads, EXTERNAL_ID, missing).await;
    assert_eq!((e.field.as_str(), e.item), (EXTERNAL_ID, Some(1)), "{e}");

    let blank = vec![lead("a", Some("  ")), lead("b", Some("crm-2"))];
    let e = refused(&sandbox, &leads, EXTERNAL_ID, blank).await;
    assert_eq!((e.field.as_str(), e.item), (EXTERNAL_ID, Some(0)), "{e}");

    let unknown = vec![
        leads
            .new_lead("a")
            .contact(&contact)
            .property("no_such_id", "x-1")
            .into_new_record(),
    ];
    let e = refused(&sandbox, &leads, "no_such_id", unknown).await;
    assert_eq!(e.field, "no_such_id", "{e}");
    assert!(e.reason.contains("not a property"), "{e}");

    let not_unique = vec![lead("first", Some("crm-1")), lead("second", Some("crm-2"))];
    let e = refused(&sandbox, &leads, "hs_lead_name", not_unique).await;
    assert_eq!(e.field, "hs_lead_name", "{e}");
    assert!(e.reason.contains("hasUniqueValue"), "{e}");

    assert_eq!(requests(&sandbox, "POST", LEADS_BATCH_CREATE), 0);
    assert!(all(&leads, &[]).await.is_empty());
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_custom_object_is_created_exactly_once_through_faults() {
    const N: usize = 1_500;
    const TYPE: &str = "2-9100";
    let config = SandboxConfig::new()
        .custom_object_type(TYPE, "machines")
        .unique_property("machines", "serial_number")
        .fail_rate(0.08, 201)
        .fail_after_work_rate(0.08, 202)
        .lose_answer_rate(0.05, 203)
        .drop_rate(0.03, 204)
        .index_delay(Duration::from_millis(20));
    let sandbox = sandbox(config).await;
    let client = client(&sandbox);
    let machines: Objects<AnyObject> = client.objects_of(TYPE).unwrap();
    let serial = |i: usize| format!("SN-{i:04}");
    let inputs = (0..N)
        .map(|i| {
            NewRecord::new()
                .property("serial_number", serial(i))
                .property("model", format!("M{}", i % 7))
        })
        .collect();

    let result = machines
        .unique_by("serial_number")
        // One request at a time: the seeded faults fall the same way every run.
        .options(options(1).max_rounds(8))
        .create(inputs)
        .await
        .unwrap();

    let (creates, sent) = inputs_sent(&sandbox, &format!("/crm/v3/objects/{TYPE}/batch/create"));
    println!(
        "custom type: rounds {}, {creates} batch creates ({sent} inputs in logged bodies)",
        result.rounds
    );
    assert!(
        result.rounds > 1 && creates > N / 100,
        "the faults were met"
    );
    let stored = all(&machines, &["serial_number"]).await;
    assert_eq!(stored.len(), N);
    let keys: Vec<String> = (0..N).map(serial).collect();
    assert_all_created(
        &result,
        &keys,
        &ids_by(&stored, "serial_number"),
        "serial_number",
    );
    sandbox.shutdown().await;
}

// ---- change feed ----

/// A lead's last modification as the store has it.
fn modified(record: &Record) -> DateTime<Utc> {
    let text = record
        .property("hs_lastmodifieddate")
        .expect("hs_lastmodifieddate");
    match text.parse::<i64>() {
        Ok(ms) => DateTime::from_timestamp_millis(ms).unwrap(),
        Err(_) => DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc),
    }
}

/// Renames `ids` to `prefix {id}` in batches of 50; returns each id's modification time.
async fn rename(client: &Client, ids: &[String], prefix: &str) -> HashMap<String, DateTime<Utc>> {
    let mut times = HashMap::new();
    for chunk in ids.chunks(50) {
        let updates = chunk
            .iter()
            .map(|id| RecordUpdate::new(id).property("hs_lead_name", format!("{prefix} {id}")))
            .collect();
        let records = client
            .leads()
            .update_many(updates)
            .await
            .unwrap()
            .into_result()
            .expect("updates succeed");
        for record in records {
            times.insert(record.id.clone(), record.updated_at);
        }
        tokio::task::yield_now().await;
    }
    times
}

fn name(change: &Change) -> &str {
    change.record.property("hs_lead_name").unwrap_or_default()
}

/// The most leads of `ids` stamped in one millisecond (read from the sandbox's events).
fn busiest_millisecond(sandbox: &Sandbox, ids: &[String]) -> usize {
    let events = sandbox.webhook_events("object.creation", ids, None);
    let mut per_ms = HashMap::<i64, usize>::new();
    for event in events.as_array().unwrap() {
        *per_ms
            .entry(event["occurredAt"].as_i64().unwrap())
            .or_default() += 1;
    }
    per_ms.values().copied().max().unwrap_or(0)
}

/// How many lead searches were tie scans.
fn tie_scans(sandbox: &Sandbox) -> usize {
    sandbox
        .request_log()
        .iter()
        .filter(|r| r.path == "/crm/v3/objects/leads/search")
        .filter(|r| r.body.as_deref().is_some_and(is_tie_scan))
        .count()
}

/// Whether a logged search body is a tie scan (an EQ on the modification time).
fn is_tie_scan(body: &str) -> bool {
    let body: Value = serde_json::from_str(body).unwrap_or_default();
    body["filterGroups"][0]["filters"]
        .as_array()
        .is_some_and(|f| {
            f.iter()
                .any(|f| f["propertyName"] == "hs_lastmodifieddate" && f["operator"] == "EQ")
        })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_change_feed_delivers_25000_leads_and_updates_made_while_it_reads_then_resumes() {
    const N: usize = 25_000;
    let sandbox = sandbox(SandboxConfig::new()).await;
    let contact = sandbox.seed_contact(json!({"email": "ada@example.com"}));
    let ids = sandbox.seed_leads(&contact, N);
    let client = client(&sandbox);
    // Tie scans here when seeding put more than a page (200) into one millisecond; the
    // next test forces them.
    let busiest = busiest_millisecond(&sandbox, &ids);
    println!("up to {busiest} leads seeded in one millisecond");
    let feed_options = ChangeFeedOptions::new().properties(["hs_lead_name"]);

    // Updates start once 2,000 changes are read: 250 of those, and the last 250 seeded.
    let consumed = Arc::new(AtomicUsize::new(0));
    let mut feed = client
        .leads()
        .changes(Checkpoint::beginning(), feed_options.clone());
    let mut changes: Vec<Change> = Vec::new();
    let mut updater = None;
    let mut read_ids = Vec::new();
    let mut done_at = None;
    while let Some(change) = feed.try_next().await.expect("the feed reads") {
        changes.push(change);
        consumed.store(changes.len(), Ordering::Relaxed);
        if changes.len() == 2_000 {
            read_ids = changes[..2_000]
                .iter()
                .step_by(8)
                .map(|c| c.record.id.clone())
                .collect();
            let mut targets = read_ids.clone();
            targets.extend(ids[N - 250..].iter().cloned());
            let (client, consumed) = (client.clone(), consumed.clone());
            updater = Some(tokio::spawn(async move {
                let times = rename(&client, &targets, "Updated").await;
                (times, consumed.load(Ordering::Relaxed))
            }));
        }
        // Make sure every update lands before the feed can end.
        if changes.len() == 15_000 {
            let (times, at) = updater.take().unwrap().await.unwrap();
            done_at = Some((times, at));
        }
    }
    // A feed that ends early still lets the updates finish, to report what it missed.
    if let Some(updater) = updater.take() {
        done_at = Some(updater.await.unwrap());
    }
    let ties = tie_scans(&sandbox);
    assert!(
        changes.len() >= 15_000,
        "the feed ended after {} changes of {N} leads ({ties} tie scans)",
        changes.len()
    );
    let (updated, finished_at) = done_at.unwrap();
    println!(
        "{} changes for {N} leads; updates ran while changes 2000..{finished_at} were read",
        changes.len()
    );
    assert_eq!(updated.len(), 500);
    assert_eq!(read_ids.len(), 250);

    let delivered: BTreeSet<&str> = changes.iter().map(|c| c.record.id.as_str()).collect();
    let missing: Vec<&String> = ids
        .iter()
        .filter(|id| !delivered.contains(id.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "{} never delivered, e.g. {:?}",
        missing.len(),
        &missing[..missing.len().min(5)]
    );
    assert_eq!(delivered.len(), N);
    for pair in changes.windows(2) {
        assert!(
            pair[0].modified_at <= pair[1].modified_at,
            "out of order: {} at {} before {} at {}",
            pair[0].record.id,
            pair[0].modified_at,
            pair[1].record.id,
            pair[1].modified_at
        );
    }
    for change in &changes {
        assert_eq!(change.checkpoint, Checkpoint::at(change.modified_at));
    }
    for (id, at) in &updated {
        let new_name = format!("Updated {id}");
        let after = changes
            .iter()
            .find(|c| &c.record.id == id && name(c) == new_name)
            .unwrap_or_else(|| panic!("lead {id} never delivered with its update"));
        assert!(
            after.modified_at >= *at,
            "lead {id}: {} < {at}",
            after.modified_at
        );
    }
    // The already-read ones came twice: before and after their update.
    for id in &read_ids {
        let names: Vec<&str> = changes
            .iter()
            .filter(|c| &c.record.id == id)
            .map(name)
            .collect();
        assert!(
            names.len() >= 2 && !names[0].starts_with("Updated"),
            "{id}: {names:?}"
        );
    }
    let duplicates = changes.len() - N;
    let tie_scans = tie_scans(&sandbox);
    println!("{duplicates} duplicate deliveries; {tie_scans} tie-scan searches");
    assert!(
        busiest <= 200 || tie_scans > 0,
        "the feed paged through a millisecond by id"
    );

    // Resume from the middle, after more updates: 50 early leads, 50 late ones.
    let checkpoint = changes[changes.len() / 2].checkpoint;
    let mut later: Vec<String> = ids[..50].to_vec();
    later.extend(ids[N - 1_000..N - 950].iter().cloned());
    let renamed = rename(&client, &later, "Later").await;
    let resumed: Vec<Change> = client
        .leads()
        .changes(checkpoint, feed_options.clone().overlap(Duration::ZERO))
        .try_collect()
        .await
        .expect("the resumed feed reads");
    let got: BTreeSet<(&str, DateTime<Utc>)> = resumed
        .iter()
        .map(|c| (c.record.id.as_str(), c.modified_at))
        .collect();
    assert!(
        resumed.iter().all(|c| c.checkpoint >= checkpoint),
        "nothing from before the checkpoint without an overlap"
    );
    let store = all(&client.leads(), &["hs_lead_name", "hs_lastmodifieddate"]).await;
    assert_eq!(store.len(), N);
    let mut expected = 0;
    for record in &store {
        let at = modified(record);
        if Checkpoint::at(at) >= checkpoint {
            expected += 1;
            assert!(
                got.contains(&(record.id.as_str(), at)),
                "lead {} modified at {at} (checkpoint {checkpoint}) not delivered on resuming",
                record.id
            );
        }
    }
    for id in renamed.keys() {
        let c = resumed
            .iter()
            .find(|c| &c.record.id == id && name(c) == format!("Later {id}"))
            .unwrap_or_else(|| panic!("lead {id}, updated after the first feed, not delivered"));
        assert!(c.checkpoint >= checkpoint);
    }
    println!(
        "resumed at {checkpoint}: {} changes for {expected} leads modified since",
        resumed.len()
    );
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_millisecond_holding_more_leads_than_a_page_is_read_by_id_and_resumed_inside() {
    let sandbox = sandbox(SandboxConfig::new()).await;
    let contact = sandbox.seed_contact(json!({"email": "ada@example.com"}));
    let ids = sandbox.seed_leads(&contact, 3_000);
    let busiest = busiest_millisecond(&sandbox, &ids);
    assert!(
        busiest >= 6,
        "seeding put {busiest} leads at most into one millisecond"
    );
    // Several pages per busy millisecond.
    let page_size = (busiest / 3).clamp(2, 200) as u32;
    let client = client(&sandbox);
    let options = ChangeFeedOptions::new()
        .page_size(page_size)
        .properties(["hs_lead_name"]);

    let changes: Vec<Change> = client
        .leads()
        .changes(Checkpoint::beginning(), options.clone())
        .try_collect()
        .await
        .unwrap();

    let ties = tie_scans(&sandbox);
    println!("{busiest} leads in the busiest millisecond, pages of {page_size}, {ties} tie scans");
    let delivered: BTreeSet<&str> = changes.iter().map(|c| c.record.id.as_str()).collect();
    assert_eq!(
        (delivered.len(), changes.len()),
        (ids.len(), ids.len()),
        "every lead once ({ties} tie scans)"
    );
    assert!(ties > 0);
    assert!(
        changes
            .windows(2)
            .all(|p| p[0].modified_at <= p[1].modified_at)
    );

    // Resume from the middle of the busiest millisecond: all of it comes again, and the rest.
    let mut per_ms = BTreeMap::<DateTime<Utc>, usize>::new();
    for c in &changes {
        *per_ms.entry(c.modified_at).or_default() += 1;
    }
    let (&busy, _) = per_ms.iter().max_by_key(|(_, n)| **n).unwrap();
    let first_at = changes.iter().position(|c| c.modified_at == busy).unwrap();
    let checkpoint = changes[first_at + busiest / 2].checkpoint;
    let expected: BTreeSet<&str> = changes
        .iter()
        .filter(|c| c.checkpoint >= checkpoint)
        .map(|c| c.record.id.as_str())
        .collect();
    let resumed: Vec<Change> = client
        .leads()
        .changes(checkpoint, options.overlap(Duration::ZERO))
        .try_collect()
        .await
        .unwrap();
    let got: BTreeSet<&str> = resumed.iter().map(|c| c.record.id.as_str()).collect();
    assert_eq!(got, expected, "resumed at {checkpoint}");
    assert_eq!(resumed.len(), expected.len(), "no duplicates");
    sandbox.shutdown().await;
}

#[tokio::test]
async fn with_index_lag_leads_updated_as_the_feed_catches_up_come_in_the_resumed_feed() {
    let lag = Duration::from_secs(1);
    let sandbox = sandbox(SandboxConfig::new().index_delay(lag)).await;
    let contact = sandbox.seed_contact(json!({"email": "ada@example.com"}));
    // One lead per millisecond or more: pages move on by time alone.
    let mut ids = Vec::new();
    for _ in 0..30 {
        ids.extend(sandbox.seed_leads(&contact, 1));
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    assert_eq!(busiest_millisecond(&sandbox, &ids), 1);
    tokio::time::sleep(lag + Duration::from_millis(100)).await;
    let client = client(&sandbox);
    let options = ChangeFeedOptions::new()
        .page_size(10)
        .overlap(lag * 3)
        .properties(["hs_lead_name"]);

    let mut feed = client
        .leads()
        .changes(Checkpoint::beginning(), options.clone());
    let mut first: Vec<Change> = Vec::new();
    while let Some(change) = feed.try_next().await.unwrap() {
        first.push(change);
        if first.len() == 5 {
            rename(&client, &ids[..5], "Late").await;
        }
    }
    assert_eq!(first.len(), 30);
    assert!(
        !first.iter().any(|c| name(c).starts_with("Late")),
        "premise: the index did not show the updates before the feed caught up"
    );
    let checkpoint = first.last().unwrap().checkpoint;

    tokio::time::sleep(lag + Duration::from_millis(100)).await;
    let resumed: Vec<Change> = client
        .leads()
        .changes(checkpoint, options)
        .try_collect()
        .await
        .unwrap();
    for id in &ids[..5] {
        assert!(
            resumed
                .iter()
                .any(|c| &c.record.id == id && name(c) == format!("Late {id}")),
            "lead {id} updated just before catching up is missed on resuming: {:?}",
            resumed
                .iter()
                .map(|c| (&c.record.id, name(c)))
                .collect::<Vec<_>>()
        );
    }
    sandbox.shutdown().await;
}

#[tokio::test]
async fn the_overlap_catches_a_change_indexed_after_a_later_one() {
    // A writer-set modification property: indexing order can differ from its order.
    const TYPE: &str = "2-9200";
    let lag = Duration::from_secs(1);
    let sandbox = sandbox(SandboxConfig::new().index_delay(lag)).await;
    let seeded: Vec<String> = (0..10)
        .map(|i| {
            sandbox.seed_object(
                TYPE,
                json!({"name": format!("m{i}"), "synced_ms": (1_000_000 + i * 1_000).to_string()}),
            )
        })
        .collect();
    let client = client(&sandbox);
    let objects = client.objects_of(TYPE).unwrap();
    let set = |id: &str, ms: i64| {
        let objects = objects.clone();
        let update = RecordUpdate::new(id).property("synced_ms", ms.to_string());
        async move { objects.update(update).await.unwrap() }
    };
    tokio::time::sleep(lag + Duration::from_millis(100)).await;
    let (late_writer, early_stamp) = (&seeded[9], &seeded[3]);
    set(late_writer, 2_000_000).await;
    tokio::time::sleep(lag + Duration::from_millis(100)).await;
    // Written now, stamped before 2,000,000: not indexed when the first feed runs.
    set(early_stamp, 1_500_000).await;
    let options = |overlap: Duration| {
        ChangeFeedOptions::new()
            .modified_property("synced_ms")
            .properties(["name"])
            .overlap(overlap)
    };
    let first: Vec<Change> = objects
        .changes(Checkpoint::beginning(), options(Duration::ZERO))
        .try_collect()
        .await
        .unwrap();
    assert!(
        !first.iter().any(|c| &c.record.id == early_stamp),
        "premise: the write made just before was not indexed yet"
    );
    assert_eq!(&first.last().unwrap().record.id, late_writer);
    let checkpoint = first.last().unwrap().checkpoint;
    tokio::time::sleep(lag + Duration::from_millis(100)).await;

    let ids = |changes: &[Change]| -> Vec<String> {
        changes.iter().map(|c| c.record.id.clone()).collect()
    };
    let without: Vec<Change> = objects
        .changes(checkpoint, options(Duration::ZERO))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        ids(&without),
        [late_writer.as_str()],
        "control: no overlap, no catch"
    );
    let with: Vec<Change> = objects
        .changes(checkpoint, options(Duration::from_secs(600)))
        .try_collect()
        .await
        .unwrap();
    let caught = with
        .iter()
        .find(|c| &c.record.id == early_stamp)
        .expect("the overlap reads the late-indexed change");
    assert_eq!(
        caught.modified_at,
        DateTime::from_timestamp_millis(1_500_000).unwrap()
    );
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_feed_by_a_custom_modified_property_naming_no_properties_reads_every_record_in_its_order()
{
    const TYPE: &str = "2-9201";
    let sandbox = sandbox(SandboxConfig::new()).await;
    // Written in one order and stamped in the other: `updatedAt` and `synced_ms` disagree.
    let mut seeded: Vec<(String, i64)> = (0..7)
        .map(|i| {
            let ms = 1_000_000 + (7 - i) * 1_000;
            let properties = json!({"name": format!("m{i}"), "synced_ms": ms.to_string()});
            (sandbox.seed_object(TYPE, properties), ms)
        })
        .collect();
    seeded.sort_by_key(|(_, ms)| *ms);
    let objects = client(&sandbox).objects_of(TYPE).unwrap();

    let changes: Vec<Change> = objects
        .changes(
            Checkpoint::beginning(),
            ChangeFeedOptions::new()
                .modified_property("synced_ms")
                .page_size(2),
        )
        .try_collect()
        .await
        .unwrap();

    let read: Vec<(String, i64)> = changes
        .iter()
        .map(|c| (c.record.id.clone(), c.modified_at.timestamp_millis()))
        .collect();
    assert_eq!(read, seeded);
    for change in &changes {
        assert_eq!(change.checkpoint, Checkpoint::at(change.modified_at));
    }
    sandbox.shutdown().await;
}

// ---- webhooks ----

type Received = Arc<Mutex<Vec<WebhookEvent>>>;

/// A receiver on `/hubspot/webhooks` that verifies with `secret`, then parses; returns its
/// URL (with a query HubSpot signs decoded) and what it accepted.
async fn receiver(secret: &str) -> (String, Received) {
    let verifier = Arc::new(WebhookVerifier::new(secret));
    let got: Received = Arc::default();
    let keep = got.clone();
    let app = axum::Router::new().route(
        "/hubspot/webhooks",
        axum::routing::post(move |uri: Uri, headers: HeaderMap, body: Bytes| {
            let (verifier, keep) = (verifier.clone(), keep.clone());
            async move {
                let host = headers
                    .get("host")
                    .and_then(|h| h.to_str().ok())
                    .unwrap_or_default();
                let path = uri.path_and_query().map_or("/", |p| p.as_str());
                let url = format!("http://{host}{path}");
                if let Err(e) = verifier.verify("POST", &url, &headers, &body) {
                    return e.status();
                }
                match parse_events(&body) {
                    Ok(events) => {
                        keep.lock().unwrap().extend(events);
                        StatusCode::NO_CONTENT
                    }
                    Err(e) => e.status(),
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://{}/hubspot/webhooks?portal=62515&from=a%3Ab",
        listener.local_addr().unwrap()
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, got)
}

#[tokio::test]
async fn signed_webhooks_are_verified_and_parsed_by_the_receiver() {
    const SECRET: &str = "yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy";
    let sandbox = sandbox(SandboxConfig::new()).await;
    let contact = sandbox.seed_contact(json!({"email": "ada@example.com"}));
    let leads = sandbox.seed_leads(&contact, 3);
    let client = client(&sandbox);
    rename(&client, &leads[..2], "Renamed").await;
    let (url, got) = receiver(SECRET).await;

    let changes = sandbox.webhook_events("object.propertyChange", &leads, Some("hs_lead_name"));
    let created = sandbox.webhook_events("object.creation", &leads, None);
    let contact_created = sandbox.webhook_events("contact.creation", &[&contact], None);
    for events in [&changes, &created, &contact_created] {
        assert_eq!(
            sandbox.send_webhook(&url, SECRET, events).await.unwrap(),
            204
        );
    }

    let events = got.lock().unwrap().clone();
    assert_eq!(events.len(), 7);
    let ids: BTreeSet<u64> = events.iter().filter_map(|e| e.event_id).collect();
    assert_eq!(ids.len(), 7, "each event its own id");
    for (i, event) in events[..3].iter().enumerate() {
        let lead = client.leads().get(&leads[i]).await.unwrap();
        assert_eq!(event.subscription_type, "object.propertyChange");
        assert_eq!(event.object_type, Some(WebhookObjectType::Lead));
        assert_eq!(event.object_id, Some(RecordId(leads[i].clone())));
        assert_eq!(event.portal_id, Some(webhook::PORTAL_ID));
        assert_eq!(
            event.occurred_at,
            Some(lead.updated_at.timestamp_millis() as u64)
        );
        let WebhookEventKind::PropertyChange { name, value, .. } = &event.kind else {
            panic!("a property change: {event:?}");
        };
        let expected = if i < 2 {
            format!("Renamed {}", leads[i])
        } else {
            format!("Lead {}", i + 1)
        };
        assert_eq!(
            (name.as_str(), value.as_deref()),
            ("hs_lead_name", Some(expected.as_str()))
        );
    }
    for (i, event) in events[3..6].iter().enumerate() {
        assert_eq!(event.subscription_type, "object.creation");
        assert_eq!(event.kind, WebhookEventKind::Creation);
        assert_eq!(event.object_id, Some(RecordId(leads[i].clone())));
        assert_eq!(event.change_flag.as_deref(), Some("NEW"));
    }
    let last = &events[6];
    assert_eq!(
        (
            last.subscription_type.as_str(),
            &last.object_type,
            &last.object_id
        ),
        (
            "contact.creation",
            &Some(WebhookObjectType::Contact),
            &Some(RecordId(contact.clone()))
        )
    );

    // Refused: another app's secret, a stale request, a v1-only one.
    let (other_url, other_got) = receiver("another app's secret").await;
    assert_eq!(
        sandbox
            .send_webhook(&other_url, SECRET, &changes)
            .await
            .unwrap(),
        401
    );
    assert!(other_got.lock().unwrap().is_empty());
    let stale = (Utc::now().timestamp_millis() - 6 * 60 * 1000) as u64;
    let old = WebhookOptions::new().timestamp_millis(stale);
    assert_eq!(
        sandbox
            .send_webhook_with(&url, SECRET, &changes, &old)
            .await
            .unwrap(),
        401
    );
    let v1 = WebhookOptions::new().v3(false);
    assert_eq!(
        sandbox
            .send_webhook_with(&url, SECRET, &changes, &v1)
            .await
            .unwrap(),
        401
    );
    assert_eq!(got.lock().unwrap().len(), 7, "nothing more accepted");
    sandbox.shutdown().await;
}
