//! The whole stack, end to end against a mock: auth header, no `api-version`, parsing.

use httpmock::prelude::*;
use hubspot_crm_mock::leads::operations::{GetThen, GetWhen};

#[tokio::test]
async fn get_sends_bearer_and_parses_null_properties() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            GetWhen::new(when)
                .leads_id(&"123".parse().unwrap())
                .properties("hs_lead_name,hs_lead_label")
                .archived(false)
                .into_inner()
                .header("authorization", "Bearer pat-test")
                .header_missing("api-version");
            // Raw: HubSpot's millisecond timestamps, which the typed answer would reformat.
            GetThen::new(then)
                .into_inner()
                .status(200)
                .json_body(serde_json::json!({
                    "id": "123",
                    "properties": {"hs_lead_name": "Acme", "hs_lead_label": null},
                    "createdAt": "2026-11-26T10:00:00.000Z",
                    "updatedAt": "2026-11-26T10:00:00.000Z",
                    "archived": false
                }));
        })
        .await;
    let client = hubspot_crm::Client::builder()
        .access_token("pat-test")
        .base_url(server.base_url())
        .build()
        .unwrap();
    let options = hubspot_crm::ReadOptions::new().properties(["hs_lead_name", "hs_lead_label"]);
    let lead = client
        .objects::<hubspot_crm::Lead>()
        .get_with("123", &options)
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(lead.property("hs_lead_name"), Some("Acme"));
    assert_eq!(lead.properties["hs_lead_label"], None);
}
