//! Bad input is rejected before anything is sent, and every value put into a path stays one segment.
//!
//! Each test points a client at a mock server whose catch-all answers anything, and asserts
//! that the catch-all saw no request: the checks run before the first request, also for a
//! bulk call whose bad input comes after several requests' worth of good ones.

use httpmock::prelude::*;
use hubspot_crm::api::shared::{AssociationSpec, AssociationSpecAssociationCategory};
use hubspot_crm::{
    AssociationCategory, AssociationInput, AssociationRemoval, AssociationType, Filter,
    FilterGroup, NewRecord, Operator, ReadOptions, RecordUpdate, SearchRequest, Sort,
    StreamOptions,
};
use hubspot_crm_mock::association_labels::operations as labels_mock;
use hubspot_crm_mock::leads::operations::{BatchReadWhen, GetThen, GetWhen};
use hubspot_crm_mock::properties::operations as properties_mock;
use serde_json::{Value, json};

use futures::StreamExt;

use crate::support::{
    catch_all, client, expect_validation, json_response, new_lead, record_json, request_json,
};

/// Values of a unique property that would leave their path segment: `\` becomes `/` in the
/// URL parser, which then resolves the dot segments (`%2e` is a dot too).
const ESCAPING_IDS: &[&str] = &[
    "x\\..\\..\\deals\\123",
    "..",
    ".",
    "%2e%2e",
    ".%2E",
    "%252e%252e",
    "a/../../deals/1",
    "x%2F..%2Fdeals",
    "a?archived=true",
    "a#b",
    "line\nbreak",
];

/// A generated type read from the JSON a test spells out.
fn typed<T: serde::de::DeserializeOwned>(json: Value) -> T {
    serde_json::from_value(json).unwrap()
}

/// The updates of `n` leads by id, starting at 1001, each setting a label.
fn updates(n: usize) -> Vec<RecordUpdate> {
    (0..n)
        .map(|i| RecordUpdate::new((1001 + i).to_string()).property("hs_lead_label", "WARM"))
        .collect()
}

/// Many valid leads to create: more than two requests' worth.
fn new_leads(n: usize) -> Vec<NewRecord> {
    (0..n)
        .map(|i| new_lead(&format!("Lead {i}"), None))
        .collect()
}

// ---- 1. Path values ----------------------------------------------------------------------

#[tokio::test]
async fn an_id_property_value_with_dot_segments_is_rejected_before_sending() {
    let server = MockServer::start_async().await;
    let any = catch_all(&server).await;
    let leads = client(&server).leads();
    let by_email = ReadOptions::new().id_property("email");
    for id in ESCAPING_IDS {
        let e = expect_validation(leads.get_with(id, &by_email).await);
        assert_eq!((e.item, e.field.as_str()), (None, "id"), "get {id:?}: {e}");
        let update = RecordUpdate::new(*id)
            .id_property("email")
            .property("hs_lead_label", "WARM");
        let e = expect_validation(leads.update(update).await);
        assert_eq!(e.field, "id", "update {id:?}: {e}");
    }
    let e = expect_validation(leads.get_with("x\\..\\..\\deals\\123", &by_email).await);
    assert!(e.reason.contains("path segment"), "{e}");
    let e = expect_validation(leads.get_with("%2e%2e", &by_email).await);
    assert!(e.reason.contains("percent-decodes"), "{e}");
    any.assert_calls_async(0).await;
}

