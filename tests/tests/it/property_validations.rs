//! The account's property validation rules end to end: the client reads them from the
//! sandbox on each API version, and what `ValidationRules::check` refuses is what the
//! sandbox refuses where it applies them (2026-09, and v3 with the switch on); elsewhere the
//! sandbox takes every value.

use hubspot_crm::{ApiVersion, Client, Error, RuleType, ValidationRuleUpdate, ValidationRules};
use hubspot_sandbox::{Sandbox, SandboxConfig};

use crate::common::{self, record, requests_since, sandbox};

/// Deals whose name takes 2 to 10 characters and whose amount is 0 to 1,000,000; tickets
/// with digits-only postal codes, websites at acme.io, coded references, at most 100 seats,
/// and a note rule whose argument does not parse (left to HubSpot by the client, not
/// enforced by the sandbox).
fn account() -> SandboxConfig {
    SandboxConfig::new()
        .property_validation("deals", "dealname", "MAX_LENGTH", ["10"])
        .property_validation("deals", "dealname", "MIN_LENGTH", ["2"])
        .property_validation("0-3", "amount", "MIN_NUMBER", ["0"])
        .property_validation("0-3", "amount", "MAX_NUMBER", ["1000000"])
        .property_validation("tickets", "zip", "ALPHANUMERIC", ["NUMERIC_ONLY"])
        .property_validation("tickets", "website", "URL_ALLOWED_DOMAINS", ["acme.io"])
        .property_validation("tickets", "reference", "REGEX", [r"^[A-Z]{3}-\d+$"])
        .property_validation("tickets", "seats", "MAX_NUMBER", ["100"])
        .property_validation("tickets", "note", "MAX_LENGTH", ["ten"])
}

/// Values to write, each alone in a create, and whether the rules take them.
const CASES: &[(&str, &str, &str, bool)] = &[
    ("deals", "dealname", "Renewal", true),
    ("deals", "dealname", "Renewal 2026 Q3", false),
    ("deals", "dealname", "R", false),
    ("deals", "dealname", "", true),
    ("deals", "dealname", "日本語の取引名です", true),
    ("deals", "dealname", "日本語の取引名ですよね", false),
    ("deals", "amount", "0", true),
    ("deals", "amount", "-1", false),
    ("deals", "amount", "1000000", true),
    ("deals", "amount", "1000000.01", false),
    ("tickets", "zip", "10115", true),
    ("tickets", "zip", "10115-A", false),
    ("tickets", "website", "https://www.acme.io/pricing", true),
    ("tickets", "website", "example.com", false),
    ("tickets", "reference", "ABC-12", true),
    ("tickets", "reference", "abc-12", false),
    ("tickets", "seats", "100", true),
    ("tickets", "seats", "101", false),
    ("tickets", "seats", "many", false),
    ("tickets", "note", "a note longer than ten characters", true),
];

/// A client of `version` for `sandbox`.
fn client(sandbox: &Sandbox, version: ApiVersion) -> Client {
    common::client(sandbox).with_api_version(version)
}

