//! Imports leads from a CSV file, one row per lead, and writes the file back out with each
//! row's outcome.
//!
//! Columns: `external_id,name,contact_email,contact_name,label` (`contact_name` and `label`
//! may be empty or absent; other columns are carried through). Each lead's contact is looked
//! up by email; one that does not exist is created when the row names the person
//! (`contact_name`), else the row is rejected. Leads are created exactly once by
//! `external_id`: importing the same file again creates nothing twice. `<input>.results.csv`
//! gets three more columns: `outcome` (`created`, `already_existed`, `rejected`, or
//! `unknown`: it may exist, import again to settle it), `lead_id` and `error`.
//!
//! ```sh
//! cargo run -p hubspot-crm --example import_csv                 # a sample CSV, on the sandbox
//! cargo run -p hubspot-crm --example import_csv -- leads.csv    # your file
//! HUBSPOT_ACCESS_TOKEN=pat-... cargo run -p hubspot-crm --example import_csv -- leads.csv
//! ```
//!
//! Against HubSpot this creates contacts and leads in the account, and the account needs a
//! lead property `external_id` (single-line text, "Require unique values" on). Without a
//! path it imports a sample (ids, names and emails tagged with a run id) and archives what it
//! created at the end; with your file, what it creates stays. `HUBSPOT_API_VERSION=2026-09`
//! picks the dated API.

mod common;

use std::collections::HashMap;
use std::error::Error;
use std::path::PathBuf;
use std::time::Duration;

use hubspot_crm::{
    Client, FailureCause, ItemOutcome, NewRecord, ReadOptions, UniqueOptions, UniqueOutcome,
};
use hubspot_sandbox::SandboxConfig;
use serde::Deserialize;

const EXTERNAL_ID: &str = "external_id";

/// The sample: `{r}` is the run id. Row 3 was created by an "earlier import"; the `expected`
/// column is carried through to the results, and checked.
const SAMPLE: &str = "\
external_id,name,contact_email,contact_name,label,expected
{r}-001,Import {r}: Ada's renewal,ada-{r}@example.com,,warm,created
{r}-002,Import {r}: Grace's upsell,grace-{r}@example.com,Grace Hopper,Hot,created
{r}-003,Import {r}: Ada's expansion,ada-{r}@example.com,,cold,already_existed
{r}-004,,ada-{r}@example.com,,,rejected
{r}-005,Import {r}: Mystery lead,nobody-{r}@example.com,,,rejected
{r}-002,Import {r}: Grace again,grace-{r}@example.com,,,rejected
{r}-006,Import {r}: Lukewarm lead,grace-{r}@example.com,,lukewarm,rejected
{r}-007,Import {r}: Charles's trial,ada-{r}@example.com,,,created
";

#[derive(Default, Deserialize)]
#[serde(default)]
struct Row {
    external_id: String,
    name: String,
    contact_email: String,
    contact_name: String,
    label: String,
}

/// One row's outcome: `outcome`, `lead_id` and `error` in the results file.
type Outcome = [String; 3];

