//! `crm-cli`: progenitor's generated command line (`Generator::cli`, one module per
//! document, written by `cargo xtask generate`) over `crm-client`, for calling a
//! running crm server from a shell. Every operation is a subcommand of its family:
//! `crm-cli salesmap create-people --name 홍길동`. A success prints the response body
//! as JSON on stdout; an error prints the status and the family's error body on
//! stderr, and exits 1.

// Generated code is formatted by prettyplease in `cargo xtask generate`; rustfmt
// must not reformat it, or `cargo xtask generate --check` would see it as stale.
#[rustfmt::skip]
#[allow(clippy::all, unused)]
pub mod bigchange;
#[rustfmt::skip]
#[allow(clippy::all, unused)]
pub mod introzy;
#[rustfmt::skip]
#[allow(clippy::all, unused)]
pub mod maiascore;
#[rustfmt::skip]
#[allow(clippy::all, unused)]
pub mod salesmap;

use anyhow::Context as _;
use clap::{Arg, ArgMatches, Command};
use crm_client::salesmap::{Error, ResponseValue};
use std::ffi::OsString;
use std::sync::atomic::{AtomicBool, Ordering};

/// Prints what the generated command line hands it: bodies as pretty JSON.
pub struct JsonOutput;

/// Implements one family's `CliConfig` (each document's module declares its own
/// trait, with the same methods) by printing JSON.
macro_rules! json_output {
    ($family:ident) => {
        impl $family::CliConfig for JsonOutput {
            fn success_item<T>(&self, value: &ResponseValue<T>)
            where
                T: schemars::JsonSchema + serde::Serialize + std::fmt::Debug,
            {
                print_json(value.as_ref());
            }
            fn success_no_item(&self, _: &ResponseValue<()>) {}
            fn error<T>(&self, value: &Error<T>)
            where
                T: schemars::JsonSchema + serde::Serialize + std::fmt::Debug,
            {
                print_error(value);
            }
            fn list_start<T>(&self)
            where
                T: schemars::JsonSchema + serde::Serialize + std::fmt::Debug,
            {
            }
            fn list_item<T>(&self, value: &T)
            where
                T: schemars::JsonSchema + serde::Serialize + std::fmt::Debug,
            {
                print_json(value);
            }
            fn list_end_success<T>(&self)
            where
                T: schemars::JsonSchema + serde::Serialize + std::fmt::Debug,
            {
            }
            fn list_end_error<T>(&self, value: &Error<T>)
            where
                T: schemars::JsonSchema + serde::Serialize + std::fmt::Debug,
            {
                print_error(value);
            }
        }
    };
}

json_output!(bigchange);
json_output!(introzy);
json_output!(maiascore);
json_output!(salesmap);

fn print_json<T: serde::Serialize>(value: &T) {
    match serde_json::to_string_pretty(value) {
        Ok(text) => println!("{text}"),
        Err(e) => eprintln!("the answer cannot be printed as JSON: {e}"),
    }
}

/// Set once an error of the API was printed, so `main` does not print it again.
pub static API_ERROR_PRINTED: AtomicBool = AtomicBool::new(false);

/// A documented error's status and typed body on stderr; any other error as text.
fn print_error<T: serde::Serialize + std::fmt::Debug>(error: &Error<T>) {
    API_ERROR_PRINTED.store(true, Ordering::Relaxed);
    match error {
        Error::ErrorResponse(response) => {
            let body = serde_json::to_string(response.as_ref())
                .unwrap_or_else(|_| format!("{:?}", response.as_ref()));
            eprintln!("{} {body}", response.status());
        }
        other => eprintln!("{other}"),
    }
}

/// A family's subcommand name for an operationId: `salesmap_create_people` is
/// `salesmap create-people`.
fn subcommand_name(family: &str, operation_id: &str) -> String {
    operation_id
        .strip_prefix(family)
        .and_then(|rest| rest.strip_prefix('_'))
        .unwrap_or(operation_id)
        .replace('_', "-")
}

