//! What a test reads back from the database under a server, whichever store it
//! runs on: `TestDb` runs the SQL both SQLite and PostgreSQL accept (placeholders
//! written `?1`, `?2` as in SQLite, translated to `$1`, `$2` for PostgreSQL) and
//! hands back rows of [`Cell`]s, so an assertion compares the same values on both.
//!
//! The two stores keep every column in the same form (ids and 0/1 flags are
//! integers, timestamps the wire's text, field values JSON text: see
//! `server/migrations/postgres/`), so nothing is normalised here but the types
//! PostgreSQL has and SQLite has not: `int2`/`int4` (what `length()` returns) read
//! as integers, `bool` as 0/1. A column of any other type panics, naming it,
//! rather than compare a guess.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// One value of a row, as SQLite types it.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

/// A row: `get(i)` reads column `i` as `T`, panicking when it holds another type.
#[derive(Clone, Debug, PartialEq)]
pub struct Row(pub Vec<Cell>);

impl Row {
    pub fn get<T: FromCell>(&self, i: usize) -> T {
        let cell = self
            .0
            .get(i)
            .unwrap_or_else(|| panic!("no column {i} in a row of {}", self.0.len()));
        T::from_cell(cell).unwrap_or_else(|| {
            panic!(
                "column {i} holds {cell:?}, not {}",
                std::any::type_name::<T>()
            )
        })
    }
}

/// A Rust type a [`Cell`] reads into.
pub trait FromCell: Sized {
    fn from_cell(cell: &Cell) -> Option<Self>;
}

impl FromCell for i64 {
    fn from_cell(cell: &Cell) -> Option<Self> {
        match cell {
            Cell::Int(i) => Some(*i),
            _ => None,
        }
    }
}

impl FromCell for f64 {
    fn from_cell(cell: &Cell) -> Option<Self> {
        match cell {
            Cell::Real(f) => Some(*f),
            _ => None,
        }
    }
}

/// A 0/1 flag (both stores keep flags as integers).
impl FromCell for bool {
    fn from_cell(cell: &Cell) -> Option<Self> {
        match cell {
            Cell::Int(0) => Some(false),
            Cell::Int(1) => Some(true),
            _ => None,
        }
    }
}

impl FromCell for String {
    fn from_cell(cell: &Cell) -> Option<Self> {
        match cell {
            Cell::Text(s) => Some(s.clone()),
            _ => None,
        }
    }
}

impl FromCell for Vec<u8> {
    fn from_cell(cell: &Cell) -> Option<Self> {
        match cell {
            Cell::Blob(b) => Some(b.clone()),
            _ => None,
        }
    }
}

impl<T: FromCell> FromCell for Option<T> {
    fn from_cell(cell: &Cell) -> Option<Self> {
        match cell {
            Cell::Null => Some(None),
            other => T::from_cell(other).map(Some),
        }
    }
}

/// A value bound to a placeholder.
pub trait Param {
    fn cell(&self) -> Cell;
}

impl Param for i64 {
    fn cell(&self) -> Cell {
        Cell::Int(*self)
    }
}

impl Param for str {
    fn cell(&self) -> Cell {
        Cell::Text(self.to_owned())
    }
}

impl Param for String {
    fn cell(&self) -> Cell {
        Cell::Text(self.clone())
    }
}

impl<T: Param + ?Sized> Param for &T {
    fn cell(&self) -> Cell {
        (**self).cell()
    }
}

impl<T: Param> Param for Option<T> {
    fn cell(&self) -> Cell {
        self.as_ref().map_or(Cell::Null, Param::cell)
    }
}

/// A connection to the database a test's server runs on.
pub struct TestDb(Inner);

enum Inner {
    /// Reads on one read-only connection (WAL: each statement sees the latest
    /// commit); a write opens its own, as another process would.
    Sqlite {
        path: PathBuf,
        read: Mutex<rusqlite::Connection>,
    },
    Postgres(postgres::Connection),
}

impl TestDb {
    pub fn sqlite(path: &Path) -> TestDb {
        let read =
            rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
                .unwrap_or_else(|e| panic!("opening {}: {e}", path.display()));
        TestDb(Inner::Sqlite {
            path: path.to_owned(),
            read: Mutex::new(read),
        })
    }