#[tokio::test]
async fn an_id_property_value_that_stays_one_segment_is_sent_encoded() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            // The path stays pinned literally too: the typed id is a regex, where `.` is any
            // character.
            GetWhen::new(when)
                .leads_id(&"a.b%20c@example.com".parse().unwrap())
                .id_property("email")
                .into_inner()
                .path("/crm/v3/objects/leads/a.b%20c@example.com");
            GetThen::new(then).success(200, &typed(record_json("7", json!({}))));
        })
        .await;
    let record = client(&server)
        .leads()
        .get_with(
            "a.b c@example.com",
            &ReadOptions::new().id_property("email"),
        )
        .await
        .unwrap();
    assert_eq!(record.id, "7");
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn a_property_name_with_dot_segments_is_rejected_before_sending() {
    let server = MockServer::start_async().await;
    let any = catch_all(&server).await;
    let properties = client(&server).properties();
    for name in [
        "..\\..\\objects\\deals",
        "..",
        "%2e%2e",
        "hs_lead_name/..",
        "a?b",
    ] {
        let e = expect_validation(properties.get("leads", name).await);
        assert_eq!(e.field, "propertyName", "{name:?}: {e}");
    }
    // Not a path hazard, but never a property name either.
    let e = expect_validation(properties.get("leads", "hs_lead_name,hs_lead_label").await);
    assert_eq!(e.field, "propertyName");
    any.assert_calls_async(0).await;
}

#[tokio::test]
async fn object_types_outside_hubspots_names_and_ids_are_rejected_before_sending() {
    let server = MockServer::start_async().await;
    let any = catch_all(&server).await;
    let client = client(&server);
    // Each passed the old character check (letters, digits, `_`, `-`).
    for object_type in [
        "-", "--", "3-7", "0-01", "2-", "_deals", "9lives", "p-custom",
    ] {
        let e = expect_validation(client.objects_of(object_type));
        assert_eq!(e.field, "objectType", "{object_type:?}");
        let e = expect_validation(client.properties().list(object_type).await);
        assert_eq!(e.field, "objectType", "{object_type:?}");
        let e = expect_validation(client.associations().labels("leads", object_type).await);
        assert_eq!(e.field, "toObjectType", "{object_type:?}");
        let e = expect_validation(
            client
                .associations()
                .list_page(object_type, "1", "contacts", None, None)
                .await,
        );
        assert_eq!(e.field, "objectType", "{object_type:?}");
    }
    for object_type in ["deals", "p_machines", "p12345_machines", "0-3", "2-1234567"] {
        client.objects_of(object_type).unwrap();
    }
    any.assert_calls_async(0).await;
}

// ---- 2. Bad input that used to be sent -----------------------------------------------------

#[tokio::test]
async fn an_in_filter_with_more_than_100_values_is_rejected_before_sending() {
    let server = MockServer::start_async().await;
    let any = catch_all(&server).await;
    let leads = client(&server).leads();
    for filter in [
        Filter::is_in("hs_lead_label", (0..101).map(|i| format!("L{i}"))),
        Filter::not_in("hs_lead_label", (0..150).map(|i| format!("L{i}"))),
    ] {
        let search = SearchRequest::new()
            .filter(Filter::eq("hs_lead_type", "NEW_BUSINESS"))
            .filter_group(FilterGroup::new([
                Filter::has_property("hs_lead_name"),
                filter,
            ]));
        let e = expect_validation(leads.search_page(&search).await);
        assert_eq!(e.field, "filterGroups[1].filters[1].values");
        assert!(e.reason.contains("100"), "{e}");
    }
    any.assert_calls_async(0).await;
}

#[tokio::test]
async fn a_blank_sort_property_is_rejected_before_sending() {
    let server = MockServer::start_async().await;
    let any = catch_all(&server).await;
    let leads = client(&server).leads();
    for property in ["", "  ", "hs lead name"] {
        let search = SearchRequest::new().sort(Sort::descending(property));
        let e = expect_validation(leads.search_page(&search).await);
        assert_eq!(e.field, "sorts[0].propertyName", "{property:?}");
        let mut stream = leads.search_stream(search, None);
        let e = expect_validation(stream.next().await.unwrap());
        assert_eq!(e.field, "sorts[0].propertyName");
    }
    any.assert_calls_async(0).await;
}

#[tokio::test]
async fn a_search_page_after_that_is_not_an_offset_is_rejected_before_sending() {
    let server = MockServer::start_async().await;
    let any = catch_all(&server).await;
    let leads = client(&server).leads();
    for after in ["NTI1Cg==", "-100", "1e3", " 200"] {
        let e = expect_validation(leads.search_page(&SearchRequest::new().after(after)).await);
        assert_eq!(e.field, "after", "{after:?}");
    }
    any.assert_calls_async(0).await;
}