/// The rules of deals and tickets, read through `client`.
async fn rules(client: &Client) -> [(&'static str, std::sync::Arc<ValidationRules>); 2] {
    let validations = client.property_validations();
    [
        ("deals", validations.of("deals").await.unwrap()),
        ("tickets", validations.of("0-5").await.unwrap()),
    ]
}

/// Writes each case and compares the sandbox's answer with the local check; `enforced`
/// says whether the sandbox applies the rules on the client's version.
async fn compare(client: &Client, enforced: bool) {
    let rules = rules(client).await;
    for &(object_type, property, value, taken) in CASES {
        let (_, of_type) = rules.iter().find(|(t, _)| *t == object_type).unwrap();
        let local = of_type.check(property, value);
        assert_eq!(local.is_ok(), taken, "{property} {value:?}: {local:?}");
        if let Err(e) = &local {
            assert_eq!(e.field, property);
        }
        let written = client
            .objects_of(object_type)
            .unwrap()
            .create(record([(property, value)]))
            .await;
        match written {
            Ok(_) => assert!(taken || !enforced, "{property} {value:?} was taken"),
            Err(Error::Api(api)) => {
                assert!(enforced && !taken, "{property} {value:?}: {api:?}");
                assert!(api.is_validation_error(), "{api:?}");
                assert_eq!(api.invalid_properties(), [property], "{api:?}");
            }
            Err(other) => panic!("{property} {value:?}: {other:?}"),
        }
    }
    // The rule whose argument does not parse is named as HubSpot's to check.
    let unchecked: Vec<(&str, RuleType)> = rules[1].1.unchecked().collect();
    assert_eq!(unchecked, [("note", RuleType::MaxLength)]);
    assert!(rules[0].1.unchecked().next().is_none());
}

/// The paths the client read the rules from, in order.
fn rule_reads(sandbox: &Sandbox, skip: usize) -> Vec<String> {
    requests_since(sandbox, skip)
        .into_iter()
        .filter(|(_, path)| path.contains("property-validations"))
        .map(|(method, path)| format!("{method} {path}"))
        .collect()
}

#[tokio::test]
async fn on_2026_09_the_client_refuses_what_the_sandbox_refuses() {
    let sandbox = sandbox(account()).await;
    compare(&client(&sandbox, ApiVersion::V2026_09), true).await;
    assert_eq!(
        rule_reads(&sandbox, 0),
        [
            "GET /crm/property-validations/2026-09/deals",
            "GET /crm/property-validations/2026-09/0-5",
        ]
    );
}

#[tokio::test]
async fn on_v3_the_sandbox_takes_every_value_and_the_client_reads_the_same_rules() {
    let sandbox = sandbox(account()).await;
    compare(&client(&sandbox, ApiVersion::V3), false).await;
    assert_eq!(
        rule_reads(&sandbox, 0),
        [
            "GET /crm/v3/property-validations/deals",
            "GET /crm/v3/property-validations/0-5",
        ]
    );
}

#[tokio::test]
async fn on_v3_with_the_switch_on_they_agree_too() {
    let sandbox = sandbox(account().property_validations_on_v3(true)).await;
    compare(&client(&sandbox, ApiVersion::V3), true).await;
}

#[tokio::test]
async fn a_rule_put_through_the_client_is_read_back_and_enforced() {
    for version in [ApiVersion::V3, ApiVersion::V2026_09] {
        let sandbox = sandbox(account()).await;
        let client = client(&sandbox, version);
        let validations = client.property_validations();
        let before = validations.of("deals").await.unwrap();
        assert_eq!(before.check("dealname", "Renewal"), Ok(()));
        let sent = sandbox.request_log().len();
        validations
            .put_rule(
                "0-3",
                "dealname",
                RuleType::MaxLength,
                ValidationRuleUpdate {
                    rule_arguments: vec!["5".to_owned()],
                    should_apply_normalization: None,
                },
            )
            .await
            .unwrap();
        let prefix = match version {
            ApiVersion::V3 => "/crm/v3/property-validations",
            _ => "/crm/property-validations/2026-09",
        };
        let put = &sandbox.request_log()[sent];
        assert_eq!(
            (put.method.as_str(), put.path.as_str(), put.body.as_deref()),
            (
                "PUT",
                format!("{prefix}/0-3/dealname/rule-type/MAX_LENGTH").as_str(),
                Some(r#"{"ruleArguments":["5"]}"#)
            )
        );
        let rule = validations
            .get_rule("deals", "dealname", RuleType::MaxLength)
            .await
            .unwrap();
        assert_eq!(rule.arguments(), ["5"]);
        let after = validations.of("deals").await.unwrap();
        let e = after.check("dealname", "Renewal").unwrap_err();
        assert_eq!(
            e.reason,
            "is 7 characters long; the account's MAX_LENGTH rule allows at most 5"
        );
        // The other rule of the property stayed.
        let kept: Vec<RuleType> = validations
            .get("deals", "dealname")
            .await
            .unwrap()
            .iter()
            .map(|r| r.rule_type())
            .collect();
        assert_eq!(kept, [RuleType::MaxLength, RuleType::MinLength]);
        let written = client
            .objects_of("deals")
            .unwrap()
            .create(record([("dealname", "Renewal")]))
            .await;
        assert_eq!(
            written.is_err(),
            version == ApiVersion::V2026_09,
            "{version}: {written:?}"
        );
    }
}
