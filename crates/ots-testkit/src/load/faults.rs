//! The faults a load run injects, one kind per phase: slow clients, bodies at the limit,
//! idle connections and a hanging region upstream (see the parent module).

use super::*;

/// An upstream that accepts connections and never answers (held until dropped).
pub(super) struct HangingUpstream {
    pub(super) port: u16,
    task: tokio::task::JoinHandle<()>,
}

impl HangingUpstream {
    pub(super) async fn start() -> HangingUpstream {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the hanging upstream");
        let port = listener.local_addr().expect("its address").port();
        let task = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((socket, _)) = listener.accept().await {
                held.push(socket);
            }
        });
        HangingUpstream { port, task }
    }
}

impl Drop for HangingUpstream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A parsed answer to a raw request.
pub(super) struct Answer {
    status: u16,
    intended: Option<String>,
    body: String,
}

pub(super) fn parse_answer(raw: &[u8]) -> Option<Answer> {
    let text = String::from_utf8_lossy(raw);
    let (head, body) = text.split_once("\r\n\r\n")?;
    let mut lines = head.lines();
    let status = lines.next()?.split_whitespace().nth(1)?.parse().ok()?;
    let intended = lines
        .filter_map(|l| l.split_once(':'))
        .find(|(n, _)| n.eq_ignore_ascii_case("x-ots-intended-status"))
        .map(|(_, v)| v.trim().to_owned());
    Some(Answer {
        status,
        intended,
        body: body.to_owned(),
    })
}

/// Sends `request` whole on a fresh connection and reads until the server closes.
pub(super) async fn raw(port: u16, request: &[u8], within: Duration) -> Result<Answer, String> {
    let exchange = async {
        let mut s = TcpStream::connect(("127.0.0.1", port))
            .await
            .map_err(|e| format!("connect: {e}"))?;
        // A server may answer and close before reading everything (a body over the
        // limit): a failed write is fine as long as the answer can be read.
        let wrote = s.write_all(request).await;
        let mut buf = Vec::new();
        let read = s.read_to_end(&mut buf).await;
        parse_answer(&buf).ok_or_else(|| {
            format!(
                "no HTTP answer (write: {wrote:?}, read: {read:?}, {} bytes)",
                buf.len()
            )
        })
    };
    tokio::time::timeout(within, exchange)
        .await
        .map_err(|_| format!("no answer within {within:?}"))?
}

pub(super) fn form_request(path: &str, body: &[u8]) -> Vec<u8> {
    let mut r = format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    r.extend_from_slice(body);
    r
}

/// Slow clients until `end`: trickles a request head that never ends (`body` false)
/// or a body that never ends; the server must close or answer 408 in time.
pub(super) async fn slow_client(
    port: u16,
    body: bool,
    plan: Plan,
    end: Instant,
    tally: Arc<Tally>,
) {
    let limit = if body {
        plan.body_timeout
    } else {
        plan.header_timeout
    } + SLACK;
    while Instant::now() < end {
        tally.fault("slow clients");
        let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)).await else {
            tally.undeserved("slow client: cannot connect".into());
            continue;
        };
        let head = if body {
            "POST /api/v1/share HTTP/1.1\r\nHost: 127.0.0.1\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nsecret="
        } else {
            "POST /api/v1/share HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: "
        };
        let started = Instant::now();
        let (mut rd, mut wr) = s.split();
        let trickle = async {
            // A slow body comes after a head sent at once (else the header timeout
            // would be what cuts it off).
            let (at_once, slow) = if body { (head, "") } else { ("", head) };
            if wr.write_all(at_once.as_bytes()).await.is_err() {
                return;
            }
            for b in slow.bytes().chain(std::iter::repeat(b'a')) {
                if wr.write_all(&[b]).await.is_err() {
                    break; // the server hung up: what we wait for below
                }
                tokio::time::sleep(plan.trickle).await;
            }
        };
        let mut answer = Vec::new();
        let outcome = tokio::time::timeout(limit, async {
            tokio::select! {
                () = trickle => {}
                _ = rd.read_to_end(&mut answer) => {}
            }
            // Whatever came back before the close.
            let _ =
                tokio::time::timeout(Duration::from_millis(200), rd.read_to_end(&mut answer)).await;
        })
        .await;
        let kind = if body { "body" } else { "head" };
        match (outcome, parse_answer(&answer)) {
            (Err(_), _) => tally.undeserved(format!(
                "slow {kind}: still open after {:?}",
                started.elapsed()
            )),
            // Cut off: hyper closes a slow head without an answer; a slow body gets
            // the 408, unless the bytes still trickling in make the closed socket
            // reset the connection first. Either way the client is dropped in time.
            (Ok(()), None) => {}
            (Ok(()), Some(a)) if a.status == 408 || a.intended.as_deref() == Some("408") => {}
            (Ok(()), other) => tally.undeserved(format!(
                "slow {kind}: answered {:?}",
                other.map(|a| (a.status, a.intended, a.body))
            )),
        }
    }
}

