//! Wiring: the `CrmApi` implementation (one line per endpoint: which family
//! operation runs it) and starting the HTTP server.

pub use crate::context::{ServerContext, Specs};
use crate::metrics::{DroppedLines, Metrics};
use crate::pipeline::{create, method_not_allowed, not_found, Create};
use crate::store::Store;
use anyhow::Context as _;
use crm_api::body::budget::{self, BodyBudget};
use crm_api::body::{JsonBody, MultiFormatBody};
use crm_api::extract::{Lenient, LenientShared};
use crm_api::headers::{Headers, IdempotencyKeyHeader};
use crm_api::operation::{CreatedOr, OkOr};
use crm_api::{self as api, AssetPath, CrmApi, DocumentPath, FamilyPath};
use dropshot::{ApiDescription, ApiEndpoint, ApiEndpointVersions};
use dropshot::{
    Body, ConfigDropshot, HttpError, HttpResponseCreated, HttpServer, Path, RequestContext,
    ServerBuilder,
};
use http::Method;
use serde::Deserialize;
use serde_json::Value;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

pub struct ServerConfig {
    pub bind: SocketAddr,
    /// The largest request body accepted.
    pub request_body_max_bytes: usize,
    /// Request body bytes buffered at once, across every request; past it a new
    /// body is refused with 503. At least `request_body_max_bytes`.
    pub max_inflight_body_bytes: usize,
    /// How long a request body may take to arrive (408 past it).
    pub request_timeout: Duration,
    /// How long an idempotency key is remembered.
    pub idempotency_ttl: Duration,
    /// Where the process counts the log lines it dropped (see `crm serve`), for
    /// `/metrics`.
    pub dropped_log_lines: Option<DroppedLines>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            bind: "127.0.0.1:8080".parse().expect("valid address"),
            request_body_max_bytes: 1024 * 1024,
            max_inflight_body_bytes: 64 * 1024 * 1024,
            request_timeout: Duration::from_secs(30),
            idempotency_ttl: Duration::from_secs(24 * 60 * 60),
            dropped_log_lines: None,
        }
    }
}

pub enum CrmServer {}

type Key = LenientShared<Headers<IdempotencyKeyHeader>>;

impl CrmApi for CrmServer {
    type Context = ServerContext;

    async fn salesmap_create_people(
        rqctx: RequestContext<ServerContext>,
        headers: Key,
        body: Lenient<JsonBody<api::salesmap::CreatePeopleRequest>>,
    ) -> Result<
        CreatedOr<api::salesmap::CreatePeopleResponse, api::salesmap::SalesmapError>,
        api::salesmap::SalesmapError,
    > {
        create::<api::salesmap::CreatePeople, _, _>(rqctx, headers, body).await
    }

    async fn salesmap_create_lead(
        rqctx: RequestContext<ServerContext>,
        headers: Key,
        body: Lenient<JsonBody<api::salesmap::CreateLeadRequest>>,
    ) -> Result<
        CreatedOr<api::salesmap::CreateLeadResponse, api::salesmap::SalesmapError>,
        api::salesmap::SalesmapError,
    > {
        create::<api::salesmap::CreateLead, _, _>(rqctx, headers, body).await
    }

    async fn introzy_create_person(
        rqctx: RequestContext<ServerContext>,
        headers: Key,
        body: Lenient<JsonBody<api::introzy::CreatePersonRequest>>,
    ) -> Result<
        CreatedOr<api::introzy::CreatePersonResponse, api::introzy::IntrozyError>,
        api::introzy::IntrozyError,
    > {
        create::<api::introzy::CreatePerson, _, _>(rqctx, headers, body).await
    }

    async fn bigchange_create_person(
        rqctx: RequestContext<ServerContext>,
        headers: LenientShared<Headers<api::bigchange::PersonHeaders>>,
        body: Lenient<JsonBody<api::bigchange::CreatePersonModel>>,
    ) -> Result<
        api::bigchange::ProblemOr<HttpResponseCreated<api::bigchange::CreatedRecord>>,
        api::bigchange::Problem,
    > {
        create::<api::bigchange::CreatePerson, _, _>(rqctx, headers, body).await
    }

