//! A two-way sync loop between HubSpot's leads and a local database (a JSON file): each
//! iteration sends the local records HubSpot does not have yet, created exactly once by their
//! `external_id`, then reads every lead changed in HubSpot since the stored checkpoint and
//! applies it locally. The database and the checkpoint live in files between iterations, so a
//! stopped loop resumes where it was.
//!
//! ```sh
//! cargo run -p hubspot-crm --example sync_loop
//! HUBSPOT_API_VERSION=2026-09 cargo run -p hubspot-crm --example sync_loop
//! HUBSPOT_ACCESS_TOKEN=pat-... cargo run -p hubspot-crm --example sync_loop
//! ```
//!
//! It runs three iterations, with others at work in between: someone edits leads in HubSpot,
//! the local system adds records, and once the sync "stops" after HubSpot created a record but
//! before its id was saved, which the next push settles without a second lead.
//!
//! Against HubSpot this creates a contact and a few leads, named with a run id, and archives
//! them at the end; the first pull reads every lead of the account. The account needs a lead
//! property `external_id` (single-line text, "Require unique values" on).

mod common;

use std::collections::BTreeMap;
use std::error::Error;
use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use hubspot_crm::{
    ChangeFeedOptions, Checkpoint, Client, NewRecord, ReadOptions, RecordUpdate, StreamOptions,
    UniqueOptions, UniqueOutcome, lead_properties as p,
};
use hubspot_sandbox::SandboxConfig;
use serde::{Deserialize, Serialize};

const EXTERNAL_ID: &str = "external_id";

/// The local database.
#[derive(Default, Serialize, Deserialize)]
struct Db {
    /// HubSpot's leads by HubSpot id: name, and when HubSpot last modified it.
    leads: BTreeMap<String, (Option<String>, DateTime<Utc>)>,
    /// Records made here, by their own id.
    ours: BTreeMap<String, Ours>,
    /// Where the change feed is.
    checkpoint: Option<Checkpoint>,
}

#[derive(Serialize, Deserialize)]
struct Ours {
    name: String,
    contact_id: String,
    /// Set once HubSpot has the record.
    hubspot_id: Option<String>,
}

/// (created, already existed, failed) by a push.
type Pushed = (usize, usize, usize);

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let config = SandboxConfig::new().unique_property("leads", EXTERNAL_ID);
    let (client, sandbox) = common::connect(config).await?;
    let run_id = common::run_id();
    let dir = std::env::temp_dir().join(format!("hubspot-sync-{run_id}"));
    std::fs::create_dir_all(&dir)?;
    // The checkpoint is saved with the changes it covers, in one write.
    let db_file = dir.join("db.json");
    println!("local database and checkpoint in {}", db_file.display());
    // HubSpot's search index lags writes by seconds; the sandbox's does not.
    let (index_delay, pause) = match sandbox {
        Some(_) => (Duration::from_millis(100), Duration::ZERO),
        None => (Duration::from_secs(2), Duration::from_secs(5)),
    };

    // What exists already: a contact for our leads, and on the sandbox others' leads.
    let email = format!("sync-{run_id}@example.com");
    let contact = client
        .contacts()
        .create(NewRecord::new().property("email", email))
        .await?;
    if let Some(sandbox) = &sandbox {
        sandbox.seed_leads(&contact.id, 20);
    }
    // The local system adds record `n` (its own transaction on the database).
    let add_ours = |n: usize| -> Result<(), Box<dyn Error>> {
        let mut db = load(&db_file)?;
        let ours = Ours {
            name: format!("Sync {run_id} local {n}"),
            contact_id: contact.id.clone(),
            hubspot_id: None,
        };
        db.ours.insert(format!("sync-{run_id}-{n}"), ours);
        save(&db_file, &db)
    };
    (1..=3).try_for_each(&add_ours)?;

    let (mut pushes, mut others) = (Vec::new(), Vec::new());
    for iteration in 1..=3 {
        pushes.push(sync(&client, &db_file, iteration, index_delay).await?);
        if iteration == 1 {
            // Someone renames two of our leads in HubSpot and adds one; a record is added here.
            let db = load(&db_file)?;
            for id in db
                .ours
                .values()
                .filter_map(|o| o.hubspot_id.as_ref())
                .take(2)
            {
                let name = format!("Sync {run_id} renamed {id}");
                client
                    .leads()
                    .update(RecordUpdate::new(id).property(p::HS_LEAD_NAME, name))
                    .await?;
            }
            let added = client
                .leads()
                .new_lead(format!("Sync {run_id} added in HubSpot"));
            others.push(added.contact(&contact.id).send().await?.id.clone());
            add_ours(4)?;
            println!("  meanwhile: 2 leads renamed and 1 added in HubSpot, record 4 added here");
        } else if iteration == 2 {
            // The sync sends record 5, then stops before saving what HubSpot answered.
            add_ours(5)?;
            push(&client, &mut load(&db_file)?, index_delay).await?;
            println!(
                "  meanwhile: record 5 added here, sent, and the sync stopped before saving its id"
            );
        }
        tokio::time::sleep(pause).await;
    }

    // Does the database hold what HubSpot holds? (Against HubSpot, index lag may leave the
    // latest changes for the next pull.)
    let db = load(&db_file)?;
    let read = ReadOptions::new().properties([p::HS_LEAD_NAME, EXTERNAL_ID]);
    let mut remote = client.leads().list_stream(read, StreamOptions::new());
    let (mut listed, mut same, mut ours_found) = (0, true, 0);
    while let Some(lead) = remote.try_next().await? {
        listed += 1;
        let name = lead.property(p::HS_LEAD_NAME).map(str::to_owned);
        same &= db
            .leads
            .get(&lead.id)
            .is_some_and(|(local, _)| *local == name);
        ours_found += usize::from(
            lead.property(EXTERNAL_ID)
                .is_some_and(|e| db.ours.contains_key(e)),
        );
    }
    same &= listed == db.leads.len();
    println!(
        "after 3 iterations: {} leads here, {listed} in HubSpot ({}); our {} records are {ours_found} leads in HubSpot",
        db.leads.len(),
        if same { "the same" } else { "not the same yet" },
        db.ours.len(),
    );

    if sandbox.is_some() {
        // Record 5 was found by its id in iteration 3, not created again.
        if !same || ours_found != db.ours.len() || pushes != [(3, 0, 0), (1, 0, 0), (0, 1, 0)] {
            return Err(format!("out of sync: pushes {pushes:?}").into());
        }
    } else {
        let ids = db
            .ours
            .values()
            .filter_map(|o| o.hubspot_id.clone())
            .chain(others);
        let archived = client.leads().archive_many(ids).await?;
        client.contacts().archive(&contact.id).await?;
        println!(
            "cleaned up: archived {} leads and the contact",
            archived.succeeded().count()
        );
    }
    Ok(())
}

