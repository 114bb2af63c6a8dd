//! The `crm` binary: logging set up, then [`crm::cli`] runs `crm serve` or `crm admin`.

use clap::Parser as _;

// Requests allocate many small buffers across threads; glibc's allocator spent
// ~14% of the server's CPU (and contended on its arena locks) in the benchmark.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let cli = crm::cli::Cli::parse();
    // Log lines go to stderr through a bounded queue and a writer thread
    // (`crm::log_queue`), so a request never waits on the log's reader.
    let queue = std::env::var("CRM_LOG_QUEUE_LINES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1 << 16);
    let (writer, _flush_on_exit) = match crm::log_queue::spawn(queue, std::io::stderr()) {
        Ok(queue) => queue,
        Err(e) => {
            eprintln!("error: starting the log writer: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let counter = writer.clone();
    let logs = crm::serve::Logs {
        dropped: std::sync::Arc::new(move || counter.dropped_lines()),
    };
    // tokio-postgres logs every statement's parameters at debug: the values of
    // requests (an Idempotency-Key, a name, an e-mail), which the log never holds,
    // whatever RUST_LOG asks (tests/request_log.rs, at trace).
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"))
        .add_directive("tokio_postgres=info".parse().expect("a valid directive"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(writer)
        .init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: starting the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(crm::cli::run(cli, logs)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
