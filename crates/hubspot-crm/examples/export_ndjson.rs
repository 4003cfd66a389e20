//! Exports every lead to an NDJSON file (one JSON object a line: id, times, properties and
//! associated contact ids), streaming: one page of leads is in memory at a time, whatever the
//! account holds.
//!
//! ```sh
//! cargo run -p hubspot-crm --example export_ndjson                   # 2,500 leads seeded in the sandbox
//! cargo run -p hubspot-crm --example export_ndjson -- leads.ndjson   # to that file
//! HUBSPOT_ACCESS_TOKEN=pat-... cargo run -p hubspot-crm --example export_ndjson -- leads.ndjson
//! ```
//!
//! Without a path it writes to a file in the temporary folder. Against HubSpot it only reads
//! (set `HUBSPOT_BASE_URL` for another host, `HUBSPOT_API_VERSION=2026-09` for the dated API).

mod common;

use std::collections::BTreeMap;
use std::error::Error;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::time::Instant;

use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use hubspot_crm::{ReadOptions, StreamOptions, lead_properties as p};
use hubspot_sandbox::SandboxConfig;
use serde::Serialize;

/// Leads seeded into the sandbox.
const SEEDED: usize = 2_500;
/// A progress line every this many leads.
const PROGRESS_EVERY: usize = 500;

/// One line of the export.
#[derive(Serialize)]
struct Line<'a> {
    id: &'a str,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    properties: &'a BTreeMap<String, Option<String>>,
    contacts: Vec<&'a str>,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let (client, sandbox) = common::connect(SandboxConfig::new()).await?;
    if let Some(sandbox) = &sandbox {
        let contact = sandbox.seed_contact(serde_json::json!({"email": "ada@example.com"}));
        sandbox.seed_leads(&contact, SEEDED);
        println!("seeded {SEEDED} leads, each with a primary contact");
    }
    let path = match std::env::args_os().nth(1) {
        Some(path) => PathBuf::from(path),
        None => std::env::temp_dir().join(format!("hubspot-leads-{}.ndjson", common::run_id())),
    };
    let mut out = BufWriter::new(std::fs::File::create(&path)?);

    // A list returns associations with each page, so the contact ids cost no extra request.
    let read = ReadOptions::new()
        .properties([
            p::HS_LEAD_NAME,
            p::HS_LEAD_TYPE,
            p::HS_LEAD_LABEL,
            p::HUBSPOT_OWNER_ID,
            p::HS_PIPELINE,
            p::HS_PIPELINE_STAGE,
            "hs_createdate",
            "hs_lastmodifieddate",
        ])
        .associations(["contacts"]);
    let mut leads = client.leads().list_stream(read, StreamOptions::new());
    let started = Instant::now();
    let (mut written, mut with_contacts) = (0usize, 0usize);
    while let Some(lead) = leads.try_next().await? {
        let line = Line {
            id: &lead.id,
            created_at: lead.created_at,
            updated_at: lead.updated_at,
            properties: &lead.properties,
            contacts: lead.associated_ids("contacts").collect(),
        };
        with_contacts += usize::from(!line.contacts.is_empty());
        serde_json::to_writer(&mut out, &line)?;
        out.write_all(b"\n")?;
        written += 1;
        if written % PROGRESS_EVERY == 0 {
            println!("  {written} leads written");
        }
    }
    out.flush()?;
    drop(out);

    println!(
        "exported {written} leads ({with_contacts} with contacts) to {} in {:.1?}",
        path.display(),
        started.elapsed()
    );
    // On the sandbox the store says how many there are: the export must hold them all.
    if let Some(sandbox) = &sandbox {
        let live = sandbox.live_count("leads");
        if written != live || with_contacts != live {
            return Err(format!(
                "{written} leads ({with_contacts} with contacts) exported, the sandbox has {live}"
            )
            .into());
        }
    }
    Ok(())
}
