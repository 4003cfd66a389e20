//! The v4 associations API through `client.associations()`: exact requests, HubSpot's answers
//! (numeric ids, null labels, 207 partial failures, error bodies), and input checked before
//! anything is sent.

use crate::support::{TOKEN, catch_all, client, expect_validation, user_defined};
use httpmock::prelude::*;
use hubspot_crm::api::associations::types::{
    AssociationSpecWithLabel, CollectionResponseMultiAssociatedObjectWithLabelForwardPaging,
};
use hubspot_crm::api::shared::associations::AssociationSpec;
use hubspot_crm::api::shared::{
    BatchInputPublicAssociationMultiArchive, BatchInputPublicAssociationMultiPost,
    BatchInputPublicFetchAssociationsBatchRequest, LabelsBetweenObjectPair,
    PublicAssociationMultiArchive, PublicAssociationMultiPost, PublicFetchAssociationsBatchRequest,
    PublicObjectId,
};
use hubspot_crm::{
    AssociationCategory, AssociationInput, AssociationRemoval, AssociationType, Error,
    LeadAssociation,
};
use hubspot_crm_mock::associations::operations::{
    ArchiveThen, ArchiveWhen, BatchArchiveThen, BatchArchiveWhen, BatchCreateThen, BatchCreateWhen,
    BatchReadThen, BatchReadWhen, CreateDefaultThen, CreateDefaultWhen, CreateThen, CreateWhen,
    ListThen, ListWhen,
};
use serde_json::json;

/// An association type as the v4 API takes it: category and type id.
fn spec(category: &str, type_id: i32) -> AssociationSpec {
    AssociationSpec {
        association_category: category.to_owned(),
        association_type_id: type_id,
    }
}

/// A record id in a batch body.
fn id(id: &str) -> PublicObjectId {
    PublicObjectId { id: id.to_owned() }
}

/// The category HubSpot sent, typed (an unknown one is `Other`).
fn category(name: &str) -> AssociationCategory {
    serde_json::from_value(json!(name)).unwrap()
}

/// An association type with its label as listed: typed category, type id, label.
fn listed(spec: &AssociationSpecWithLabel) -> (AssociationCategory, i32, Option<&str>) {
    (
        category(&spec.category),
        spec.type_id,
        spec.label.as_deref(),
    )
}

/// The type to associate with, of a listed association type.
fn listed_type(spec: &AssociationSpecWithLabel) -> AssociationType {
    AssociationType {
        category: category(&spec.category),
        type_id: spec.type_id,
    }
}

#[tokio::test]
async fn associate_puts_the_type_list_and_reads_numeric_ids() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            CreateWhen::new(when)
                .object_type("leads")
                .object_id("901")
                .to_object_type("companies")
                .to_object_id("5791")
                .body(&vec![
                    spec("HUBSPOT_DEFINED", 610),
                    spec("USER_DEFINED", 37),
                ])
                .into_inner()
                .header("authorization", format!("Bearer {TOKEN}"))
                .header("content-type", "application/json")
                .header_missing("api-version");
            // HubSpot sends these ids as numbers, though its spec says strings; the typed
            // answer would write them as strings, so this one stays raw.
            CreateThen::new(then)
                .into_inner()
                .status(200)
                .json_body(json!({
                    "fromObjectTypeId": "0-136",
                    "fromObjectId": 901,
                    "toObjectTypeId": "0-2",
                    "toObjectId": 5791,
                    "labels": ["Decision maker's company"]
                }));
        })
        .await;
    let link = client(&server)
        .associations()
        .associate(
            "leads",
            "901",
            "companies",
            "5791",
            &[LeadAssociation::Company.into(), user_defined(37)],
        )
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(link.from_object_type_id, "0-136");
    assert_eq!(link.from_object_id, "901");
    assert_eq!(link.to_object_type_id, "0-2");
    assert_eq!(link.to_object_id, "5791");
    assert_eq!(link.labels, ["Decision maker's company"]);
}

