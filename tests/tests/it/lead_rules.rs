//! HubSpot's rules for leads, enforced end to end: the client rejects what it can know is
//! wrong before sending; the sandbox rejects what only HubSpot can know, and the client types
//! its answer; a lead that loses its primary contact is deleted.

use hubspot_crm::{
    AssociationCategory, AssociationType, Error, LeadAssociation, NewRecord, ReadOptions,
    lead_properties as p,
};
use hubspot_sandbox::SandboxConfig;

use crate::common::{self, client, create_contact, lead_input, record, requests_since, sandbox};

fn validation(result: hubspot_crm::Result<impl std::fmt::Debug>) -> hubspot_crm::ValidationError {
    match result {
        Err(Error::Validation(e)) => e,
        other => panic!("expected a validation error, got {other:?}"),
    }
}

async fn assert_deleted(client: &hubspot_crm::Client, lead_id: &str) {
    let error = client.leads().get(lead_id).await.unwrap_err();
    assert!(
        error.api_error().is_some_and(|e| e.is_not_found()),
        "lead {lead_id} should be gone: {error:?}"
    );
    let binned = client
        .leads()
        .get_with(lead_id, &ReadOptions::new().archived(true))
        .await
        .unwrap();
    assert!(binned.archived);
}

#[tokio::test]
async fn leads_without_a_contact_are_rejected_before_anything_is_sent() {
    let sandbox = sandbox(SandboxConfig::new()).await;
    let client = client(&sandbox);
    let leads = client.leads();
    let contact = create_contact(&client, "ada@example.com").await;
    let company = client
        .companies()
        .create(record([("name", "Acme")]))
        .await
        .unwrap()
        .into_inner()
        .id;
    let sent = sandbox.request_count();

    let e = validation(leads.new_lead("No contact").send().await);
    assert_eq!((e.field.as_str(), e.item), ("associations", None));
    let e = validation(
        leads
            .new_lead("Company only")
            .company(&company)
            .send()
            .await,
    );
    assert_eq!(e.field, "associations");
    // 608 only counts when HubSpot defines it, not as a custom label's id.
    let custom_608 = AssociationType {
        category: AssociationCategory::UserDefined,
        type_id: 608,
    };
    let e = validation(
        leads
            .new_lead("Custom label")
            .contact_with_type(&contact, custom_608)
            .send()
            .await,
    );
    assert_eq!(e.field, "associations");
    let e = validation(leads.new_lead("  ").contact(&contact).send().await);
    assert_eq!(e.field, p::HS_LEAD_NAME);
    let e = validation(
        leads
            .new_lead("Bad id")
            .contact("ada@example.com")
            .send()
            .await,
    );
    assert_eq!(e.field, "associations[0].to.id");
    let e = validation(
        client
            .objects::<hubspot_crm::Lead>()
            .create(record([(p::HS_LEAD_NAME, "Raw")]))
            .await,
    );
    assert_eq!(e.field, "associations");

    // In a batch the offending item is named, and nothing of the batch is sent.
    let batch = vec![
        lead_input("Good", &contact),
        record([(p::HS_LEAD_NAME, "Bad")]),
    ];
    let e = validation(leads.create_many(batch).await);
    assert_eq!((e.field.as_str(), e.item), ("associations", Some(1)));
    let mut many: Vec<NewRecord> = (0..250)
        .map(|i| lead_input(&format!("Bulk {i}"), &contact))
        .collect();
    many[173].associations.clear();
    let e = validation(leads.create_many(many).await);
    assert_eq!((e.field.as_str(), e.item), ("associations", Some(173)));

    assert_eq!(sandbox.request_count(), sent, "nothing reached the sandbox");
    assert!(common::lead_name_counts(&client).await.is_empty());
}

