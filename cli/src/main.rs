//! The `crm-cli` binary: see the crate's library (`cli/src/lib.rs`).

use std::process::ExitCode;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match crm_cli::run(std::env::args_os()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => match e.downcast_ref::<clap::Error>() {
            Some(usage) => {
                let _ = usage.print();
                ExitCode::from(2)
            }
            None => {
                // An error of the API was printed with its status and body already.
                if !crm_cli::API_ERROR_PRINTED.load(std::sync::atomic::Ordering::Relaxed) {
                    eprintln!("error: {e:#}");
                }
                ExitCode::FAILURE
            }
        },
    }
}
