//! Batches end to end: a bulk create of one request answered 207, and bulk operations of any
//! size split into requests of at most 100 with every input accounted for.

use hubspot_crm::{
    Error, FailureCause, NewRecord, ReadOptions, RecordUpdate, lead_properties as p,
};
use hubspot_sandbox::SandboxConfig;

use crate::common::{client, create_contact, lead_input, lead_name_counts, requests_to, sandbox};

const BATCH_CREATE: &str = "/crm/v3/objects/leads/batch/create";

#[tokio::test]
async fn a_207_ties_each_error_to_its_input_by_trace_id() {
    let sandbox = sandbox(SandboxConfig::new()).await;
    let client = client(&sandbox);
    let leads = client.leads();
    let contact = create_contact(&client, "ada@example.com").await;

    // Only HubSpot knows which properties and options exist and which contacts: the client
    // lets these through, the sandbox rejects them one by one.
    let inputs: Vec<NewRecord> = vec![
        leads
            .new_lead("Good A")
            .contact(&contact)
            .trace_id("trace-a")
            .into(),
        leads
            .new_lead("Unknown property")
            .contact(&contact)
            .property("no_such_property", "x")
            .trace_id("trace-b")
            .into(),
        leads
            .new_lead("Good C")
            .contact(&contact)
            .trace_id("trace-c")
            .into(),
        leads
            .new_lead("Unknown option")
            .contact(&contact)
            .label("LUKEWARM")
            .trace_id("trace-d")
            .into(),
        leads
            .new_lead("Missing contact")
            .contact("123456789")
            .trace_id("trace-e")
            .into(),
    ];
    let result = leads.create_many(inputs).await.unwrap();
    // Five inputs: one request, answered 207.
    assert_eq!(requests_to(&sandbox, "POST", BATCH_CREATE), 1);
    assert_eq!(result.outcomes.len(), 5);
    assert!(result.unmatched_results.is_empty() && result.unmatched_errors.is_empty());

    let created: Vec<(usize, Option<&str>, Option<&str>)> = result
        .outcomes
        .iter()
        .enumerate()
        .filter_map(|(i, o)| o.succeeded().map(|r| (i, r)))
        .map(|(i, r)| {
            (
                i,
                r.object_write_trace_id.as_deref(),
                r.property(p::HS_LEAD_NAME),
            )
        })
        .collect();
    assert_eq!(
        created,
        [
            (0, Some("trace-a"), Some("Good A")),
            (2, Some("trace-c"), Some("Good C"))
        ]
    );

    let failed: Vec<usize> = result.failed().map(|f| f.index).collect();
    assert_eq!(failed, [1, 3, 4], "{:?}", result.outcomes);
    // Each input's rejection is HubSpot's error naming that input's trace id.
    let error_for = |index: usize, trace: &str| {
        let failure = result.outcomes[index]
            .failed()
            .unwrap_or_else(|| panic!("item {index} failed"));
        assert_eq!(failure.input.object_write_trace_id.as_deref(), Some(trace));
        assert!(!failure.may_have_been_applied());
        let FailureCause::Rejected(error) = &failure.cause else {
            panic!(
                "item {index}: expected HubSpot's rejection, got {}",
                failure.cause
            );
        };
        assert_eq!(
            error.context.get("objectWriteTraceId"),
            Some(&vec![trace.to_owned()]),
            "one error for {trace}: {error:?}"
        );
        assert_eq!(error.status, 207, "the status of the batch answer");
        assert_eq!(error.item_status.as_deref(), Some("error"));
        error.clone()
    };
    let unknown = error_for(1, "trace-b");
    assert_eq!(unknown.category.as_deref(), Some("VALIDATION_ERROR"));
    assert_eq!(
        unknown.errors[0].code.as_deref(),
        Some("PROPERTY_DOESNT_EXIST")
    );
    assert_eq!(
        unknown.errors[0].context.get("propertyName"),
        Some(&vec!["no_such_property".to_owned()])
    );
    let option = error_for(3, "trace-d");
    assert_eq!(option.errors[0].code.as_deref(), Some("INVALID_OPTION"));
    assert!(
        option
            .message
            .as_deref()
            .unwrap_or_default()
            .contains("LUKEWARM")
    );
    let missing = error_for(4, "trace-e");
    assert_eq!(
        missing.errors[0].code.as_deref(),
        Some("ASSOCIATION_TARGET_NOT_FOUND")
    );

    let names = lead_name_counts(&client).await;
    assert_eq!(
        names.into_iter().collect::<Vec<_>>(),
        [("Good A".to_owned(), 1), ("Good C".to_owned(), 1)]
    );
}

