//! Bulk writes at scale against a sandbox answering batch writes as HubSpot does, under each
//! reading it offers: per input where trace ids opt in, or refused whole (a 400 for one bad
//! value, a 409 naming the first taken unique value). 1% of the inputs carry a value HubSpot
//! refuses and, for `unique_by`, 5% carry an id that exists already; with and without the
//! fault mix of the exactly-once test. Every valid input must end written once, every invalid
//! one rejected with its own error, every existing one `AlreadyExisted`.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use futures::TryStreamExt;
use hubspot_crm::{
    BulkOptions, Client, Contact, CrmObject, FailureCause, Objects, ReadOptions, Record,
    RecordUpdate, StreamOptions, UniqueOptions, UniqueOutcome,
};
use hubspot_sandbox::{PartialSuccess, Sandbox, SandboxConfig};
use serde_json::json;

use crate::common::{client, sandbox};

const N: usize = 20_000;
const EXTERNAL_ID: &str = "external_id";
/// Not one of `hs_lead_label`'s options.
const BAD_LABEL: &str = "LUKEWARM";
const BAD_EMAIL: &str = "ada@example";

fn is_invalid(i: usize) -> bool {
    i % 100 == 7
}

fn already_exists(i: usize) -> bool {
    i % 20 == 3
}

fn ext(i: usize) -> String {
    format!("ext-{i:05}")
}

fn config(reading: PartialSuccess, faults: bool) -> SandboxConfig {
    let config = SandboxConfig::new()
        .partial_success(reading)
        .unique_property("leads", EXTERNAL_ID)
        .unique_property("contacts", EXTERNAL_ID);
    if !faults {
        return config;
    }
    config
        .fail_rate(0.05, 101)
        .fail_after_work_rate(0.03, 102)
        .lose_answer_rate(0.02, 103)
        .drop_rate(0.02, 104)
        .index_delay(Duration::from_millis(20))
}

fn bulk() -> BulkOptions {
    BulkOptions::new().concurrency(8)
}

/// Every live record of `objects` with `properties`, by external id.
async fn stored_by_ext<O: CrmObject>(
    objects: &Objects<O>,
    properties: &[&str],
) -> BTreeMap<String, Vec<Record>> {
    let records: Vec<Record> = objects
        .list_stream(
            ReadOptions::new().properties(properties.iter().copied()),
            StreamOptions::new(),
        )
        .try_collect()
        .await
        .expect("records can be listed");
    let mut by = BTreeMap::<String, Vec<Record>>::new();
    for record in records {
        let key = record.property(EXTERNAL_ID).unwrap_or_default().to_owned();
        by.entry(key).or_default().push(record);
    }
    by
}

/// Requests the sandbox received for writes and reads of `object_type`.
fn object_requests(sandbox: &Sandbox, object_type: &str) -> usize {
    let prefix = format!("/crm/v3/objects/{object_type}");
    sandbox
        .request_log()
        .iter()
        .filter(|r| r.path.starts_with(&prefix))
        .count()
}

/// Asserts that `cause` is HubSpot's own refusal of this input's `property`.
fn assert_rejected_for(index: usize, cause: &FailureCause, property: &str) {
    let FailureCause::Rejected(error) = cause else {
        panic!("input {index}: HubSpot's refusal as its own error, got {cause:?}");
    };
    assert!(
        error.invalid_properties().contains(&property)
            || error
                .message
                .as_deref()
                .is_some_and(|m| m.contains(property)),
        "input {index}: the refusal names {property}: {error:?}"
    );
}