fn rejected(error: impl Into<String>) -> Option<Outcome> {
    Some(["rejected".into(), String::new(), error.into()])
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let config = SandboxConfig::new().unique_property("leads", EXTERNAL_ID);
    let (client, sandbox) = common::connect(config).await?;
    // HubSpot takes a moment before a lookup finds a new record; the sandbox does not.
    let index_delay = Duration::from_millis(if sandbox.is_some() { 100 } else { 3_000 });
    let sample = std::env::args_os().nth(1).is_none();
    let input = match std::env::args_os().nth(1) {
        Some(path) => PathBuf::from(path),
        None => write_sample(&client, &common::run_id(), index_delay).await?,
    };
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_path(&input)
        .map_err(|e| format!("{}: {e}", input.display()))?;
    let headers = reader.headers()?.clone();
    for column in [EXTERNAL_ID, "name", "contact_email"] {
        if !headers.iter().any(|h| h == column) {
            return Err(format!("{}: no column {column}", input.display()).into());
        }
    }
    let mut records: Vec<csv::StringRecord> = reader.records().collect::<Result<_, _>>()?;
    for record in &mut records {
        // A short row's missing fields are empty.
        while record.len() < headers.len() {
            record.push_field("");
        }
    }
    let rows: Vec<Row> = records
        .iter()
        .map(|r| r.deserialize(Some(&headers)))
        .collect::<Result<_, _>>()?;

    // Checks that need no request, so that one bad row never stops the others: exactly-once
    // creates refuse a whole call whose inputs are invalid or repeat an id.
    let definitions = client.properties().definitions("leads").await?;
    // Dropdown values differ per account: match the label's value or its display name.
    let label_option = |wanted: &str| {
        let same = |s: &str| s.eq_ignore_ascii_case(wanted);
        let options = definitions
            .get("hs_lead_label")
            .map(|d| d.options.as_slice());
        options?
            .iter()
            .find(|o| same(&o.value) || o.label.as_deref().is_some_and(same))
    };
    let mut outcomes: Vec<Option<Outcome>> = Vec::new();
    let mut first_row_of = HashMap::new();
    for (i, row) in rows.iter().enumerate() {
        let first = first_row_of
            .entry(row.external_id.to_lowercase())
            .or_insert(i);
        outcomes.push(if row.external_id.is_empty() {
            rejected("external_id is empty")
        } else if *first != i {
            rejected(format!("same external_id as row {}", *first + 1))
        } else if row.name.is_empty() {
            rejected("name is empty")
        } else if row.contact_email.is_empty() {
            rejected("contact_email is empty")
        } else if !row.label.is_empty() && label_option(&row.label).is_none() {
            rejected(format!(
                "{:?} is not a lead label of the account",
                row.label
            ))
        } else {
            None
        });
    }

    // Contacts: each email looked up once; the missing ones created if a row names them.
    let mut person_for = HashMap::<String, String>::new();
    for (row, _) in rows.iter().zip(&outcomes).filter(|(_, o)| o.is_none()) {
        let person = person_for
            .entry(row.contact_email.to_lowercase())
            .or_default();
        if person.is_empty() {
            person.clone_from(&row.contact_name);
        }
    }
    let contacts = contact_ids(&client, person_for).await?;

    // Leads: one exactly-once create for every row still standing.
    let leads = client.leads();
    let (mut sent, mut inputs) = (Vec::new(), Vec::new());
    for (i, row) in rows.iter().enumerate() {
        if outcomes[i].is_some() {
            continue;
        }
        match &contacts[&row.contact_email.to_lowercase()] {
            Ok(contact_id) => {
                let mut lead = leads
                    .new_lead(&row.name)
                    .contact(contact_id)
                    .property(EXTERNAL_ID, &row.external_id);
                if let Some(option) = label_option(&row.label) {
                    lead = lead.label(&option.value);
                }
                sent.push(i);
                inputs.push(lead.into_new_record());
            }
            Err(error) => outcomes[i] = rejected(error.as_str()),
        }
    }
    if !inputs.is_empty() {
        let result = leads
            .unique_by(EXTERNAL_ID)
            .options(UniqueOptions::new().index_delay(index_delay))
            .create(inputs)
            .await?;
        for (&i, outcome) in sent.iter().zip(result.outcomes) {
            outcomes[i] = Some(match outcome {
                UniqueOutcome::Created(lead) => ["created".into(), lead.id.clone(), String::new()],
                UniqueOutcome::AlreadyExisted(l) => {
                    ["already_existed".into(), l.id.clone(), String::new()]
                }
                UniqueOutcome::Failed(f) => {
                    let outcome = if f.may_exist { "unknown" } else { "rejected" };
                    [outcome.into(), String::new(), f.cause.to_string()]
                }
            });
        }
    }

    // Every row is accounted for: write them all back with their outcome.
    let mut output = input.clone().into_os_string();
    output.push(".results.csv");
    let output = PathBuf::from(output);
    let mut writer = csv::Writer::from_path(&output)?;
    let added = ["outcome", "lead_id", "error"];
    let kept: Vec<usize> = (0..headers.len())
        .filter(|&c| !added.contains(&&headers[c]))
        .collect();
    writer.write_record(kept.iter().map(|&c| &headers[c]).chain(added))?;
    let mut counts = HashMap::<String, usize>::new();
    let mut unexpected = 0;
    let expected = headers.iter().position(|h| h == "expected");
    for (record, outcome) in records.iter().zip(&outcomes) {
        let outcome = outcome
            .as_ref()
            .ok_or("a row was left without an outcome")?;
        *counts.entry(outcome[0].clone()).or_default() += 1;
        unexpected +=
            usize::from(sample && expected.and_then(|c| record.get(c)) != Some(&outcome[0]));
        let values = kept.iter().map(|&c| record.get(c).unwrap_or(""));
        writer.write_record(values.chain(outcome.iter().map(String::as_str)))?;
    }
    writer.flush()?;
    let count = |o: &str| counts.get(o).copied().unwrap_or(0);
    println!(
        "imported {} rows from {}: {} created, {} already existed, {} rejected, {} unknown; results in {}",
        rows.len(),
        input.display(),
        count("created"),
        count("already_existed"),
        count("rejected"),
        count("unknown"),
        output.display()
    );
    if count("unknown") > 0 {
        println!("import the file again to settle the unknown rows: nothing is created twice");
    }
    if sample && sandbox.is_none() {
        let lead_ids = outcomes
            .iter()
            .flatten()
            .map(|o| o[1].clone())
            .filter(|id| !id.is_empty());
        let archived = leads.archive_many(lead_ids).await?;
        let contacts = client
            .contacts()
            .archive_many(contacts.into_values().flatten())
            .await?;
        println!(
            "cleaned up the sample: archived {} leads and {} contacts",
            archived.succeeded().count(),
            contacts.succeeded().count()
        );
    }
    if unexpected > 0 {
        return Err(format!(
            "{unexpected} sample rows did not end as expected: see {}",
            output.display()
        )
        .into());
    }
    Ok(())
}

