//! Owners through `client.owners()`: exact requests on both API versions, reading every page
//! (and ending, not looping, when a cursor does not move), the per-client cache of active
//! owners, and inputs refused before anything is sent.

use httpmock::prelude::*;
use hubspot_crm::{ApiVersion, Error, OwnerQuery};
use serde_json::{Value, json};

use crate::support::{catch_all, client, client_with, expect_validation};

fn prefix(version: ApiVersion) -> &'static str {
    match version {
        ApiVersion::V3 => "/crm/v3/owners",
        ApiVersion::V2026_09 => "/crm/owners/2026-09",
        other => panic!("no paths for {other}"),
    }
}

/// An owner as HubSpot answers it.
fn owner_json(id: &str, email: &str, archived: bool) -> Value {
    json!({
        "id": id,
        "email": email,
        "type": "PERSON",
        "firstName": "Ada",
        "lastName": "Lovelace",
        "userId": 9586504,
        "userIdIncludingInactive": 9586504,
        "createdAt": "2024-01-15T09:30:00.000Z",
        "updatedAt": "2025-03-02T11:00:00.000Z",
        "archived": archived,
        "teams": [{"id": "1001", "name": "Sales", "primary": true}]
    })
}

/// A page of owners, naming `next` as the next page's cursor.
fn page(owners: &[Value], next: Option<&str>) -> Value {
    let mut page = json!({ "results": owners });
    if let Some(after) = next {
        page["paging"] = json!({"next": {
            "after": after,
            "link": format!("https://api.hubapi.com/crm/v3/owners?after={after}")
        }});
    }
    page
}

#[tokio::test]
async fn a_page_and_an_owner_are_read_with_exact_paths_and_queries_on_both_versions() {
    for version in ApiVersion::ALL.iter().copied() {
        let server = MockServer::start_async().await;
        let p = prefix(version);
        let list = server
            .mock_async(|when, then| {
                when.method(GET)
                    .path(p)
                    .query_param("limit", "2")
                    .query_param("after", "52550155")
                    .query_param("email", "ada@example.com")
                    .query_param("archived", "true")
                    .query_param_count(".*", ".*", 4);
                then.status(200).json_body(page(
                    &[owner_json("52550155", "ada@example.com", true)],
                    Some("52550160"),
                ));
            })
            .await;
        let get = server
            .mock_async(|when, then| {
                when.method(GET)
                    .path(format!("{p}/52550153"))
                    .query_param_count(".*", ".*", 0);
                then.status(200)
                    .json_body(owner_json("52550153", "ada@example.com", false));
            })
            .await;
        let owners = client_with(&server, |b| b.api_version(version)).owners();
        let query = OwnerQuery::new()
            .limit(2)
            .after("52550155")
            .email(" ada@example.com ")
            .archived(true);
        let listed = owners.list_page(&query).await.unwrap();
        assert_eq!(listed.results.len(), 1);
        assert!(!listed.results[0].is_active());
        assert_eq!(listed.next_after.as_deref(), Some("52550160"));
        let ada = owners.get("52550153").await.unwrap();
        assert_eq!(ada.name().as_deref(), Some("Ada Lovelace"));
        assert_eq!(ada.teams[0].name, "Sales");
        assert_eq!(list.calls_async().await, 1, "{version}");
        assert_eq!(get.calls_async().await, 1, "{version}");
    }
}

#[tokio::test]
async fn every_owner_is_read_across_three_pages() {
    let server = MockServer::start_async().await;
    let pages = [
        (
            None,
            vec![
                owner_json("1", "a@example.com", false),
                owner_json("2", "b@example.com", false),
            ],
            Some("3"),
        ),
        (
            Some("3"),
            vec![
                owner_json("3", "c@example.com", false),
                owner_json("4", "d@example.com", false),
            ],
            Some("5"),
        ),
        (
            Some("5"),
            vec![owner_json("5", "e@example.com", false)],
            None,
        ),
    ];
    let mut mocks = Vec::new();
    for (after, owners, next) in pages {
        let mock = server
            .mock_async(|when, then| {
                let when = when
                    .method(GET)
                    .path("/crm/v3/owners")
                    .query_param("limit", "500")
                    .query_param("archived", "false");
                match after {
                    Some(after) => when.query_param("after", after),
                    None => when.query_param_missing("after"),
                };
                then.status(200).json_body(page(&owners, next));
            })
            .await;
        mocks.push(mock);
    }
    let owners = client(&server).owners().list().await.unwrap();
    let ids: Vec<&str> = owners.iter().map(|o| o.id.as_str()).collect();
    assert_eq!(ids, ["1", "2", "3", "4", "5"]);
    for mock in &mocks {
        assert_eq!(mock.calls_async().await, 1);
    }
}

#[tokio::test]
async fn a_cursor_that_does_not_move_ends_the_read_with_an_error() {
    let server = MockServer::start_async().await;
    let first = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/crm/v3/owners")
                .query_param_missing("after");
            then.status(200).json_body(page(
                &[owner_json("1", "a@example.com", false)],
                Some("stuck"),
            ));
        })
        .await;
    let stuck = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/crm/v3/owners")
                .query_param("after", "stuck");
            then.status(200).json_body(page(
                &[owner_json("2", "b@example.com", false)],
                Some("stuck"),
            ));
        })
        .await;
    let result = client(&server).owners().list().await;
    match result {
        Err(Error::Paging(why)) => assert!(why.contains("`stuck`"), "{why}"),
        other => panic!("expected a paging error, got {other:?}"),
    }
    assert_eq!(first.calls_async().await, 1);
    assert_eq!(stuck.calls_async().await, 1, "asked once, not in a loop");
}

#[tokio::test]
async fn active_owners_are_read_once_for_many_uses() {
    let server = MockServer::start_async().await;
    let list = server
        .mock_async(|when, then| {
            when.method(GET).path("/crm/owners/2026-09");
            then.status(200).json_body(page(
                &[
                    owner_json("52550153", "ada@example.com", false),
                    owner_json("52550154", "Alan@Example.com", false),
                    owner_json("52550159", "left@example.com", true),
                ],
                None,
            ));
        })
        .await;
    let client = client_with(&server, |b| b.api_version(ApiVersion::V2026_09));
    for _ in 0..10 {
        let owners = client.clone().owners().all().await.unwrap();
        assert_eq!(owners.len(), 2, "archived ones left out");
        assert!(owners.contains("52550153"));
        assert!(!owners.contains("52550159"));
        assert!(!owners.contains("999"));
        assert_eq!(owners.by_email("alan@example.com").unwrap().id, "52550154");
    }
    assert_eq!(list.calls_async().await, 1);
    client.owners().refresh().await.unwrap();
    client.owners().all().await.unwrap();
    assert_eq!(list.calls_async().await, 2);
}

#[tokio::test]
async fn bad_owner_inputs_are_refused_before_anything_is_sent() {
    let server = MockServer::start_async().await;
    let nothing = catch_all(&server).await;
    let owners = client(&server).owners();
    for id in ["", "abc", "0", "2147483648", "../1"] {
        assert_eq!(
            expect_validation(owners.get(id).await).field,
            "ownerId",
            "{id:?}"
        );
    }
    for (query, field) in [
        (OwnerQuery::new().limit(0), "limit"),
        (OwnerQuery::new().limit(501), "limit"),
        (OwnerQuery::new().after(""), "after"),
        (OwnerQuery::new().email("not an address"), "email"),
    ] {
        assert_eq!(
            expect_validation(owners.list_page(&query).await).field,
            field
        );
    }
    assert_eq!(nothing.calls_async().await, 0);
}
