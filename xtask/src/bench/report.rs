//! The Markdown report: one table row per measurement, then the ratios the issue
//! sets targets for.

use super::load::{percentile, Load, Outcome};
use super::storage::Measured;
use crm_testkit::OPERATIONS;
use std::fmt::Write as _;
use std::time::Duration;

/// What a load row measured, besides the load and the connections.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Variant {
    /// Fresh database, group commit, `RUST_LOG=info`.
    Main,
    PerRequestCommit,
    Preloaded,
    /// The logging pair: a fresh server each, back to back.
    LogsInfo,
    LogsWarn,
    /// The store comparison: SQLite and PostgreSQL with 1 and 2 servers, each on
    /// a fresh database, in interleaved rounds.
    Store(Store),
}

/// A store of the store comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Store {
    Sqlite,
    /// `crm serve` processes on one PostgreSQL database, the connections spread
    /// evenly over them.
    Postgres {
        servers: usize,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Key {
    pub load: Load,
    pub variant: Variant,
    pub connections: usize,
}

pub struct Row {
    pub label: String,
    pub key: Option<Key>,
    pub rate: f64,
    pub p50: Option<Duration>,
    pub p99: Option<Duration>,
    pub errors: Option<u64>,
    pub first_error: Option<String>,
    pub commits_per_sec: Option<f64>,
    pub rows_per_commit: Option<f64>,
    /// Request log lines dropped in the measured window: logging never blocks a
    /// request, so a log that cannot keep up loses lines, and that should be 0.
    pub log_lines_dropped: Option<u64>,
}

impl Row {
    pub fn load(key: Key, label: String, outcome: &Outcome) -> Row {
        let window = outcome.window.as_secs_f64();
        let (commits_per_sec, rows_per_commit, log_lines_dropped) = match outcome.stats {
            Some((start, end)) => {
                let commits = end.commits.saturating_sub(start.commits);
                let writes = end.writes.saturating_sub(start.writes);
                (
                    Some(commits as f64 / window),
                    (commits > 0).then(|| writes as f64 / commits as f64),
                    Some(
                        end.log_lines_dropped
                            .saturating_sub(start.log_lines_dropped),
                    ),
                )
            }
            None => (None, None, None),
        };
        Row {
            label,
            key: Some(key),
            rate: outcome.rate(),
            p50: percentile(&outcome.latencies_us, 0.50),
            p99: percentile(&outcome.latencies_us, 0.99),
            errors: Some(outcome.errors),
            first_error: outcome.first_error.clone(),
            commits_per_sec,
            rows_per_commit,
            log_lines_dropped,
        }
    }

    /// A storage baseline: its rate is rows/s (fsyncs/s for the disk), its
    /// latencies are per transaction (per fsync).
    pub fn storage(label: &str, measured: &Measured, is_commit: bool) -> Row {
        Row {
            label: label.to_owned(),
            key: None,
            rate: measured.rows_per_sec(),
            p50: percentile(&measured.latencies_us, 0.50),
            p99: percentile(&measured.latencies_us, 0.99),
            errors: None,
            first_error: None,
            commits_per_sec: is_commit.then(|| measured.operations_per_sec()),
            rows_per_commit: is_commit
                .then(|| measured.rows as f64 / measured.operations.max(1) as f64),
            log_lines_dropped: None,
        }
    }
}

pub struct Report {
    pub rows: Vec<Row>,
    pub preload_rows: u64,
    /// pgbench's one-INSERT transactions/s on the PostgreSQL server of the store
    /// comparison, one per round (also shown as rows).
    pub pgbench_rates: Vec<f64>,
    /// The clients pgbench and the store comparison ran with.
    pub store_connections: usize,
}

impl Report {
    pub fn find(&self, load: Load, variant: Variant, connections: usize) -> Option<&Row> {
        let key = Key {
            load,
            variant,
            connections,
        };
        self.rows.iter().find(|r| r.key == Some(key))
    }

    /// The mean rate of every row with this key (the store comparison's rounds).
    fn mean_rate(&self, load: Load, variant: Variant, connections: usize) -> Option<f64> {
        let key = Key {
            load,
            variant,
            connections,
        };
        mean(
            self.rows
                .iter()
                .filter(|r| r.key == Some(key))
                .map(|r| r.rate),
        )
    }

    pub fn errors(&self) -> u64 {
        self.rows.iter().filter_map(|r| r.errors).sum()
    }

    /// The whole report; `context` is printed between the title and the table.
    pub fn markdown(&self, context: &str) -> String {
        let mut md = String::new();
        let _ = writeln!(md, "# crm bench\n\n{context}\n");
        md.push_str(
            "| run | connections | creates/s | p50 | p99 | errors | commits/s | rows/commit | log lines dropped |\n\
             |---|--:|--:|--:|--:|--:|--:|--:|--:|\n",
        );
        for row in &self.rows {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                row.label,
                row.key.map_or("–".into(), |k| k.connections.to_string()),
                thousands(row.rate),
                ms(row.p50),
                ms(row.p99),
                row.errors.map_or("–".into(), |e| e.to_string()),
                row.commits_per_sec.map_or("–".into(), thousands),
                row.rows_per_commit
                    .map_or("–".into(), |r| format!("{r:.1}")),
                row.log_lines_dropped.map_or("–".into(), |d| d.to_string()),
            );
        }
        md.push_str(
            "\nBaselines: creates/s is rows/s for SQLite, transactions/s for pgbench and \
             fsyncs/s for the disk; their p50/p99 are per transaction and per fsync.\n",
        );
        let failing: Vec<&Row> = self.rows.iter().filter(|r| r.errors > Some(0)).collect();
        if !failing.is_empty() {
            md.push_str("\n## Errors (first of each run)\n\n");
            for row in failing {
                let conns = row.key.map_or(0, |k| k.connections);
                let _ = writeln!(
                    md,
                    "- {} at {conns}: {}",
                    row.label,
                    row.first_error.as_deref().unwrap_or("?")
                );
            }
        }
        md.push_str("\n## Ratios\n\n| measure | value | target | |\n|---|--:|--:|---|\n");
        // A partial run (`--stores-only`) measures a few; the others are left out.
        let (ratios, unmeasured): (Vec<Ratio>, Vec<Ratio>) =
            self.ratios().into_iter().partition(|r| r.measured);
        for ratio in ratios {
            let verdict = match ratio.met {
                Some(true) => "target met",
                Some(false) => "target missed",
                None => "",
            };
            let _ = writeln!(
                md,
                "| {} | {} | {} | {verdict} |",
                ratio.measure, ratio.value, ratio.target
            );
        }
        if !unmeasured.is_empty() {
            let _ = writeln!(
                md,
                "\n{} more ratios need rows this run did not measure.",
                unmeasured.len()
            );
        }
        md
    }

    fn ratios(&self) -> Vec<Ratio> {
        use Variant::*;
        let mut ratios = Vec::new();
        for load in OPERATIONS.iter().map(Load::Create) {
            let row = self.find(load, Main, 64);
            let commits = row.and_then(|r| r.commits_per_sec.zip(r.rows_per_commit));
            ratios.push(Ratio {
                measure: format!("{} commits/s and rows/commit at 64", load.name()),
                value: match commits {
                    Some((c, r)) => format!("{} commits/s, {r:.1} rows/commit", thousands(c)),
                    None => "not measured".into(),
                },
                target: "–".into(),
                met: None,
                measured: commits.is_some(),
            });
        }
        let noop = self.find(Load::Noop, Main, 64).map(|r| r.rate);
        for load in OPERATIONS.iter().map(Load::Create) {
            let rate = self.find(load, Main, 64).map(|r| r.rate);
            ratios.push(Ratio::at_least(
                format!("{} creates/s / no-op handler, at 64", load.name()),
                rate.zip(noop).map(|(r, n)| r / n),
                0.75,
                |v| format!("{v:.2}"),
            ));
        }
        let salesmap = Load::salesmap_people();
        let group = self.find(salesmap, Main, 64).map(|r| r.rate);
        let per_request = self.find(salesmap, PerRequestCommit, 64).map(|r| r.rate);
        ratios.push(Ratio::at_least(
            "SalesMap group / per-request commit creates/s, at 64".into(),
            group.zip(per_request).map(|(g, p)| g / p),
            8.0,
            |v| format!("{v:.1}×"),
        ));
        for (connections, limit_ms) in [(64, 5.0), (256, 15.0)] {
            for load in OPERATIONS.iter().map(Load::Create) {
                let p99 = self.find(load, Main, connections).and_then(|r| r.p99);
                ratios.push(Ratio::at_most(
                    format!("{} p99 at {connections}", load.name()),
                    p99.map(|d| d.as_secs_f64() * 1e3),
                    limit_ms,
                    |v| format!("{v:.2} ms"),
                ));
            }
        }
        let preloaded = self.find(salesmap, Preloaded, 64).map(|r| r.rate);
        ratios.push(Ratio::at_least(
            format!(
                "SalesMap creates/s with {} rows preloaded / on an empty database, at 64 \
                 (within 15%)",
                thousands(self.preload_rows as f64)
            ),
            preloaded.zip(group).map(|(p, e)| p / e),
            0.85,
            |v| format!("{v:.2}"),
        ));
        ratios.extend(self.store_ratios());
        let info = self.find(salesmap, LogsInfo, 64).map(|r| r.rate);
        let warn = self.find(salesmap, LogsWarn, 64).map(|r| r.rate);
        ratios.push(Ratio::at_most(
            "logging cost: 1 − info/warn creates/s, SalesMap at 64".into(),
            info.zip(warn).map(|(i, w)| (1.0 - i / w) * 100.0),
            10.0,
            |v| format!("{v:.1}%"),
        ));
        ratios
    }
}