    pub fn postgres(url: &str) -> TestDb {
        TestDb(Inner::Postgres(postgres::Connection::open(url)))
    }

    /// Every row `sql` selects, each mapped by `f`.
    pub fn query<T>(&self, sql: &str, params: &[&dyn Param], f: impl FnMut(&Row) -> T) -> Vec<T> {
        let params: Vec<Cell> = params.iter().map(|p| p.cell()).collect();
        let rows = match &self.0 {
            Inner::Sqlite { read, .. } => sqlite_query(&read.lock().unwrap(), sql, &params),
            Inner::Postgres(conn) => conn.run(sql, params, true).map(|(rows, _)| rows),
        };
        rows.unwrap_or_else(|e| panic!("{sql}: {e}"))
            .iter()
            .map(f)
            .collect()
    }

    /// The one row `sql` selects, mapped by `f`; panics when there is none or
    /// more than one.
    pub fn query_row<T>(&self, sql: &str, params: &[&dyn Param], f: impl FnOnce(&Row) -> T) -> T {
        let mut rows = self.query(sql, params, Row::clone);
        assert_eq!(rows.len(), 1, "{sql}: {} rows, not one", rows.len());
        f(&rows.remove(0))
    }

    /// The row `sql` selects, if any, mapped by `f`; panics when there are
    /// several.
    pub fn query_opt<T>(
        &self,
        sql: &str,
        params: &[&dyn Param],
        f: impl FnOnce(&Row) -> T,
    ) -> Option<T> {
        let mut rows = self.query(sql, params, Row::clone);
        assert!(
            rows.len() <= 1,
            "{sql}: {} rows, not one or none",
            rows.len()
        );
        rows.pop().map(|r| f(&r))
    }

    /// The one value `sql` selects (one row, one column).
    pub fn value<T: FromCell>(&self, sql: &str, params: &[&dyn Param]) -> T {
        self.query_row(sql, params, |r| {
            assert_eq!(r.0.len(), 1, "{sql}: {} columns, not one", r.0.len());
            r.get(0)
        })
    }

    /// How many rows `table` holds.
    pub fn count(&self, table: &str) -> i64 {
        self.value(&format!("SELECT count(*) FROM {table}"), &[])
    }

    /// How many rows hold the record `op` makes with `suffix` (its
    /// `crm_testkit::Operation::stored`).
    pub fn stored(&self, op: &crm_testkit::Operation, suffix: &str) -> i64 {
        let stored = (op.stored)(suffix);
        self.value(
            &format!(
                "SELECT count(*) FROM {} WHERE {} = ?1",
                stored.table, stored.column
            ),
            &[&stored.value],
        )
    }

    /// Changes rows under the server, as another process would (aging a key,
    /// say); how many rows changed.
    pub fn execute(&self, sql: &str, params: &[&dyn Param]) -> usize {
        let params: Vec<Cell> = params.iter().map(|p| p.cell()).collect();
        let changed = match &self.0 {
            Inner::Sqlite { path, .. } => {
                let conn = rusqlite::Connection::open(path).unwrap();
                conn.busy_timeout(std::time::Duration::from_secs(10))
                    .unwrap();
                conn.execute(
                    sql,
                    rusqlite::params_from_iter(params.iter().map(to_sqlite)),
                )
                .map_err(|e| e.to_string())
            }
            Inner::Postgres(conn) => conn.run(sql, params, false).map(|(_, n)| n as usize),
        };
        changed.unwrap_or_else(|e| panic!("{sql}: {e}"))
    }
}

fn to_sqlite(cell: &Cell) -> rusqlite::types::Value {
    use rusqlite::types::Value;
    match cell {
        Cell::Null => Value::Null,
        Cell::Int(i) => Value::Integer(*i),
        Cell::Real(f) => Value::Real(*f),
        Cell::Text(s) => Value::Text(s.clone()),
        Cell::Blob(b) => Value::Blob(b.clone()),
    }
}