/// Exactly-once creates of leads: 5% exist already, 1% carry a refused label.
async fn unique_creates(sandbox: &Sandbox, client: &Client, faults: bool) -> usize {
    let contact = sandbox.seed_contact(json!({"email": "ada@example.com"}));
    let mut existing = HashMap::new();
    for i in (0..N).filter(|&i| already_exists(i)) {
        let id = sandbox.seed_object(
            "leads",
            json!({"hs_lead_name": format!("Existing {i}"), EXTERNAL_ID: ext(i)}),
        );
        existing.insert(ext(i), id);
    }
    let leads = client.leads();
    let inputs = (0..N)
        .map(|i| {
            let lead = leads
                .new_lead(format!("Lead {i}"))
                .contact(&contact)
                .property(EXTERNAL_ID, ext(i));
            let lead = if is_invalid(i) {
                lead.label(BAD_LABEL)
            } else {
                lead
            };
            lead.into_new_record()
        })
        .collect();
    let before = object_requests(sandbox, "leads");

    let result = leads
        .unique_by(EXTERNAL_ID)
        .options(
            UniqueOptions::new()
                .bulk(bulk())
                .index_delay(Duration::from_millis(50))
                // Refused whole, a bad input is found only by a path of about 7 requests
                // with no fault on it; at this fault rate a few take 8 rounds.
                .max_rounds(12),
        )
        .create(inputs)
        .await
        .expect("the run completes");
    let requests = object_requests(sandbox, "leads") - before;
    println!("unique creates: {} rounds", result.rounds);

    let stored = stored_by_ext(&leads, &[EXTERNAL_ID, "hs_lead_name"]).await;
    for (i, outcome) in result.outcomes.iter().enumerate() {
        let key = ext(i);
        match outcome {
            UniqueOutcome::AlreadyExisted(record) if already_exists(i) => {
                assert_eq!(record.id, existing[&key], "input {i}: the seeded record");
                let held = &stored[&key];
                assert_eq!(held.len(), 1, "input {i}: not created again");
                assert_eq!(
                    held[0].property("hs_lead_name"),
                    Some(format!("Existing {i}").as_str())
                );
            }
            UniqueOutcome::Failed(failure) if is_invalid(i) => {
                assert_rejected_for(i, &failure.cause, "hs_lead_label");
                assert!(!failure.may_exist, "input {i}: refused, so never created");
                assert!(!stored.contains_key(&key), "input {i}: nothing written");
            }
            UniqueOutcome::Created(record) if !already_exists(i) && !is_invalid(i) => {
                let held = &stored[&key];
                assert_eq!(held.len(), 1, "input {i}: created once");
                assert_eq!(held[0].id, record.id);
            }
            other => panic!("input {i}: unexpected {other:?}"),
        }
    }
    assert_eq!(
        stored.len(),
        N - N / 100,
        "no record without an input either"
    );
    if !faults {
        // Per request of 100 with c taken ids and k refused values: at most 1 + 2·c + 2·k·7
        // creates and reads (a read of the record each 409 names, then the rest), plus the
        // reads by record id of the ids answered per input.
        let bound = (N / 100) * (1 + 2 * 5 + 2 * 7) + N / 20 / 100;
        assert!(requests <= bound, "{requests} requests, bound {bound}");
    }
    assert_eq!(result.already_existed().count(), N / 20);
    assert_eq!(result.failed().count(), N / 100);
    requests
}

/// Updates of existing leads, 1% with a refused label.
async fn updates(sandbox: &Sandbox, client: &Client, faults: bool) -> usize {
    let contact = sandbox.seed_contact(json!({"email": "grace@example.com"}));
    let ids = sandbox.seed_leads(&contact, N);
    let updates = ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let label = if is_invalid(i) {
                BAD_LABEL
            } else {
                "CONNECTED"
            };
            RecordUpdate::new(id.clone()).property("hs_lead_label", label)
        })
        .collect();
    let before = object_requests(sandbox, "leads");

    let result = client
        .leads()
        .bulk(bulk())
        .update(updates)
        .await
        .expect("the run completes");
    let requests = object_requests(sandbox, "leads") - before;

    let mut labels = HashMap::new();
    let read: Vec<Record> = client
        .leads()
        .list_stream(
            ReadOptions::new().properties(["hs_lead_label"]),
            StreamOptions::new(),
        )
        .try_collect()
        .await
        .unwrap();
    for record in read {
        labels.insert(
            record.id.clone(),
            record.property("hs_lead_label").map(str::to_owned),
        );
    }
    for (i, outcome) in result.outcomes.iter().enumerate() {
        if is_invalid(i) {
            let failure = outcome
                .failed()
                .unwrap_or_else(|| panic!("update {i} is refused"));
            assert_rejected_for(i, &failure.cause, "hs_lead_label");
            assert_eq!(labels[&ids[i]], None, "update {i}: nothing written");
        } else {
            let record = outcome
                .succeeded()
                .unwrap_or_else(|| panic!("update {i} is written: {:?}", outcome.failed()));
            assert_eq!(record.id, ids[i]);
            assert_eq!(labels[&ids[i]].as_deref(), Some("CONNECTED"), "update {i}");
        }
    }
    if !faults {
        let bound = (N / 100) * (1 + 2 * 7);
        assert!(requests <= bound, "{requests} requests, bound {bound}");
    }
    requests
}

