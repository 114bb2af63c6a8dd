//! Project chores, as `cargo xtask <command>`:
//!
//! - `generate [--check]`: regenerate the progenitor client in `client/src/` from
//!   `openapi/*.yaml`, or fail with a diff when the checked-in client is stale;
//! - `contract`: compare each YAML document with what the server emits;
//! - `openapi NAME`: print the document the server emits for a family.

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "cargo xtask")]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Regenerate the client from openapi/*.yaml.
    Generate {
        /// Change nothing; exit 1 with a diff if the checked-in client is stale.
        #[arg(long)]
        check: bool,
    },
    /// Diff every YAML document against the server's emitted document.
    Contract,
    /// Print the server's emitted document for one family (salesmap, ...).
    Openapi { name: String },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let root = xtask::project_root();
    let result = match cli.command {
        Cmd::Generate { check } => xtask::generate::run(&root, check),
        Cmd::Contract => xtask::contract::run(&root),
        Cmd::Openapi { name } if name == "raw" => crm_server::contract::dropshot_document()
            .and_then(|doc| {
                println!("{}", serde_json::to_string_pretty(&doc)?);
                Ok(true)
            }),
        Cmd::Openapi { name } => crm_server::contract::emitted_document(&name).and_then(|doc| {
            println!("{}", serde_json::to_string_pretty(&doc)?);
            Ok(true)
        }),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
