//! Shared helpers for the sandbox tests.

use hubspot_sandbox::{Sandbox, SandboxConfig};
use serde_json::{Value, json};

pub struct Api {
    pub sandbox: Sandbox,
    pub http: reqwest::Client,
    pub token: String,
}

impl Api {
    pub async fn start() -> Api {
        Self::with(SandboxConfig::new()).await
    }

    pub async fn with(config: SandboxConfig) -> Api {
        let sandbox = Sandbox::start(config).await.expect("sandbox starts");
        Api {
            sandbox,
            http: reqwest::Client::new(),
            token: "test-token".into(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.sandbox.base_url())
    }

    pub async fn send(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let (status, _, body) = self.send_full(method, path, body).await;
        (status, body)
    }

    pub async fn send_full(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> (u16, reqwest::header::HeaderMap, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self
            .http
            .request(method, self.url(path))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("request succeeds");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap();
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, headers, body)
    }

    /// Sends a request and returns the status and the body as text (to inspect it as sent,
    /// e.g. repeated keys that parsing would merge).
    pub async fn send_text(&self, method: &str, path: &str, body: Option<Value>) -> (u16, String) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self
            .http
            .request(method, self.url(path))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req
            .send()
            .await
            .unwrap_or_else(|e| panic!("request fails: {e:?}"));
        let status = resp.status().as_u16();
        (status, resp.text().await.unwrap())
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.send("GET", path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.send("POST", path, Some(body)).await
    }

    pub async fn contact(&self, email: &str) -> String {
        let (status, body) = self
            .post(
                "/crm/v3/objects/contacts",
                json!({"properties": {"email": email, "firstname": "Ada", "lastname": "Lovelace"}}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        body["id"].as_str().unwrap().to_string()
    }

    pub async fn lead(&self, name: &str, contact: &str) -> String {
        let (status, body) = self
            .post("/crm/v3/objects/leads", lead_body(name, contact))
            .await;
        assert_eq!(status, 201, "{body}");
        body["id"].as_str().unwrap().to_string()
    }
}

pub fn lead_body(name: &str, contact: &str) -> Value {
    json!({
        "properties": {"hs_lead_name": name},
        "associations": [{
            "to": {"id": contact},
            "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 578}]
        }]
    })
}

/// Checks HubSpot's error envelope and returns the category.
pub fn assert_error(body: &Value, category: &str) {
    assert_eq!(body["status"], "error", "{body}");
    assert_eq!(body["category"], category, "{body}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    assert!(
        body["correlationId"]
            .as_str()
            .is_some_and(|c| c.len() == 36),
        "{body}"
    );
}

/// Runs a test body on its own multi-threaded runtime, failing the test if it has not
/// finished after several minutes. This is no timing assertion (the work takes
/// milliseconds): it only turns a hang, such as work that grows with the product of two
/// input sizes, into a failure. On a hang the runtime is shut down without waiting for the
/// busy handler, which would otherwise keep the failure from being reported.
pub fn run_with_hang_guard<F: std::future::Future>(what: &str, body: F) -> F::Output {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let out = rt
        .block_on(async { tokio::time::timeout(std::time::Duration::from_secs(300), body).await });
    match out {
        Ok(out) => out,
        Err(_) => {
            rt.shutdown_background();
            panic!("{what} did not finish: the work is not bounded");
        }
    }
}