#[tokio::test]
async fn a_bulk_create_over_100_is_split_at_hubspots_cap() {
    let sandbox = sandbox(SandboxConfig::new()).await;
    let client = client(&sandbox);
    let contact = create_contact(&client, "ada@example.com").await;
    let inputs: Vec<NewRecord> = (0..101)
        .map(|i| lead_input(&format!("Lead {i}"), &contact))
        .collect();
    let sent = sandbox.request_count();
    // The sandbox refuses a batch of more than 100 inputs with a 400, as HubSpot does: every
    // input confirmed means no request went over the cap.
    let result = client.leads().create_many(inputs).await.unwrap();
    assert_eq!(requests_to(&sandbox, "POST", BATCH_CREATE), 2);
    assert_eq!(sandbox.request_count(), sent + 2);
    assert!(result.is_complete_success(), "{:?}", result.failed().next());
    assert_eq!(result.outcomes.len(), 101);
    assert_eq!(lead_name_counts(&client).await.len(), 101);
}

#[tokio::test]
async fn an_invalid_input_of_a_bulk_create_is_refused_before_sending() {
    let sandbox = sandbox(SandboxConfig::new()).await;
    let client = client(&sandbox);
    let contact = create_contact(&client, "ada@example.com").await;
    let mut inputs: Vec<NewRecord> = (0..101)
        .map(|i| lead_input(&format!("Lead {i}"), &contact))
        .collect();
    inputs[100].associations.clear();
    let sent = sandbox.request_count();
    let error = client.leads().create_many(inputs).await.unwrap_err();
    let Error::Validation(e) = error else {
        panic!("expected a validation error, got {error:?}");
    };
    assert_eq!((e.item, e.field.as_str()), (Some(100), "associations"));
    assert_eq!(sandbox.request_count(), sent);
}

#[tokio::test]
async fn create_many_sends_250_leads_in_three_requests_all_confirmed() {
    let sandbox = sandbox(SandboxConfig::new()).await;
    let client = client(&sandbox);
    let contact = create_contact(&client, "ada@example.com").await;
    let names: Vec<String> = (0..250).map(|i| format!("Bulk lead {i:03}")).collect();
    let inputs = names.iter().map(|n| lead_input(n, &contact)).collect();

    let result = client.leads().create_many(inputs).await.unwrap();
    assert_eq!(requests_to(&sandbox, "POST", BATCH_CREATE), 3);
    assert!(result.is_complete_success());
    assert!(result.unmatched_results.is_empty() && result.unmatched_errors.is_empty());
    let created: Vec<&str> = result
        .succeeded()
        .map(|r| r.property(p::HS_LEAD_NAME).unwrap())
        .collect();
    assert_eq!(created, names, "outcomes come back in input order");

    let counts = lead_name_counts(&client).await;
    assert_eq!(counts.len(), 250);
    assert!(names.iter().all(|n| counts.get(n) == Some(&1)));
}