#[tokio::test]
async fn associate_accepts_string_ids_and_a_201() {
    let server = MockServer::start_async().await;
    let answer = LabelsBetweenObjectPair {
        from_object_type_id: "0-136".into(),
        from_object_id: "901".into(),
        to_object_type_id: "0-1".into(),
        to_object_id: "51".into(),
        labels: vec![],
    };
    let mock = server
        .mock_async(|when, then| {
            CreateWhen::new(when)
                .object_type("leads")
                .object_id("901")
                .to_object_type("contacts")
                .to_object_id("51")
                .body(&vec![spec("HUBSPOT_DEFINED", 578)]);
            CreateThen::new(then).success(201, &answer);
        })
        .await;
    let link = client(&server)
        .associations()
        .associate_lead_as("901", LeadAssociation::PrimaryContact, "51")
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(
        (link.from_object_id.as_str(), link.to_object_id.as_str()),
        ("901", "51")
    );
    assert!(link.labels.is_empty());
}

#[tokio::test]
async fn associate_lead_sends_the_given_types() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            CreateWhen::new(when)
                .object_type("leads")
                .object_id("901")
                .to_object_type("deals")
                .to_object_id("3003")
                .body(&vec![
                    spec("HUBSPOT_DEFINED", 1037),
                    spec("HUBSPOT_DEFINED", 582),
                ]);
            // Numeric ids, as HubSpot sends them: raw, like the first test's answer.
            CreateThen::new(then)
                .into_inner()
                .status(200)
                .json_body(json!({
                    "fromObjectTypeId": "0-136", "fromObjectId": 901,
                    "toObjectTypeId": "0-3", "toObjectId": 3003, "labels": ["Primary"]
                }));
        })
        .await;
    let link = client(&server)
        .associations()
        .associate_lead(
            "901",
            "deals",
            "3003",
            &[
                LeadAssociation::Deal.association_type(),
                LeadAssociation::PrimaryDeal.association_type(),
            ],
        )
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(link.labels, ["Primary"]);
}

#[tokio::test]
async fn associate_reports_hubspot_validation_errors() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            CreateWhen::new(when)
                .object_type("leads")
                .object_id("901")
                .to_object_type("contacts")
                .to_object_id("999");
            CreateThen::new(then).client_error(
                400,
                json!({
                    "status": "error",
                    "message": "One or more associations are invalid",
                    "correlationId": "8db60c8c-c37f-4b4f-afad-1ecd48608a93",
                    "context": {
                        "INVALID_OBJECT_IDS": ["CONTACT=999 is not valid"],
                        "objectId": ["999"],
                        "objectType": ["CONTACT"]
                    },
                    "category": "VALIDATION_ERROR"
                }),
            );
        })
        .await;
    let err = client(&server)
        .associations()
        .associate_lead_as("901", LeadAssociation::Contact, "999")
        .await
        .unwrap_err();
    mock.assert_async().await;
    let api = err.api_error().expect("an API error");
    assert_eq!(api.status, 400);
    assert_eq!(api.category.as_deref(), Some("VALIDATION_ERROR"));
    assert_eq!(api.context["objectId"], ["999"]);
    assert_eq!(
        api.correlation_id.as_deref(),
        Some("8db60c8c-c37f-4b4f-afad-1ecd48608a93")
    );
}

#[tokio::test]
async fn associate_default_reads_the_batch_shaped_answer() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            CreateDefaultWhen::new(when)
                .from_object_type("leads")
                .from_object_id("901")
                .to_object_type("companies")
                .to_object_id("5791");
            // Raw: the typed answer would write `startedAt` as `2026-11-26T10:00:00Z`.
            CreateDefaultThen::new(then).into_inner().status(200).json_body(json!({
                "status": "COMPLETE",
                "results": [{
                    "from": {"id": "901"},
                    "to": {"id": "5791"},
                    "associationSpec": {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 610}
                }],
                "startedAt": "2026-11-26T10:00:00.000Z",
                "completedAt": "2026-11-26T10:00:00.041Z"
            }));
        })
        .await;
    let batch = client(&server)
        .associations()
        .associate_default("leads", "901", "companies", "5791")
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(batch.status, "COMPLETE");
    assert!(batch.errors.is_empty());
    assert_eq!(batch.results.len(), 1);
    assert_eq!(batch.results[0].from.id, "901");
    assert_eq!(batch.results[0].to.id, "5791");
    let spec = &batch.results[0].association_spec;
    assert_eq!(
        AssociationType {
            category: category(&spec.association_category),
            type_id: spec.association_type_id,
        },
        LeadAssociation::Company.association_type()
    );
}