/// The contact id for each email (lowercase), or why there is none: looked up by email, then
/// created when a person's name is given. HubSpot keeps contact emails unique, so a create
/// whose answer was lost cannot make a second contact: the next import finds the first.
async fn contact_ids(
    client: &Client,
    person_for: HashMap<String, String>,
) -> Result<HashMap<String, Result<String, String>>, Box<dyn Error>> {
    let contacts = client.contacts();
    let emails: Vec<String> = person_for.keys().cloned().collect();
    let by_email = ReadOptions::new()
        .id_property("email")
        .properties(["email"]);
    let found = contacts.read_many(emails.clone(), &by_email).await?;
    let (mut ids, mut to_create) = (HashMap::new(), Vec::new());
    for (email, outcome) in emails.into_iter().zip(found.outcomes) {
        let id = match outcome {
            ItemOutcome::Succeeded(contact) => Ok(contact.id.clone()),
            // A batch read rejects the emails it has no contact for.
            ItemOutcome::Failed(e) if matches!(e.cause, FailureCause::Rejected(_)) => {
                if !person_for[&email].is_empty() {
                    to_create.push(email);
                    continue;
                }
                Err(format!(
                    "unknown contact {email}, and no contact_name to create one"
                ))
            }
            ItemOutcome::Failed(e) => Err(format!("looking up the contact failed: {}", e.cause)),
        };
        ids.insert(email, id);
    }
    let inputs = to_create.iter().map(|email| {
        let person = &person_for[email];
        let (first, last) = person.split_once(' ').unwrap_or((person, ""));
        NewRecord::new()
            .property("email", email)
            .property("firstname", first)
            .property("lastname", last)
    });
    let created = contacts.create_many(inputs.collect()).await?;
    for (email, outcome) in to_create.into_iter().zip(created.outcomes) {
        let id = match outcome {
            ItemOutcome::Succeeded(contact) => Ok(contact.id.clone()),
            ItemOutcome::Failed(e) => existing_id(&e.cause)
                .ok_or_else(|| format!("creating the contact failed: {}", e.cause)),
        };
        ids.insert(email, id);
    }
    Ok(ids)
}

/// The contact a create conflicted with: one created so recently that the lookup by email did
/// not find it yet. HubSpot names it in `context.id` or in its message.
fn existing_id(cause: &FailureCause) -> Option<String> {
    let FailureCause::Rejected(e) = cause else {
        return None;
    };
    if e.category.as_deref() != Some("CONFLICT") {
        return None;
    }
    let from_message = || {
        let (_, id) = e.message.as_deref()?.rsplit_once("Existing ID: ")?;
        Some(id.trim().to_owned())
    };
    e.context
        .get("id")
        .and_then(|ids| ids.first().cloned())
        .or_else(from_message)
}

/// Writes the sample CSV to a temporary folder, after creating what it refers to: Ada's
/// contact, and the lead of row 3.
async fn write_sample(
    client: &Client,
    run_id: &str,
    index_delay: Duration,
) -> Result<PathBuf, Box<dyn Error>> {
    let ada = NewRecord::new()
        .property("email", format!("ada-{run_id}@example.com"))
        .property("firstname", "Ada")
        .property("lastname", "Lovelace");
    let ada = client.contacts().create(ada).await?;
    client
        .leads()
        .new_lead(format!("Import {run_id}: Ada's expansion (earlier import)"))
        .contact(&ada.id)
        .property(EXTERNAL_ID, format!("{run_id}-003"))
        .send()
        .await?;
    // So that the import's lookup by email finds the new contact.
    tokio::time::sleep(index_delay).await;
    let dir = std::env::temp_dir().join(format!("hubspot-import-{run_id}"));
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("leads.csv");
    std::fs::write(&path, SAMPLE.replace("{r}", run_id))?;
    println!(
        "wrote a sample CSV with a few bad rows to {}",
        path.display()
    );
    Ok(path)
}