impl Report {
    /// crm on PostgreSQL against the database's own insert rate and against
    /// SQLite, on the means of the interleaved rounds.
    fn store_ratios(&self) -> Vec<Ratio> {
        let conns = self.store_connections;
        let salesmap = Load::salesmap_people();
        let rate = |store| self.mean_rate(salesmap, Variant::Store(store), conns);
        let sqlite = rate(Store::Sqlite);
        let one = rate(Store::Postgres { servers: 1 });
        let two = rate(Store::Postgres { servers: 2 });
        let pgbench = mean(self.pgbench_rates.iter().copied());
        let times = |v: f64| format!("{v:.2}×");
        let ratio = |a: Option<f64>, b: Option<f64>| a.zip(b).map(|(a, b)| a / b);
        vec![
            Ratio::info(
                format!("crm on PostgreSQL, 1 server / pgbench INSERT transactions, at {conns}"),
                ratio(one, pgbench),
                times,
            ),
            Ratio::info(
                format!("crm on PostgreSQL, 2 servers / pgbench INSERT transactions, at {conns}"),
                ratio(two, pgbench),
                times,
            ),
            Ratio::info(
                format!("crm on PostgreSQL, 2 servers / 1 server, at {conns}"),
                ratio(two, one),
                times,
            ),
            Ratio::info(
                format!("crm on PostgreSQL, 1 server / crm on SQLite, at {conns}"),
                ratio(one, sqlite),
                times,
            ),
        ]
    }
}

