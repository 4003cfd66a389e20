//! The lead lifecycle from HubSpot's leads guide, step by step.
//!
//! With `HUBSPOT_ACCESS_TOKEN` unset it runs against a HubSpot sandbox started in this process;
//! with it set, against HubSpot itself (or `HUBSPOT_BASE_URL`), cleaning up what it creates.
//! `HUBSPOT_API_VERSION` picks the API version (`v3`, the default, or `2026-09`).
//!
//! ```sh
//! cargo run -p hubspot-crm --example quickstart
//! HUBSPOT_API_VERSION=2026-09 cargo run -p hubspot-crm --example quickstart
//! ```

use std::error::Error;

use futures::TryStreamExt;
use hubspot_crm::{
    AssociationCategory, Filter, FilterGroup, LeadAssociation, NewRecord, Operator, ReadOptions,
    RecordUpdate, SearchRequest, Sort,
};
use hubspot_sandbox::SandboxConfig;

mod common;

/// Leads created in bulk.
const BULK_LEADS: usize = 250;

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    // Keep the sandbox alive for the whole run; it stops when dropped.
    let (client, _sandbox) = common::connect(SandboxConfig::new()).await?;
    let run_id = common::run_id();

    // 1. A lead needs an existing contact.
    let contact = client
        .contacts()
        .create(
            NewRecord::new()
                .property("email", format!("quickstart-{run_id}@example.com"))
                .property("firstname", "Ada")
                .property("lastname", "Lovelace"),
        )
        .await?;
    println!(
        "1. created contact {} ({})",
        contact.id,
        contact.property("email").unwrap_or_default()
    );

    // 2. Dropdown options differ per account: read them instead of hard-coding values.
    let definitions = client.properties().definitions("leads").await?;
    let option = |property: &str, wanted: &str| -> Option<String> {
        let definition = definitions.get(property)?;
        let normalize = |s: &str| s.to_lowercase().replace(['_', ' '], "");
        definition
            .options
            .iter()
            .find(|o| {
                normalize(o.label.as_deref().unwrap_or_default()) == normalize(wanted)
                    || normalize(&o.value) == normalize(wanted)
            })
            .map(|o| o.value.clone())
    };
    let leads = client.leads();
    let mut new_lead = leads
        .new_lead(format!("Quickstart {run_id}: Ada's renewal"))
        .contact(&contact.id);
    if let Some(value) = option("hs_lead_type", "new business") {
        new_lead = new_lead.lead_type(value);
    }
    if let Some(value) = option("hs_lead_label", "warm") {
        new_lead = new_lead.label(value);
    }
    let lead = new_lead.send().await?;
    println!(
        "2. created lead {} \"{}\" (type {:?}, label {:?})",
        lead.id,
        lead.property("hs_lead_name").unwrap_or_default(),
        lead.property("hs_lead_type"),
        lead.property("hs_lead_label")
    );

    // 3. Update it, then read it back with properties, history and associations.
    let hot = option("hs_lead_label", "hot").unwrap_or_else(|| "HOT".into());
    leads
        .update(RecordUpdate::new(lead.id.clone()).property("hs_lead_label", hot.clone()))
        .await?;
    println!("3. updated lead {}: hs_lead_label = {hot}", lead.id);
    let read = ReadOptions::new()
        .properties([
            "hs_lead_name",
            "hs_lead_type",
            "hs_lead_label",
            "hubspot_owner_id",
        ])
        .properties_with_history(["hs_lead_label"])
        .associations(["contacts"]);
    let back = leads.get_with(&lead.id, &read).await?;
    let history: Vec<&str> = back
        .history("hs_lead_label")
        .iter()
        .map(|v| v.value.as_str())
        .collect();
    let contacts: Vec<&str> = back.associated_ids("contacts").collect();
    println!(
        "4. read lead {}: owner {:?} (unset is None), label history {history:?}, contacts {contacts:?}",
        back.id,
        back.property("hubspot_owner_id")
    );

    // 4. Associate with a company, by label when the account has a labeled type.
    let company = client
        .companies()
        .create(
            NewRecord::new()
                .property("name", format!("Analytical Engines {run_id}"))
                .property("domain", "example.com"),
        )
        .await?;
    let associations = client.associations();
    let labels = associations.labels("leads", "companies").await?;
    let names: Vec<String> = labels
        .iter()
        .map(|l| format!("{} ({:?})", l.type_id, l.label))
        .collect();
    println!("5. lead→company association types: {}", names.join(", "));
    // Prefer the account's own label; HubSpot's defined ones are there in every account.
    let label = labels
        .iter()
        .filter(|l| l.label.is_some())
        .min_by_key(|l| l.category() != AssociationCategory::UserDefined)
        .and_then(|l| l.label.clone());
    let link = match label {
        Some(label) => {
            let found = associations
                .type_for_label("leads", "companies", &label)
                .await?;
            println!("   type for label \"{label}\": {}", found.type_id);
            associations
                .associate_lead_by_label(&lead.id, "companies", &company.id, &label)
                .await?
        }
        None => {
            associations
                .associate_lead(
                    &lead.id,
                    "companies",
                    &company.id,
                    &[LeadAssociation::Company.association_type()],
                )
                .await?
        }
    };
    println!(
        "   associated lead {} with company {} (labels {:?})",
        lead.id, company.id, link.labels
    );

    // 5. Batch-create leads for the same contact: chunked into requests of 100.
    let inputs: Vec<NewRecord> = (0..BULK_LEADS)
        .map(|i| {
            leads
                .new_lead(format!("Quickstart {run_id} bulk {i:03}"))
                .contact(&contact.id)
                .into_new_record()
        })
        .collect();
    let created = leads.create_many(inputs).await?;
    let created_ids: Vec<String> = created.succeeded().map(|r| r.id.clone()).collect();
    println!(
        "6. batch-created {} of {BULK_LEADS} leads ({} failed)",
        created_ids.len(),
        created.failed().count()
    );

    // 6. Search them, streaming across pages. HubSpot indexes new records for search within
    // seconds, so against HubSpot this waits until all of them are found.
    let search = SearchRequest::new()
        .filter_group(FilterGroup::new([
            Filter::compare(
                "hs_lead_name",
                Operator::ContainsToken,
                format!("*{run_id}*"),
            ),
            Filter::compare("hs_lead_name", Operator::ContainsToken, "bulk"),
        ]))
        .sort(Sort::ascending("hs_object_id"))
        .properties(["hs_lead_name"])
        .limit(100);
    let mut found = Vec::new();
    for attempt in 1..=10 {
        found = leads
            .search_stream(search.clone(), None)
            .try_collect()
            .await?;
        if found.len() >= created_ids.len() || attempt == 10 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    }
    println!(
        "7. search found {} leads named \"Quickstart {run_id} bulk ...\"",
        found.len()
    );

    // 7. Remove the company association, then delete the lead.
    associations
        .remove_all("leads", &lead.id, "companies", &company.id)
        .await?;
    println!(
        "8. removed the association between lead {} and company {}",
        lead.id, company.id
    );
    leads.archive(&lead.id).await?;
    println!("9. deleted lead {} (it is in the recycling bin)", lead.id);

    // Tidy up the rest.
    let archived = leads.archive_many(created_ids).await?;
    client.companies().archive(&company.id).await?;
    client.contacts().archive(&contact.id).await?;
    println!(
        "   cleaned up {} bulk leads, the company and the contact",
        archived.succeeded().count()
    );
    Ok(())
}
