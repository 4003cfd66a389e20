//! A create whose connection was refused never reached HubSpot, so it is sent again.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use crate::support::script_server::{Reply, ScriptServer};
use crate::support::{TOKEN, client_with, lead_json, new_lead, new_lead_body, quick_retries};
use futures::future::BoxFuture;
use hubspot_crm::{AuthError, Lead, RateLimits, RetryPolicy, Secret, TokenProvider};
use tokio::sync::oneshot;

/// Hands out a fixed token and, when asked a second time (the transport asks again before a
/// retry), opens the port the first attempt was refused at.
#[derive(Debug)]
struct OpensPortOnRetry {
    addr: SocketAddr,
    asked: Mutex<u32>,
    opened: Mutex<Option<oneshot::Sender<std::net::TcpListener>>>,
}

impl TokenProvider for OpensPortOnRetry {
    fn token(&self) -> BoxFuture<'_, Result<Secret, AuthError>> {
        Box::pin(async move {
            let mut asked = self.asked.lock().unwrap();
            *asked += 1;
            if *asked == 2 {
                let listener = std::net::TcpListener::bind(self.addr).expect("port still free");
                if let Some(opened) = self.opened.lock().unwrap().take() {
                    opened.send(listener).unwrap();
                }
            }
            Ok(Secret::new(TOKEN))
        })
    }
}

#[tokio::test]
async fn a_refused_create_is_sent_again() {
    // A free port with nothing listening.
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let (opened, listener) = oneshot::channel();
    let provider = Arc::new(OpensPortOnRetry {
        addr,
        asked: Mutex::new(0),
        opened: Mutex::new(Some(opened)),
    });
    let client = client_with(&format!("http://{addr}"), |b| {
        b.token_provider(provider.clone()).retry(quick_retries())
    });
    let server = tokio::spawn(async move {
        let listener = listener.await.unwrap();
        listener.set_nonblocking(true).unwrap();
        ScriptServer::from_listener(
            tokio::net::TcpListener::from_std(listener).unwrap(),
            vec![Reply::json(201, lead_json("901"))],
            Reply::html(500, "unexpected"),
        )
    });

    let created = client
        .objects::<Lead>()
        .create(new_lead("Acme renewal", None))
        .await
        .unwrap();

    assert_eq!(created.id, "901");
    assert_eq!(
        *provider.asked.lock().unwrap(),
        2,
        "one refused attempt, one retry"
    );
    let server = server.await.unwrap();
    let received = server.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].method, "POST");
    assert_eq!(received[0].path(), "/crm/v3/objects/leads");
    assert_eq!(received[0].json(), new_lead_body("Acme renewal"));
}

#[tokio::test]
async fn a_refused_create_reports_a_transport_error_once_attempts_run_out() {
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let client = client_with(&format!("http://{addr}"), |b| {
        b.retry(RetryPolicy {
            max_attempts: 2,
            ..quick_retries()
        })
        .rate_limits(RateLimits::default())
    });

    let error = client
        .objects::<Lead>()
        .create(new_lead("Acme renewal", None))
        .await
        .unwrap_err();

    // Nothing reached HubSpot: the outcome is known, nothing was created.
    assert!(
        matches!(error, hubspot_crm::Error::Transport(_)),
        "{error:?}"
    );
}