fn sqlite_query(
    conn: &rusqlite::Connection,
    sql: &str,
    params: &[Cell],
) -> Result<Vec<Row>, String> {
    use rusqlite::types::ValueRef;
    let mut stmt = conn.prepare(sql).map_err(|e| e.to_string())?;
    let columns = stmt.column_count();
    let rows = stmt
        .query_map(
            rusqlite::params_from_iter(params.iter().map(to_sqlite)),
            |r| {
                (0..columns)
                    .map(|i| {
                        Ok(match r.get_ref(i)? {
                            ValueRef::Null => Cell::Null,
                            ValueRef::Integer(i) => Cell::Int(i),
                            ValueRef::Real(f) => Cell::Real(f),
                            ValueRef::Text(t) => Cell::Text(String::from_utf8_lossy(t).into()),
                            ValueRef::Blob(b) => Cell::Blob(b.to_vec()),
                        })
                    })
                    .collect::<rusqlite::Result<Vec<_>>>()
                    .map(Row)
            },
        )
        .map_err(|e| e.to_string())?;
    rows.collect::<Result<_, _>>().map_err(|e| e.to_string())
}

/// `?1`, `?2` (SQLite's numbered placeholders) as `$1`, `$2`, outside quotes.
pub fn numbered_placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut quote = None;
    for c in sql.chars() {
        match (quote, c) {
            (None, '\'' | '"') => quote = Some(c),
            (Some(q), _) if c == q => quote = None,
            (None, '?') => {
                out.push('$');
                continue;
            }
            _ => {}
        }
        out.push(c);
    }
    out
}

mod postgres {
    //! A PostgreSQL connection the test's (synchronous) assertions can use from
    //! inside the test's runtime: the client lives on its own thread, with its
    //! own runtime, and each statement is a message to it.

    use super::{numbered_placeholders, Cell, Row};
    use std::sync::mpsc;
    use tokio_postgres::types::{ToSql, Type};

    type Reply = mpsc::Sender<Result<(Vec<Row>, u64), String>>;

    pub struct Connection {
        jobs: tokio::sync::mpsc::UnboundedSender<(String, Vec<Cell>, bool, Reply)>,
    }