#[tokio::test]
async fn a_lead_for_a_missing_contact_is_rejected_by_hubspot_with_a_typed_error() {
    let sandbox = sandbox(SandboxConfig::new()).await;
    let client = client(&sandbox);
    let leads = client.leads();
    let contact = create_contact(&client, "ada@example.com").await;

    let before = sandbox.request_log().len();
    let error = leads
        .new_lead("Ghost")
        .contact("987654321")
        .send()
        .await
        .unwrap_err();
    let Error::Api(api) = &error else {
        panic!("expected HubSpot's answer, got {error:?}");
    };
    assert_eq!(api.status, 400);
    assert_eq!(api.category.as_deref(), Some("VALIDATION_ERROR"));
    let message = api.message.as_deref().unwrap_or_default();
    assert!(
        message.contains("987654321") && message.contains("does not exist"),
        "{message}"
    );
    let correlation = api.correlation_id.as_deref().unwrap_or_default();
    assert_eq!(correlation.len(), 36, "a UUID: {correlation}");
    assert_eq!(api.errors.len(), 1);
    assert_eq!(
        api.errors[0].code.as_deref(),
        Some("ASSOCIATION_TARGET_NOT_FOUND")
    );
    assert!(api.raw_body.is_none());
    assert!(error.to_string().contains(correlation), "{error}");
    // A 400 is final: sent once, not retried.
    assert_eq!(requests_since(&sandbox, before).len(), 1);

    // 578 is lead to primary *contact*: HubSpot refuses it towards a company.
    let company = client
        .companies()
        .create(record([("name", "Acme")]))
        .await
        .unwrap()
        .into_inner()
        .id;
    let error = leads
        .new_lead("Wrong target type")
        .contact(&company)
        .send()
        .await
        .unwrap_err();
    let api = error.api_error().expect("HubSpot's answer");
    assert_eq!(
        (api.status, api.category.as_deref()),
        (400, Some("VALIDATION_ERROR"))
    );

    // Neither attempt created anything; a correct lead still can be.
    assert!(common::lead_name_counts(&client).await.is_empty());
    leads
        .new_lead("Real")
        .contact(&contact)
        .send()
        .await
        .unwrap();
    assert_eq!(common::lead_name_counts(&client).await.len(), 1);
}

#[tokio::test]
async fn removing_the_primary_contact_through_v3_deletes_the_lead() {
    let sandbox = sandbox(SandboxConfig::new()).await;
    let client = client(&sandbox);
    let leads = client.leads();
    let primary = create_contact(&client, "primary@example.com").await;
    let other = create_contact(&client, "other@example.com").await;
    let lead = leads
        .new_lead("Two contacts")
        .contact(&primary)
        .send()
        .await
        .unwrap()
        .into_inner()
        .id;
    let with_other = leads
        .associate_v3(&lead, "contacts", &other, 608)
        .await
        .unwrap();
    assert_eq!(with_other.id, lead);
    let mut linked: Vec<(&str, &str)> = with_other.associations["contacts"]
        .iter()
        .map(|a| (a.id.as_str(), a.type_.as_str()))
        .collect();
    linked.sort();
    let mut expected = vec![
        (primary.as_str(), "lead_to_primary_contact"),
        (other.as_str(), "lead_to_contact"),
    ];
    expected.sort();
    assert_eq!(linked, expected);

    // Losing a non-primary contact changes nothing.
    leads
        .remove_association_v3(&lead, "contacts", &other, 608)
        .await
        .unwrap();
    let still = leads
        .get_with(&lead, &ReadOptions::new().associations(["contacts"]))
        .await
        .unwrap();
    let ids: Vec<&str> = still.associations["contacts"]
        .iter()
        .map(|a| a.id.as_str())
        .collect();
    assert_eq!(ids, [primary.as_str()]);

    let before = sandbox.request_log().len();
    leads
        .remove_association_v3(&lead, "contacts", &primary, 578)
        .await
        .unwrap();
    assert_eq!(
        requests_since(&sandbox, before),
        [(
            "DELETE".to_owned(),
            format!("/crm/v3/objects/leads/{lead}/associations/contacts/{primary}/578")
        )]
    );
    assert_deleted(&client, &lead).await;
}

