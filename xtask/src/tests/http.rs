//! `specs pull --base-url URL` against a loopback server laid out like
//! raw.githubusercontent.com: `GET {base}/{commit}/{percent-encoded path}`.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::{
    FIXTURE_COMMIT, LABELS_PATH, THINGS_PATH, args, fixture_root, mirror, project_manifest,
    project_manifest_text, snapshot, temp_root, temporaries,
};
use crate::{Error, run};

/// A server answering in a background thread for the rest of the test run.
struct Server {
    /// `http://127.0.0.1:{port}/base`.
    base: String,
    /// Request targets received, in order.
    requests: Arc<Mutex<Vec<String>>>,
}

impl Server {
    /// Serves the files below `dir` as `{base}/{commit}/{path}` for each of `commits`; anything
    /// else is a 404.
    fn start(dir: PathBuf, commits: Vec<String>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}/base", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&requests);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                // A client that hangs up early is its own problem.
                let _ = answer(stream, &dir, &commits, &log);
            }
        });
        Server { base, requests }
    }

    fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

fn answer(
    mut stream: TcpStream,
    dir: &Path,
    commits: &[String],
    log: &Mutex<Vec<String>>,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header.trim_end().is_empty() {
            break;
        }
    }
    // "GET /base/{commit}/{path} HTTP/1.1": a path with a raw space would split here and 404.
    let mut parts = request_line.split(' ');
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    log.lock().unwrap().push(target.to_owned());
    let file = target
        .strip_prefix("/base/")
        .filter(|_| method == "GET")
        .and_then(|rest| rest.split_once('/'))
        .filter(|(commit, _)| commits.iter().any(|c| c == commit))
        .and_then(|(_, path)| percent_decode(path))
        .filter(|path| !path.split('/').any(|s| s.is_empty() || s == ".."))
        .map(|path| dir.join(path))
        .filter(|path| path.is_file());
    let (status, body) = match file {
        Some(path) => ("200 OK", std::fs::read(path)?),
        None => ("404 Not Found", b"404: Not Found".to_vec()),
    };
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    stream.write_all(&body)?;
    stream.flush()
}

/// Decodes `%XX` escapes; `None` for a malformed escape or a character that must be escaped.
fn percent_decode(path: &str) -> Option<String> {
    let mut bytes = Vec::with_capacity(path.len());
    let mut input = path.bytes();
    while let Some(b) = input.next() {
        match b {
            b'%' => {
                let hex = [input.next()?, input.next()?];
                bytes.push(u8::from_str_radix(std::str::from_utf8(&hex).ok()?, 16).ok()?);
            }
            b' ' | b'?' | b'#' => return None,
            _ => bytes.push(b),
        }
    }
    String::from_utf8(bytes).ok()
}

fn pull_from(root: &Path, base: &str) -> Result<(), Error> {
    run(root, &args(&["specs", "pull", "--base-url", base]))
}

#[test]
fn pull_downloads_every_spec_with_percent_encoded_paths() {
    let (root, mirror) = fixture_root();
    let server = Server::start(mirror.clone(), vec![FIXTURE_COMMIT.into()]);
    pull_from(root.path(), &server.base).unwrap();
    let pulled = root.path().join("specs/.pulled");
    assert_eq!(snapshot(&pulled), snapshot(&mirror));
    assert_eq!(
        server.requests(),
        [
            format!("/base/{FIXTURE_COMMIT}/{THINGS_PATH}"),
            format!("/base/{FIXTURE_COMMIT}/Specs/Thing%20Labels/v4/labels.json"),
        ]
    );
    assert!(temporaries(root.path()).is_empty());

    // A trailing slash on the base makes no difference.
    std::fs::remove_dir_all(&pulled).unwrap();
    pull_from(root.path(), &format!("{}/", server.base)).unwrap();
    assert_eq!(snapshot(&pulled), snapshot(&mirror));
    assert!(
        server.requests()[2..]
            .iter()
            .all(|r| r.starts_with(&format!("/base/{FIXTURE_COMMIT}/")))
    );
}

#[test]
fn a_404_names_the_url_and_writes_nothing() {
    let (root, mirror) = fixture_root();
    std::fs::remove_file(mirror.join(LABELS_PATH)).unwrap();
    let server = Server::start(mirror, vec![FIXTURE_COMMIT.into()]);
    let err = pull_from(root.path(), &server.base).unwrap_err();
    let expected_url = format!(
        "{}/{FIXTURE_COMMIT}/Specs/Thing%20Labels/v4/labels.json",
        server.base
    );
    match &err {
        Error::Download { url, message } => {
            assert_eq!(url, &expected_url);
            assert!(message.contains("404"), "{message}");
        }
        other => panic!("expected a download error, got {other:?}"),
    }
    let message = err.to_string();
    assert!(
        message.starts_with(&format!("downloading {expected_url}: ")),
        "{message}"
    );
    // The first spec was fetched, but nothing is written unless all are.
    assert!(snapshot(&root.path().join("specs/.pulled")).is_empty());
}

#[test]
fn a_commit_the_server_lacks_is_a_404() {
    let (root, mirror) = fixture_root();
    let server = Server::start(mirror, vec!["another-commit".into()]);
    let err = pull_from(root.path(), &server.base).unwrap_err();
    assert!(
        err.to_string()
            .contains(&format!("{}/{FIXTURE_COMMIT}/{THINGS_PATH}", server.base)),
        "{err}"
    );
}

#[test]
fn an_unreachable_server_names_the_url() {
    let (root, _) = fixture_root();
    // A port nothing listens on any more.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let base = format!("http://127.0.0.1:{port}/base");
    let err = pull_from(root.path(), &base).unwrap_err();
    assert!(matches!(err, Error::Download { .. }), "{err:?}");
    assert!(
        err.to_string().contains(&format!(
            "downloading {base}/{FIXTURE_COMMIT}/{THINGS_PATH}"
        )),
        "{err}"
    );
}

/// Mirror: the project's manifest pulls HubSpot's files over HTTP.
#[test]
fn pull_downloads_the_pinned_specs() {
    let Some(shared) = mirror("pull_downloads_the_pinned_specs") else {
        return;
    };
    let manifest = project_manifest();
    let commits = manifest.specs.iter().map(|s| s.commit.clone()).collect();
    let server = Server::start(shared.clone(), commits);
    let root = temp_root(&project_manifest_text());
    pull_from(root.path(), &server.base).unwrap();
    let pulled = snapshot(&root.path().join("specs/.pulled"));
    assert_eq!(pulled.len(), manifest.specs.len());
    for spec in &manifest.specs {
        assert_eq!(
            pulled[Path::new(&spec.path)],
            std::fs::read(shared.join(&spec.path)).unwrap(),
            "{}",
            spec.path
        );
    }
    assert!(
        server
            .requests()
            .iter()
            .any(|r| r.contains("/PublicApiSpecs/CRM/Associations%20Schema/")),
        "{:?}",
        server.requests()
    );
}
