//! The account's property validation rules: served on both lines, changed by PUT, and
//! applied to writes on 2026-09 (on v3 only when switched on), refused as other values are.

use hubspot_sandbox::{Sandbox, SandboxConfig};
use serde_json::{Value, json};

use crate::common::Api;

const V3_RULES: &str = "/crm/v3/property-validations";
const DATED_RULES: &str = "/crm/property-validations/2026-09";
const V3: &str = "/crm/v3/objects";
const DATED: &str = "/crm/objects/2026-09";

/// Deals whose name takes 2 to 10 characters and whose amount is at least 0.
fn deal_rules() -> SandboxConfig {
    SandboxConfig::new()
        .property_validation("deals", "dealname", "MAX_LENGTH", ["10"])
        .property_validation("0-3", "dealname", "MIN_LENGTH", ["2"])
        .property_validation("deals", "amount", "MIN_NUMBER", ["0"])
}

/// HubSpot's message for one refused value, in its key order.
fn refused_message(name: &str, message: &str) -> String {
    let quoted = |s: &str| Value::String(s.to_owned()).to_string();
    format!(
        "Property values were not valid: [{{\"isValid\":false,\"message\":{m},\"error\":\"PROPERTY_VALIDATION_RULE\",\"name\":{n},\"localizedErrorMessage\":{m}}}]",
        m = quoted(message),
        n = quoted(name),
    )
}

const TOO_LONG: &str = "Renewal 2026 Q3";
const TOO_LONG_MESSAGE: &str = "Renewal 2026 Q3 is longer than 10 characters (MAX_LENGTH rule)";

/// The 400 of a single write whose deal name breaks the MAX_LENGTH rule, exactly.
fn assert_too_long(status: u16, body: &Value) {
    assert_eq!(status, 400, "{body}");
    let correlation = body["correlationId"].as_str().expect("a correlation id");
    assert_eq!(correlation.len(), 36);
    assert_eq!(
        *body,
        json!({
            "status": "error",
            "message": refused_message("dealname", TOO_LONG_MESSAGE),
            "correlationId": correlation,
            "category": "VALIDATION_ERROR",
            "errors": [{
                "message": TOO_LONG_MESSAGE,
                "code": "PROPERTY_VALIDATION_RULE",
                "context": {"propertyName": ["dealname"]}
            }]
        })
    );
}

async fn deal_count(api: &Api) -> usize {
    let (status, body) = api.get(&format!("{V3}/deals?limit=100")).await;
    assert_eq!(status, 200, "{body}");
    body["results"].as_array().unwrap().len()
}

#[tokio::test]
async fn configured_rules_are_served_on_both_lines() {
    let api = Api::with(deal_rules()).await;
    let listed = json!({"results": [
        {
            "propertyName": "amount",
            "propertyValidationRules": [
                {"ruleType": "MIN_NUMBER", "ruleArguments": ["0"], "shouldApplyNormalization": false}
            ]
        },
        {
            "propertyName": "dealname",
            "propertyValidationRules": [
                {"ruleType": "MAX_LENGTH", "ruleArguments": ["10"], "shouldApplyNormalization": false},
                {"ruleType": "MIN_LENGTH", "ruleArguments": ["2"], "shouldApplyNormalization": false}
            ]
        }
    ]});
    for prefix in [V3_RULES, DATED_RULES] {
        for otype in ["0-3", "deals"] {
            assert_eq!(
                api.get(&format!("{prefix}/{otype}")).await,
                (200, listed.clone())
            );
        }
        assert_eq!(
            api.get(&format!("{prefix}/0-3/dealname")).await,
            (
                200,
                json!({"results": listed["results"][1]["propertyValidationRules"]})
            )
        );
        assert_eq!(
            api.get(&format!("{prefix}/0-3/dealname/rule-type/MIN_LENGTH"))
                .await,
            (
                200,
                listed["results"][1]["propertyValidationRules"][1].clone()
            )
        );
        // A property without rules has none; one the type does not define is not found.
        assert_eq!(
            api.get(&format!("{prefix}/deals/pipeline")).await,
            (200, json!({"results": []}))
        );
        let (status, body) = api.get(&format!("{prefix}/deals/no_such_property")).await;
        assert_eq!(
            (status, body["category"].as_str()),
            (404, Some("OBJECT_NOT_FOUND"))
        );
        let (status, body) = api
            .get(&format!("{prefix}/deals/dealname/rule-type/REGEX"))
            .await;
        assert_eq!(status, 404, "{body}");
        assert_eq!(
            body["message"],
            "No REGEX validation rule found for property dealname of object type deals"
        );
        let (status, body) = api
            .get(&format!("{prefix}/deals/dealname/rule-type/MAX_WORDS"))
            .await;
        assert_eq!(
            (status, body["category"].as_str()),
            (400, Some("VALIDATION_ERROR"))
        );
        // Types without rules list none; types without a schema take any property.
        assert_eq!(
            api.get(&format!("{prefix}/tickets")).await,
            (200, json!({"results": []}))
        );
        assert_eq!(
            api.get(&format!("{prefix}/0-5/my_field")).await,
            (200, json!({"results": []}))
        );
        let (status, body) = api.get(&format!("{prefix}/widgets")).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(body["message"], "Unable to infer object type from: widgets");
    }
}