#[tokio::test]
async fn a_search_page_at_or_past_the_10000_result_window_is_rejected_before_sending() {
    let server = MockServer::start_async().await;
    let any = catch_all(&server).await;
    let leads = client(&server).leads();
    for after in ["10000", "10200", "99999999999999999999999"] {
        let e = expect_validation(leads.search_page(&SearchRequest::new().after(after)).await);
        assert_eq!(e.field, "after", "{after:?}");
        assert!(e.reason.contains("10000"), "{e}");
    }
    any.assert_calls_async(0).await;
}

#[tokio::test]
async fn a_comma_in_a_property_name_is_rejected_before_it_splits_the_list() {
    let server = MockServer::start_async().await;
    let any = catch_all(&server).await;
    let leads = client(&server).leads();
    let joined = "hs_lead_name,hs_lead_label";
    let cases = [
        (
            ReadOptions::new().properties(["hs_pipeline", joined]),
            "properties[1]",
        ),
        (
            ReadOptions::new().properties_with_history([joined]),
            "propertiesWithHistory[0]",
        ),
        (
            ReadOptions::new().associations(["contacts,companies"]),
            "associations[0]",
        ),
        (
            ReadOptions::new().properties(["Lead name"]),
            "properties[0]",
        ),
        (
            ReadOptions::new().properties(["hs-lead-name"]),
            "properties[0]",
        ),
    ];
    for (options, field) in &cases {
        let e = expect_validation(leads.get_with("1001", options).await);
        assert_eq!(e.field, *field, "get {options:?}");
        let e = expect_validation(leads.list_page(options, Some(10), None).await);
        assert_eq!(e.field, *field, "list {options:?}");
    }
    let e = expect_validation(
        leads
            .read_many(["1001"], &ReadOptions::new().properties([joined]))
            .await,
    );
    assert_eq!(e.field, "properties[0]");
    let e = expect_validation(
        leads
            .search_page(&SearchRequest::new().properties(["hs_lead_name", joined]))
            .await,
    );
    assert_eq!(e.field, "properties[1]");
    let e = expect_validation(
        leads
            .create(new_lead("Acme", None).property("hs_lead_label,hs_lead_type", "WARM"))
            .await,
    );
    assert_eq!(e.field, "properties");
    let e = expect_validation(
        leads
            .update(RecordUpdate::new("1001").property("hs lead label", "WARM"))
            .await,
    );
    assert_eq!(e.field, "properties");
    any.assert_calls_async(0).await;
}

#[tokio::test]
async fn blank_names_in_read_and_search_lists_are_rejected_before_sending() {
    let server = MockServer::start_async().await;
    let any = catch_all(&server).await;
    let leads = client(&server).leads();
    let cases = [
        (
            ReadOptions::new().properties(["hs_lead_name", ""]),
            "properties[1]",
        ),
        (
            ReadOptions::new().properties_with_history([" "]),
            "propertiesWithHistory[0]",
        ),
        (
            ReadOptions::new().associations(["contacts", ""]),
            "associations[1]",
        ),
    ];
    for (options, field) in &cases {
        let e = expect_validation(leads.get_with("1001", options).await);
        assert_eq!(e.field, *field, "get {options:?}");
        let e = expect_validation(leads.list_page(options, None, None).await);
        assert_eq!(e.field, *field, "list {options:?}");
        let mut stream = leads.list_stream(options.clone(), StreamOptions::new());
        let e = expect_validation(stream.next().await.unwrap());
        assert_eq!(e.field, *field, "list stream {options:?}");
    }
    for (options, field) in &cases[..2] {
        let e = expect_validation(leads.read_many(["1001", "1002"], options).await);
        assert_eq!(e.field, *field, "read_many {options:?}");
    }
    let e = expect_validation(
        leads
            .search_page(&SearchRequest::new().properties(["hs_lead_name", " "]))
            .await,
    );
    assert_eq!(e.field, "properties[1]");
    let mut stream = leads.search_stream(SearchRequest::new().properties([""]), None);
    assert_eq!(
        expect_validation(stream.next().await.unwrap()).field,
        "properties[0]"
    );
    any.assert_calls_async(0).await;
}

