//! Property definitions read from the sandbox, and values checked against them before a lead
//! is written: what only the account knows (options, read-only properties) caught with one
//! cached read instead of a rejected write.

use hubspot_crm::{Error, RecordUpdate, lead_properties as p};
use hubspot_sandbox::SandboxConfig;

use crate::common::{client, lead_input, lead_name_counts, requests_to, sandbox};

#[tokio::test]
async fn lead_values_are_checked_against_the_accounts_definitions() {
    let sandbox = sandbox(SandboxConfig::new()).await;
    let client = client(&sandbox);
    let properties = client.properties();
    let contact = sandbox.seed_contact(serde_json::json!({"email": "ada@example.com"}));

    let definitions = properties.definitions("leads").await.unwrap();
    let label = definitions
        .get(p::HS_LEAD_LABEL)
        .expect("hs_lead_label is defined");
    let options: Vec<&str> = label.options.iter().map(|o| o.value.as_str()).collect();
    assert!(
        options.contains(&"WARM") && options.contains(&"COLD"),
        "{options:?}"
    );
    assert!(definitions.get(p::HS_LEAD_TYPE).is_some());
    assert_eq!(requests_to(&sandbox, "GET", "/crm/v3/properties/leads"), 1);

    let sent = sandbox.request_count();
    let mut good = lead_input("Checked", &contact);
    good.properties
        .insert(p::HS_LEAD_LABEL.to_owned(), "WARM".to_owned());
    properties.check_new_record("leads", &good).await.unwrap();

    let mut bad_option = good.clone();
    bad_option
        .properties
        .insert(p::HS_LEAD_LABEL.to_owned(), "Warm".to_owned());
    let Err(Error::Validation(e)) = properties.check_new_record("leads", &bad_option).await else {
        panic!("a label is not a value");
    };
    assert_eq!(e.field, p::HS_LEAD_LABEL);
    assert!(e.reason.contains("`WARM`"), "{}", e.reason);

    let mut unknown = good.clone();
    unknown
        .properties
        .insert("no_such_property".to_owned(), "x".to_owned());
    let Err(Error::Validation(e)) = properties.check_new_record("leads", &unknown).await else {
        panic!("an unknown property is caught");
    };
    assert_eq!(e.field, "no_such_property");

    let read_only = RecordUpdate::new("1").property("hs_createdate", "2020-01-01");
    let Err(Error::Validation(e)) = properties.check_update("leads", &read_only).await else {
        panic!("a read-only property is caught");
    };
    assert_eq!(e.field, "hs_createdate");
    // Every check used the cached definitions.
    assert_eq!(sandbox.request_count(), sent);

    // What the check let through, HubSpot accepts; what it refused, HubSpot refuses too.
    client.leads().create(good).await.unwrap();
    let refused = client.leads().create(bad_option).await.unwrap_err();
    assert_eq!(refused.status(), Some(400));
    assert_eq!(lead_name_counts(&client).await.len(), 1);
}