#[tokio::test]
async fn v4_associations_list_add_and_remove_and_removing_the_primary_deletes_the_lead() {
    let sandbox = sandbox(SandboxConfig::new()).await;
    let client = client(&sandbox);
    let associations = client.associations();
    let primary = create_contact(&client, "primary@example.com").await;
    let other = create_contact(&client, "other@example.com").await;
    let lead = client
        .leads()
        .new_lead("v4")
        .contact(&primary)
        .send()
        .await
        .unwrap()
        .into_inner()
        .id;

    let link = associations
        .associate_lead_as(&lead, LeadAssociation::Contact, &other)
        .await
        .unwrap();
    assert_eq!(
        (link.from_object_id.as_str(), link.to_object_id.as_str()),
        (lead.as_str(), other.as_str())
    );
    assert_eq!(link.from_object_type_id, "0-136");
    assert_eq!(link.to_object_type_id, "0-1");

    // The sandbox sends ids as JSON numbers, as HubSpot's v4 does; they read as strings.
    let mut listed = associations
        .list_all("leads", &lead, "contacts")
        .await
        .unwrap();
    listed.sort_by(|a, b| a.to_object_id.cmp(&b.to_object_id));
    let expected_order = {
        let mut ids = [primary.clone(), other.clone()];
        ids.sort();
        ids
    };
    let ids: Vec<&str> = listed.iter().map(|t| t.to_object_id.as_str()).collect();
    assert_eq!(
        ids,
        expected_order
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
    );
    let types_of = |id: &str| -> Vec<(i32, Option<String>)> {
        listed
            .iter()
            .find(|t| t.to_object_id == id)
            .unwrap()
            .association_types
            .iter()
            .map(|l| (l.type_id, l.label.clone()))
            .collect()
    };
    assert!(
        types_of(&primary).contains(&(578, Some("Primary".to_owned()))),
        "{listed:?}"
    );
    assert!(types_of(&other).contains(&(608, None)), "{listed:?}");
    assert!(!types_of(&other).iter().any(|(t, _)| *t == 578));

    associations
        .remove_all("leads", &lead, "contacts", &other)
        .await
        .unwrap();
    let left = associations
        .list_all("leads", &lead, "contacts")
        .await
        .unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].to_object_id.as_str(), primary);
    client.leads().get(&lead).await.expect("still there");

    associations
        .remove_all("leads", &lead, "contacts", &primary)
        .await
        .unwrap();
    assert_deleted(&client, &lead).await;
}

#[tokio::test]
async fn archiving_the_primary_contact_deletes_its_leads() {
    let sandbox = sandbox(SandboxConfig::new()).await;
    let client = client(&sandbox);
    let contact = create_contact(&client, "leaving@example.com").await;
    let kept_contact = create_contact(&client, "staying@example.com").await;
    let lead = client
        .leads()
        .create(lead_input("Orphan", &contact))
        .await
        .unwrap()
        .into_inner()
        .id;
    let kept = client
        .leads()
        .create(lead_input("Kept", &kept_contact))
        .await
        .unwrap()
        .into_inner()
        .id;
    client.contacts().archive(&contact).await.unwrap();
    assert_deleted(&client, &lead).await;
    client
        .leads()
        .get(&kept)
        .await
        .expect("another contact's lead stays");
}

#[tokio::test]
async fn association_labels_are_looked_up_once_and_used_by_name() {
    let sandbox = sandbox(SandboxConfig::new()).await;
    let client = client(&sandbox);
    let associations = client.associations();
    let contact = create_contact(&client, "ada@example.com").await;
    let company = client
        .companies()
        .create(record([("name", "Acme")]))
        .await
        .unwrap()
        .into_inner()
        .id;
    let lead = client
        .leads()
        .create(lead_input("Labels", &contact))
        .await
        .unwrap()
        .into_inner()
        .id;

    let labels = associations.labels("leads", "contacts").await.unwrap();
    let primary = labels
        .iter()
        .find(|l| l.type_id == 578)
        .expect("578 listed");
    assert_eq!(primary.category(), AssociationCategory::HubSpotDefined);
    assert_eq!(primary.label.as_deref(), Some("Primary"));
    assert!(labels.iter().any(|l| l.type_id == 608 && l.label.is_none()));

    let decision_maker = associations
        .type_for_label("leads", "companies", "decision maker's company")
        .await
        .unwrap();
    assert_eq!(decision_maker.category, AssociationCategory::UserDefined);
    assert_eq!(decision_maker.type_id, 1001);

    // Cached: asking again, or for an unknown label, sends nothing.
    let sent = sandbox.request_count();
    associations.labels("leads", "contacts").await.unwrap();
    let e = validation(
        associations
            .type_for_label("leads", "companies", "No such label")
            .await,
    );
    assert_eq!(e.field, "label");
    assert!(
        e.reason.contains("Decision maker's company"),
        "{}",
        e.reason
    );
    assert_eq!(sandbox.request_count(), sent);

    let link = associations
        .associate_lead_by_label(&lead, "companies", &company, "Decision maker's company")
        .await
        .unwrap();
    assert!(
        link.labels.iter().any(|l| l == "Decision maker's company"),
        "{link:?}"
    );
    let listed = associations
        .list_all("leads", &lead, "companies")
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].to_object_id.as_str(), company);
    assert!(listed[0].association_types.iter().any(|t| {
        AssociationType {
            category: serde_json::from_value(serde_json::json!(t.category)).unwrap(),
            type_id: t.type_id,
        } == decision_maker
    }));
}