#[tokio::test]
async fn remove_all_deletes_the_pair() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            ArchiveWhen::new(when)
                .object_type("leads")
                .object_id("901")
                .to_object_type("contacts")
                .to_object_id("52");
            ArchiveThen::new(then).success(204);
        })
        .await;
    client(&server)
        .associations()
        .remove_all("leads", "901", "contacts", "52")
        .await
        .unwrap();
    mock.assert_async().await;
}

#[tokio::test]
async fn list_page_sends_limit_and_after_and_types_the_answer() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            ListWhen::new(when)
                .object_type("leads")
                .object_id("901")
                .to_object_type("companies")
                .limit(500)
                .after("MTAw")
                .into_inner()
                .query_param_count(".*", ".*", 2);
            // Raw: numeric ids and null labels, which the typed answer would not write.
            ListThen::new(then).into_inner().status(200).json_body(json!({
                "results": [
                    {
                        "toObjectId": 5791,
                        "associationTypes": [
                            {"category": "HUBSPOT_DEFINED", "typeId": 610, "label": null},
                            {"category": "HUBSPOT_DEFINED", "typeId": 580, "label": "Primary"},
                            {"category": "USER_DEFINED", "typeId": 37, "label": "Decision maker's company"}
                        ]
                    },
                    {
                        "toObjectId": 18417469260u64,
                        "associationTypes": [
                            {"category": "WORK", "typeId": 1200, "label": null}
                        ]
                    }
                ],
                "paging": {"next": {"after": "MjAw", "link": "?after=MjAw"}}
            }));
        })
        .await;
    let page = client(&server)
        .associations()
        .list_page("leads", "901", "companies", Some(500), Some("MTAw"))
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(page.next_after.as_deref(), Some("MjAw"));
    assert_eq!(page.results.len(), 2);
    let first = &page.results[0];
    assert_eq!(first.to_object_id, "5791");
    assert_eq!(
        first
            .association_types
            .iter()
            .map(listed)
            .collect::<Vec<_>>(),
        [
            (AssociationCategory::HubSpotDefined, 610, None),
            (AssociationCategory::HubSpotDefined, 580, Some("Primary")),
            (
                AssociationCategory::UserDefined,
                37,
                Some("Decision maker's company")
            ),
        ]
    );
    assert_eq!(listed_type(&first.association_types[2]), user_defined(37));
    // Ids beyond 32 bits survive.
    assert_eq!(page.results[1].to_object_id, "18417469260");
    assert_eq!(
        category(&page.results[1].association_types[0].category),
        AssociationCategory::Work
    );
}

#[tokio::test]
async fn list_page_without_options_sends_no_query() {
    let server = MockServer::start_async().await;
    let empty = CollectionResponseMultiAssociatedObjectWithLabelForwardPaging {
        paging: None,
        results: vec![],
    };
    let mock = server
        .mock_async(|when, then| {
            ListWhen::new(when)
                .object_type("leads")
                .object_id("901")
                .to_object_type("contacts")
                .into_inner()
                .query_param_count(".*", ".*", 0);
            ListThen::new(then).success(200, &empty);
        })
        .await;
    let page = client(&server)
        .associations()
        .list_page("leads", "901", "contacts", None, None)
        .await
        .unwrap();
    mock.assert_async().await;
    assert!(page.results.is_empty());
    assert_eq!(page.next_after, None);
}

