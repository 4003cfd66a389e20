//! The account's property validation rules through `client.property_validations()`: exact
//! paths and bodies on both API versions, HubSpot's answers, the per-client cache, and input
//! refused before anything is sent.

use httpmock::prelude::*;
use hubspot_crm::{ApiVersion, Client, Error, RuleType, ValidationRuleUpdate};
use serde_json::{Value, json};

use crate::support::{TOKEN, catch_all, client, client_with, expect_validation, json_response};

/// A client of each version, with the prefix of its property validations paths.
fn clients(server: &MockServer) -> [(Client, &'static str); 2] {
    [
        (client(server), "/crm/v3/property-validations"),
        (
            client_with(server, |b| b.api_version(ApiVersion::V2026_09)),
            "/crm/property-validations/2026-09",
        ),
    ]
}

/// What HubSpot answers for the contacts of an account with rules on four properties: the
/// guide's postal code (digits only) and age (at least 1), a name of at most 40 characters,
/// and an email pattern HubSpot reads but this client cannot compile.
fn contact_rules() -> Value {
    json!({"results": [
        {
            "propertyName": "zip",
            "propertyValidationRules": [
                {"ruleType": "ALPHANUMERIC", "ruleArguments": ["NUMERIC_ONLY"], "shouldApplyNormalization": false}
            ]
        },
        {
            "propertyName": "age",
            "propertyValidationRules": [
                {"ruleType": "MIN_NUMBER", "ruleArguments": ["1"]},
                {"ruleType": "DECIMAL", "ruleArguments": ["0"]}
            ]
        },
        {
            "propertyName": "firstname",
            "propertyValidationRules": [
                {"ruleType": "MIN_LENGTH", "ruleArguments": ["2"], "shouldApplyNormalization": false},
                {"ruleType": "MAX_LENGTH", "ruleArguments": ["40"], "shouldApplyNormalization": false}
            ]
        },
        {
            "propertyName": "work_email",
            "propertyValidationRules": [
                {"ruleType": "REGEX", "ruleArguments": ["^(?!.*@gmail\\.com$).+@.+$"], "shouldApplyNormalization": false}
            ]
        }
    ]})
}

/// `GET {prefix}/{object_type}` answering [`contact_rules`].
async fn list_mock<'a>(server: &'a MockServer, path: &str) -> httpmock::Mock<'a> {
    server
        .mock_async(|when, then| {
            when.method(GET)
                .path(path)
                .header("authorization", format!("Bearer {TOKEN}"))
                .query_param_count(".*", ".*", 0);
            then.respond_with({
                let body = contact_rules();
                move |_: &HttpMockRequest| json_response(200, &body)
            });
        })
        .await
}

fn update(args: &[&str], normalize: Option<bool>) -> ValidationRuleUpdate {
    ValidationRuleUpdate {
        rule_arguments: args.iter().map(|a| (*a).to_owned()).collect(),
        should_apply_normalization: normalize,
    }
}

#[tokio::test]
async fn list_reads_every_propertys_rules_on_both_versions() {
    let server = MockServer::start_async().await;
    for (client, prefix) in clients(&server) {
        let mock = list_mock(&server, &format!("{prefix}/0-1")).await;
        let list = client.property_validations().list("0-1").await.unwrap();
        mock.assert_calls_async(1).await;
        let properties: Vec<&str> = list.iter().map(|p| p.property()).collect();
        assert_eq!(properties, ["zip", "age", "firstname", "work_email"]);
        let age = list[1].rules();
        assert_eq!(age[0].rule_type(), RuleType::MinNumber);
        assert_eq!(age[0].arguments(), ["1"]);
        assert!(!age[0].should_apply_normalization, "absent reads as false");
        assert_eq!(age[1].rule_type(), RuleType::Decimal);
        assert_eq!(
            list[0].property_validation_rules[0].rule_type,
            "ALPHANUMERIC"
        );
        mock.delete_async().await;
    }
}

#[tokio::test]
async fn the_rules_read_check_values_and_name_what_hubspot_alone_checks() {
    let server = MockServer::start_async().await;
    let mock = list_mock(&server, "/crm/v3/property-validations/contacts").await;
    let rules = client(&server)
        .property_validations()
        .of("contacts")
        .await
        .unwrap();
    mock.assert_calls_async(1).await;
    assert_eq!(rules.check("zip", "10115"), Ok(()));
    let e = rules.check("zip", "10115-A").unwrap_err();
    assert_eq!((e.field.as_str(), e.item), ("zip", None));
    assert_eq!(
        e.reason,
        "`10115-A` has '-', which the account's ALPHANUMERIC rule (NUMERIC_ONLY) does not allow"
    );
    assert_eq!(rules.check("age", "0").unwrap_err().field, "age");
    assert_eq!(rules.check("age", "").map_err(|e| e.field), Ok(()));
    assert_eq!(
        rules.check("firstname", "A").unwrap_err().field,
        "firstname"
    );
    assert_eq!(rules.check("firstname", "Ada"), Ok(()));
    // A look-ahead does not compile here: HubSpot checks it.
    assert_eq!(rules.check("work_email", "ada@gmail.com"), Ok(()));
    let unchecked: Vec<(&str, RuleType)> = rules.unchecked().collect();
    assert_eq!(
        unchecked,
        [("age", RuleType::Decimal), ("work_email", RuleType::Regex)]
    );
}

