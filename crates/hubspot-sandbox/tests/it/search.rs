//! Search filters, sorting, limits and the 10,000-result cap.

use serde_json::{Value, json};

use crate::common::{self, Api, assert_error};

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

/// Where a value sorts: numbers (finite, `-0` equal to `0`) before text (case-insensitive)
/// before unset or empty values; ties by id.
fn sort_class(v: Option<&str>) -> (u8, f64, String) {
    match v.filter(|v| !v.is_empty()) {
        None => (2, 0.0, String::new()),
        Some(v) => match v.trim().parse::<f64>() {
            Ok(x) if x.is_finite() => (0, x + 0.0, String::new()),
            _ => (1, 0.0, v.to_lowercase()),
        },
    }
}

fn cmp_class(a: &(u8, f64, String), b: &(u8, f64, String)) -> std::cmp::Ordering {
    a.0.cmp(&b.0)
        .then(a.1.total_cmp(&b.1))
        .then_with(|| a.2.cmp(&b.2))
}

/// Every result of a search, following `after` pages of 200.
async fn search_all(api: &Api, otype: &str, mut body: Value) -> Vec<Value> {
    let mut out = Vec::new();
    loop {
        body["limit"] = json!(200);
        let (status, page) = api
            .post(&format!("/crm/v3/objects/{otype}/search"), body.clone())
            .await;
        assert_eq!(status, 200, "{page}");
        out.extend(page["results"].as_array().unwrap().iter().cloned());
        match page["paging"]["next"]["after"].as_str() {
            Some(a) => body["after"] = json!(a),
            None => return out,
        }
    }
}

#[tokio::test]
async fn search_sort_is_a_total_order_over_mixed_values() {
    let api = Api::start().await;
    let values: &[Option<&str>] = &[
        Some("10"),
        Some("9"),
        Some("abc"),
        Some("NaN"),
        Some(""),
        None,
        Some("1e3"),
        Some("-0"),
        Some("0"),
        Some("ABC"),
        Some("inf"),
        Some("-infinity"),
        Some("2.5"),
        Some("-7"),
        Some("zeta"),
        Some("1000"),
        Some("9.0"),
        Some(" 3 "),
        Some("nan"),
        Some("10abc"),
    ];
    // Enough objects that the sort does not fall back to insertion sort.
    let mut expected: Vec<(u64, Option<&str>)> = Vec::new();
    for i in 0..600 {
        let v = values[(i * 7) % values.len()];
        let props = match v {
            Some(v) => json!({"score": v, "subject": format!("t{i}")}),
            None => json!({"subject": format!("t{i}")}),
        };
        let id = api.sandbox.seed_object("tickets", props);
        expected.push((id.parse().unwrap(), v));
    }
    for desc in [false, true] {
        let direction = if desc { "DESCENDING" } else { "ASCENDING" };
        let sort = json!({"sorts": [{"propertyName": "score", "direction": direction}],
                          "properties": ["score"]});
        let first = search_all(&api, "tickets", sort.clone()).await;
        let again = search_all(&api, "tickets", sort).await;
        let ids = |r: &[Value]| -> Vec<u64> {
            r.iter()
                .map(|o| o["id"].as_str().unwrap().parse().unwrap())
                .collect()
        };
        assert_eq!(ids(&first), ids(&again), "the order is stable");
        let mut want = expected.clone();
        want.sort_by(|a, b| {
            let ord = cmp_class(&sort_class(a.1), &sort_class(b.1));
            let ord = if desc { ord.reverse() } else { ord };
            ord.then(a.0.cmp(&b.0))
        });
        let want: Vec<u64> = want.iter().map(|(id, _)| *id).collect();
        assert_eq!(ids(&first), want, "{direction}");
    }
}

#[tokio::test]
async fn search_filters_never_treat_nan_as_equal_to_a_number() {
    let api = Api::start().await;
    let mut ids = std::collections::HashMap::new();
    for v in ["NaN", "5", "5.0", "abc", "inf", "-0"] {
        ids.insert(v, api.sandbox.seed_object("2-77", json!({"score": v})));
    }
    let f = |op: &str, value: Value| {
        let filter = if op == "IN" || op == "NOT_IN" {
            json!({"propertyName": "score", "operator": op, "values": value})
        } else {
            json!({"propertyName": "score", "operator": op, "value": value})
        };
        json!({"filterGroups": [{"filters": [filter]}], "properties": ["score"]})
    };
    let scores = |results: Vec<Value>| -> Vec<String> {
        let mut s: Vec<String> = results
            .iter()
            .map(|r| r["properties"]["score"].as_str().unwrap().to_string())
            .collect();
        s.sort();
        s
    };
    assert_eq!(
        scores(search_all(&api, "2-77", f("EQ", json!("5"))).await),
        ["5", "5.0"]
    );
    assert_eq!(
        scores(search_all(&api, "2-77", f("EQ", json!("0"))).await),
        ["-0"]
    );
    assert_eq!(
        scores(search_all(&api, "2-77", f("EQ", json!("nan"))).await),
        ["NaN"]
    );
    assert_eq!(
        scores(search_all(&api, "2-77", f("NEQ", json!(5))).await),
        ["-0", "NaN", "abc", "inf"]
    );
    assert_eq!(
        scores(search_all(&api, "2-77", f("IN", json!(["5", "NaN"]))).await),
        ["5", "5.0", "NaN"]
    );
    assert_eq!(
        scores(search_all(&api, "2-77", f("NOT_IN", json!([5]))).await),
        ["-0", "NaN", "abc", "inf"]
    );
    assert_eq!(ids.len(), 6);
}

#[test]
fn contains_token_with_a_pathological_wildcard_answers_correctly() {
    common::run_with_hang_guard("searches with pathological wildcards", async {
        let api = Api::start().await;
        let long = "a".repeat(1_000_000);
        let plain = api
            .sandbox
            .seed_object("tickets", json!({"subject": long.clone()}));
        let suffix = api
            .sandbox
            .seed_object("tickets", json!({"subject": format!("{long}b")}));
        let word = api.sandbox.seed_object(
            "tickets",
            json!({"subject": format!("x y {}b z", "A".repeat(100_000))}),
        );
        // A star then a long literal: naive backtracking retries the literal at every offset.
        let pattern = format!("*{}b", "a".repeat(100_000));
        let body = json!({"filterGroups": [{"filters": [
            {"propertyName": "subject", "operator": "CONTAINS_TOKEN", "value": pattern}
        ]}], "properties": ["hs_object_id"]});
        let found = search_all(&api, "tickets", body).await;
        let mut found: Vec<String> = found
            .iter()
            .map(|r| r["id"].as_str().unwrap().to_string())
            .collect();
        found.sort();
        assert_eq!(found, [suffix.clone(), word.clone()]);

        let body = json!({"filterGroups": [{"filters": [
            {"propertyName": "subject", "operator": "NOT_CONTAINS_TOKEN", "value": "*a*a*a*a*a*a*a*a*c"}
        ]}], "properties": ["hs_object_id"]});
        let found = search_all(&api, "tickets", body).await;
        assert_eq!(found.len(), 3, "{plain}");
    });
}