    impl Connection {
        pub fn open(url: &str) -> Connection {
            let (jobs, mut queue) =
                tokio::sync::mpsc::unbounded_channel::<(String, Vec<Cell>, bool, Reply)>();
            let (ready, connected) = mpsc::channel();
            let url = url.to_owned();
            std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                runtime.block_on(async move {
                    let client = match tokio_postgres::connect(&url, tokio_postgres::NoTls).await {
                        Ok((client, connection)) => {
                            tokio::spawn(connection);
                            let _ = ready.send(Ok(()));
                            client
                        }
                        Err(e) => {
                            let _ = ready.send(Err(format!("connecting to {url}: {e}")));
                            return;
                        }
                    };
                    while let Some((sql, params, rows, reply)) = queue.recv().await {
                        let _ = reply.send(run(&client, &sql, &params, rows).await);
                    }
                });
            });
            connected
                .recv()
                .expect("the PostgreSQL reader thread ended")
                .unwrap_or_else(|e| panic!("{e}"));
            Connection { jobs }
        }

        /// Runs `sql` (its placeholders SQLite's) with `params`: the rows it
        /// returns (when `rows`) and how many rows it changed.
        pub fn run(
            &self,
            sql: &str,
            params: Vec<Cell>,
            rows: bool,
        ) -> Result<(Vec<Row>, u64), String> {
            let (reply, answer) = mpsc::channel();
            self.jobs
                .send((numbered_placeholders(sql), params, rows, reply))
                .map_err(|_| "the PostgreSQL reader thread ended".to_owned())?;
            answer
                .recv()
                .map_err(|_| "the PostgreSQL reader thread ended".to_owned())?
        }
    }

    async fn run(
        client: &tokio_postgres::Client,
        sql: &str,
        params: &[Cell],
        rows: bool,
    ) -> Result<(Vec<Row>, u64), String> {
        let statement = client.prepare(sql).await.map_err(|e| e.to_string())?;
        let bound = params
            .iter()
            .zip(statement.params())
            .enumerate()
            .map(|(i, (cell, ty))| {
                param(cell, ty).ok_or(format!("${}: {cell:?} is not {ty}", i + 1))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let refs: Vec<&(dyn ToSql + Sync)> = bound.iter().map(|b| b.as_ref() as _).collect();
        if !rows {
            let n = client
                .execute(&statement, &refs)
                .await
                .map_err(|e| e.to_string())?;
            return Ok((Vec::new(), n));
        }
        let found = client
            .query(&statement, &refs)
            .await
            .map_err(|e| e.to_string())?;
        let rows = found
            .iter()
            .map(|r| {
                (0..r.len())
                    .map(|i| cell(r, i))
                    .collect::<Result<Vec<_>, _>>()
                    .map(Row)
            })
            .collect::<Result<Vec<_>, _>>()?;
        let n = rows.len() as u64;
        Ok((rows, n))
    }

    /// `cell` as the type PostgreSQL inferred for its placeholder.
    fn param(cell: &Cell, ty: &Type) -> Option<Box<dyn ToSql + Sync + Send>> {
        fn opt<T: ToSql + Sync + Send + 'static>(v: Option<T>) -> Box<dyn ToSql + Sync + Send> {
            Box::new(v)
        }
        Some(match (cell, ty) {
            (Cell::Null | Cell::Int(_), &Type::INT8) => opt(i64_of(cell)?),
            (Cell::Null | Cell::Int(_), &Type::INT4) => {
                opt(i64_of(cell)?.map(i32::try_from).transpose().ok()?)
            }
            (Cell::Null | Cell::Int(_), &Type::INT2) => {
                opt(i64_of(cell)?.map(i16::try_from).transpose().ok()?)
            }
            (Cell::Null, &Type::TEXT | &Type::VARCHAR | &Type::BPCHAR | &Type::NAME) => {
                opt(None::<String>)
            }
            (Cell::Text(s), &Type::TEXT | &Type::VARCHAR | &Type::BPCHAR | &Type::NAME) => {
                opt(Some(s.clone()))
            }
            (Cell::Null, &Type::BYTEA) => opt(None::<Vec<u8>>),
            (Cell::Blob(b), &Type::BYTEA) => opt(Some(b.clone())),
            (Cell::Null, &Type::FLOAT8) => opt(None::<f64>),
            (Cell::Real(f), &Type::FLOAT8) => opt(Some(*f)),
            _ => return None,
        })
    }

    fn i64_of(cell: &Cell) -> Option<Option<i64>> {
        match cell {
            Cell::Null => Some(None),
            Cell::Int(i) => Some(Some(*i)),
            _ => None,
        }
    }

    /// Column `i` of `row` as SQLite would type it.
    fn cell(row: &tokio_postgres::Row, i: usize) -> Result<Cell, String> {
        fn get<'a, T: tokio_postgres::types::FromSql<'a>>(
            row: &'a tokio_postgres::Row,
            i: usize,
        ) -> Result<Option<T>, String> {
            row.try_get(i).map_err(|e| e.to_string())
        }
        let ty = row.columns()[i].type_().clone();
        let cell = match ty {
            Type::INT8 => get::<i64>(row, i)?.map(Cell::Int),
            Type::INT4 => get::<i32>(row, i)?.map(|v| Cell::Int(v.into())),
            Type::INT2 => get::<i16>(row, i)?.map(|v| Cell::Int(v.into())),
            Type::BOOL => get::<bool>(row, i)?.map(|v| Cell::Int(v.into())),
            Type::FLOAT8 => get::<f64>(row, i)?.map(Cell::Real),
            Type::FLOAT4 => get::<f32>(row, i)?.map(|v| Cell::Real(v.into())),
            Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME => {
                get::<String>(row, i)?.map(Cell::Text)
            }
            Type::BYTEA => get::<Vec<u8>>(row, i)?.map(Cell::Blob),
            other => {
                return Err(format!(
                    "column {i} ({}) is of type {other}, which the tests do not read",
                    row.columns()[i].name()
                ))
            }
        };
        Ok(cell.unwrap_or(Cell::Null))
    }
}