#[tokio::test]
async fn create_time_association_type_ids_of_zero_or_less_are_rejected_before_sending() {
    let server = MockServer::start_async().await;
    let any = catch_all(&server).await;
    let leads = client(&server).leads();
    for type_id in [0, -578] {
        let lead = new_lead("Acme", None).associate("77", AssociationType::hubspot(type_id));
        let e = expect_validation(leads.create(lead.clone()).await);
        assert_eq!(e.field, "associations[1].types[0].associationTypeId");
        // Set through the generated input too.
        let mut raw = new_lead("Acme", None);
        raw.associations[0].types.push(AssociationSpec {
            association_category: AssociationSpecAssociationCategory::UserDefined,
            association_type_id: type_id,
        });
        let e = expect_validation(leads.create(raw).await);
        assert_eq!(e.field, "associations[0].types[1].associationTypeId");
        // In a bulk create, late in the input: nothing at all is sent.
        let mut inputs = new_leads(250);
        inputs[240] = lead;
        let e = expect_validation(leads.create_many(inputs).await);
        assert_eq!(
            (e.item, e.field.as_str()),
            (Some(240), "associations[1].types[0].associationTypeId")
        );
    }
    let mut no_types = new_lead("Acme", None);
    no_types.associations[0].types.clear();
    let e = expect_validation(leads.create(no_types).await);
    assert_eq!(e.field, "associations[0].types");
    any.assert_calls_async(0).await;
}

#[tokio::test]
async fn an_unsendable_category_fails_a_whole_bulk_create_before_its_first_request() {
    let server = MockServer::start_async().await;
    let any = catch_all(&server).await;
    let leads = client(&server).leads();
    let other = AssociationType {
        category: AssociationCategory::Other("PARTNER_DEFINED".into()),
        type_id: 4001,
    };
    let mut inputs = new_leads(250);
    inputs[230] = new_lead("Odd", None).associate("77", other);
    let e = expect_validation(leads.create_many(inputs).await);
    assert_eq!(
        (e.item, e.field.as_str()),
        (Some(230), "associations[1].types[0].associationCategory")
    );
    any.assert_calls_async(0).await;
}

#[tokio::test]
async fn a_v4_association_category_that_is_not_one_is_rejected_before_sending() {
    let server = MockServer::start_async().await;
    let any = catch_all(&server).await;
    let associations = client(&server).associations();
    for category in ["", "user defined", "hubspot_defined"] {
        let t = AssociationType {
            category: AssociationCategory::Other(category.into()),
            type_id: 37,
        };
        let e = expect_validation(
            associations
                .associate("leads", "1", "companies", "2", std::slice::from_ref(&t))
                .await,
        );
        assert_eq!(e.field, "types[0].associationCategory", "{category:?}");
        let e = expect_validation(
            associations
                .batch_create(
                    "leads",
                    "companies",
                    &[AssociationInput::new("1", "2", [t])],
                )
                .await,
        );
        assert_eq!(
            (e.item, e.field.as_str()),
            (Some(0), "types[0].associationCategory")
        );
    }
    any.assert_calls_async(0).await;
}

#[tokio::test]
async fn a_blank_property_name_in_a_single_update_is_rejected_before_sending() {
    let server = MockServer::start_async().await;
    let any = catch_all(&server).await;
    let leads = client(&server).leads();
    for name in ["", "  "] {
        let update = RecordUpdate::new("1001")
            .property("hs_lead_label", "WARM")
            .property(name, "x");
        let e = expect_validation(leads.update(update).await);
        assert_eq!(e.field, "properties", "{name:?}");
        assert!(e.reason.contains("blank"), "{e}");
    }
    any.assert_calls_async(0).await;
}

