//! The `crm` binary: logging set up, then [`crm::cli`] runs `crm serve` or `crm admin`.

use clap::Parser as _;

// Requests allocate many small buffers across threads; glibc's allocator spent
// ~14% of the server's CPU (and contended on its arena locks) in the benchmark.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let cli = crm::cli::Cli::parse();
    // Log lines go to stderr through a writer thread and a bounded queue, so a
    // request never waits on the log: when the reader stalls (stderr into a pipe
    // nobody reads) and the queue is full, lines are dropped and counted, and the
    // count is logged once the reader catches up (and exported at /metrics). A
    // line is one message on the queue, so lines are never spliced. The guard
    // flushes what is queued at exit.
    let queue = std::env::var("CRM_LOG_QUEUE_LINES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1 << 16);
    let (writer, _flush_on_exit) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .lossy(true)
        .buffered_lines_limit(queue)
        // Its worker writes every queued line, then flushes: buffered, a burst costs one
        // write(2) per 64 KiB instead of one per line.
        .finish(std::io::BufWriter::with_capacity(
            64 * 1024,
            std::io::stderr(),
        ));
    let counter = writer.error_counter();
    let logs = crm::serve::Logs {
        dropped: std::sync::Arc::new(move || counter.dropped_lines() as u64),
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
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
