//! What every example shares: a client for HubSpot when `HUBSPOT_ACCESS_TOKEN` is set (with
//! `HUBSPOT_BASE_URL` and `HUBSPOT_API_VERSION` honoured), else for a sandbox started in this
//! process; and a run id to tag what an example creates.

// Each example uses its own subset of these.
#![allow(dead_code)]

use std::error::Error;

use hubspot_crm::{ApiVersion, Client};
use hubspot_sandbox::{Sandbox, SandboxConfig};

/// The client, and the sandbox it talks to when there is no token. Keep the sandbox alive
/// for the whole run: it stops when dropped.
pub async fn connect(config: SandboxConfig) -> Result<(Client, Option<Sandbox>), Box<dyn Error>> {
    let connected = match std::env::var("HUBSPOT_ACCESS_TOKEN") {
        Ok(token) if !token.trim().is_empty() => {
            let client = Client::from_env()?;
            println!("Using HubSpot at {}", client.base_url());
            (client, None)
        }
        _ => {
            let version = ApiVersion::from_env()?;
            let sandbox = Sandbox::start(config).await?;
            println!(
                "HUBSPOT_ACCESS_TOKEN is not set: using the embedded sandbox at {}",
                sandbox.base_url()
            );
            let client = Client::builder()
                .access_token("sandbox-token")
                .base_url(sandbox.base_url())
                .api_version(version)
                .build()?;
            (client, Some(sandbox))
        }
    };
    println!("API version {}", connected.0.api_version());
    Ok(connected)
}

/// A run id (UTC time to the second) for names, ids and emails this run creates, so that
/// they can be found and told apart in a real account.
pub fn run_id() -> String {
    chrono::Utc::now().format("%Y%m%d%H%M%S").to_string()
}