#[tokio::test]
async fn list_all_follows_every_page() {
    let server = MockServer::start_async().await;
    let first = server
        .mock_async(|when, then| {
            ListWhen::new(when)
                .object_type("leads")
                .object_id("901")
                .to_object_type("contacts")
                .limit(500)
                .after(None);
            // Raw: numeric ids and null labels.
            ListThen::new(then).into_inner().status(200).json_body(json!({
                "results": [
                    {"toObjectId": 51, "associationTypes": [{"category": "HUBSPOT_DEFINED", "typeId": 578, "label": "Primary"}]},
                    {"toObjectId": 52, "associationTypes": [{"category": "HUBSPOT_DEFINED", "typeId": 608, "label": null}]}
                ],
                "paging": {"next": {"after": "NTI="}}
            }));
        })
        .await;
    let second = server
        .mock_async(|when, then| {
            ListWhen::new(when)
                .object_type("leads")
                .object_id("901")
                .to_object_type("contacts")
                .limit(500)
                .after("NTI=");
            ListThen::new(then).into_inner().status(200).json_body(json!({
                "results": [
                    {"toObjectId": 53, "associationTypes": [{"category": "HUBSPOT_DEFINED", "typeId": 608, "label": null}]}
                ]
            }));
        })
        .await;
    let all = client(&server)
        .associations()
        .list_all("leads", "901", "contacts")
        .await
        .unwrap();
    first.assert_calls_async(1).await;
    second.assert_calls_async(1).await;
    let ids: Vec<&str> = all.iter().map(|t| t.to_object_id.as_str()).collect();
    assert_eq!(ids, ["51", "52", "53"]);
}

#[tokio::test]
async fn list_all_stops_on_a_cursor_that_does_not_move() {
    let server = MockServer::start_async().await;
    let first = server
        .mock_async(|when, then| {
            ListWhen::new(when)
                .object_type("leads")
                .object_id("901")
                .to_object_type("contacts")
                .after(None);
            // Raw: numeric ids.
            ListThen::new(then)
                .into_inner()
                .status(200)
                .json_body(json!({
                    "results": [{"toObjectId": 51, "associationTypes": []}],
                    "paging": {"next": {"after": "same"}}
                }));
        })
        .await;
    let again = server
        .mock_async(|when, then| {
            ListWhen::new(when)
                .object_type("leads")
                .object_id("901")
                .to_object_type("contacts")
                .after("same");
            ListThen::new(then)
                .into_inner()
                .status(200)
                .json_body(json!({
                    "results": [{"toObjectId": 52, "associationTypes": []}],
                    "paging": {"next": {"after": "same"}}
                }));
        })
        .await;
    let err = client(&server)
        .associations()
        .list_all("leads", "901", "contacts")
        .await
        .unwrap_err();
    first.assert_calls_async(1).await;
    again.assert_calls_async(1).await;
    assert!(
        matches!(&err, Error::Paging(message) if message.contains("`same`")),
        "{err:?}"
    );
}

#[tokio::test]
async fn list_of_a_missing_record_is_a_typed_404() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            ListWhen::new(when)
                .object_type("leads")
                .object_id("404404")
                .to_object_type("contacts");
            ListThen::new(then).client_error(
                404,
                json!({
                    "status": "error",
                    "message": "Object not found.  objectId are usually numeric.",
                    "correlationId": "f5ec099d-9b77-41d5-ae3e-601b964aef1d",
                    "context": {"id": ["404404"]},
                    "category": "OBJECT_NOT_FOUND"
                }),
            );
        })
        .await;
    let err = client(&server)
        .associations()
        .list_page("leads", "404404", "contacts", None, None)
        .await
        .unwrap_err();
    mock.assert_async().await;
    let api = err.api_error().expect("an API error");
    assert!(api.is_not_found());
    assert_eq!(api.category.as_deref(), Some("OBJECT_NOT_FOUND"));
    assert_eq!(api.context["id"], ["404404"]);
}

