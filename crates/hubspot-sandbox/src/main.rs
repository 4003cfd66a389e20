//! Runs the HubSpot sandbox until Ctrl-C: `hubspot-sandbox [--port N]`.

use std::net::SocketAddr;

use hubspot_sandbox::{Sandbox, SandboxConfig};

const USAGE: &str = "usage: hubspot-sandbox [--port N]   (default port 8080)";

fn parse_port() -> Result<u16, String> {
    let mut port = 8080;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" | "-p" => {
                let v = args.next().ok_or("--port needs a value")?;
                port = v.parse().map_err(|_| format!("invalid port: {v}"))?;
            }
            s if s.starts_with("--port=") => {
                let v = &s["--port=".len()..];
                port = v.parse().map_err(|_| format!("invalid port: {v}"))?;
            }
            "--help" | "-h" => return Err(USAGE.to_string()),
            other => return Err(format!("unknown argument: {other}\n{USAGE}")),
        }
    }
    Ok(port)
}

#[tokio::main]
async fn main() {
    let port = match parse_port() {
        Ok(p) => p,
        Err(msg) => {
            eprintln!("{msg}");
            std::process::exit(2);
        }
    };
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let sandbox = match Sandbox::start_on(SandboxConfig::new(), addr).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("cannot listen on {addr}: {e}");
            std::process::exit(1);
        }
    };
    println!("{}", sandbox.base_url());
    let _ = tokio::signal::ctrl_c().await;
    sandbox.shutdown().await;
}