#[tokio::test]
async fn get_reads_one_propertys_rules_on_both_versions() {
    let server = MockServer::start_async().await;
    for (client, prefix) in clients(&server) {
        let mock = server
            .mock_async(|when, then| {
                when.method(GET).path(format!("{prefix}/contacts/firstname"));
                then.status(200).json_body(json!({"results": [
                    {"ruleType": "MIN_LENGTH", "ruleArguments": ["2"], "shouldApplyNormalization": false},
                    {"ruleType": "MAX_LENGTH", "ruleArguments": ["40"], "shouldApplyNormalization": true}
                ]}));
            })
            .await;
        let rules = client
            .property_validations()
            .get("contacts", "firstname")
            .await
            .unwrap();
        mock.assert_calls_async(1).await;
        let read: Vec<(RuleType, &[String], bool)> = rules
            .iter()
            .map(|r| (r.rule_type(), r.arguments(), r.should_apply_normalization))
            .collect();
        assert_eq!(
            read,
            [
                (RuleType::MinLength, &["2".to_owned()][..], false),
                (RuleType::MaxLength, &["40".to_owned()][..], true),
            ]
        );
        mock.delete_async().await;
    }
}

#[tokio::test]
async fn get_rule_reads_one_rule_and_a_missing_one_is_hubspots_404() {
    let server = MockServer::start_async().await;
    for (client, prefix) in clients(&server) {
        let found = server
            .mock_async(|when, then| {
                when.method(GET)
                    .path(format!("{prefix}/0-3/dealname/rule-type/MAX_LENGTH"));
                then.status(200).json_body(json!(
                    {"ruleType": "MAX_LENGTH", "ruleArguments": ["80"], "shouldApplyNormalization": false}
                ));
            })
            .await;
        let missing = server
            .mock_async(|when, then| {
                when.method(GET)
                    .path(format!("{prefix}/0-3/dealname/rule-type/REGEX"));
                then.status(404).json_body(json!({
                    "status": "error",
                    "message": "No REGEX validation rule found for property dealname",
                    "correlationId": "5c0e9a3d-8b61-4f0e-9d2a-7f4b1c6e2a19",
                    "category": "OBJECT_NOT_FOUND"
                }));
            })
            .await;
        let validations = client.property_validations();
        let rule = validations
            .get_rule("0-3", "dealname", RuleType::MaxLength)
            .await
            .unwrap();
        assert_eq!(
            (rule.rule_type(), rule.arguments()),
            (RuleType::MaxLength, &["80".to_owned()][..])
        );
        let error = validations
            .get_rule("0-3", "dealname", RuleType::Regex)
            .await
            .unwrap_err();
        let api = error.api_error().expect("HubSpot's error");
        assert!(api.is_not_found(), "{api:?}");
        found.assert_calls_async(1).await;
        missing.assert_calls_async(1).await;
        found.delete_async().await;
        missing.delete_async().await;
    }
}

#[tokio::test]
async fn put_rule_sends_the_arguments_and_the_next_use_reads_the_rules_again_by_any_name() {
    let server = MockServer::start_async().await;
    for (client, prefix) in clients(&server) {
        let put = server
            .mock_async(|when, then| {
                when.method(PUT)
                    .path(format!("{prefix}/contacts/firstname/rule-type/MAX_LENGTH"))
                    .header("content-type", "application/json")
                    .json_body(json!({"ruleArguments": ["30"]}));
                then.status(204);
            })
            .await;
        let normalized = server
            .mock_async(|when, then| {
                when.method(PUT)
                    .path(format!("{prefix}/contacts/zip/rule-type/ALPHANUMERIC"))
                    .json_body(json!({"ruleArguments": ["NUMERIC_ONLY"], "shouldApplyNormalization": true}));
                then.status(204);
            })
            .await;
        let list = list_mock(&server, &format!("{prefix}/contacts")).await;
        // The same type cached under its id: a PUT by name drops that too.
        let by_id = list_mock(&server, &format!("{prefix}/0-1")).await;
        let validations = client.property_validations();
        validations.of("contacts").await.unwrap();
        validations.of("0-1").await.unwrap();
        validations
            .put_rule(
                "contacts",
                "firstname",
                RuleType::MaxLength,
                update(&["30"], None),
            )
            .await
            .unwrap();
        validations
            .put_rule(
                "contacts",
                "zip",
                RuleType::Alphanumeric,
                update(&["NUMERIC_ONLY"], Some(true)),
            )
            .await
            .unwrap();
        put.assert_calls_async(1).await;
        normalized.assert_calls_async(1).await;
        list.assert_calls_async(1).await;
        by_id.assert_calls_async(1).await;
        validations.of("contacts").await.unwrap();
        validations.of("0-1").await.unwrap();
        list.assert_calls_async(2).await;
        by_id.assert_calls_async(2).await;
        for mock in [put, normalized, list, by_id] {
            mock.delete_async().await;
        }
    }
}

