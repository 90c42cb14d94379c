//! The accept loop: `axum::serve` with the limits a public server needs.
//!
//! `axum::serve` has no header timeout and no connection cap, so a slowloris client
//! (headers trickled byte by byte) or a pile of idle connections could hold sockets
//! and memory forever. Here each connection is served by hyper's HTTP/1 server (the
//! only protocol the server spoke before, too) with
//! - a header read timeout (`--header-timeout`), which also closes idle keep-alive
//!   connections, since hyper starts it whenever it waits for a request head;
//! - a cap on open connections (`--max-connections`): past it the loop stops
//!   accepting, and new clients wait in the kernel's backlog.
//!
//! Slow bodies are bounded where bodies are read ([`crate::params::read_limited`]).
//!
//! On shutdown ([`crate::health::shutdown_signal`]) the loop stops accepting, serves the
//! connections already waiting in the kernel's backlog (closing the listener would
//! reset them) for one request each, and lets open connections finish their request.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt as _;

/// Connection limits of [`serve`].
#[derive(Debug, Clone, Copy)]
pub struct ConnLimits {
    /// Time to receive a request head (and most idle time between requests).
    pub header_timeout: Duration,
    /// Most open connections.
    pub max_connections: usize,
}

/// How long open connections get to finish after the shutdown signal.
const DRAIN: Duration = Duration::from_secs(10);

/// Serves `app` on `listener` until `shutdown` resolves, then lets open connections
/// finish (at most [`DRAIN`]). Handlers see the peer as `ConnectInfo<SocketAddr>`.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ConnLimits,
    shutdown: impl Future<Output = ()>,
) {
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            p = slots.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break, // never closed
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(conn) => conn,
                Err(e) => {
                    // Out of file descriptors (or similar): back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let conn = graceful.watch(builder.serve_connection(io(stream), service(app.clone(), peer)));
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
            drop(permit);
        });
    }
    // Not watched by `graceful`: it would close them before their request is read.
    builder.keep_alive(false);
    let mut backlog = tokio::task::JoinSet::new();
    while let Ok(Ok((stream, peer))) = tokio::time::timeout(Duration::ZERO, listener.accept()).await
    {
        backlog.spawn(builder.serve_connection(io(stream), service(app.clone(), peer)));
    }
    drop(listener);
    let drained = async {
        graceful.shutdown().await;
        while backlog.join_next().await.is_some() {}
    };
    if tokio::time::timeout(DRAIN, drained).await.is_err() {
        tracing::warn!("connections still open after the drain time; exiting");
    }
}

fn io(stream: tokio::net::TcpStream) -> TokioIo<tokio::net::TcpStream> {
    let _ = stream.set_nodelay(true);
    TokioIo::new(stream)
}

/// The router as a hyper service that tells handlers the peer's address.
fn service(
    app: Router,
    peer: SocketAddr,
) -> impl hyper::service::Service<
    hyper::Request<Incoming>,
    Response = axum::response::Response,
    Error = std::convert::Infallible,
    Future = impl Send,
> + Clone {
    hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
        req.extensions_mut().insert(ConnectInfo::<SocketAddr>(peer));
        app.clone().oneshot(req)
    })
}
