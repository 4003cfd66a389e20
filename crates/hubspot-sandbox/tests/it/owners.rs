//! Owners as account data: the seeded and configured owners, the owners API's paging and
//! filters on both path families, and `hubspot_owner_id` refused unless an active owner's.

use hubspot_sandbox::{Owner, SandboxConfig};
use serde_json::{Value, json};

use crate::common::{Api, assert_error};

const V3: &str = "/crm/v3/owners";
const DATED: &str = "/crm/owners/2026-09";

/// The three seeded owners and four configured ones, one of them archived.
fn config() -> SandboxConfig {
    (1..=3)
        .fold(SandboxConfig::new(), |c, i| {
            c.owner(
                Owner::person(format!("6000000{i}"), format!("rep{i}@example.com"))
                    .name(format!("Rep{i}"), "Example")
                    .user_id(8_000_000 + i),
            )
        })
        .owner(
            Owner::person("60000009", "left@example.com")
                .user_id(8_000_009)
                .archived(),
        )
}

fn ids(page: &Value) -> Vec<&str> {
    page["results"]
        .as_array()
        .unwrap_or_else(|| panic!("a page: {page}"))
        .iter()
        .map(|o| o["id"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn owners_page_by_id_with_the_cursor_they_hand_out_on_both_paths() {
    let api = Api::with(config()).await;
    for prefix in [V3, DATED] {
        let mut seen = Vec::new();
        let mut path = format!("{prefix}?limit=2");
        let mut pages = 0;
        loop {
            let (status, page) = api.get(&path).await;
            assert_eq!(status, 200, "{page}");
            pages += 1;
            seen.extend(ids(&page).into_iter().map(str::to_owned));
            let Some(after) = page["paging"]["next"]["after"].as_str() else {
                break;
            };
            assert_eq!(
                page["paging"]["next"]["link"],
                format!("{}{prefix}?after={after}", api.sandbox.base_url())
            );
            path = format!("{prefix}?limit=2&after={after}");
        }
        assert_eq!(pages, 3);
        assert_eq!(
            seen,
            [
                "52550153", "52550154", "52550155", "60000001", "60000002", "60000003"
            ],
            "active owners, by id"
        );
        // The default page holds them all.
        let (_, all) = api.get(prefix).await;
        assert_eq!(ids(&all).len(), 6);
        assert!(all.get("paging").is_none(), "{all}");
        let (_, archived) = api.get(&format!("{prefix}?archived=true")).await;
        assert_eq!(ids(&archived), ["60000009"]);
        let (_, one) = api.get(&format!("{prefix}?email=REP2@example.com")).await;
        assert_eq!(ids(&one), ["60000002"]);
        let (status, body) = api.get(&format!("{prefix}?limit=501")).await;
        assert_eq!(status, 400, "{body}");
        assert_error(&body, "VALIDATION_ERROR");
        let bound = json!({"limit": ["Must be less than or equal to 500"]});
        assert_eq!(body["context"], bound);
        assert_eq!(body["errors"][0]["message"], "Invalid limit value.");
        assert_eq!(body["errors"][0]["subCategory"], "INVALID_PARAMETER");
        let (_, full) = api.get(&format!("{prefix}?limit=500")).await;
        assert_eq!(ids(&full).len(), 6);
        let (status, body) = api.get(&format!("{prefix}?after=zzz")).await;
        assert_eq!(status, 400);
        assert_error(&body, "VALIDATION_ERROR");
    }
}

#[tokio::test]
async fn an_owner_reads_by_id_or_user_id_in_the_specs_shape() {
    let api = Api::with(config()).await;
    let (status, ada) = api.get(&format!("{V3}/52550153")).await;
    assert_eq!(status, 200, "{ada}");
    assert_eq!(
        ada,
        json!({
            "id": "52550153",
            "email": "ada.lovelace@example.com",
            "type": "PERSON",
            "firstName": "Ada",
            "lastName": "Lovelace",
            "userId": 9586504,
            "userIdIncludingInactive": 9586504,
            "createdAt": "2024-01-15T09:30:00.000Z",
            "updatedAt": "2024-01-15T09:30:00.000Z",
            "archived": false,
            "teams": [{"id": "1001", "name": "Sales", "primary": true}],
        })
    );
    let (_, by_user) = api.get(&format!("{DATED}/8000002?idProperty=userId")).await;
    assert_eq!(by_user["id"], "60000002");
    // An archived owner reads only with archived=true, and has no active user id.
    let (status, _) = api.get(&format!("{DATED}/60000009")).await;
    assert_eq!(status, 404);
    let (status, left) = api.get(&format!("{DATED}/60000009?archived=true")).await;
    assert_eq!(status, 200);
    assert!(left.get("userId").is_none(), "{left}");
    assert_eq!(left["userIdIncludingInactive"], 8000009);
    let (status, body) = api.get(&format!("{V3}/not-a-number")).await;
    assert_eq!(status, 400);
    assert_error(&body, "VALIDATION_ERROR");
}

#[tokio::test]
async fn hubspot_owner_id_must_be_an_active_owner() {
    let api = Api::with(config()).await;
    let contact = api.contact("owned@example.com").await;
    for path in ["/crm/v3/objects/contacts", "/crm/objects/2026-09/contacts"] {
        for refused in ["999", "60000009"] {
            let (status, body) = api
                .send(
                    "PATCH",
                    &format!("{path}/{contact}"),
                    Some(json!({"properties": {"hubspot_owner_id": refused}})),
                )
                .await;
            assert_eq!(status, 400, "{body}");
            assert_eq!(
                body["errors"],
                json!([{
                    "message": format!("{refused} is not a valid owner id"),
                    "code": "INVALID_OWNER_ID",
                    "context": {"propertyName": ["hubspot_owner_id"]}
                }])
            );
            assert!(
                body["message"]
                    .as_str()
                    .unwrap()
                    .contains(r#""error":"INVALID_OWNER_ID","name":"hubspot_owner_id""#),
                "{body}"
            );
        }
        for accepted in ["60000003", ""] {
            let (status, body) = api
                .send(
                    "PATCH",
                    &format!("{path}/{contact}"),
                    Some(json!({"properties": {"hubspot_owner_id": accepted}})),
                )
                .await;
            assert_eq!(status, 200, "{body}");
            assert_eq!(body["properties"]["hubspot_owner_id"], accepted);
        }
    }
    // In a batch refused whole, the refusal names the owner property only.
    let (status, body) = api
        .post(
            "/crm/v3/objects/deals/batch/create",
            json!({"inputs": [
                {"properties": {"dealname": "Owned", "hubspot_owner_id": "52550154"}},
                {"properties": {"dealname": "Unowned", "hubspot_owner_id": "12345"}},
            ]}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(body.get("errors").is_none(), "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("12345 is not a valid owner id")
    );
    assert_eq!(api.sandbox.live_count("deals"), 0);
}

#[tokio::test]
async fn owner_ids_that_cannot_be_owner_ids_stop_the_start() {
    for bad in [
        Owner::person("abc", "x@example.com"),
        Owner::person("52550153", "dup@example.com"),
    ] {
        let error = hubspot_sandbox::Sandbox::start(SandboxConfig::new().owner(bad))
            .await
            .unwrap_err();
        assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput, "{error}");
    }
}
