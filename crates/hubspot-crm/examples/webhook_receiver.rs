//! A webhook receiver: an axum server that checks HubSpot's v3 signature on every request,
//! answers at once, and hands the events to a worker that reads the leads they name.
//!
//! ```sh
//! cargo run -p hubspot-crm --example webhook_receiver   # signed requests from the sandbox
//! HUBSPOT_ACCESS_TOKEN=pat-... HUBSPOT_CLIENT_SECRET=... PORT=3000 \
//!     WEBHOOK_PUBLIC_URL=https://hooks.example.com cargo run -p hubspot-crm --example webhook_receiver
//! ```
//!
//! On the sandbox it serves on a free local port, has the sandbox send a few signed requests
//! (lead creations, a property change, a contact creation), shows that a request whose body
//! was changed after signing, one signed with another app's secret and a stale one are
//! refused, then exits. With a token it serves `POST /hubspot/webhooks` on `PORT` (default
//! 3000) with the app's client secret from `HUBSPOT_CLIENT_SECRET` until Ctrl-C; set
//! `WEBHOOK_PUBLIC_URL` to the origin HubSpot calls (e.g. behind a proxy terminating TLS),
//! since the signature covers the URL as HubSpot sent it. It only reads from the account.

mod common;

use std::collections::BTreeSet;
use std::error::Error;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use hubspot_crm::{
    Client, ReadOptions, WEBHOOK_MAX_BODY_BYTES, WebhookEvent, WebhookEventKind, WebhookObjectType,
    WebhookVerifier, lead_properties as p, parse_events, webhook_headers,
};
use hubspot_sandbox::webhook::{WebhookOptions, signature_v3};
use hubspot_sandbox::{Sandbox, SandboxConfig};
use tokio::sync::mpsc;

const PATH: &str = "/hubspot/webhooks";
/// The sandbox's app secret (HubSpot's documentation uses one like it).
const SANDBOX_SECRET: &str = "yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy";

struct Receiver {
    verifier: WebhookVerifier,
    /// The origin HubSpot calls, when this server cannot tell it from the request.
    public_url: Option<String>,
    events: mpsc::UnboundedSender<Vec<WebhookEvent>>,
}

async fn receive(
    State(receiver): State<Arc<Receiver>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let origin = receiver.public_url.clone().unwrap_or_else(|| {
        let host = headers
            .get("host")
            .and_then(|h| h.to_str().ok())
            .unwrap_or_default();
        format!("http://{host}")
    });
    let url = format!(
        "{}{}",
        origin.trim_end_matches('/'),
        uri.path_and_query().map_or(PATH, |p| p.as_str())
    );
    if let Err(e) = receiver.verifier.verify("POST", &url, &headers, &body) {
        println!("  refused a request: {e}");
        return e.status();
    }
    match parse_events(&body) {
        Ok(events) => {
            // Answer now (HubSpot waits 5 s at most, then retries); the work happens elsewhere.
            let _ = receiver.events.send(events);
            StatusCode::NO_CONTENT
        }
        Err(e) => e.status(),
    }
}