/// The generated `--json-body FILE` replaces the whole body, after the field
/// arguments were applied: a field given beside it would be dropped without a
/// word, so the two are refused together. Its `--json-body-template` is a
/// placeholder that does nothing, so it is hidden.
fn json_body_alone(
    command: Command,
    operation_id: &str,
    parameters: &[(&str, &[&str])],
) -> Command {
    let parameters = parameters
        .iter()
        .find(|(id, _)| *id == operation_id)
        .map_or(&[][..], |(_, args)| *args);
    let fields: Vec<clap::Id> = command
        .get_arguments()
        .map(|arg| arg.get_id().clone())
        .filter(|id| !id.as_str().starts_with("json-body") && !parameters.contains(&id.as_str()))
        .collect();
    command
        .mut_arg("json-body", |arg| arg.conflicts_with_all(fields))
        .mut_arg("json-body-template", |arg| arg.hide(true))
}

/// One family's commands and how to run the one chosen.
macro_rules! family {
    ($family:ident) => {{
        fn command() -> Command {
            $family::CliCommand::iter().fold(
                Command::new(stringify!($family))
                    .about(concat!(
                        "the operations of openapi/",
                        stringify!($family),
                        ".yaml"
                    ))
                    .subcommand_required(true),
                |family, op| {
                    let command = $family::Cli::<JsonOutput>::get_command(op)
                        .name(subcommand_name(stringify!($family), op.operation_id()));
                    family.subcommand(json_body_alone(
                        command,
                        op.operation_id(),
                        $family::PARAMETERS,
                    ))
                },
            )
        }
        async fn execute(url: &str, token: &str, matches: &ArgMatches) -> anyhow::Result<()> {
            let (name, sub) = matches.subcommand().context("no operation given")?;
            let op = $family::CliCommand::iter()
                .find(|op| subcommand_name(stringify!($family), op.operation_id()) == name)
                .context("unknown operation")?;
            let client = crm_client::$family::Client::with_token(url, token)?;
            $family::Cli::new(client, JsonOutput).execute(op, sub).await
        }
        Family {
            name: stringify!($family),
            command,
            execute: |url, token, matches| Box::pin(execute(url, token, matches)),
        }
    }};
}

type Execute = for<'a> fn(
    &'a str,
    &'a str,
    &'a ArgMatches,
) -> std::pin::Pin<
    Box<dyn std::future::Future<Output = anyhow::Result<()>> + 'a>,
>;

/// One family: its name, its subcommand, and how to run it.
pub struct Family {
    pub name: &'static str,
    command: fn() -> Command,
    execute: Execute,
}

/// Every family, in document order.
pub fn families() -> Vec<Family> {
    vec![
        family!(salesmap),
        family!(introzy),
        family!(bigchange),
        family!(maiascore),
    ]
}

/// The whole command line.
pub fn command() -> Command {
    families().iter().fold(
        Command::new("crm-cli")
            .about("Calls a running crm server: one subcommand per family, one per operation.")
            .arg(
                Arg::new("url")
                    .long("url")
                    .env("CRM_URL")
                    .default_value("http://127.0.0.1:8080")
                    .help("The server's base URL"),
            )
            .arg(
                Arg::new("token")
                    .long("token")
                    .env("CRM_TOKEN")
                    .hide_env_values(true)
                    .required(true)
                    .help("The bearer token (`crm admin token create`)"),
            )
            .subcommand_required(true),
        |cli, family| cli.subcommand((family.command)()),
    )
}

/// Parses `args` and runs the operation they name against the server.
pub async fn run(
    args: impl IntoIterator<Item = impl Into<OsString> + Clone>,
) -> anyhow::Result<()> {
    let matches = command().try_get_matches_from(args)?;
    let url = matches.get_one::<String>("url").context("--url")?;
    let token = matches.get_one::<String>("token").context("--token")?;
    let (name, sub) = matches.subcommand().context("no family given")?;
    let family = families()
        .into_iter()
        .find(|f| f.name == name)
        .context("unknown family")?;
    (family.execute)(url, token, sub).await
}