#[tokio::test]
async fn put_replaces_the_rule_of_its_type_and_keeps_the_others() {
    let api = Api::with(deal_rules()).await;
    let (status, body) = api
        .send(
            "PUT",
            &format!("{DATED_RULES}/0-3/dealname/rule-type/MAX_LENGTH"),
            Some(json!({"ruleArguments": ["5"]})),
        )
        .await;
    assert_eq!((status, body), (204, Value::Null));
    let (status, body) = api
        .send(
            "PUT",
            &format!("{V3_RULES}/deals/dealname/rule-type/REGEX"),
            Some(json!({"ruleArguments": ["^[A-Z]"], "shouldApplyNormalization": true})),
        )
        .await;
    assert_eq!(status, 204, "{body}");
    assert_eq!(
        api.get(&format!("{V3_RULES}/deals/dealname")).await,
        (
            200,
            json!({"results": [
                {"ruleType": "MAX_LENGTH", "ruleArguments": ["5"], "shouldApplyNormalization": false},
                {"ruleType": "MIN_LENGTH", "ruleArguments": ["2"], "shouldApplyNormalization": false},
                {"ruleType": "REGEX", "ruleArguments": ["^[A-Z]"], "shouldApplyNormalization": true}
            ]})
        )
    );
    // The next write meets the new maximum.
    let (status, body) = api
        .post(
            &format!("{DATED}/deals"),
            json!({"properties": {"dealname": "Sixsix"}}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body["errors"][0]["message"],
        "Sixsix is longer than 5 characters (MAX_LENGTH rule)"
    );
    // A rule on a property that had none.
    let (status, _) = api
        .send(
            "PUT",
            &format!("{DATED_RULES}/deals/pipeline/rule-type/MAX_LENGTH"),
            Some(json!({"ruleArguments": ["3"]})),
        )
        .await;
    assert_eq!(status, 204);
    let (_, listed) = api.get(&format!("{DATED_RULES}/deals")).await;
    let names: Vec<&str> = listed["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["propertyName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["amount", "dealname", "pipeline"]);
}

#[tokio::test]
async fn a_put_that_cannot_be_read_is_refused() {
    let api = Api::with(deal_rules()).await;
    let path = format!("{V3_RULES}/deals/dealname/rule-type/MAX_LENGTH");
    for body in [
        json!({}),
        json!({"ruleArguments": "10"}),
        json!({"ruleArguments": [10]}),
        json!({"ruleArguments": ["10"], "shouldApplyNormalization": "yes"}),
        json!(["10"]),
    ] {
        let (status, answer) = api.send("PUT", &path, Some(body.clone())).await;
        assert_eq!(status, 400, "{body}: {answer}");
        assert_eq!(answer["category"], "VALIDATION_ERROR");
    }
    let (status, _) = api
        .send(
            "PUT",
            &format!("{V3_RULES}/deals/dealname/rule-type/MAX_WORDS"),
            Some(json!({"ruleArguments": ["3"]})),
        )
        .await;
    assert_eq!(status, 400);
    let (status, _) = api
        .send(
            "PUT",
            &format!("{V3_RULES}/deals/no_such_property/rule-type/MAX_LENGTH"),
            Some(json!({"ruleArguments": ["3"]})),
        )
        .await;
    assert_eq!(status, 404);
    // Nothing changed.
    let (_, rules) = api
        .get(&format!("{V3_RULES}/deals/dealname/rule-type/MAX_LENGTH"))
        .await;
    assert_eq!(rules["ruleArguments"], json!(["10"]));
}

#[tokio::test]
async fn a_value_breaking_a_rule_is_refused_on_2026_09_and_taken_on_v3() {
    let api = Api::with(deal_rules()).await;
    let (status, body) = api
        .post(
            &format!("{DATED}/deals"),
            json!({"properties": {"dealname": TOO_LONG}}),
        )
        .await;
    assert_too_long(status, &body);
    assert_eq!(deal_count(&api).await, 0, "nothing was written");
    let (status, created) = api
        .post(
            &format!("{V3}/deals"),
            json!({"properties": {"dealname": TOO_LONG}}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap();
    // Updates: refused on 2026-09, the stored value kept; clearing passes every rule.
    let (status, body) = api
        .send(
            "PATCH",
            &format!("{DATED}/deals/{id}"),
            Some(json!({"properties": {"dealname": TOO_LONG}})),
        )
        .await;
    assert_too_long(status, &body);
    for (value, status) in [("Renewal", 200), ("", 200), ("R", 400)] {
        let (got, body) = api
            .send(
                "PATCH",
                &format!("{DATED}/deals/{id}"),
                Some(json!({"properties": {"dealname": value}})),
            )
            .await;
        assert_eq!(got, status, "{value:?}: {body}");
    }
    let (status, body) = api
        .send(
            "PATCH",
            &format!("{DATED}/deals/{id}"),
            Some(json!({"properties": {"amount": "-5"}})),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body["errors"][0]["message"],
        "-5 is less than 0 (MIN_NUMBER rule)"
    );
    let (_, read) = api
        .get(&format!("{V3}/deals/{id}?properties=dealname,amount"))
        .await;
    assert_eq!(read["properties"]["dealname"], "");
    assert_eq!(read["properties"]["amount"], Value::Null);
}

#[tokio::test]
async fn the_switch_applies_the_rules_to_v3_writes_too() {
    let api = Api::with(deal_rules().property_validations_on_v3(true)).await;
    let (status, body) = api
        .post(
            &format!("{V3}/deals"),
            json!({"properties": {"dealname": TOO_LONG}}),
        )
        .await;
    assert_too_long(status, &body);
    let (status, body) = api
        .post(
            &format!("{V3}/deals"),
            json!({"properties": {"dealname": "Renewal"}}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
}

#[tokio::test]
async fn batch_writes_refuse_a_breaking_input_whole_unless_traced() {
    let api = Api::with(deal_rules()).await;
    let inputs = |traced: bool| {
        let mut inputs = json!([
            {"properties": {"dealname": "Renewal"}},
            {"properties": {"dealname": TOO_LONG}},
        ]);
        if traced {
            inputs[0]["objectWriteTraceId"] = json!("t-0");
            inputs[1]["objectWriteTraceId"] = json!("t-1");
        }
        json!({"inputs": inputs})
    };
    let (status, body) = api
        .post(&format!("{DATED}/deals/batch/create"), inputs(false))
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body,
        json!({
            "status": "error",
            "message": refused_message("dealname", TOO_LONG_MESSAGE),
            "correlationId": body["correlationId"],
            "category": "VALIDATION_ERROR"
        })
    );
    assert_eq!(deal_count(&api).await, 0);
    let (status, body) = api
        .post(&format!("{DATED}/deals/batch/create"), inputs(true))
        .await;
    assert_eq!(status, 207, "{body}");
    assert_eq!(body["results"][0]["properties"]["dealname"], "Renewal");
    assert_eq!(
        body["errors"][0]["context"]["objectWriteTraceId"],
        json!(["t-1"])
    );
    assert_eq!(
        body["errors"][0]["errors"][0]["code"],
        "PROPERTY_VALIDATION_RULE"
    );
    let id = body["results"][0]["id"].as_str().unwrap().to_owned();
    let (status, body) = api
        .post(
            &format!("{DATED}/deals/batch/update"),
            json!({"inputs": [{"id": id, "properties": {"amount": "-1"}}]}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains(r#""name":"amount""#),
        "{body}"
    );
    // v3 takes both.
    let (status, body) = api
        .post(&format!("{V3}/deals/batch/create"), inputs(false))
        .await;
    assert_eq!(status, 201, "{body}");
}

#[tokio::test]
async fn rules_the_sandbox_cannot_read_are_served_but_not_enforced() {
    let config = SandboxConfig::new()
        .property_validation("deals", "dealname", "MAX_LENGTH", ["ten"])
        .property_validation("deals", "dealname", "REGEX", ["(unclosed"])
        .property_validation("deals", "amount", "DECIMAL", ["0"])
        .property_validation("deals", "closedate", "MAX_LENGTH", ["3", "4"]);
    let api = Api::with(config).await;
    let (status, body) = api
        .post(
            &format!("{DATED}/deals"),
            json!({"properties": {"dealname": TOO_LONG, "amount": "1.25", "closedate": "2026-09-08"}}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let (_, rules) = api.get(&format!("{DATED_RULES}/deals/dealname")).await;
    assert_eq!(rules["results"][0]["ruleArguments"], json!(["ten"]));
}

#[tokio::test]
async fn each_enforced_rule_type_refuses_what_breaks_it() {
    // Tickets take any property, so each rule gets one of its own.
    let config = SandboxConfig::new()
        .property_validation("tickets", "email", "EMAIL_BLOCKED_DOMAINS", ["gmail.com"])
        .property_validation(
            "tickets",
            "work_email",
            "EMAIL_ALLOWED_DOMAINS",
            ["@acme.io"],
        )
        .property_validation("tickets", "website", "URL_ALLOWED_DOMAINS", ["acme.io"])
        .property_validation("tickets", "zip", "ALPHANUMERIC", ["NUMERIC_ONLY"])
        .property_validation("0-5", "jobtitle", "REGEX", [r"^[A-Z][a-z]+$"])
        .property_validation("tickets", "seats", "MAX_NUMBER", ["100"])
        .property_validation(
            "tickets",
            "rival_site",
            "URL_BLOCKED_DOMAINS",
            ["competitor.com"],
        )
        .property_validation("tickets", "city", "ALPHANUMERIC", ["ALPHA_ONLY"])
        .property_validation("tickets", "unit", "ALPHANUMERIC", ["ALPHANUMERIC"]);
    let api = Api::with(config).await;
    for (property, value, taken) in [
        ("email", "ada@gmail.com", false),
        ("email", "ada@mail.gmail.com", true),
        ("work_email", "ada@eu.acme.io", true),
        ("work_email", "ada@example.com", false),
        ("website", "https://www.acme.io/pricing", true),
        ("website", "acme.com", false),
        ("zip", "10115", true),
        ("zip", "10115-A", false),
        ("jobtitle", "Engineer", true),
        ("jobtitle", "engineer", false),
        ("seats", "100", true),
        ("seats", "1e3", false),
        ("seats", "many", false),
        ("rival_site", "https://competitor.com/pricing", false),
        ("rival_site", "https://www.competitor.com", true),
        ("city", "New York", true),
        ("city", "R2D2", false),
        ("unit", "R2 D2", true),
        ("unit", "R2-D2", false),
    ] {
        let (status, body) = api
            .post(
                &format!("{DATED}/tickets"),
                json!({"properties": {property: value}}),
            )
            .await;
        let expected = if taken { 201 } else { 400 };
        assert_eq!(status, expected, "{property} {value:?}: {body}");
        if !taken {
            assert_eq!(
                body["errors"][0]["context"]["propertyName"],
                json!([property])
            );
        }
    }
}

#[tokio::test]
async fn start_fails_for_an_unknown_type_or_rule_type() {
    for config in [
        SandboxConfig::new().property_validation("widgets", "x", "MAX_LENGTH", ["1"]),
        SandboxConfig::new().property_validation("deals", "dealname", "MAX_WORDS", ["1"]),
        SandboxConfig::new().property_validation("deals", " ", "MAX_LENGTH", ["1"]),
    ] {
        let error = Sandbox::start(config.clone()).await.unwrap_err();
        assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput, "{config:?}");
    }
}
