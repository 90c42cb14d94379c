//! The envelope's test vectors (crates/ots-core/tests/vectors.json) through the CLI: each
//! vector's envelope is stored on a real server as another client would store it, and
//! `ots reveal` of the app link made with the vector's key must print the vector's
//! plaintext, or fail as a damaged link for the failure vectors; each ots2 vector, stored
//! with its access value, must give back its text and file.

use ots_testkit::Server;
use ots_testkit::cli::Ots;

fn ots<I, S>(args: I) -> Ots
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    ots_testkit::cli::ots(env!("CARGO_BIN_EXE_ots"), args)
}
use ots_core::form;
use serde_json::Value;

fn vectors() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../ots-core/tests/vectors.json"
    );
    let text = std::fs::read_to_string(path).expect("vectors.json");
    serde_json::from_str(&text).expect("vectors are JSON")
}

/// Stores `envelope` (with the API passphrase `access`, if any) and returns the secret key.
fn store(server: &Server, envelope: &str, access: Option<&str>) -> String {
    let mut pairs = vec![("secret", envelope)];
    if let Some(access) = access {
        pairs.push(("passphrase", access));
    }
    let receipt = server.post("/api/v1/share", &form::encode(pairs));
    receipt["secret_key"]
        .as_str()
        .expect("secret_key")
        .to_owned()
}

#[test]
fn every_vector_reveals_to_its_plaintext() {
    let server = Server::with_account("cli@example.com", "cli-test-token-0123456789", &[]);
    let all = vectors();
    let list = all["vectors"].as_array().expect("vectors");
    assert!(!list.is_empty());
    for v in list {
        let name = v["name"].as_str().expect("name");
        let envelope = v["envelope"].as_str().expect("envelope");
        let key = v["key"].as_str().expect("key");
        let access = v["access"].as_str();
        let secret_key = store(&server, envelope, access);
        let mut link = format!("{}/#/s/{secret_key}/{key}", server.origin);
        let mut args = vec!["reveal".to_owned(), "--yes".to_owned()];
        if let (Some(kdf), Some(passphrase)) = (v["kdf"].as_str(), v["passphrase"].as_str()) {
            link.push_str(&format!("?p={kdf}"));
            let file = server.file(&format!("pass-{secret_key}"), passphrase.as_bytes());
            args.push("--passphrase-file".into());
            args.push(file.to_str().expect("path").into());
        }
        args.push(link);
        let run = ots(&args).run();
        assert_eq!(run.code, 0, "{name}: {}", run.stderr);
        assert_eq!(
            run.stdout,
            v["plaintext"].as_str().expect("plaintext").as_bytes(),
            "{name}"
        );
    }
}

#[test]
fn every_failure_vector_is_a_damaged_link() {
    let server = Server::with_account("cli@example.com", "cli-test-token-0123456789", &[]);
    let all = vectors();
    let list = all["failures"].as_array().expect("failures");
    assert!(!list.is_empty());
    for v in list {
        let name = v["name"].as_str().expect("name");
        let envelope = v["envelope"].as_str().expect("envelope");
        let key = v["key"].as_str().expect("key");
        let secret_key = store(&server, envelope, None);
        let link = format!("{}/#/s/{secret_key}/{key}", server.origin);
        let mut args = vec!["reveal".to_owned(), "--yes".to_owned(), link];
        if let Some(passphrase) = v["passphrase"].as_str() {
            let file = server.file(&format!("pass-{secret_key}"), passphrase.as_bytes());
            args.push("--passphrase-file".into());
            args.push(file.to_str().expect("path").into());
        }
        let run = ots(&args).run();
        assert_eq!(run.code, 5, "{name}: {}", run.stderr);
        assert!(run.stdout.is_empty(), "{name}");
    }
}

#[test]
fn every_ots2_vector_reveals_to_its_text_and_file() {
    let server = Server::with_account("cli@example.com", "cli-test-token-0123456789", &[]);
    let all = vectors();
    let list = all["ots2"]["vectors"].as_array().expect("ots2 vectors");
    assert!(!list.is_empty());
    for v in list {
        let name = v["name"].as_str().expect("name");
        let envelope = v["envelope"].as_str().expect("envelope");
        let secret_key = store(&server, envelope, v["access"].as_str());
        let mut link = format!(
            "{}/#/s/{secret_key}/{}?v=2",
            server.origin,
            v["key"].as_str().expect("key")
        );
        let mut args = vec![
            "reveal".to_owned(),
            "--yes".to_owned(),
            "-o".into(),
            "-".into(),
        ];
        if let (Some(kdf), Some(passphrase)) = (v["kdf"].as_str(), v["passphrase"].as_str()) {
            link.push_str(&format!("&p={kdf}"));
            let file = server.file(&format!("pass-{secret_key}"), passphrase.as_bytes());
            args.push("--passphrase-file".into());
            args.push(file.to_str().expect("path").into());
        }
        args.push(link);
        let run = ots(&args).run();
        assert_eq!(run.code, 0, "{name}: {}", run.stderr);
        let text = v["text"].as_str();
        match v["file"]["bytes_hex"].as_str() {
            // With -o -, the file is standard output and any text goes to standard error.
            Some(hex) => {
                let bytes: Vec<u8> = (0..hex.len())
                    .step_by(2)
                    .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex"))
                    .collect();
                assert_eq!(run.stdout, bytes, "{name}");
                if let Some(text) = text {
                    assert!(run.stderr.contains(text), "{name}: {}", run.stderr);
                }
            }
            None => assert_eq!(run.stdout, text.expect("text").as_bytes(), "{name}"),
        }
    }
}