#[tokio::test]
async fn html_from_a_proxy_keeps_status_and_body() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            ListWhen::new(when)
                .object_type("leads")
                .object_id("901")
                .to_object_type("contacts");
            ListThen::new(then)
                .into_inner()
                .status(502)
                .header("content-type", "text/html")
                .body("<html><body><h1>502 Bad Gateway</h1></body></html>");
        })
        .await;
    let err = client(&server)
        .associations()
        .list_page("leads", "901", "contacts", None, None)
        .await
        .unwrap_err();
    mock.assert_async().await;
    let api = err.api_error().expect("an API error");
    assert_eq!(api.status, 502);
    assert!(api.raw_body.as_deref().unwrap().contains("502 Bad Gateway"));
}

#[tokio::test]
async fn a_success_body_that_does_not_parse_is_a_decode_error() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            ListWhen::new(when)
                .object_type("leads")
                .object_id("901")
                .to_object_type("contacts");
            ListThen::new(then)
                .into_inner()
                .status(200)
                .header("content-type", "application/json")
                .body(r#"{"results": "not a list"}"#);
        })
        .await;
    let err = client(&server)
        .associations()
        .list_page("leads", "901", "contacts", None, None)
        .await
        .unwrap_err();
    mock.assert_async().await;
    match err {
        Error::Decode { status, body, .. } => {
            assert_eq!(status, 200);
            assert!(body.contains("not a list"), "{body}");
        }
        other => panic!("expected a decode error, got {other:?}"),
    }
}

#[tokio::test]
async fn batch_create_sends_every_input_and_keeps_partial_failures() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            BatchCreateWhen::new(when)
                .from_object_type("leads")
                .to_object_type("contacts")
                .body(&BatchInputPublicAssociationMultiPost {
                    inputs: vec![
                        PublicAssociationMultiPost {
                            from: id("901"),
                            to: id("51"),
                            types: vec![spec("HUBSPOT_DEFINED", 608)],
                        },
                        PublicAssociationMultiPost {
                            from: id("902"),
                            to: id("999"),
                            types: vec![spec("HUBSPOT_DEFINED", 608), spec("USER_DEFINED", 41)],
                        },
                    ],
                });
            // Raw: a 207 with numeric ids and a single value where a list is expected.
            BatchCreateThen::new(then).into_inner().status(207).json_body(json!({
                "status": "COMPLETE",
                "results": [{
                    "fromObjectTypeId": "0-136",
                    "fromObjectId": 901,
                    "toObjectTypeId": "0-1",
                    "toObjectId": 51,
                    "labels": []
                }],
                "numErrors": 1,
                "errors": [{
                    "status": "error",
                    "category": "VALIDATION_ERROR",
                    "subCategory": "crm.associations.INVALID_OBJECT_IDS",
                    "message": "Could not find contacts with ids: [999]",
                    "context": {"toObjectId": ["999"], "fromObjectId": "902"},
                    "errors": [{"message": "invalid id", "code": "INVALID_ID", "context": {"id": ["999"]}}]
                }],
                "startedAt": "2026-11-26T10:00:00.000Z",
                "completedAt": "2026-11-26T10:00:00.090Z"
            }));
        })
        .await;
    let inputs = [
        AssociationInput::new("901", "51", [LeadAssociation::Contact.into()]),
        AssociationInput::new(
            "902",
            "999",
            [LeadAssociation::Contact.into(), user_defined(41)],
        ),
    ];
    let batch = client(&server)
        .associations()
        .batch_create("leads", "contacts", &inputs)
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(batch.status, "COMPLETE");
    assert_eq!(batch.results.len(), 1);
    assert_eq!(batch.results[0].from_object_id, "901");
    assert_eq!(batch.results[0].to_object_id, "51");
    assert_eq!(batch.errors.len(), 1);
    let error = &batch.errors[0];
    assert_eq!(error.category.as_deref(), Some("VALIDATION_ERROR"));
    assert_eq!(
        error.message.as_deref(),
        Some("Could not find contacts with ids: [999]")
    );
    assert_eq!(error.context["toObjectId"], ["999"]);
    // A single value where HubSpot usually sends a list is kept, not a parse failure.
    assert_eq!(error.context["fromObjectId"], ["902"]);
    assert_eq!(error.errors[0].code.as_deref(), Some("INVALID_ID"));
}

