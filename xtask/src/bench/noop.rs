//! The no-op baseline: a dropshot server configured like crm's (same logging, same
//! body limit, its own multi-thread runtime in its own process) whose one handler
//! parses a JSON body and answers 201 without storing anything. The crm server's
//! rate over this one is the share of the HTTP + JSON ceiling it keeps.

use dropshot::{
    endpoint, ApiDescription, ConfigDropshot, ConfigLogging, ConfigLoggingLevel, HttpError,
    HttpResponseCreated, RequestContext, ServerBuilder, TypedBody,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::io::Read as _;
use std::net::SocketAddr;

#[derive(Deserialize, JsonSchema)]
struct NewPerson {
    name: String,
    email: Option<String>,
}

#[derive(Serialize, JsonSchema)]
struct Created {
    id: String,
}

#[endpoint {
    method = POST,
    path = "/noop",
}]
async fn noop(
    _rqctx: RequestContext<()>,
    body: TypedBody<NewPerson>,
) -> Result<HttpResponseCreated<Created>, HttpError> {
    let person = body.into_inner();
    // Read the fields so the parse is not the only thing left of them.
    std::hint::black_box((person.name, person.email));
    Ok(HttpResponseCreated(Created {
        id: uuid::Uuid::now_v7().to_string(),
    }))
}

/// Serves `POST /noop` on `bind` until stdin closes (the parent bench has gone).
pub fn serve(bind: SocketAddr) -> anyhow::Result<()> {
    std::thread::spawn(|| {
        let mut sink = Vec::new();
        let _ = std::io::stdin().read_to_end(&mut sink);
        std::process::exit(0);
    });
    // The same runtime as `crm serve` builds (`Runtime::new`: one worker per core).
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let mut api = ApiDescription::new();
        api.register(noop)
            .map_err(|e| anyhow::anyhow!("registering /noop: {e}"))?;
        let log = ConfigLogging::StderrTerminal {
            level: ConfigLoggingLevel::Warn,
        }
        .to_logger("noop")
        .map_err(|e| anyhow::anyhow!("creating the logger: {e}"))?;
        let config = ConfigDropshot {
            bind_address: bind,
            default_request_body_max_bytes: 1024 * 1024,
            ..Default::default()
        };
        let server = ServerBuilder::new(api, (), log)
            .config(config)
            .start()
            .map_err(|e| anyhow::anyhow!("starting on {bind}: {e}"))?;
        server
            .wait_for_shutdown()
            .await
            .map_err(|e| anyhow::anyhow!("serving: {e}"))
    })
}