#[tokio::test]
async fn rules_are_read_once_per_client_and_shared_by_clones() {
    let server = MockServer::start_async().await;
    let mock = list_mock(&server, "/crm/v3/property-validations/contacts").await;
    let client = client(&server);
    let first = client.property_validations().of("contacts").await.unwrap();
    let second = client
        .clone()
        .property_validations()
        .of("Contacts")
        .await
        .unwrap();
    mock.assert_calls_async(1).await;
    assert!(std::sync::Arc::ptr_eq(&first, &second));
    // `refresh` and `list` read again, and what they read is what `of` answers next.
    let refreshed = client
        .property_validations()
        .refresh("contacts")
        .await
        .unwrap();
    assert!(!std::sync::Arc::ptr_eq(&first, &refreshed));
    client
        .property_validations()
        .list("contacts")
        .await
        .unwrap();
    mock.assert_calls_async(3).await;
    let after = client.property_validations().of("contacts").await.unwrap();
    mock.assert_calls_async(3).await;
    assert_eq!(after.properties().len(), 4);
    // Another client has its own cache.
    crate::support::client(&server)
        .property_validations()
        .of("contacts")
        .await
        .unwrap();
    mock.assert_calls_async(4).await;
}

#[tokio::test]
async fn a_failed_read_is_not_kept() {
    let server = MockServer::start_async().await;
    let down = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/crm/v3/property-validations/contacts");
            then.status(502)
                .header("content-type", "text/html")
                .body("<html><body><h1>502 Bad Gateway</h1></body></html>");
        })
        .await;
    let client = client(&server);
    let error = client
        .property_validations()
        .of("contacts")
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(502), "{error:?}");
    down.assert_calls_async(1).await;
    down.delete_async().await;
    let up = list_mock(&server, "/crm/v3/property-validations/contacts").await;
    let rules = client.property_validations().of("contacts").await.unwrap();
    assert_eq!(rules.properties().len(), 4);
    up.assert_calls_async(1).await;
}

#[tokio::test]
async fn an_answer_not_of_hubspots_shape_is_an_error() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/crm/v3/property-validations/contacts");
            then.status(200).json_body(
                json!({"results": [{"propertyName": "zip", "propertyValidationRules": null}]}),
            );
        })
        .await;
    let error = client(&server)
        .property_validations()
        .list("contacts")
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::Decode { status: 200, .. }),
        "{error:?}"
    );
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn bad_input_is_refused_before_anything_is_sent() {
    let server = MockServer::start_async().await;
    let nothing = catch_all(&server).await;
    let validations = client(&server).property_validations();
    for object_type in ["", "deals/0-1", "..", "de als", "3-7"] {
        let e = expect_validation(validations.of(object_type).await);
        assert_eq!(e.field, "objectTypeId", "{object_type:?}");
        let e = expect_validation(validations.list(object_type).await);
        assert_eq!(e.field, "objectTypeId");
    }
    for property in ["", "a/b", "First name", "%2e%2e", "zip,age"] {
        let e = expect_validation(validations.get("contacts", property).await);
        assert_eq!(e.field, "propertyName", "{property:?}");
        let e = expect_validation(
            validations
                .get_rule("contacts", property, RuleType::MaxLength)
                .await,
        );
        assert_eq!(e.field, "propertyName");
    }
    let other = RuleType::Other("MAX_WORDS".to_owned());
    let e = expect_validation(validations.get_rule("contacts", "zip", other.clone()).await);
    assert_eq!(e.field, "ruleType");
    let e = expect_validation(
        validations
            .put_rule("contacts", "zip", other, update(&["3"], None))
            .await,
    );
    assert_eq!(e.field, "ruleType");
    let e = expect_validation(
        validations
            .put_rule(
                "contacts",
                "zip",
                RuleType::MaxLength,
                update(&["ten"], None),
            )
            .await,
    );
    assert_eq!(
        (e.field.as_str(), e.reason.as_str()),
        (
            "ruleArguments",
            "MAX_LENGTH: `ten` is not a number of characters"
        )
    );
    let e = expect_validation(
        validations
            .put_rule(
                "contacts",
                "zip",
                RuleType::MinNumber,
                update(&["1", "2"], None),
            )
            .await,
    );
    assert_eq!(e.field, "ruleArguments");
    nothing.assert_calls_async(0).await;
}
