//! The crash test's view of the database under the server, whichever store it
//! is: SQL written once, with SQLite's numbered placeholders (`?1`), run on a
//! SQLite file or on a PostgreSQL database (placeholders made `$1`), each row
//! handed back as JSON values so that a record read from either store compares
//! with the same expectation. Both stores keep ids and flags as integers and
//! everything else the test reads as text; a PostgreSQL boolean (a comparison's
//! result) reads as 0/1, as SQLite gives it.

use serde_json::{json, Value};

/// A value bound to a placeholder.
#[derive(Clone, Copy, Debug)]
pub enum Param<'a> {
    Int(i64),
    Text(&'a str),
}

pub enum Db {
    Sqlite(rusqlite::Connection),
    Postgres(tokio_postgres::Client),
}

impl Db {
    /// Every row `sql` selects, each as its columns' values.
    pub async fn rows(&self, sql: &str, params: &[Param<'_>]) -> Vec<Vec<Value>> {
        match self {
            Db::Sqlite(conn) => sqlite_rows(conn, sql, params),
            Db::Postgres(client) => postgres_rows(client, sql, params).await,
        }
    }

    /// The row `sql` selects, if any; panics when there are several.
    pub async fn row(&self, sql: &str, params: &[Param<'_>]) -> Option<Vec<Value>> {
        let mut rows = self.rows(sql, params).await;
        assert!(
            rows.len() <= 1,
            "{sql}: {} rows, not one or none",
            rows.len()
        );
        rows.pop()
    }

    /// The one integer `sql` selects.
    pub async fn int(&self, sql: &str, params: &[Param<'_>]) -> i64 {
        let row = self.row(sql, params).await;
        row.and_then(|r| r.first().and_then(Value::as_i64))
            .unwrap_or_else(|| panic!("{sql}: no integer selected"))
    }

    /// The first column of every row, as text.
    pub async fn texts(&self, sql: &str, params: &[Param<'_>]) -> Vec<String> {
        self.rows(sql, params)
            .await
            .into_iter()
            .map(|r| match &r[0] {
                Value::String(s) => s.clone(),
                other => panic!("{sql}: {other} is not text"),
            })
            .collect()
    }
}

fn sqlite_rows(conn: &rusqlite::Connection, sql: &str, params: &[Param]) -> Vec<Vec<Value>> {
    use rusqlite::types::{ToSqlOutput, ValueRef};
    let bound: Vec<ToSqlOutput> = params
        .iter()
        .map(|p| match *p {
            Param::Int(i) => ToSqlOutput::from(i),
            Param::Text(s) => ToSqlOutput::from(s),
        })
        .collect();
    let mut statement = conn.prepare(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    let columns = statement.column_count();
    statement
        .query_map(rusqlite::params_from_iter(bound), |r| {
            (0..columns)
                .map(|i| {
                    Ok(match r.get_ref(i)? {
                        ValueRef::Null => Value::Null,
                        ValueRef::Integer(v) => json!(v),
                        ValueRef::Text(t) => json!(String::from_utf8_lossy(t)),
                        other => panic!("{sql}: column {i} holds {other:?}"),
                    })
                })
                .collect()
        })
        .and_then(|rows| rows.collect())
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

async fn postgres_rows(
    client: &tokio_postgres::Client,
    sql: &str,
    params: &[Param<'_>],
) -> Vec<Vec<Value>> {
    use tokio_postgres::types::{ToSql, Type};
    let sql = sql.replace('?', "$");
    let bound: Vec<Box<dyn ToSql + Sync + Send>> = params
        .iter()
        .map(|p| -> Box<dyn ToSql + Sync + Send> {
            match *p {
                Param::Int(i) => Box::new(i),
                Param::Text(s) => Box::new(s.to_owned()),
            }
        })
        .collect();
    let refs: Vec<&(dyn ToSql + Sync)> = bound.iter().map(|b| b.as_ref() as _).collect();
    let rows = client
        .query(&sql, &refs)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e:?}"));
    rows.iter()
        .map(|r| {
            (0..r.len())
                .map(|i| {
                    let value = match *r.columns()[i].type_() {
                        Type::INT8 => r.get::<_, Option<i64>>(i).map(|v| json!(v)),
                        Type::INT4 => r.get::<_, Option<i32>>(i).map(|v| json!(v)),
                        Type::BOOL => r.get::<_, Option<bool>>(i).map(|v| json!(i64::from(v))),
                        Type::TEXT => r.get::<_, Option<String>>(i).map(|v| json!(v)),
                        ref other => panic!("{sql}: column {i} is of type {other}"),
                    };
                    value.unwrap_or(Value::Null)
                })
                .collect()
        })
        .collect()
}