#[tokio::test]
async fn duplicate_ids_in_batch_read_update_upsert_and_archive_are_rejected_before_sending() {
    let server = MockServer::start_async().await;
    let any = catch_all(&server).await;
    let leads = client(&server).leads();
    let mut ids: Vec<String> = (1001..1251).map(|id| id.to_string()).collect();
    ids[210] = "1005".into();
    let e = expect_validation(leads.read_many(ids.clone(), &ReadOptions::new()).await);
    assert_eq!((e.item, e.field.as_str()), (Some(210), "id"));
    let e = expect_validation(leads.archive_many(ids).await);
    assert_eq!((e.item, e.field.as_str()), (Some(210), "id"));

    let mut changes = updates(250);
    changes[220] = RecordUpdate::new("1003").property("hs_lead_label", "COLD");
    let e = expect_validation(leads.update_many(changes).await);
    assert_eq!((e.item, e.field.as_str()), (Some(220), "id"));

    // Unique property values compare without case, as HubSpot compares emails.
    let by_email = |email: &str| {
        RecordUpdate::new(email)
            .id_property("email")
            .property("firstname", "A")
    };
    let mut upserts: Vec<RecordUpdate> = (0..150)
        .map(|i| by_email(&format!("user{i}@example.com")))
        .collect();
    upserts[120] = by_email("USER7@example.com");
    let e = expect_validation(client(&server).contacts().upsert_many(upserts).await);
    assert_eq!((e.item, e.field.as_str()), (Some(120), "id"));
    assert!(e.reason.contains("item 7"), "{e}");

    let by_key = ReadOptions::new()
        .id_property("email")
        .properties(["email"]);
    let e = expect_validation(
        client(&server)
            .contacts()
            .read_many(["a@example.com", "b@example.com", "A@example.com"], &by_key)
            .await,
    );
    assert_eq!((e.item, e.field.as_str()), (Some(2), "id"));
    any.assert_calls_async(0).await;
}

#[tokio::test]
async fn blank_trace_ids_are_rejected_before_sending() {
    let server = MockServer::start_async().await;
    let any = catch_all(&server).await;
    let leads = client(&server).leads();
    for trace in ["", "  "] {
        let mut inputs = new_leads(150);
        inputs[130] = new_lead("Traced", Some(trace));
        let e = expect_validation(leads.create_many(inputs).await);
        assert_eq!(
            (e.item, e.field.as_str()),
            (Some(130), "objectWriteTraceId")
        );

        let mut changes = updates(150);
        changes[140] = changes[140].clone().trace_id(trace);
        let e = expect_validation(leads.update_many(changes).await);
        assert_eq!(
            (e.item, e.field.as_str()),
            (Some(140), "objectWriteTraceId")
        );

        let upserts = vec![
            RecordUpdate::new("a@example.com")
                .id_property("email")
                .property("firstname", "A")
                .trace_id(trace),
        ];
        let e = expect_validation(client(&server).contacts().upsert_many(upserts).await);
        assert_eq!((e.item, e.field.as_str()), (Some(0), "objectWriteTraceId"));
    }
    any.assert_calls_async(0).await;
}

#[tokio::test]
async fn a_bulk_upsert_without_id_property_is_rejected_before_sending() {
    let server = MockServer::start_async().await;
    let any = catch_all(&server).await;
    let mut upserts: Vec<RecordUpdate> = (0..150)
        .map(|i| {
            RecordUpdate::new(format!("user{i}@example.com"))
                .id_property("email")
                .property("firstname", "A")
        })
        .collect();
    upserts[149] = RecordUpdate::new("51").property("firstname", "B");
    let e = expect_validation(client(&server).contacts().upsert_many(upserts).await);
    assert_eq!((e.item, e.field.as_str()), (Some(149), "idProperty"));
    any.assert_calls_async(0).await;
}

#[tokio::test]
async fn a_batch_read_by_id_property_without_properties_is_rejected_before_sending() {
    let server = MockServer::start_async().await;
    let any = catch_all(&server).await;
    let e = expect_validation(
        client(&server)
            .contacts()
            .read_many(["a@example.com"], &ReadOptions::new().id_property("email"))
            .await,
    );
    assert_eq!(e.field, "properties");
    let e = expect_validation(
        client(&server)
            .contacts()
            .read_many(
                ["a@example.com"],
                &ReadOptions::new()
                    .id_property("e mail")
                    .properties(["email"]),
            )
            .await,
    );
    assert_eq!(e.field, "idProperty");
    any.assert_calls_async(0).await;
}

