//! One info line per request: request id, method, path, status, latency and
//! workspace. Never a token or a body.
//!
//! Every endpoint runs its handler inside [`logged`]. Inputs are taken leniently
//! (see [`crate::extract`]) so that even a request dropshot would refuse reaches
//! the handler, and is logged like any other. The workspace is noted by
//! authentication, through a task-local, so no family has to pass it along.

use crate::context::ServerContext;
use dropshot::{HttpResponse, HttpResponseError, RequestContext};
use std::cell::Cell;
use std::collections::HashSet;
use std::future::Future;
use std::sync::Mutex;
use std::time::Instant;

tokio::task_local! {
    static WORKSPACE: Cell<Option<i64>>;
}

/// Requests a handler has logged whose completion dropshot has not yet reported:
/// dropshot's record of them is then not logged again ([`crate::router_log`]).
static LOGGED: Mutex<Option<HashSet<String>>> = Mutex::new(None);

fn note_logged(request_id: &str) {
    if let Ok(mut set) = LOGGED.lock() {
        set.get_or_insert_with(HashSet::new)
            .insert(request_id.to_owned());
    }
}

/// Whether a handler logged this request (and forgets it: asked once, at its end).
pub fn was_logged(request_id: &str) -> bool {
    LOGGED
        .lock()
        .ok()
        .and_then(|mut set| set.as_mut().map(|s| s.remove(request_id)))
        .unwrap_or(false)
}

/// Records the request's workspace for its log line (called by authentication).
pub fn note_workspace(id: i64) {
    let _ = WORKSPACE.try_with(|w| w.set(Some(id)));
}

/// Runs `handler` and logs the request once it has an answer.
pub async fn logged<R, E, F>(rqctx: &RequestContext<ServerContext>, handler: F) -> Result<R, E>
where
    R: HttpResponse,
    E: HttpResponseError,
    F: Future<Output = Result<R, E>>,
{
    let started = Instant::now();
    let (result, workspace) = WORKSPACE
        .scope(Cell::new(None), async {
            let result = handler.await;
            (result, WORKSPACE.with(Cell::get))
        })
        .await;
    let status = match &result {
        Ok(r) => r.status_code().as_u16(),
        Err(e) => e.status_code().as_u16(),
    };
    let latency = started.elapsed();
    rqctx
        .context()
        .metrics
        .request(&rqctx.endpoint.operation_id, status, latency.as_secs_f64());
    tracing::info!(
        request_id = %rqctx.request_id,
        method = %rqctx.request.method(),
        path = %rqctx.request.uri().path(),
        status,
        latency_us = latency.as_micros() as u64,
        workspace = workspace.map_or(-1, |w| w),
        "request"
    );
    note_logged(&rqctx.request_id);
    result
}
