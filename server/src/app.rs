//! Wiring: the server context, the trait implementation that routes each endpoint
//! to its family, and starting the HTTP server.

use crate::api::{self, bigchange, introzy, maiascore, salesmap, CrmApi, DocumentPath};
use crate::body::MultiFormatBody;
use crate::extract::{Lenient, LenientShared};
use crate::families;
use crate::store::Store;
use dropshot::{
    Body, ConfigDropshot, ConfigLogging, ConfigLoggingLevel, Header, HttpError,
    HttpResponseCreated, HttpResponseOk, HttpServer, Path, RequestContext, ServerBuilder,
    TypedBody,
};
use std::net::SocketAddr;
use std::sync::Arc;

/// The hand-written OpenAPI documents, by file name, embedded by the root build
/// script.
pub type Specs = &'static [(&'static str, &'static str)];

pub struct ServerContext {
    pub store: Arc<dyn Store>,
    pub specs: Specs,
}

pub struct ServerConfig {
    pub bind: SocketAddr,
    /// The largest request body accepted.
    pub request_body_max_bytes: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            bind: "127.0.0.1:8080".parse().expect("valid address"),
            request_body_max_bytes: 1024 * 1024,
        }
    }
}

pub enum CrmServer {}

impl CrmApi for CrmServer {
    type Context = ServerContext;

    async fn salesmap_create_people(
        rqctx: RequestContext<ServerContext>,
        body: TypedBody<salesmap::CreatePeopleRequest>,
    ) -> Result<HttpResponseCreated<salesmap::CreatePeopleResponse>, salesmap::SalesmapError> {
        families::salesmap::create_people(
            rqctx.context(),
            rqctx.request.headers(),
            body.into_inner(),
        )
        .await
    }

    async fn salesmap_create_lead(
        rqctx: RequestContext<ServerContext>,
        body: TypedBody<salesmap::CreateLeadRequest>,
    ) -> Result<HttpResponseCreated<salesmap::CreateLeadResponse>, salesmap::SalesmapError> {
        families::salesmap::create_lead(rqctx.context(), rqctx.request.headers(), body.into_inner())
            .await
    }

    async fn introzy_create_person(
        rqctx: RequestContext<ServerContext>,
        body: TypedBody<introzy::CreatePersonRequest>,
    ) -> Result<HttpResponseCreated<introzy::CreatePersonResponse>, introzy::IntrozyError> {
        families::introzy::create_person(
            rqctx.context(),
            rqctx.request.headers(),
            body.into_inner(),
        )
        .await
    }

    async fn bigchange_create_person(
        rqctx: RequestContext<ServerContext>,
        customer: LenientShared<Header<bigchange::CustomerIdHeader>>,
        body: Lenient<TypedBody<bigchange::CreatePersonModel>>,
    ) -> Result<
        bigchange::ProblemOr<HttpResponseCreated<bigchange::CreatedRecord>>,
        bigchange::Problem,
    > {
        let request = families::bigchange::Request {
            ctx: rqctx.context(),
            headers: rqctx.request.headers(),
            path: rqctx.request.uri().path(),
        };
        Ok(families::bigchange::create_person(request, customer.0, body.0).await)
    }

    async fn maiascore_create_customer(
        rqctx: RequestContext<ServerContext>,
        body: MultiFormatBody<maiascore::CustomerInput>,
    ) -> Result<HttpResponseOk<maiascore::Customer>, maiascore::MaiaError> {
        families::maiascore::create_customer(rqctx.context(), rqctx.request.headers(), body.value)
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
    let context = ServerContext { store, specs };
    ServerBuilder::new(api, context, log)
        .config(dropshot_config)
        .start()
        .map_err(|e| anyhow::anyhow!("starting the server on {}: {e}", config.bind))
}