/// One iteration: push ours, pull theirs (ours come back too), save. A crash before the save
/// loses nothing: the feed reads those changes again, and the push finds what it created.
async fn sync(
    client: &Client,
    db_file: &Path,
    iteration: u32,
    index_delay: Duration,
) -> Result<Pushed, Box<dyn Error>> {
    let mut db = load(db_file)?;
    let pushed = push(client, &mut db, index_delay).await?;
    let since = db.checkpoint.unwrap_or_else(Checkpoint::beginning);
    // Deleted leads are not in the feed (it searches live records): `object.deletion`
    // webhooks, or an occasional full comparison, tell of them.
    let options = ChangeFeedOptions::new().properties([p::HS_LEAD_NAME]);
    let mut feed = client.leads().changes(since, options);
    let (mut applied, mut seen) = (0, 0);
    while let Some(change) = feed.try_next().await? {
        seen += 1;
        // The feed starts a minute before its checkpoint, for changes HubSpot indexed late:
        // apply only what is newer than what is here.
        let newer = db
            .leads
            .get(&change.record.id)
            .is_none_or(|(_, at)| *at < change.modified_at);
        if newer {
            let name = change.record.property(p::HS_LEAD_NAME).map(str::to_owned);
            db.leads
                .insert(change.record.id.clone(), (name, change.modified_at));
            applied += 1;
        }
        db.checkpoint = Some(change.checkpoint);
    }
    save(db_file, &db)?;
    let (created, existed, failed) = pushed;
    println!(
        "iteration {iteration}: pushed {created} created, {existed} already there, {failed} failed; pulled {seen} changes, {applied} applied; checkpoint {}",
        db.checkpoint.unwrap_or(since)
    );
    Ok(pushed)
}

/// Creates our records HubSpot has no id for yet, exactly once each by `external_id`. Failed
/// ones keep no id and are sent again next time.
async fn push(
    client: &Client,
    db: &mut Db,
    index_delay: Duration,
) -> Result<Pushed, Box<dyn Error>> {
    let leads = client.leads();
    let pending: Vec<(&String, &Ours)> = db
        .ours
        .iter()
        .filter(|(_, o)| o.hubspot_id.is_none())
        .collect();
    if pending.is_empty() {
        return Ok((0, 0, 0));
    }
    let inputs = pending.iter().map(|(id, ours)| {
        let lead = leads.new_lead(&ours.name).contact(&ours.contact_id);
        lead.property(EXTERNAL_ID, *id).into_new_record()
    });
    let options = UniqueOptions::new().index_delay(index_delay);
    let result = leads
        .unique_by(EXTERNAL_ID)
        .options(options)
        .create(inputs.collect())
        .await?;
    let ids: Vec<String> = pending.into_iter().map(|(id, _)| id.clone()).collect();
    for (id, outcome) in ids.iter().zip(&result.outcomes) {
        match outcome {
            UniqueOutcome::Created(lead) | UniqueOutcome::AlreadyExisted(lead) => {
                db.ours.get_mut(id).expect("pending").hubspot_id = Some(lead.id.clone());
            }
            UniqueOutcome::Failed(f) => {
                println!("  {id} not sent ({}), trying again next time", f.cause)
            }
        }
    }
    Ok((
        result.created().count(),
        result.already_existed().count(),
        result.failed().count(),
    ))
}

fn load(path: &Path) -> Result<Db, Box<dyn Error>> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(serde_json::from_slice(&bytes)?),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Db::default()),
        Err(e) => Err(e.into()),
    }
}

/// Writes a temporary file and renames it over the old one: a crash never leaves half a file.
fn save(path: &Path, db: &Db) -> Result<(), Box<dyn Error>> {
    let partial = path.with_extension("partial");
    std::fs::write(&partial, serde_json::to_vec_pretty(db)?)?;
    std::fs::rename(partial, path)?;
    Ok(())
}
