//! Operational metrics in the Prometheus text format, served at `/metrics` on their
//! own listener (`crm serve --metrics-bind`), never on the public one: write volume
//! by tenant is not for every caller to see.
//!
//! Requests by operation and status, their latency, idempotent replays, the store's
//! commits and their batch sizes, request body bytes being read, and log lines
//! dropped because the log reader stalled.

use crate::store::Store;
use anyhow::Context as _;
use crm_api::body::budget::BodyBudget;
use dropshot::{Body, ConfigDropshot, HttpError, HttpServer, RequestContext, ServerBuilder};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric, NoLabelSet};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;
use std::net::SocketAddr;
use std::sync::Arc;

/// Counts log lines dropped since the process started.
pub type DroppedLines = Arc<dyn Fn() -> u64 + Send + Sync>;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    operation: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OperationLabels {
    operation: String,
}

fn latency_histogram() -> Histogram {
    // 0.1 ms to ~1.6 s.
    Histogram::new(exponential_buckets(0.0001, 2.0, 15))
}

pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<OperationLabels, Histogram, fn() -> Histogram>,
    replays: Family<OperationLabels, Counter>,
}

impl Metrics {
    pub fn new(
        store: Arc<dyn Store>,
        body_budget: Arc<BodyBudget>,
        dropped_log_lines: Option<DroppedLines>,
    ) -> Self {
        let mut registry = Registry::with_prefix("crm");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::new_with_constructor(latency_histogram as fn() -> Histogram);
        let replays = Family::<OperationLabels, Counter>::default();
        registry.register(
            "http_requests",
            "Requests answered by the API's handlers, by operation and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Time from the request to its answer, by operation",
            latency.clone(),
        );
        registry.register(
            "idempotent_replays",
            "Requests answered with the recorded answer of an Idempotency-Key",
            replays.clone(),
        );
        registry.register_collector(Box::new(Sampled {
            store,
            body_budget,
            dropped_log_lines,
        }));
        Metrics {
            registry,
            requests,
            latency,
            replays,
        }
    }

    pub fn request(&self, operation: &str, status: u16, seconds: f64) {
        let operation = operation.to_owned();
        self.requests
            .get_or_create(&RequestLabels {
                operation: operation.clone(),
                status,
            })
            .inc();
        self.latency
            .get_or_create(&OperationLabels { operation })
            .observe(seconds);
    }

    pub fn replay(&self, operation: &str) {
        self.replays
            .get_or_create(&OperationLabels {
                operation: operation.to_owned(),
            })
            .inc();
    }

    /// The text exposition format.
    pub fn render(&self) -> Result<String, std::fmt::Error> {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)?;
        Ok(out)
    }
}

/// What is read at each scrape rather than counted as it happens.
struct Sampled {
    store: Arc<dyn Store>,
    body_budget: Arc<BodyBudget>,
    dropped_log_lines: Option<DroppedLines>,
}

impl std::fmt::Debug for Sampled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sampled")
    }
}

impl Collector for Sampled {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let stats = self.store.writer_stats();
        let counter = |encoder: &mut DescriptorEncoder, name: &str, help: &str, v: u64| {
            let c = ConstCounter::new(v);
            c.encode(encoder.encode_descriptor(name, help, None, c.metric_type())?)
        };
        counter(
            &mut encoder,
            "store_commits",
            "Transactions committed",
            stats.commits,
        )?;
        counter(
            &mut encoder,
            "store_writes",
            "Writes (creates) the committed transactions carried",
            stats.writes,
        )?;
        // The encoder adds the buckets up itself: give it each bucket's own count.
        let mut below = 0;
        let mut buckets: Vec<(f64, u64)> = stats
            .batch_sizes
            .iter()
            .map(|(bound, cumulative)| {
                let own = cumulative.saturating_sub(below);
                below = *cumulative;
                (*bound as f64, own)
            })
            .collect();
        buckets.push((f64::INFINITY, stats.commits.saturating_sub(below)));
        encoder
            .encode_descriptor(
                "store_rows_per_commit",
                "Writes per committed transaction",
                None,
                MetricType::Histogram,
            )?
            .encode_histogram::<NoLabelSet>(stats.writes as f64, stats.commits, &buckets, None)?;
        counter(
            &mut encoder,
            "store_failed_batches",
            "Batches whose every write was answered an error: the transaction could not \
             begin or commit, a write left it in an unknown state, or the database could \
             not take writes or was lost",
            stats.failed_batches,
        )?;
        counter(
            &mut encoder,
            "store_failed_batch_writes",
            "Writes (creates) the batches not committed carried",
            stats.failed_writes,
        )?;
        let in_flight =
            ConstGauge::new(i64::try_from(self.body_budget.in_use()).unwrap_or(i64::MAX));
        in_flight.encode(encoder.encode_descriptor(
            "request_body_bytes_in_flight",
            "Request body bytes reserved by the bodies being read (at most --max-inflight-body-bytes)",
            None,
            in_flight.metric_type(),
        )?)?;
        if let Some(dropped) = &self.dropped_log_lines {
            counter(
                &mut encoder,
                "log_lines_dropped",
                "Log lines dropped because the log's reader did not keep up",
                dropped(),
            )?;
        }
        Ok(())
    }
}

#[dropshot::endpoint { method = GET, path = "/metrics" }]
async fn get_metrics(
    rqctx: RequestContext<Arc<Metrics>>,
) -> Result<http::Response<Body>, HttpError> {
    let text = rqctx
        .context()
        .render()
        .map_err(|e| HttpError::for_internal_error(e.to_string()))?;
    http::Response::builder()
        .header(
            http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )
        .body(Body::from(text))
        .map_err(|e| HttpError::for_internal_error(e.to_string()))
}

/// Serves `/metrics` on `bind`, apart from the API.
pub fn serve(bind: SocketAddr, metrics: Arc<Metrics>) -> anyhow::Result<HttpServer<Arc<Metrics>>> {
    let mut api = dropshot::ApiDescription::new();
    api.register(get_metrics)
        .map_err(|e| anyhow::anyhow!("registering /metrics: {e}"))?;
    // Scrapes are not requests to the API: they are not logged.
    let log = slog::Logger::root(slog::Discard, slog::o!());
    let config = ConfigDropshot {
        bind_address: bind,
        ..Default::default()
    };
    ServerBuilder::new(api, metrics, log)
        .config(config)
        .start()
        .with_context(|| format!("starting the metrics listener on {bind}"))
}