#[tokio::test]
async fn create_many_reports_rejected_items_at_their_positions() {
    let sandbox = sandbox(SandboxConfig::new()).await;
    let client = client(&sandbox);
    let contact = create_contact(&client, "ada@example.com").await;
    let mut inputs: Vec<NewRecord> = (0..150)
        .map(|i| lead_input(&format!("Lead {i}"), &contact))
        .collect();
    for bad in [7, 120] {
        inputs[bad]
            .properties
            .insert("no_such_property".to_owned(), "x".to_owned());
    }

    let result = client.leads().create_many(inputs).await.unwrap();
    assert_eq!(requests_to(&sandbox, "POST", BATCH_CREATE), 2);
    assert_eq!(result.outcomes.len(), 150);
    for (i, outcome) in result.outcomes.iter().enumerate() {
        let name = format!("Lead {i}");
        if i == 7 || i == 120 {
            let failure = outcome
                .failed()
                .unwrap_or_else(|| panic!("item {i} failed"));
            assert_eq!(failure.index, i);
            assert_eq!(failure.input.properties[p::HS_LEAD_NAME], name);
            assert!(!failure.may_have_been_applied());
            let FailureCause::Rejected(error) = &failure.cause else {
                panic!("item {i}: {}", failure.cause);
            };
            assert_eq!(error.category.as_deref(), Some("VALIDATION_ERROR"));
            assert_eq!(
                error.errors[0].code.as_deref(),
                Some("PROPERTY_DOESNT_EXIST")
            );
        } else {
            let record = outcome
                .succeeded()
                .unwrap_or_else(|| panic!("item {i} succeeded"));
            assert_eq!(record.property(p::HS_LEAD_NAME), Some(name.as_str()));
        }
    }
    assert!(result.unmatched_results.is_empty() && result.unmatched_errors.is_empty());
    let counts = lead_name_counts(&client).await;
    assert_eq!(counts.len(), 148);
    assert!(!counts.contains_key("Lead 7") && !counts.contains_key("Lead 120"));
}

#[tokio::test]
async fn update_read_and_archive_many_in_requests_of_100() {
    let sandbox = sandbox(SandboxConfig::new()).await;
    let client = client(&sandbox);
    let leads = client.leads();
    let contact = sandbox.seed_contact(serde_json::json!({"email": "ada@example.com"}));
    let ids = sandbox.seed_leads(&contact, 250);

    let updates: Vec<RecordUpdate> = ids
        .iter()
        .map(|id| RecordUpdate::new(id.clone()).property(p::HS_LEAD_LABEL, "HOT"))
        .collect();
    let updated = leads.update_many(updates).await.unwrap();
    assert_eq!(
        requests_to(&sandbox, "POST", "/crm/v3/objects/leads/batch/update"),
        3
    );
    assert!(updated.is_complete_success());

    // One id that does not exist: only that item fails.
    let mut wanted = ids.clone();
    wanted.push("999999999".to_owned());
    let read = leads
        .read_many(wanted, &ReadOptions::new().properties([p::HS_LEAD_LABEL]))
        .await
        .unwrap();
    assert_eq!(
        requests_to(&sandbox, "POST", "/crm/v3/objects/leads/batch/read"),
        3
    );
    assert_eq!(read.succeeded().count(), 250);
    for (outcome, id) in read.outcomes.iter().zip(&ids) {
        let record = outcome.succeeded().unwrap();
        assert_eq!(&record.id, id);
        assert_eq!(record.property(p::HS_LEAD_LABEL), Some("HOT"));
    }
    let missing = read.outcomes[250].failed().expect("the unknown id fails");
    assert_eq!(missing.input, "999999999");
    let FailureCause::Rejected(error) = &missing.cause else {
        panic!("{}", missing.cause);
    };
    assert_eq!(error.category.as_deref(), Some("OBJECT_NOT_FOUND"));

    let archived = leads.archive_many(ids.clone()).await.unwrap();
    assert_eq!(
        requests_to(&sandbox, "POST", "/crm/v3/objects/leads/batch/archive"),
        3
    );
    assert!(archived.is_complete_success());
    assert!(lead_name_counts(&client).await.is_empty());
}