    async fn maiascore_create_customer(
        rqctx: RequestContext<ServerContext>,
        headers: Key,
        body: Lenient<MultiFormatBody<api::maiascore::CustomerInput>>,
    ) -> Result<OkOr<api::maiascore::Customer, api::maiascore::MaiaError>, api::maiascore::MaiaError>
    {
        create::<api::maiascore::CreateCustomer, _, _>(rqctx, headers, body).await
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

    async fn home_page(
        rqctx: RequestContext<ServerContext>,
    ) -> Result<http::Response<Body>, HttpError> {
        rqctx.context().docs.home()
    }

    async fn docs_index(
        rqctx: RequestContext<ServerContext>,
    ) -> Result<http::Response<Body>, HttpError> {
        rqctx.context().docs.index()
    }

    async fn docs_family(
        rqctx: RequestContext<ServerContext>,
        path: Path<FamilyPath>,
    ) -> Result<http::Response<Body>, HttpError> {
        rqctx.context().docs.family(&path.into_inner().family)
    }

    async fn docs_asset(
        _rqctx: RequestContext<ServerContext>,
        path: Path<AssetPath>,
    ) -> Result<http::Response<Body>, HttpError> {
        crate::docs::asset(&path.into_inner().file)
    }
}

/// Starts serving; the returned server reports its bound address (useful with
/// port 0) and stops with `close()`.
pub fn serve(
    config: ServerConfig,
    store: Arc<dyn Store>,
    specs: Specs,
) -> anyhow::Result<HttpServer<ServerContext>> {
    anyhow::ensure!(
        config.max_inflight_body_bytes >= config.request_body_max_bytes,
        "the bytes of request bodies buffered at once ({}) must be at least the largest body accepted ({})",
        config.max_inflight_body_bytes,
        config.request_body_max_bytes
    );
    anyhow::ensure!(
        !config.idempotency_ttl.is_zero()
            && config.idempotency_ttl <= crate::pipeline::idempotency::MAX_TTL,
        "the idempotency key TTL ({:?}) must be more than 0 and at most {:?}",
        config.idempotency_ttl,
        crate::pipeline::idempotency::MAX_TTL
    );
    let mut api = api::crm_api_mod::api_description::<CrmServer>()
        .map_err(|e| anyhow::anyhow!("building the API description: {e}"))?;
    let document = crm_api::contract::dropshot_document()?;
    let paths = &document["paths"];
    refuse_other_methods::<api::salesmap::CreatePeople>(&mut api, paths)?;
    refuse_other_methods::<api::salesmap::CreateLead>(&mut api, paths)?;
    refuse_other_methods::<api::introzy::CreatePerson>(&mut api, paths)?;
    refuse_other_methods::<api::bigchange::CreatePerson>(&mut api, paths)?;
    refuse_other_methods::<api::maiascore::CreateCustomer>(&mut api, paths)?;
    answer_paths_below::<api::maiascore::CreateCustomer>(&mut api, paths)?;
    let log = crate::router_log::logger();
    let dropshot_config = ConfigDropshot {
        bind_address: config.bind,
        default_request_body_max_bytes: config.request_body_max_bytes,
        ..Default::default()
    };
    spawn_idempotency_purge(store.clone(), config.idempotency_ttl);
    budget::provide::<ServerContext>();
    let body_budget = Arc::new(
        BodyBudget::new(config.max_inflight_body_bytes).with_read_timeout(config.request_timeout),
    );
    let context = ServerContext {
        metrics: Arc::new(Metrics::new(
            store.clone(),
            body_budget.clone(),
            config.dropped_log_lines,
        )),
        store,
        docs: Arc::new(crate::docs::Site::new(specs)?),
        specs,
        idempotency_ttl: config.idempotency_ttl,
        body_budget,
    };
    ServerBuilder::new(api, context, log)
        .config(dropshot_config)
        .start()
        .with_context(|| format!("starting the server on {}", config.bind))
}

/// Registers, unpublished, every method that `Op`'s path does not take, so a wrong
/// method is answered (and logged) in the family's envelope, not the router's.
fn refuse_other_methods<Op: Create>(
    api: &mut ApiDescription<ServerContext>,
    paths: &Value,
) -> anyhow::Result<()> {
    let id = Op::FACTS.operation_id;
    let (path, item) = operation_path::<Op>(paths)?;
    let taken: Vec<String> = item
        .as_object()
        .into_iter()
        .flatten()
        .map(|(method, _)| method.to_ascii_uppercase())
        .collect();
    anyhow::ensure!(
        taken.iter().any(|m| *m == Op::METHOD.as_str()),
        "{id} is not a {} in the emitted document",
        Op::METHOD
    );
    // Every method dropshot would otherwise answer itself: its 405 lists, in `Allow`,
    // the refusals registered here as if they were allowed.
    for method in METHODS {
        if taken.iter().any(|m| *m == method.as_str()) {
            continue;
        }
        let endpoint = ApiEndpoint::new(
            format!("{id}_refuse_{method}"),
            method_not_allowed::<Op>,
            method,
            "application/json",
            path,
            ApiEndpointVersions::All,
        )
        .visible(false);
        api.register(endpoint)
            .map_err(|e| anyhow::anyhow!("refusing other methods on {path}: {e}"))?;
    }
    Ok(())
}

const METHODS: [Method; 8] = [
    Method::GET,
    Method::HEAD,
    Method::OPTIONS,
    Method::PUT,
    Method::PATCH,
    Method::DELETE,
    Method::POST,
    Method::TRACE,
];

/// The path of `Op` in the emitted document, and its path item.
fn operation_path<Op: Create>(paths: &Value) -> anyhow::Result<(&String, &Value)> {
    let id = Op::FACTS.operation_id;
    paths
        .as_object()
        .into_iter()
        .flatten()
        .find(|(_, item)| {
            item.as_object()
                .is_some_and(|ops| ops.values().any(|op| op["operationId"] == id))
        })
        .with_context(|| format!("{id} is not in the emitted document"))
}

/// What the router matched below an operation's path: one segment, then the rest.
#[derive(Deserialize, schemars::JsonSchema)]
struct PathBelow {
    #[allow(dead_code)]
    segment: String,
    #[allow(dead_code)]
    rest: Vec<String>,
}

/// Registers, unpublished and for every method, `{path}/{segment}/{rest:.*}` below
/// `Op`'s path, so that a path there which names nothing is answered 404 in the
/// family's envelope rather than the router's.
///
/// Why two variables: dropshot's router gives a `{rest:.*}` wildcard the path it
/// hangs from too (the wildcard consumes the implicit empty segment), so
/// `{path}/{rest:.*}` would take `POST {path}` itself from the create; a single
/// `{segment}` first keeps `{path}` the create's. It also refuses a variable beside
/// literal segments, so nothing can answer for `/` or `/v2/…` in one family's shape.
fn answer_paths_below<Op: Create>(
    api: &mut ApiDescription<ServerContext>,
    paths: &Value,
) -> anyhow::Result<()> {
    let id = Op::FACTS.operation_id;
    let (path, _) = operation_path::<Op>(paths)?;
    let own: Arc<str> = path.as_str().into();
    let below = format!("{path}/{{segment}}/{{rest:.*}}");
    for method in METHODS {
        let own = own.clone();
        let handler = move |rqctx, _: LenientShared<Path<PathBelow>>| {
            let own = own.clone();
            async move { not_found::<Op>(rqctx, &own).await }
        };
        let endpoint = ApiEndpoint::new(
            format!("{id}_not_found_{method}"),
            handler,
            method,
            "application/json",
            &below,
            ApiEndpointVersions::All,
        )
        .visible(false);
        api.register(endpoint)
            .map_err(|e| anyhow::anyhow!("answering paths below {path}: {e}"))?;
    }
    Ok(())
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