/// Bodies at and just over the limits until `end`.
pub(super) async fn big_bodies(
    client: Http,
    port: u16,
    worker: usize,
    plan: Plan,
    end: Instant,
    tally: Arc<Tally>,
) {
    let limit = body_limit(plan.secret_max_bytes);
    // The last big secret, revealed on the next round (so it lives through a few
    // requests, and big secrets do not pile up in the store).
    let mut pending = None;
    let mut i = 0u64;
    while Instant::now() < end {
        i += 1;
        tally.fault("bodies at the limit");
        let check = |what: &str, r: Result<Answer, String>, want: &str| match r {
            Ok(a) if a.status == 404 && a.intended.as_deref() == Some(want) => {}
            Ok(a) => tally.undeserved(format!(
                "{what}: {} {:?} {}",
                a.status,
                a.intended,
                a.body.chars().take(120).collect::<String>()
            )),
            Err(e) => tally.undeserved(format!("{what}: {e}")),
        };
        match i % 4 {
            // Exactly at the body limit, with a secret exactly at --secret-max-bytes.
            0 => {
                let mut value = format!("big {worker} {i} ");
                value.extend(std::iter::repeat_n(
                    'x',
                    plan.secret_max_bytes - value.len(),
                ));
                let mut body = format!("ttl=3600&secret={}&pad=", value.replace(' ', "+"));
                body.extend(std::iter::repeat_n('p', limit - body.len()));
                match raw(port, &form_request("/api/v1/share", body.as_bytes()), HANG).await {
                    Ok(a) if a.status == 200 => {
                        match json(a.body.as_bytes())["secret_key"].as_str() {
                            Some(k) => {
                                let idx = tally.acknowledged(k.to_owned(), value);
                                if let Some(old) = pending.replace(idx) {
                                    reveal_recorded(&client, port, &tally, old).await;
                                }
                            }
                            None => tally.undeserved(format!("body at the limit: {}", a.body)),
                        }
                    }
                    Ok(a) => tally.undeserved(format!(
                        "body at the limit: {} {:?} {}",
                        a.status, a.intended, a.body
                    )),
                    Err(e) => tally.undeserved(format!("body at the limit: {e}")),
                }
            }
            // One byte over, announced by Content-Length and sent at once, as clients
            // do: the server refuses it on the head, and must not reset the
            // connection under its answer.
            1 => {
                let body = vec![b'a'; limit + 1];
                let r = raw(port, &form_request("/api/v1/share", &body), HANG).await;
                check("body one byte over", r, "413");
            }
            // One byte over, chunked: the server only finds out while reading.
            2 => {
                let mut req = b"POST /api/v1/share HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\
                    Content-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n"
                    .to_vec();
                let mut left = limit + 1;
                while left > 0 {
                    let n = left.min(4096);
                    req.extend_from_slice(format!("{n:x}\r\n").as_bytes());
                    req.extend(std::iter::repeat_n(b'a', n));
                    req.extend_from_slice(b"\r\n");
                    left -= n;
                }
                req.extend_from_slice(b"0\r\n\r\n");
                check(
                    "chunked body one byte over",
                    raw(port, &req, HANG).await,
                    "413",
                );
            }
            // A secret one byte over --secret-max-bytes, in a body under the limit.
            _ => {
                let body = format!("secret={}", "s".repeat(plan.secret_max_bytes + 1));
                let r = raw(port, &form_request("/api/v1/share", body.as_bytes()), HANG).await;
                check("secret one byte over", r, "400");
            }
        }
    }
}

/// Holds one idle connection open until `end`, reopening it whenever the server
/// closes it (its header timeout).
pub(super) async fn idle_connection(port: u16, end: Instant, tally: Arc<Tally>) {
    while Instant::now() < end {
        tally.fault("idle connections");
        let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)).await else {
            tally.undeserved("idle connection: cannot connect".into());
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        let mut buf = [0u8; 64];
        let left = end.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, s.read(&mut buf)).await {
            Err(_) => break, // still open at the end: held all along
            Ok(Ok(0)) => {}  // closed by the header timeout: reopen
            Ok(other) => {
                tally.undeserved(format!("idle connection got {other:?}"));
            }
        }
    }
}

/// Requests to the region whose upstream hangs, until `end`.
pub(super) async fn hanging_region(port: u16, plan: Plan, end: Instant, tally: Arc<Tally>) {
    while Instant::now() < end {
        tally.fault("hanging upstream");
        let started = Instant::now();
        let r = raw(
            port,
            &form_request("/region/hang/api/v1/share", b"secret=x"),
            plan.region_timeout + SLACK,
        )
        .await;
        let took = started.elapsed();
        match r {
            Ok(a)
                if a.status == 404
                    && a.intended.as_deref() == Some("504")
                    && a.body.contains("did not answer in time")
                    && took + Duration::from_millis(50) >= plan.region_timeout => {}
            Ok(a) => tally.undeserved(format!(
                "hanging upstream after {took:?}: {} {:?} {}",
                a.status, a.intended, a.body
            )),
            Err(e) => tally.undeserved(format!("hanging upstream: {e}")),
        }
    }
}

pub(super) fn spawn_faults(
    kind: &str,
    client: &Http,
    port: u16,
    plan: &Plan,
    end: Instant,
    tally: &Arc<Tally>,
) -> Vec<tokio::task::JoinHandle<()>> {
    let mut tasks = Vec::new();
    let (p, t) = (plan.clone(), tally.clone());
    match kind {
        "slow clients" => {
            for i in 0..plan.slow_clients {
                tasks.push(tokio::spawn(slow_client(
                    port,
                    i % 2 == 1,
                    p.clone(),
                    end,
                    t.clone(),
                )));
            }
        }
        "bodies at the limit" => {
            for i in 0..plan.big_bodies {
                tasks.push(tokio::spawn(big_bodies(
                    client.clone(),
                    port,
                    i,
                    p.clone(),
                    end,
                    t.clone(),
                )));
            }
        }
        "idle connections" => {
            for _ in 0..plan.idle_connections {
                tasks.push(tokio::spawn(idle_connection(port, end, t.clone())));
            }
        }
        _ => {
            for _ in 0..plan.hanging_requests {
                tasks.push(tokio::spawn(hanging_region(
                    port,
                    p.clone(),
                    end,
                    t.clone(),
                )));
            }
        }
    }
    tasks
}