/// Prints each batch and reads the leads it names: events say what changed, the records (or
/// a change feed) say how things are now. Returns how many events it handled.
async fn work(client: Client, mut batches: mpsc::UnboundedReceiver<Vec<WebhookEvent>>) -> usize {
    let mut handled = 0;
    while let Some(events) = batches.recv().await {
        handled += events.len();
        for event in &events {
            let id = event
                .object_id
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default();
            match &event.kind {
                WebhookEventKind::PropertyChange { name, value, .. } => {
                    println!("  {} {id}: {name} = {value:?}", event.subscription_type)
                }
                _ => println!("  {} {id}", event.subscription_type),
            }
        }
        let gone = |e: &WebhookEvent| {
            matches!(
                e.kind,
                WebhookEventKind::Deletion | WebhookEventKind::PrivacyDeletion
            )
        };
        let lead_ids: BTreeSet<String> = events
            .iter()
            .filter(|e| e.object_type == Some(WebhookObjectType::Lead) && !gone(e))
            .filter_map(|e| e.object_id.as_ref().map(ToString::to_string))
            .collect();
        if lead_ids.is_empty() {
            continue;
        }
        let read = ReadOptions::new().properties([p::HS_LEAD_NAME]);
        match client.leads().read_many(lead_ids, &read).await {
            Ok(result) => {
                for lead in result.succeeded() {
                    let name = lead.property(p::HS_LEAD_NAME).unwrap_or_default();
                    println!("    lead {} is now {name:?}", lead.id);
                }
                for failure in result.failed() {
                    println!("    lead {}: {}", failure.input, failure.cause);
                }
            }
            Err(e) => println!("    reading the leads failed: {e}"),
        }
    }
    handled
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let (client, sandbox) = common::connect(SandboxConfig::new()).await?;
    let (secret, port, public_url) = match &sandbox {
        Some(_) => (SANDBOX_SECRET.to_owned(), 0, None),
        None => {
            let secret = std::env::var("HUBSPOT_CLIENT_SECRET")
                .map_err(|_| "set HUBSPOT_CLIENT_SECRET to the app's client secret")?;
            let port = std::env::var("PORT").map_or(Ok(3000), |p| p.parse::<u16>())?;
            (secret, port, std::env::var("WEBHOOK_PUBLIC_URL").ok())
        }
    };
    let (events, batches) = mpsc::unbounded_channel();
    let receiver = Arc::new(Receiver {
        verifier: WebhookVerifier::new(secret),
        public_url,
        events,
    });
    let app = axum::Router::new()
        .route(PATH, axum::routing::post(receive))
        // The signature check hashes the whole body: cap it first.
        .layer(DefaultBodyLimit::max(WEBHOOK_MAX_BODY_BYTES))
        .with_state(receiver);
    let host = if sandbox.is_some() {
        "127.0.0.1"
    } else {
        "0.0.0.0"
    };
    let listener = tokio::net::TcpListener::bind((host, port)).await?;
    let url = format!("http://{}{PATH}", listener.local_addr()?);
    println!("listening on {url}");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        let until = async {
            tokio::select! {
                // Only the sandbox run sends this; a dropped sender disables the branch.
                Ok(()) = stopped => {}
                _ = tokio::signal::ctrl_c() => println!("Ctrl-C: stopping"),
            }
        };
        axum::serve(listener, app)
            .with_graceful_shutdown(until)
            .await
    });
    let worker = tokio::spawn(work(client.clone(), batches));

    match &sandbox {
        Some(sandbox) => {
            let expected = play_hubspot(sandbox, &client, &url).await?;
            let _ = stop.send(());
            server.await??; // the server drops its sender: the worker ends after the last batch
            let handled = worker.await?;
            println!(
                "handled {handled} events from 3 signed requests; refused 3 (a changed body, another app's secret, a stale request)"
            );
            if handled != expected {
                return Err(format!("{handled} events handled, {expected} sent").into());
            }
        }
        None => {
            server.await??;
            println!("handled {} events", worker.await?);
        }
    }
    Ok(())
}

/// Sends what HubSpot would: signed batches of events about the sandbox's records, and three
/// requests a receiver must refuse. Returns how many events should be accepted.
async fn play_hubspot(
    sandbox: &Sandbox,
    client: &Client,
    url: &str,
) -> Result<usize, Box<dyn Error>> {
    let contact = sandbox.seed_contact(serde_json::json!({"email": "ada@example.com"}));
    let leads = sandbox.seed_leads(&contact, 3);
    let rename = hubspot_crm::RecordUpdate::new(&leads[0])
        .property(p::HS_LEAD_NAME, "Ada's renewal, renamed");
    client.leads().update(rename).await?;
    let batches = [
        sandbox.webhook_events("object.creation", &leads, None),
        sandbox.webhook_events("object.propertyChange", &leads[..1], Some(p::HS_LEAD_NAME)),
        sandbox.webhook_events("contact.creation", &[&contact], None),
    ];
    for events in &batches {
        let status = sandbox.send_webhook(url, SANDBOX_SECRET, events).await?;
        if status != 204 {
            return Err(format!("a signed request got {status}").into());
        }
    }

    // Signed properly, then the body changed on the way.
    let body = batches[1].to_string();
    let timestamp = chrono::Utc::now().timestamp_millis() as u64;
    let signature = signature_v3(SANDBOX_SECRET, "POST", url, body.as_bytes(), timestamp);
    let tampered = body.replace("renamed", "hijacked");
    let status = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .header(webhook_headers::SIGNATURE_V3, signature)
        .header(webhook_headers::REQUEST_TIMESTAMP, timestamp.to_string())
        .body(tampered)
        .send()
        .await?
        .status();
    let other_app = sandbox
        .send_webhook(url, "another app's secret", &batches[1])
        .await?;
    let six_minutes_ago = timestamp - 6 * 60 * 1000;
    let stale = WebhookOptions::new().timestamp_millis(six_minutes_ago);
    let stale = sandbox
        .send_webhook_with(url, SANDBOX_SECRET, &batches[1], &stale)
        .await?;
    if [status.as_u16(), other_app, stale] != [401; 3] {
        return Err(
            format!("refusals answered {status}, {other_app}, {stale}: expected 401 each").into(),
        );
    }
    Ok(batches
        .iter()
        .map(|b| b.as_array().map_or(0, Vec::len))
        .sum())
}
