//! The store comparison: SalesMap people on SQLite and on PostgreSQL with 1 and
//! 2 `crm serve` processes on one database, and pgbench's one-INSERT
//! transactions on the same PostgreSQL server, in interleaved rounds.

use super::load::{Load, Target};
use super::report::{self, Row, Store, Variant};
use super::server::{self, Commit};
use super::{no_fixtures, postgres, Bench, STORE_CONNECTIONS};
use std::path::Path;
use std::sync::Arc;

impl Bench<'_> {
    /// SQLite, PostgreSQL with 1 and 2 servers, and pgbench, in rounds that
    /// alternate their order (ABCD, DCBA, …). Returns the PostgreSQL server's
    /// description for the report, or why there was none (its rows are then
    /// missing, said loudly).
    pub(super) fn store_comparison(&mut self) -> anyhow::Result<String> {
        let mut server = match postgres::Server::start() {
            Ok(server) => server,
            Err(why) => {
                eprintln!("\n*** SKIPPED the PostgreSQL rows: {why:#} ***\n");
                return Ok(format!("no PostgreSQL rows: {why:#}"));
            }
        };
        let described = server.describe();
        let stores = [
            Some(Store::Sqlite),
            Some(Store::Postgres { servers: 1 }),
            Some(Store::Postgres { servers: 2 }),
            // pgbench
            None,
        ];
        for round in 0..self.plan.store_rounds {
            let mut order = stores.to_vec();
            if round % 2 == 1 {
                order.reverse();
            }
            for store in order {
                match store {
                    Some(store) => self.store_point(&mut server, store, round)?,
                    None => self.pgbench_point(&mut server, round)?,
                }
            }
        }
        Ok(described)
    }

    /// SalesMap people on a fresh database of `store`.
    fn store_point(
        &mut self,
        server: &mut postgres::Server,
        store: Store,
        round: u32,
    ) -> anyhow::Result<()> {
        let dir = self.dir.join(format!("stores-{round}-{store:?}"));
        std::fs::create_dir_all(&dir)?;
        let (db, servers) = match store {
            Store::Sqlite => (dir.join("crm.db").into_os_string(), 1),
            Store::Postgres { servers } => (server.fresh_database().into(), servers),
        };
        let mut processes = Vec::with_capacity(servers);
        let mut token = String::new();
        for n in 0..servers {
            let log_name = format!("crm-{n}.log");
            let mut config = self.config(Path::new(&db), Commit::Group, "info", &log_name);
            config.log_dir = &dir;
            // The first makes the workspace and prints its token; the others
            // find it in the database.
            processes.push(if n == 0 {
                let (process, printed) = server::start_crm_fresh(&config)?;
                token = printed;
                process
            } else {
                server::restart_crm(&config)?
            });
        }
        let targets = processes
            .iter()
            .map(|p| Target::new(p.addr, &token, no_fixtures(), p.metrics).map(Arc::new))
            .collect::<anyhow::Result<Vec<_>>>()?;
        self.measure(
            &targets,
            Load::salesmap_people(),
            Variant::Store(store),
            STORE_CONNECTIONS,
        )
    }

    /// pgbench's one-INSERT transactions on a fresh database of the same server.
    fn pgbench_point(&mut self, server: &mut postgres::Server, round: u32) -> anyhow::Result<()> {
        let dir = self.dir.join(format!("pgbench-{round}"));
        std::fs::create_dir_all(&dir)?;
        let label = format!(
            "baseline: pgbench, one INSERT per transaction, same PostgreSQL, {STORE_CONNECTIONS} clients"
        );
        eprintln!("{label}");
        let url = server.fresh_database();
        let measured = postgres::pgbench(
            &url,
            &dir,
            STORE_CONNECTIONS,
            self.plan.warmup,
            self.plan.measure,
        )?;
        eprintln!(
            "  {} transactions/s",
            report::thousands(measured.rows_per_sec())
        );
        self.pgbench_rates.push(measured.rows_per_sec());
        self.rows.push(Row::storage(&label, &measured, true));
        Ok(())
    }
}
