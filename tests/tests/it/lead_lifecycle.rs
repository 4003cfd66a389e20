//! A lead's life through the public client against the sandbox: create with its contact, read
//! (unset properties, history, associations), update and clear, search, archive, and read
//! from the recycling bin.

use hubspot_crm::{Error, Filter, ReadOptions, RecordUpdate, SearchRequest, lead_properties as p};
use hubspot_sandbox::SandboxConfig;

use crate::common::{self, client, create_contact, lead_input, requests_since, sandbox};

const NAME: &str = "Ada Lovelace renewal";

fn update(id: &str, name: &str, value: &str) -> RecordUpdate {
    RecordUpdate::new(id).property(name, value)
}

#[tokio::test]
async fn lead_lifecycle_from_create_to_recycling_bin() {
    let sandbox = sandbox(SandboxConfig::new()).await;
    let client = client(&sandbox);
    let leads = client.leads();

    let contact = create_contact(&client, "ada@example.com").await;
    // Decoys that search must not return.
    sandbox.seed_leads(&contact, 3);

    let before = sandbox.request_log().len();
    let created = leads
        .new_lead(NAME)
        .contact(&contact)
        .lead_type("NEW_BUSINESS")
        .send()
        .await
        .unwrap();
    assert_eq!(
        requests_since(&sandbox, before),
        [("POST".to_owned(), "/crm/v3/objects/leads".to_owned())]
    );
    assert_eq!(created.property(p::HS_LEAD_NAME), Some(NAME));
    assert_eq!(created.property(p::HS_LEAD_TYPE), Some("NEW_BUSINESS"));
    assert!(!created.archived);
    let id = created.id.clone();

    // Requested but unset properties are None; unknown ones are left out.
    let read = leads
        .get_with(
            &id,
            &ReadOptions::new()
                .properties([p::HS_LEAD_NAME, p::HS_LEAD_LABEL, "no_such_property"])
                .associations(["contacts"]),
        )
        .await
        .unwrap();
    assert_eq!(read.id, id);
    assert_eq!(read.property(p::HS_LEAD_NAME), Some(NAME));
    assert_eq!(read.properties.get(p::HS_LEAD_LABEL), Some(&None));
    assert!(!read.properties.contains_key("no_such_property"));
    let contacts = &read.associations["contacts"];
    assert_eq!(contacts.len(), 1, "{contacts:?}");
    assert_eq!(contacts[0].id, contact);
    assert_eq!(contacts[0].type_, "lead_to_primary_contact");

    // Two updates, then the history lists both, newest first.
    let warm = leads
        .update(update(&id, p::HS_LEAD_LABEL, "WARM"))
        .await
        .unwrap();
    assert_eq!(warm.property(p::HS_LEAD_LABEL), Some("WARM"));
    leads
        .update(update(&id, p::HS_LEAD_LABEL, "HOT"))
        .await
        .unwrap();
    let with_history = leads
        .get_with(
            &id,
            &ReadOptions::new()
                .properties([p::HS_LEAD_LABEL])
                .properties_with_history([p::HS_LEAD_LABEL]),
        )
        .await
        .unwrap();
    assert_eq!(with_history.property(p::HS_LEAD_LABEL), Some("HOT"));
    let history: Vec<&str> = with_history
        .history(p::HS_LEAD_LABEL)
        .iter()
        .map(|v| v.value.as_str())
        .collect();
    assert_eq!(history, ["HOT", "WARM"]);
    assert!(
        with_history
            .history(p::HS_LEAD_LABEL)
            .iter()
            .all(|v| v.source_type == "API")
    );

    // An empty string clears; the sandbox reads a cleared value back as "".
    let cleared = leads
        .update(update(&id, p::HS_LEAD_LABEL, ""))
        .await
        .unwrap();
    assert_eq!(
        cleared.properties.get(p::HS_LEAD_LABEL),
        Some(&Some(String::new()))
    );
    let reread = leads
        .get_with(&id, &ReadOptions::new().properties([p::HS_LEAD_LABEL]))
        .await
        .unwrap();
    assert_eq!(reread.property(p::HS_LEAD_LABEL), Some(""));

    // Search by exact name and by text query finds only this lead.
    let by_name = leads
        .search_page(
            &SearchRequest::new()
                .filter(Filter::eq(p::HS_LEAD_NAME, NAME))
                .properties([p::HS_LEAD_NAME]),
        )
        .await
        .unwrap();
    assert_eq!(by_name.total, Some(1));
    assert_eq!(by_name.results.len(), 1);
    assert_eq!(by_name.results[0].id, id);
    assert_eq!(by_name.results[0].property(p::HS_LEAD_NAME), Some(NAME));
    assert_eq!(by_name.next_after, None);
    let by_query = leads
        .search_page(&SearchRequest::new().query("lovelace"))
        .await
        .unwrap();
    let ids: Vec<&str> = by_query.results.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, [id.as_str()]);
    let everything = leads.search_page(&SearchRequest::new()).await.unwrap();
    assert_eq!(everything.total, Some(4), "the decoys exist");

    // Archive: gone from reads and search, present in the recycling bin.
    let before = sandbox.request_log().len();
    leads.archive(&id).await.unwrap();
    assert_eq!(
        requests_since(&sandbox, before),
        [("DELETE".to_owned(), format!("/crm/v3/objects/leads/{id}"))]
    );
    match leads.get(&id).await {
        Err(Error::Api(e)) => {
            assert!(e.is_not_found(), "{e}");
            assert_eq!(e.status, 404);
            assert_eq!(e.category.as_deref(), Some("OBJECT_NOT_FOUND"));
            assert!(e.correlation_id.is_some());
        }
        other => panic!("expected a 404, got {other:?}"),
    }
    let binned = leads
        .get_with(
            &id,
            &ReadOptions::new()
                .archived(true)
                .properties([p::HS_LEAD_NAME]),
        )
        .await
        .unwrap();
    assert_eq!(binned.id, id);
    assert!(binned.archived);
    assert!(binned.archived_at.is_some());
    assert_eq!(binned.property(p::HS_LEAD_NAME), Some(NAME));
    let after_archive = leads
        .search_page(&SearchRequest::new().filter(Filter::eq(p::HS_LEAD_NAME, NAME)))
        .await
        .unwrap();
    assert_eq!(after_archive.total, Some(0));
    assert!(after_archive.results.is_empty());
}