/// Upserts of contacts by external id, half of them new, 1% with a refused email.
async fn upserts(sandbox: &Sandbox, client: &Client, faults: bool) -> usize {
    for i in (0..N).step_by(2) {
        sandbox.seed_object(
            "contacts",
            json!({EXTERNAL_ID: ext(i), "firstname": "Before"}),
        );
    }
    let upserts = (0..N)
        .map(|i| {
            let update = RecordUpdate::new(ext(i))
                .id_property(EXTERNAL_ID)
                .property("firstname", format!("Upserted {i}"));
            if is_invalid(i) {
                update.property("email", BAD_EMAIL)
            } else {
                update
            }
        })
        .collect();
    let contacts = client.objects::<Contact>();
    let before = object_requests(sandbox, "contacts");

    let result = contacts
        .bulk(bulk())
        .upsert(upserts)
        .await
        .expect("the run completes");
    let requests = object_requests(sandbox, "contacts") - before;

    let stored = stored_by_ext(&contacts, &[EXTERNAL_ID, "firstname"]).await;
    for (i, outcome) in result.outcomes.iter().enumerate() {
        let held = stored.get(&ext(i));
        if is_invalid(i) {
            let failure = outcome
                .failed()
                .unwrap_or_else(|| panic!("upsert {i} is refused"));
            assert_rejected_for(i, &failure.cause, "email");
            match held {
                // Existed: left as it was.
                Some(records) => assert_eq!(records[0].property("firstname"), Some("Before")),
                None => assert!(i % 2 == 1, "upsert {i}: the existing contact is kept"),
            }
        } else {
            assert!(
                outcome.succeeded().is_some(),
                "upsert {i}: {:?}",
                outcome.failed()
            );
            let records = held.unwrap_or_else(|| panic!("upsert {i} is stored"));
            assert_eq!(records.len(), 1, "upsert {i}: one contact");
            assert_eq!(
                records[0].property("firstname"),
                Some(format!("Upserted {i}").as_str())
            );
        }
    }
    if !faults {
        let bound = (N / 100) * (1 + 2 * 7);
        assert!(requests <= bound, "{requests} requests, bound {bound}");
    }
    requests
}

async fn run(reading: PartialSuccess, faults: bool) {
    let sandbox = sandbox(config(reading, faults)).await;
    let client = client(&sandbox);
    let creates = unique_creates(&sandbox, &client, faults).await;
    let updated = updates(&sandbox, &client, faults).await;
    let upserted = upserts(&sandbox, &client, faults).await;
    println!(
        "{reading:?}, faults {faults}: {creates} requests for {N} unique creates, {updated} for {N} updates, {upserted} for {N} upserts"
    );
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_whole_every_valid_input_is_written_once_and_every_bad_one_named() {
    run(PartialSuccess::Never, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answered_per_traced_input_every_valid_input_is_written_once_and_every_bad_one_named() {
    run(PartialSuccess::TracedWrites, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn creates_per_input_and_other_writes_refused_whole_as_by_default() {
    run(PartialSuccess::default(), false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_whole_through_faults_every_valid_input_is_written_once() {
    run(PartialSuccess::Never, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answered_per_traced_input_through_faults_every_valid_input_is_written_once() {
    run(PartialSuccess::TracedWrites, true).await;
}