#[tokio::test]
async fn leading_zero_and_out_of_range_record_ids_are_rejected_before_sending() {
    let server = MockServer::start_async().await;
    let any = catch_all(&server).await;
    let client = client(&server);
    let leads = client.leads();
    for id in [
        "0123",
        "00000000000000000001",
        "18446744073709551616",
        "99999999999999999999",
    ] {
        assert_eq!(expect_validation(leads.get(id).await).field, "id", "{id}");
        assert_eq!(expect_validation(leads.archive(id).await).field, "id");
        let e = expect_validation(leads.archive_many(["1001", id]).await);
        assert_eq!((e.item, e.field.as_str()), (Some(1), "id"));
        let e = expect_validation(
            client
                .associations()
                .associate_default("leads", "1001", "contacts", id)
                .await,
        );
        assert_eq!(e.field, "toObjectId");
        let e = expect_validation(leads.associate_v3(id, "contacts", "51", 608).await);
        assert_eq!(e.field, "leadId");
        let e = expect_validation(
            leads
                .create(new_lead("A", None).associate(id, AssociationType::hubspot(610)))
                .await,
        );
        assert_eq!(e.field, "associations[1].to.id");
    }
    any.assert_calls_async(0).await;
}

#[tokio::test]
async fn a_v4_batch_remove_over_2000_inputs_is_rejected_before_sending() {
    let server = MockServer::start_async().await;
    let any = catch_all(&server).await;
    let inputs: Vec<AssociationRemoval> = (1..=2001)
        .map(|i| AssociationRemoval::new(i.to_string(), ["51"]))
        .collect();
    let e = expect_validation(
        client(&server)
            .associations()
            .batch_remove("leads", "contacts", &inputs)
            .await,
    );
    assert_eq!(e.field, "inputs");
    assert!(
        e.reason.contains("2001") && e.reason.contains("2000"),
        "{e}"
    );
    any.assert_calls_async(0).await;
}

#[tokio::test]
async fn duplicate_inputs_in_v4_batches_are_rejected_before_sending() {
    let server = MockServer::start_async().await;
    let any = catch_all(&server).await;
    let associations = client(&server).associations();
    let company = AssociationType::hubspot(610);
    let inputs = [
        AssociationInput::new("1", "77", [company.clone()]),
        AssociationInput::new("2", "77", [company.clone()]),
        AssociationInput::new("1", "77", [AssociationType::hubspot(580)]),
    ];
    let e = expect_validation(
        associations
            .batch_create("leads", "companies", &inputs)
            .await,
    );
    assert_eq!((e.item, e.field.as_str()), (Some(2), "to.id"));
    assert!(e.reason.contains("item 0"), "{e}");

    let e = expect_validation(
        associations
            .batch_read("leads", "companies", ["1", "2", "1"])
            .await,
    );
    assert_eq!((e.item, e.field.as_str()), (Some(2), "id"));

    let across = [
        AssociationRemoval::new("1", ["77", "78"]),
        AssociationRemoval::new("1", ["79", "78"]),
    ];
    let e = expect_validation(
        associations
            .batch_remove("leads", "companies", &across)
            .await,
    );
    assert_eq!((e.item, e.field.as_str()), (Some(1), "to[1].id"));
    let within = [AssociationRemoval::new("1", ["77", "77"])];
    let e = expect_validation(
        associations
            .batch_remove("leads", "companies", &within)
            .await,
    );
    assert_eq!((e.item, e.field.as_str()), (Some(0), "to[1].id"));
    any.assert_calls_async(0).await;
}

#[tokio::test]
async fn an_id_property_on_a_list_page_is_rejected_before_sending() {
    let server = MockServer::start_async().await;
    let any = catch_all(&server).await;
    let leads = client(&server).leads();
    let options = ReadOptions::new().id_property("external_lead_key");
    let e = expect_validation(leads.list_page(&options, Some(10), None).await);
    assert_eq!(e.field, "idProperty");
    let mut stream = leads.list_stream(options, StreamOptions::new());
    assert_eq!(
        expect_validation(stream.next().await.unwrap()).field,
        "idProperty"
    );
    any.assert_calls_async(0).await;
}