#[tokio::test]
async fn contact_and_lead_read_each_other_through_the_objects_layer() {
    let sandbox = sandbox(SandboxConfig::new()).await;
    let client = client(&sandbox);
    let contact = create_contact(&client, "grace@example.com").await;
    // The generic layer, as any CRM object type would use it.
    let lead = client
        .objects::<hubspot_crm::Lead>()
        .create(lead_input("Grace Hopper", &contact))
        .await
        .unwrap();
    let read_contact = client
        .contacts()
        .get_with(
            &contact,
            &ReadOptions::new()
                .properties(["email"])
                .associations(["leads"]),
        )
        .await
        .unwrap();
    assert_eq!(read_contact.property("email"), Some("grace@example.com"));
    let leads = &read_contact.associations["leads"];
    assert_eq!(leads.len(), 1, "{leads:?}");
    assert_eq!(leads[0].id, lead.id);
    // An email is unique among contacts: HubSpot's 409 comes back typed.
    let duplicate = client
        .contacts()
        .create(common::record([("email", "grace@example.com")]))
        .await
        .unwrap_err();
    let api = duplicate.api_error().expect("an API error");
    assert_eq!(api.status, 409);
    assert_eq!(api.category.as_deref(), Some("CONFLICT"));
    assert_eq!(api.context.get("id"), Some(&vec![contact.clone()]));
}
