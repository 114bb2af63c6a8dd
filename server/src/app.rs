//! Wiring: the server context, the trait implementation that routes each endpoint
//! to its family, and starting the HTTP server.

use crate::api::{self, bigchange, introzy, maiascore, salesmap, CrmApi, DocumentPath};
use crate::body::{JsonBody, MultiFormatBody};
use crate::extract::{Lenient, LenientShared};
use crate::families;
use crate::idempotency::IdempotencyKeyHeader;
use crate::request_log::logged;
use crate::store::Store;
use dropshot::{
    Body, ConfigDropshot, ConfigLogging, ConfigLoggingLevel, Header, HttpError,
    HttpResponseCreated, HttpResponseOk, HttpServer, Path, RequestContext, ServerBuilder,
};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// The hand-written OpenAPI documents, by file name, embedded by the root build
/// script.
pub type Specs = &'static [(&'static str, &'static str)];

pub struct ServerContext {
    pub store: Arc<dyn Store>,
    pub specs: Specs,
    /// How long an idempotency key is remembered.
    pub idempotency_ttl: Duration,
}

pub struct ServerConfig {
    pub bind: SocketAddr,
    /// The largest request body accepted.
    pub request_body_max_bytes: usize,
    /// How long an idempotency key is remembered.
    pub idempotency_ttl: Duration,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            bind: "127.0.0.1:8080".parse().expect("valid address"),
            request_body_max_bytes: 1024 * 1024,
            idempotency_ttl: Duration::from_secs(24 * 60 * 60),
        }
    }
}

pub enum CrmServer {}

impl CrmApi for CrmServer {
    type Context = ServerContext;

    async fn salesmap_create_people(
        rqctx: RequestContext<ServerContext>,
        idempotency: LenientShared<Header<IdempotencyKeyHeader>>,
        body: Lenient<JsonBody<salesmap::CreatePeopleRequest>>,
    ) -> Result<HttpResponseCreated<salesmap::CreatePeopleResponse>, salesmap::SalesmapError> {
        logged(&rqctx, async {
            let key = idempotency.0?.into_inner().idempotency_key;
            let (ctx, headers) = (rqctx.context(), rqctx.request.headers());
            families::salesmap::create_people(ctx, headers, key, body.0?.0).await
        })
        .await
    }

    async fn salesmap_create_lead(
        rqctx: RequestContext<ServerContext>,
        idempotency: LenientShared<Header<IdempotencyKeyHeader>>,
        body: Lenient<JsonBody<salesmap::CreateLeadRequest>>,
    ) -> Result<HttpResponseCreated<salesmap::CreateLeadResponse>, salesmap::SalesmapError> {
        logged(&rqctx, async {
            let key = idempotency.0?.into_inner().idempotency_key;
            let (ctx, headers) = (rqctx.context(), rqctx.request.headers());
            families::salesmap::create_lead(ctx, headers, key, body.0?.0).await
        })
        .await
    }

    async fn introzy_create_person(
        rqctx: RequestContext<ServerContext>,
        idempotency: LenientShared<Header<IdempotencyKeyHeader>>,
        body: Lenient<JsonBody<introzy::CreatePersonRequest>>,
    ) -> Result<HttpResponseCreated<introzy::CreatePersonResponse>, introzy::IntrozyError> {
        logged(&rqctx, async {
            let key = idempotency.0?.into_inner().idempotency_key;
            let (ctx, headers) = (rqctx.context(), rqctx.request.headers());
            families::introzy::create_person(ctx, headers, key, body.0?.0).await
        })
        .await
    }

    async fn bigchange_create_person(
        rqctx: RequestContext<ServerContext>,
        headers: LenientShared<Header<bigchange::PersonHeaders>>,
        body: Lenient<JsonBody<bigchange::CreatePersonModel>>,
    ) -> Result<
        bigchange::ProblemOr<HttpResponseCreated<bigchange::CreatedRecord>>,
        bigchange::Problem,
    > {
        logged(&rqctx, async {
            let request = families::bigchange::Request {
                ctx: rqctx.context(),
                headers: rqctx.request.headers(),
                path: rqctx.request.uri().path(),
            };
            Ok(families::bigchange::create_person(request, headers.0, body.0).await)
        })
        .await
    }