#[tokio::test]
async fn batch_read_types_results_paging_and_missing_records() {
    let server = MockServer::start_async().await;
    let mock =
        server
            .mock_async(|when, then| {
                BatchReadWhen::new(when)
                    .from_object_type("leads")
                    .to_object_type("contacts")
                    .body(&BatchInputPublicFetchAssociationsBatchRequest {
                        inputs: ["901", "902"]
                            .map(|id| PublicFetchAssociationsBatchRequest {
                                after: None,
                                id: id.to_owned(),
                            })
                            .into(),
                    });
                // Raw: a 207 with numeric ids and null labels.
                BatchReadThen::new(then).into_inner().status(207).json_body(json!({
                "status": "COMPLETE",
                "results": [{
                    "from": {"id": "901"},
                    "to": [
                        {"toObjectId": 51, "associationTypes": [
                            {"category": "HUBSPOT_DEFINED", "typeId": 578, "label": "Primary"},
                            {"category": "HUBSPOT_DEFINED", "typeId": 608, "label": null}
                        ]}
                    ],
                    "paging": {"next": {"after": "NTE="}}
                }],
                "numErrors": 1,
                "errors": [{
                    "status": "error",
                    "category": "OBJECT_NOT_FOUND",
                    "subCategory": "crm.associations.NO_ASSOCIATIONS_FOUND",
                    "message": "No contacts is associated with leads 902.",
                    "context": {"fromObjectId": ["902"]},
                    "errors": []
                }],
                "startedAt": "2026-11-26T10:00:00.000Z",
                "completedAt": "2026-11-26T10:00:00.021Z"
            }));
            })
            .await;
    let batch = client(&server)
        .associations()
        .batch_read("leads", "contacts", ["901", "902"])
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(batch.results.len(), 1);
    let read = &batch.results[0];
    assert_eq!(read.from.id, "901");
    assert_eq!(
        read.paging
            .as_ref()
            .and_then(|p| p.next.as_ref())
            .map(|n| n.after.as_str()),
        Some("NTE=")
    );
    assert_eq!(read.to[0].to_object_id, "51");
    assert_eq!(
        read.to[0].association_types[0].label.as_deref(),
        Some("Primary")
    );
    assert_eq!(read.to[0].association_types[1].label, None);
    assert_eq!(
        batch.errors[0].category.as_deref(),
        Some("OBJECT_NOT_FOUND")
    );
    assert_eq!(batch.errors[0].context["fromObjectId"], ["902"]);
}

#[tokio::test]
async fn batch_remove_posts_each_pair() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            BatchArchiveWhen::new(when)
                .from_object_type("leads")
                .to_object_type("companies")
                .body(&BatchInputPublicAssociationMultiArchive {
                    inputs: vec![
                        PublicAssociationMultiArchive {
                            from: id("901"),
                            to: vec![id("5791"), id("5792")],
                        },
                        PublicAssociationMultiArchive {
                            from: id("902"),
                            to: vec![id("5791")],
                        },
                    ],
                });
            BatchArchiveThen::new(then).success(204);
        })
        .await;
    client(&server)
        .associations()
        .batch_remove(
            "leads",
            "companies",
            &[
                AssociationRemoval::new("901", ["5791", "5792"]),
                AssociationRemoval::new("902", ["5791"]),
            ],
        )
        .await
        .unwrap();
    mock.assert_async().await;
}