fn mean(values: impl Iterator<Item = f64>) -> Option<f64> {
    let (sum, n) = values.fold((0.0, 0), |(s, n), v| (s + v, n + 1));
    (n > 0).then(|| sum / n as f64)
}

struct Ratio {
    measure: String,
    value: String,
    target: String,
    met: Option<bool>,
    /// Whether the run measured what the ratio needs.
    measured: bool,
}

impl Ratio {
    fn at_least(measure: String, value: Option<f64>, min: f64, show: fn(f64) -> String) -> Ratio {
        Ratio {
            measure,
            value: value.map_or("not measured".into(), show),
            target: format!("≥ {}", show(min)),
            met: value.map(|v| v >= min),
            measured: value.is_some(),
        }
    }

    /// A measure without a target.
    fn info(measure: String, value: Option<f64>, show: fn(f64) -> String) -> Ratio {
        Ratio {
            measure,
            value: value.map_or("not measured".into(), show),
            target: "–".into(),
            met: None,
            measured: value.is_some(),
        }
    }

    fn at_most(measure: String, value: Option<f64>, max: f64, show: fn(f64) -> String) -> Ratio {
        Ratio {
            measure,
            value: value.map_or("not measured".into(), show),
            target: format!("≤ {}", show(max)),
            met: value.map(|v| v <= max),
            measured: value.is_some(),
        }
    }
}

fn ms(d: Option<Duration>) -> String {
    d.map_or("–".into(), |d| format!("{:.2} ms", d.as_secs_f64() * 1e3))
}

/// A rate as a whole number with thousands separators: 12,345.
pub fn thousands(v: f64) -> String {
    let digits = format!("{:.0}", v.max(0.0));
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}
