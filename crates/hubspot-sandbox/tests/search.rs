//! Search filters, sorting, limits and the 10,000-result cap.

mod common;

use common::{Api, assert_error};
use serde_json::{Value, json};

fn names(body: &Value) -> Vec<String> {
    body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r["properties"]["hs_lead_name"]
                .as_str()
                .unwrap_or("")
                .to_string()
        })
        .collect()
}

#[tokio::test]
async fn filters_sorts_and_query() {
    let api = Api::start().await;
    let contact = api.sandbox.seed_contact(json!({"email": "s@example.com"}));
    let ids = api.sandbox.seed_leads(&contact, 12);
    api.send(
        "PATCH",
        &format!("/crm/v3/objects/leads/{}", ids[2]),
        Some(json!({"properties": {"hs_lead_label": "HOT", "hs_lead_name": "Big Fish Inc"}})),
    )
    .await;
    let search = |body: Value| {
        let api = &api;
        async move {
            let (status, b) = api.post("/crm/v3/objects/leads/search", body).await;
            assert_eq!(status, 200, "{b}");
            b
        }
    };
    let f = |prop: &str, op: &str, value: Value| json!({"filterGroups": [{"filters": [{"propertyName": prop, "operator": op, "value": value}]}]});

    let b = search(f("hs_lead_name", "EQ", json!("lead 5"))).await;
    assert_eq!(b["total"], 1);
    assert_eq!(names(&b), ["Lead 5"]);
    let b = search(f("hs_lead_label", "HAS_PROPERTY", Value::Null)).await;
    assert_eq!(b["total"], 1);
    let b = search(f("hs_lead_label", "NOT_HAS_PROPERTY", Value::Null)).await;
    assert_eq!(b["total"], 11);
    let b = search(f("hs_lead_name", "CONTAINS_TOKEN", json!("fish"))).await;
    assert_eq!(names(&b), ["Big Fish Inc"]);
    let b = search(f("hs_lead_name", "CONTAINS_TOKEN", json!("lead 1*"))).await;
    assert_eq!(b["total"], 4, "{b}"); // 1, 10, 11, 12
    let b = search(f("hs_object_id", "GT", json!(ids[9]))).await;
    assert_eq!(b["total"], 2);
    let b = search(f(
        "hs_object_id",
        "GTE",
        json!(ids[9].parse::<u64>().unwrap()),
    ))
    .await;
    assert_eq!(b["total"], 3);
    let b = search(f("hs_createdate", "GTE", json!(0))).await;
    assert_eq!(b["total"], 12);
    let b = search(json!({"filterGroups": [{"filters": [
        {"propertyName": "hs_object_id", "operator": "BETWEEN", "value": ids[0], "highValue": ids[3]},
        {"propertyName": "hs_object_id", "operator": "NOT_IN", "values": [ids[1]]}
    ]}]}))
    .await;
    assert_eq!(b["total"], 3);
    // Groups are OR'ed.
    let b = search(json!({"filterGroups": [
        {"filters": [{"propertyName": "hs_lead_name", "operator": "EQ", "value": "Lead 1"}]},
        {"filters": [{"propertyName": "hs_lead_name", "operator": "IN", "values": ["Lead 4", "Lead 7"]}]}
    ]}))
    .await;
    assert_eq!(names(&b), ["Lead 1", "Lead 4", "Lead 7"]);

    let b = search(
        json!({"sorts": [{"propertyName": "hs_object_id", "direction": "DESCENDING"}], "limit": 2}),
    )
    .await;
    assert_eq!(b["results"][0]["id"], ids[11].as_str());
    assert_eq!(b["paging"]["next"]["after"], "2");
    let b = search(json!({"sorts": ["-hs_object_id"], "limit": 2, "after": "2"})).await;
    assert_eq!(b["results"][0]["id"], ids[9].as_str());
    let b = search(json!({"query": "BIG FISH", "properties": ["hs_lead_label"]})).await;
    assert_eq!(b["total"], 1);
    assert_eq!(b["results"][0]["properties"]["hs_lead_label"], "HOT");
    // Minimal body, default page of 10.
    let b = search(json!({})).await;
    assert_eq!(b["total"], 12);
    assert_eq!(b["results"].as_array().unwrap().len(), 10);
}

#[tokio::test]
async fn search_limits_are_validation_errors() {
    let api = Api::start().await;
    let filter = json!({"propertyName": "hs_lead_name", "operator": "HAS_PROPERTY"});
    let group = |n: usize| json!({"filters": vec![filter.clone(); n]});
    let bodies = [
        json!({"filterGroups": vec![group(1); 6]}),
        json!({"filterGroups": [group(7)]}),
        json!({"filterGroups": vec![group(5); 4]}),
        json!({"sorts": ["a", "b"]}),
        json!({"limit": 201}),
        json!({"query": "x".repeat(3001)}),
        json!({"filterGroups": [{"filters": [{"propertyName": "a", "operator": "LIKE", "value": "x"}]}]}),
    ];
    for body in bodies {
        let (status, resp) = api.post("/crm/v3/objects/leads/search", body).await;
        assert_eq!(status, 400, "{resp}");
        assert_error(&resp, "VALIDATION_ERROR");
    }
    let ok = json!({"filterGroups": vec![group(6); 3], "limit": 200});
    let (status, _) = api.post("/crm/v3/objects/leads/search", ok).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn paging_stops_at_ten_thousand() {
    let api = Api::start().await;
    let contact = api
        .sandbox
        .seed_contact(json!({"email": "cap@example.com"}));
    api.sandbox.seed_leads(&contact, 10_050);
    let mut after: Option<String> = None;
    let mut seen = 0;
    let last = loop {
        let mut body = json!({"limit": 200, "properties": ["hs_lead_name"]});
        if let Some(a) = &after {
            body["after"] = json!(a);
        }
        let (status, page) = api.post("/crm/v3/objects/leads/search", body).await;
        if status != 200 {
            break (status, page);
        }
        assert_eq!(page["total"], 10_050);
        seen += page["results"].as_array().unwrap().len();
        after = Some(
            page["paging"]["next"]["after"]
                .as_str()
                .expect("more pages")
                .to_string(),
        );
    };
    assert_eq!(seen, 10_000);
    assert_eq!(after.as_deref(), Some("10000"));
    assert_eq!(last.0, 400);
    assert_error(&last.1, "VALIDATION_ERROR");

    // The documented way around the cap: sort by id and filter past the last one seen.
    let (_, page) = api
        .post(
            "/crm/v3/objects/leads/search",
            json!({"sorts": [{"propertyName": "hs_object_id", "direction": "ASCENDING"}],
                   "filterGroups": [{"filters": [{"propertyName": "hs_object_id", "operator": "GT", "value": "100000010000"}]}],
                   "limit": 200}),
        )
        .await;
    assert_eq!(page["total"], 51);
}