    async fn maiascore_create_customer(
        rqctx: RequestContext<ServerContext>,
        idempotency: LenientShared<Header<IdempotencyKeyHeader>>,
        body: Lenient<MultiFormatBody<maiascore::CustomerInput>>,
    ) -> Result<HttpResponseOk<maiascore::Customer>, maiascore::MaiaError> {
        logged(&rqctx, async {
            let key = idempotency.0?.into_inner().idempotency_key;
            let (ctx, headers) = (rqctx.context(), rqctx.request.headers());
            families::maiascore::create_customer(ctx, headers, key, body.0?.value).await
        })
        .await
    }

    async fn internal_stats(
        rqctx: RequestContext<ServerContext>,
    ) -> Result<HttpResponseOk<api::Stats>, HttpError> {
        let (commits, writes) = rqctx.context().store.writer_stats();
        Ok(HttpResponseOk(api::Stats { commits, writes }))
    }

    async fn openapi_document(
        rqctx: RequestContext<ServerContext>,
        path: Path<DocumentPath>,
    ) -> Result<http::Response<Body>, HttpError> {
        let name = path.into_inner().document;
        let (_, text) = rqctx
            .context()
            .specs
            .iter()
            .find(|(n, _)| *n == name)
            .ok_or_else(|| HttpError::for_not_found(None, format!("no document named {name:?}")))?;
        http::Response::builder()
            .header(
                http::header::CONTENT_TYPE,
                "application/yaml; charset=utf-8",
            )
            .body(Body::from(*text))
            .map_err(|e| HttpError::for_internal_error(e.to_string()))
    }
}

/// Starts serving; the returned server reports its bound address (useful with
/// port 0) and stops with `close()`.
pub fn serve(
    config: ServerConfig,
    store: Arc<dyn Store>,
    specs: Specs,
) -> anyhow::Result<HttpServer<ServerContext>> {
    let api = api::crm_api_mod::api_description::<CrmServer>()
        .map_err(|e| anyhow::anyhow!("building the API description: {e}"))?;
    // Dropshot's own request logs are slog lines; we keep them to warnings so its
    // async terminal drain cannot drop lines under load.
    let log = ConfigLogging::StderrTerminal {
        level: ConfigLoggingLevel::Warn,
    }
    .to_logger("crm")
    .map_err(|e| anyhow::anyhow!("creating the server logger: {e}"))?;
    let dropshot_config = ConfigDropshot {
        bind_address: config.bind,
        default_request_body_max_bytes: config.request_body_max_bytes,
        ..Default::default()
    };
    spawn_idempotency_purge(store.clone(), config.idempotency_ttl);
    let context = ServerContext {
        store,
        specs,
        idempotency_ttl: config.idempotency_ttl,
    };
    ServerBuilder::new(api, context, log)
        .config(dropshot_config)
        .start()
        .map_err(|e| anyhow::anyhow!("starting the server on {}: {e}", config.bind))
}

/// Forgets expired idempotency keys now and then. Lookups ignore expired keys
/// anyway; this only keeps the table small.
fn spawn_idempotency_purge(store: Arc<dyn Store>, ttl: Duration) {
    let every = (ttl / 4).clamp(Duration::from_secs(1), Duration::from_secs(3600));
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(every);
        loop {
            ticks.tick().await;
            let ttl = chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::days(1));
            let before = crate::time::Timestamp(crate::time::Timestamp::now().0 - ttl);
            match store.purge_idempotency(before).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(keys = n, "forgot expired idempotency keys"),
                Err(e) => tracing::warn!(error = %e, "could not purge idempotency keys"),
            }
        }
    });
}