#[tokio::test]
async fn record_ids_object_types_and_types_are_checked_before_sending() {
    let server = MockServer::start_async().await;
    let nothing = catch_all(&server).await;
    let associations = client(&server).associations();
    let company = [LeadAssociation::Company.association_type()];

    let e = expect_validation(
        associations
            .associate("leads", "abc", "companies", "5791", &company)
            .await,
    );
    assert_eq!(e.field, "objectId");
    assert!(e.reason.contains("`abc`"), "{e}");

    let e = expect_validation(
        associations
            .associate("leads", "901", "companies", "0", &company)
            .await,
    );
    assert_eq!(e.field, "toObjectId");

    let e = expect_validation(
        associations
            .associate("leads", "901", "companies", "-5", &company)
            .await,
    );
    assert_eq!(e.field, "toObjectId");

    let e = expect_validation(
        associations
            .associate(" ", "901", "companies", "5791", &company)
            .await,
    );
    assert_eq!(e.field, "objectType");

    let e = expect_validation(
        associations
            .associate("leads", "901", "companies/5791", "5791", &company)
            .await,
    );
    assert_eq!(e.field, "toObjectType");

    let e = expect_validation(
        associations
            .associate("leads", "901", "companies", "5791", &[])
            .await,
    );
    assert_eq!(e.field, "types");
    assert!(e.reason.contains("at least one"), "{e}");

    let e = expect_validation(
        associations
            .associate(
                "leads",
                "901",
                "companies",
                "5791",
                &[company[0].clone(), AssociationType::hubspot(0)],
            )
            .await,
    );
    assert_eq!(e.field, "types[1].associationTypeId");

    let e = expect_validation(
        associations
            .associate_lead_as("", LeadAssociation::Company, "5791")
            .await,
    );
    assert_eq!(e.field, "objectId");

    let e = expect_validation(
        associations
            .associate_default("leads", "901", "companies", "x1")
            .await,
    );
    assert_eq!(e.field, "toObjectId");

    let e = expect_validation(associations.remove_all("leads", "901", "", "5791").await);
    assert_eq!(e.field, "toObjectType");

    nothing.assert_calls_async(0).await;
}

#[tokio::test]
async fn list_arguments_are_checked_before_sending() {
    let server = MockServer::start_async().await;
    let nothing = catch_all(&server).await;
    let associations = client(&server).associations();

    let e = expect_validation(
        associations
            .list_page("leads", "901", "contacts", Some(501), None)
            .await,
    );
    assert_eq!(e.field, "limit");
    assert!(e.reason.contains("1..=500"), "{e}");

    let e = expect_validation(
        associations
            .list_page("leads", "901", "contacts", Some(0), None)
            .await,
    );
    assert_eq!(e.field, "limit");

    let e = expect_validation(
        associations
            .list_page("leads", "901", "contacts", None, Some(" "))
            .await,
    );
    assert_eq!(e.field, "after");

    let e = expect_validation(associations.list_all("leads", "9x", "contacts").await);
    assert_eq!(e.field, "objectId");

    nothing.assert_calls_async(0).await;
}