#[tokio::test]
async fn a_blank_after_is_rejected_before_sending() {
    let server = MockServer::start_async().await;
    let any = catch_all(&server).await;
    let leads = client(&server).leads();
    for after in ["", " "] {
        let e = expect_validation(
            leads
                .list_page(&ReadOptions::new(), None, Some(after))
                .await,
        );
        assert_eq!(e.field, "after", "{after:?}");
        let e = expect_validation(leads.search_page(&SearchRequest::new().after(after)).await);
        assert_eq!(e.field, "after", "{after:?}");
    }
    any.assert_calls_async(0).await;
}

#[tokio::test]
async fn values_given_to_operators_that_take_none_are_rejected_before_sending() {
    let server = MockServer::start_async().await;
    let any = catch_all(&server).await;
    let leads = client(&server).leads();
    let f = "filterGroups[0].filters[0]";
    let mut eq_with_values = SearchRequest::new().filter(Filter::eq("hs_lead_label", "WARM"));
    eq_with_values.filter_groups[0].filters[0].values = vec!["HOT".into()];
    let mut in_with_high = SearchRequest::new().filter(Filter::is_in("hs_lead_label", ["WARM"]));
    in_with_high.filter_groups[0].filters[0].high_value = Some("Z".into());
    let cases = [
        (
            SearchRequest::new().filter(Filter::compare(
                "hs_lead_label",
                Operator::HasProperty,
                "WARM",
            )),
            format!("{f}.value"),
        ),
        (
            SearchRequest::new().filter(Filter::compare(
                "hs_lead_label",
                Operator::NotHasProperty,
                "",
            )),
            format!("{f}.value"),
        ),
        (
            SearchRequest::new().filter(Filter::compare("hs_lead_label", Operator::In, "WARM")),
            format!("{f}.value"),
        ),
        (
            SearchRequest::new().filter(Filter::compare("hs_lead_label", Operator::NotIn, "WARM")),
            format!("{f}.value"),
        ),
        (eq_with_values, format!("{f}.values")),
        (in_with_high, format!("{f}.highValue")),
    ];
    for (search, field) in &cases {
        let e = expect_validation(leads.search_page(search).await);
        assert_eq!(&e.field, field, "{search:?}");
    }
    let e = expect_validation(leads.search_page(&cases[2].0).await);
    assert!(e.reason.contains("values"), "IN points to `values`: {e}");
    any.assert_calls_async(0).await;
}

#[tokio::test]
async fn a_batch_read_with_history_sends_at_most_50_inputs_per_request() {
    let server = MockServer::start_async().await;
    let batch = server
        .mock_async(|when, then| {
            BatchReadWhen::new(when);
            then.respond_with(|req: &HttpMockRequest| {
                let body = request_json(req);
                let inputs = body["inputs"].as_array().unwrap();
                if inputs.len() > 50 {
                    return json_response(
                        400,
                        &json!({"status": "error", "category": "VALIDATION_ERROR",
                            "message": "At most 50 inputs with propertiesWithHistory"}),
                    );
                }
                let results: Vec<Value> = inputs
                    .iter()
                    .map(|i| record_json(i["id"].as_str().unwrap(), json!({"hs_lead_label": "WARM"})))
                    .collect();
                json_response(
                    200,
                    &json!({"status": "COMPLETE", "results": results,
                        "startedAt": "2026-11-26T10:00:00Z", "completedAt": "2026-11-26T10:00:01Z"}),
                )
            });
        })
        .await;
    let options = ReadOptions::new()
        .properties(["hs_lead_label"])
        .properties_with_history(["hs_lead_label"]);
    let ids: Vec<String> = (2001..=2120).map(|id| id.to_string()).collect();
    let result = client(&server)
        .leads()
        .read_many(ids, &options)
        .await
        .unwrap();
    assert!(result.is_complete_success(), "{:?}", result.failed().next());
    assert_eq!(result.outcomes.len(), 120);
    batch.assert_calls_async(3).await;
}