#[tokio::test]
async fn batch_limits_and_items_are_checked_before_sending() {
    let server = MockServer::start_async().await;
    let nothing = catch_all(&server).await;
    let associations = client(&server).associations();
    let contact = || vec![LeadAssociation::Contact.association_type()];

    let too_many: Vec<AssociationInput> = (1..=2001)
        .map(|i| AssociationInput::new(i.to_string(), "51", contact()))
        .collect();
    let e = expect_validation(
        associations
            .batch_create("leads", "contacts", &too_many)
            .await,
    );
    assert_eq!((e.field.as_str(), e.item), ("inputs", None));
    assert!(
        e.reason.contains("2001") && e.reason.contains("2000"),
        "{e}"
    );

    let e = expect_validation(associations.batch_create("leads", "contacts", &[]).await);
    assert_eq!(e.field, "inputs");

    let mut inputs: Vec<AssociationInput> = (1..=5)
        .map(|i| AssociationInput::new(i.to_string(), "51", contact()))
        .collect();
    inputs[3] = AssociationInput::new("4", "fifty", contact());
    let e = expect_validation(
        associations
            .batch_create("leads", "contacts", &inputs)
            .await,
    );
    assert_eq!((e.field.as_str(), e.item), ("to.id", Some(3)));

    inputs[3] = AssociationInput::new("4", "51", contact());
    inputs[4] = AssociationInput::new("5", "51", []);
    let e = expect_validation(
        associations
            .batch_create("leads", "contacts", &inputs)
            .await,
    );
    assert_eq!((e.field.as_str(), e.item), ("types", Some(4)));

    let e = expect_validation(
        associations
            .batch_read("leads", "contacts", (1..=1001).map(|i| i.to_string()))
            .await,
    );
    assert_eq!(e.field, "inputs");
    assert!(e.reason.contains("1000"), "{e}");

    let e = expect_validation(
        associations
            .batch_read("leads", "contacts", ["901", "", "903"])
            .await,
    );
    assert_eq!((e.field.as_str(), e.item), ("id", Some(1)));

    let e = expect_validation(
        associations
            .batch_read("leads", "contacts", Vec::<String>::new())
            .await,
    );
    assert_eq!(e.field, "inputs");

    let e = expect_validation(
        associations
            .batch_remove(
                "leads",
                "contacts",
                &[
                    AssociationRemoval::new("901", ["51"]),
                    AssociationRemoval::new("902", Vec::<String>::new()),
                ],
            )
            .await,
    );
    assert_eq!((e.field.as_str(), e.item), ("to", Some(1)));

    let e = expect_validation(
        associations
            .batch_remove(
                "leads",
                "contacts",
                &[AssociationRemoval::new("901", ["51", "5 2"])],
            )
            .await,
    );
    assert_eq!((e.field.as_str(), e.item), ("to[1].id", Some(0)));

    nothing.assert_calls_async(0).await;
}

#[tokio::test]
async fn the_largest_allowed_batches_are_sent() {
    let server = MockServer::start_async().await;
    let create = server
        .mock_async(|when, then| {
            BatchCreateWhen::new(when)
                .from_object_type("leads")
                .to_object_type("contacts")
                .body(&BatchInputPublicAssociationMultiPost {
                    inputs: (1..=2000)
                        .map(|i| PublicAssociationMultiPost {
                            from: id(&i.to_string()),
                            to: id("51"),
                            types: vec![spec("HUBSPOT_DEFINED", 608)],
                        })
                        .collect(),
                });
            // Raw: the typed answer would write the timestamps without their `.000`.
            BatchCreateThen::new(then).into_inner().status(200).json_body(json!({
                "status": "COMPLETE", "results": [],
                "startedAt": "2026-11-26T10:00:00.000Z", "completedAt": "2026-11-26T10:00:01.000Z"
            }));
        })
        .await;
    let read = server
        .mock_async(|when, then| {
            BatchReadWhen::new(when)
                .from_object_type("leads")
                .to_object_type("contacts")
                .body(&BatchInputPublicFetchAssociationsBatchRequest {
                    inputs: (1..=1000)
                        .map(|i| PublicFetchAssociationsBatchRequest {
                            after: None,
                            id: i.to_string(),
                        })
                        .collect(),
                });
            BatchReadThen::new(then).into_inner().status(200).json_body(json!({
                "status": "COMPLETE", "results": [],
                "startedAt": "2026-11-26T10:00:00.000Z", "completedAt": "2026-11-26T10:00:01.000Z"
            }));
        })
        .await;
    let associations = client(&server).associations();
    let inputs: Vec<AssociationInput> = (1..=2000)
        .map(|i| {
            AssociationInput::new(
                i.to_string(),
                "51",
                [LeadAssociation::Contact.association_type()],
            )
        })
        .collect();
    associations
        .batch_create("leads", "contacts", &inputs)
        .await
        .unwrap();
    associations
        .batch_read("leads", "contacts", (1..=1000).map(|i| i.to_string()))
        .await
        .unwrap();
    create.assert_calls_async(1).await;
    read.assert_calls_async(1).await;
}