#[tokio::test]
async fn a_bad_input_late_in_a_bulk_update_fails_it_before_the_first_request() {
    let server = MockServer::start_async().await;
    let any = catch_all(&server).await;
    let leads = client(&server).leads();
    for (bad, field) in [
        (
            RecordUpdate::new("1300").property("hs_lead_label,x", "WARM"),
            "properties",
        ),
        (
            RecordUpdate::new("01300").property("hs_lead_label", "WARM"),
            "id",
        ),
        (RecordUpdate::new("1300"), "properties"),
    ] {
        let mut changes = updates(300);
        changes[299] = bad;
        let e = expect_validation(leads.update_many(changes).await);
        assert_eq!((e.item, e.field.as_str()), (Some(299), field));
    }
    any.assert_calls_async(0).await;
}

// ---- 3. Caches ------------------------------------------------------------------------------

#[tokio::test]
async fn a_failed_label_lookup_is_not_cached() {
    let server = MockServer::start_async().await;
    let leads_to_companies = |when: httpmock::When| {
        labels_mock::ListWhen::new(when)
            .from_object_type("leads")
            .to_object_type("companies")
    };
    let failing = server
        .mock_async(|when, then| {
            leads_to_companies(when);
            labels_mock::ListThen::new(then)
                .into_inner()
                .status(503)
                .body("<html>upstream unavailable</html>");
        })
        .await;
    let client = client(&server);
    assert!(
        client
            .associations()
            .labels("leads", "companies")
            .await
            .is_err()
    );
    failing.assert_calls_async(1).await;
    failing.delete_async().await;
    let working = server
        .mock_async(|when, then| {
            leads_to_companies(when);
            labels_mock::ListThen::new(then).success(
                200,
                &typed(json!({"results": [
                    {"category": "USER_DEFINED", "typeId": 37, "label": "Billing"}
                ]})),
            );
        })
        .await;
    let labels = client
        .associations()
        .labels("leads", "companies")
        .await
        .unwrap();
    assert_eq!(labels.len(), 1);
    client
        .associations()
        .labels("leads", "companies")
        .await
        .unwrap();
    working.assert_calls_async(1).await;
}

#[tokio::test]
async fn a_failed_definitions_lookup_is_not_cached() {
    let server = MockServer::start_async().await;
    let failing = server
        .mock_async(|when, then| {
            properties_mock::ListWhen::new(when).object_type("leads");
            properties_mock::ListThen::new(then)
                .into_inner()
                .status(500);
        })
        .await;
    let properties = client(&server).properties();
    assert!(properties.definitions("leads").await.is_err());
    failing.assert_calls_async(1).await;
    failing.delete_async().await;
    let working = server
        .mock_async(|when, then| {
            properties_mock::ListWhen::new(when).object_type("leads");
            properties_mock::ListThen::new(then).success(200, &typed(json!({"results": []})));
        })
        .await;
    assert!(properties.definitions("leads").await.unwrap().is_empty());
    properties.definitions("leads").await.unwrap();
    working.assert_calls_async(1).await;
}

#[tokio::test]
async fn the_label_cache_keeps_at_most_256_pairs_and_drops_the_oldest() {
    let server = MockServer::start_async().await;
    let labels = server
        .mock_async(|when, then| {
            // Any `p_custom<n>`: the typed setter takes one object type.
            labels_mock::ListWhen::new(when)
                .from_object_type("leads")
                .into_inner()
                .path_matches(r"^/crm/v4/associations/leads/p_custom\d+/labels$");
            labels_mock::ListThen::new(then).success(200, &typed(json!({"results": []})));
        })
        .await;
    let associations = client(&server).associations();
    for i in 0..257 {
        associations
            .labels("leads", &format!("p_custom{i}"))
            .await
            .unwrap();
    }
    labels.assert_calls_async(257).await;
    // The newest 256 are kept; the first one was dropped to make room.
    associations.labels("leads", "p_custom256").await.unwrap();
    associations.labels("leads", "p_custom1").await.unwrap();
    labels.assert_calls_async(257).await;
    associations.labels("leads", "p_custom0").await.unwrap();
    labels.assert_calls_async(258).await;
}
