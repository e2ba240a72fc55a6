//! The lease database: SQLite in WAL mode, schema versioned by `PRAGMA user_version`, every
//! change in one `BEGIN IMMEDIATE` transaction so that concurrent renet processes serialize
//! (read the held leases, pick, insert) and never hand one port out twice. The
//! `UNIQUE(proto, external_port)` constraint is the last line of defence.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OptionalExtension, TransactionBehavior, params};
use serde::Serialize;

use super::range::PortRange;
use super::select::{Pick, pick};
use super::{Lease, LeaseError, LeaseKey, Proto, db_path};

/// The schema this renet writes.
pub const SCHEMA_VERSION: i64 = 1;
/// How long to wait for another process's transaction before giving up.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

const SCHEMA_V1: &str = "
CREATE TABLE leases (
    network_id     INTEGER NOT NULL,
    service        TEXT    NOT NULL,
    proto          TEXT    NOT NULL CHECK (proto IN ('tcp', 'udp')),
    container_port INTEGER NOT NULL CHECK (container_port BETWEEN 1 AND 65535),
    external_port  INTEGER NOT NULL CHECK (external_port BETWEEN 1 AND 65535),
    created_at     INTEGER NOT NULL, -- unix seconds
    PRIMARY KEY (network_id, service, proto, container_port),
    UNIQUE (proto, external_port)
);
";

/// One key's lease after [`Store::lease`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Leased {
    #[serde(flatten)]
    pub lease: Lease,
    /// Whether this call created the lease (false: the key already held it).
    pub new: bool,
    /// Free ports skipped because the probe found them in use.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub skipped_in_use: Vec<u16>,
}

/// Which leases to release: a network, optionally narrowed by service, protocol and port.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReleaseFilter {
    pub network_id: u32,
    pub service: Option<String>,
    pub proto: Option<Proto>,
    pub container_port: Option<u16>,
}

impl ReleaseFilter {
    pub fn matches(&self, key: &LeaseKey) -> bool {
        key.network_id == self.network_id
            && self.service.as_ref().is_none_or(|s| *s == key.service)
            && self.proto.is_none_or(|p| p == key.proto)
            && self.container_port.is_none_or(|p| p == key.container_port)
    }
}

pub struct Store {
    conn: Connection,
    path: PathBuf,
}

/// Turn a SQLite error into one that names the file and says what to do.
fn classify(db: &Path, e: rusqlite::Error) -> LeaseError {
    match e.sqlite_error_code() {
        Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => LeaseError::Corrupt {
            db: db.to_owned(),
            detail: e.to_string(),
        },
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => LeaseError::Locked {
            db: db.to_owned(),
            secs: BUSY_TIMEOUT.as_secs(),
        },
        Some(
            ErrorCode::CannotOpen
            | ErrorCode::PermissionDenied
            | ErrorCode::ReadOnly
            | ErrorCode::SystemIoFailure,
        ) => LeaseError::Open {
            db: db.to_owned(),
            source: e,
        },
        _ => LeaseError::Sql {
            db: db.to_owned(),
            source: e,
        },
    }
}

fn port(db: &Path, value: i64, column: &str) -> Result<u16, LeaseError> {
    u16::try_from(value)
        .ok()
        .filter(|p| *p != 0)
        .ok_or_else(|| LeaseError::Corrupt {
            db: db.to_owned(),
            detail: format!("{column} {value} is not a port"),
        })
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

type Row = (i64, String, String, i64, i64);

fn read_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
}

fn to_lease(
    db: &Path,
    (network_id, service, proto, cport, eport): Row,
) -> Result<Lease, LeaseError> {
    let corrupt = |detail: String| LeaseError::Corrupt {
        db: db.to_owned(),
        detail,
    };
    Ok(Lease {
        key: LeaseKey {
            network_id: u32::try_from(network_id)
                .map_err(|_| corrupt(format!("network_id {network_id} is out of range")))?,
            service,
            proto: Proto::parse(&proto)
                .ok_or_else(|| corrupt(format!("protocol {proto:?} is neither tcp nor udp")))?,
            container_port: port(db, cport, "container_port")?,
        },
        external_port: port(db, eport, "external_port")?,
    })
}

const SELECT: &str = "SELECT network_id, service, proto, container_port, external_port FROM leases";

/// Every lease visible to `conn`, sorted by (proto, external_port).
fn all(conn: &Connection, db: &Path) -> Result<Vec<Lease>, LeaseError> {
    let sql = format!("{SELECT} ORDER BY proto, external_port");
    let mut stmt = conn.prepare_cached(&sql).map_err(|e| classify(db, e))?;
    let rows = stmt
        .query_map([], read_row)
        .map_err(|e| classify(db, e))?
        .collect::<Result<Vec<Row>, _>>()
        .map_err(|e| classify(db, e))?;
    rows.into_iter().map(|r| to_lease(db, r)).collect()
}

fn delete(conn: &Connection, db: &Path, l: &Lease) -> Result<bool, LeaseError> {
    let n = conn
        .execute(
            "DELETE FROM leases WHERE network_id = ?1 AND service = ?2 AND proto = ?3 \
             AND container_port = ?4 AND external_port = ?5",
            params![
                l.key.network_id,
                l.key.service,
                l.key.proto.as_str(),
                l.key.container_port,
                l.external_port
            ],
        )
        .map_err(|e| classify(db, e))?;
    Ok(n > 0)
}

/// Put the database in WAL mode (it persists in the file; readers then never block the one
/// writer). Switching needs an exclusive lock, and SQLite does not wait for it (the busy
/// handler is not called) when another connection holds the write lock: when several processes
/// create the database at once, all but one got SQLITE_BUSY at once (1 run in 12 of 40
/// concurrent `renet ports lease` on a loaded machine). So a busy switch is retried until
/// `BUSY_TIMEOUT`; a database already in WAL mode needs no switch at all.
fn enable_wal(conn: &Connection, db: &Path) -> Result<(), LeaseError> {
    let began = std::time::Instant::now();
    loop {
        let mode = conn
            .query_row("PRAGMA journal_mode", [], |r| r.get::<_, String>(0))
            .and_then(|mode| {
                if mode.eq_ignore_ascii_case("wal") {
                    Ok(mode)
                } else {
                    conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))
                }
            });
        match mode {
            Ok(m) if m.eq_ignore_ascii_case("wal") => return Ok(()),
            // SQLite answers the mode in force when it cannot switch (no shared memory on the
            // file system, an in-memory database): waiting will not change that.
            Ok(m) => {
                return Err(LeaseError::NoWal {
                    db: db.to_owned(),
                    mode: m,
                });
            }
            Err(e)
                if matches!(
                    e.sqlite_error_code(),
                    Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)
                ) && began.elapsed() < BUSY_TIMEOUT =>
            {
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(e) => return Err(classify(db, e)),
        }
    }
}

impl Store {
    /// Open the database under `state_dir`, creating its folder and file as needed, and bring
    /// the schema up to date.
    pub fn open(state_dir: &Path) -> Result<Self, LeaseError> {
        let path = db_path(state_dir);
        let dir = path.parent().expect("the db path has a folder");
        std::fs::create_dir_all(dir).map_err(|source| LeaseError::Io {
            path: dir.to_owned(),
            source,
        })?;
        Self::open_path(path)
    }

    /// Like [`Store::open`], but `None` when there is no database yet (nothing is created).
    pub fn open_existing(state_dir: &Path) -> Result<Option<Self>, LeaseError> {
        let path = db_path(state_dir);
        if !path.exists() {
            return Ok(None);
        }
        Self::open_path(path).map(Some)
    }

    /// Open the database file at `path` (its folder must exist).
    pub fn open_path(path: PathBuf) -> Result<Self, LeaseError> {
        let conn = Connection::open(&path).map_err(|e| classify(&path, e))?;
        conn.busy_timeout(BUSY_TIMEOUT)
            .map_err(|e| classify(&path, e))?;
        enable_wal(&conn, &path)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(|e| classify(&path, e))?;
        let mut store = Self { conn, path };
        store.migrate()?;
        Ok(store)
    }

    pub fn user_version(&self) -> Result<i64, LeaseError> {
        self.conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| classify(&self.path, e))
    }

    fn migrate(&mut self) -> Result<(), LeaseError> {
        if self.user_version()? == SCHEMA_VERSION {
            return Ok(());
        }
        let db = self.path.clone();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| classify(&db, e))?;
        // Read again under the write lock: another process may have migrated meanwhile.
        let found: i64 = tx
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| classify(&db, e))?;
        if found > SCHEMA_VERSION {
            return Err(LeaseError::TooNew {
                db,
                found,
                known: SCHEMA_VERSION,
            });
        }
        if found < 1 {
            tx.execute_batch(SCHEMA_V1).map_err(|e| classify(&db, e))?;
        }
        // Later versions: `if found < 2 { ... }`, each step in this same transaction.
        tx.pragma_update(None, "user_version", SCHEMA_VERSION)
            .map_err(|e| classify(&db, e))?;
        tx.commit().map_err(|e| classify(&db, e))
    }

    /// Every lease (or one network's), sorted by (proto, external_port).
    pub fn list(&self, network_id: Option<u32>) -> Result<Vec<Lease>, LeaseError> {
        let mut leases = all(&self.conn, &self.path)?;
        if let Some(n) = network_id {
            leases.retain(|l| l.key.network_id == n);
        }
        Ok(leases)
    }

    /// The lease of one key, if any.
    pub fn get(&self, key: &LeaseKey) -> Result<Option<Lease>, LeaseError> {
        let sql = format!(
            "{SELECT} WHERE network_id = ?1 AND service = ?2 AND proto = ?3 AND container_port = ?4"
        );
        let row = self
            .conn
            .query_row(
                &sql,
                params![
                    key.network_id,
                    key.service,
                    key.proto.as_str(),
                    key.container_port
                ],
                read_row,
            )
            .optional()
            .map_err(|e| classify(&self.path, e))?;
        row.map(|r| to_lease(&self.path, r)).transpose()
    }

    /// Lease a port for every key, all or nothing, in one `BEGIN IMMEDIATE` transaction: a key
    /// that holds a lease keeps its port; a new key gets the lowest free port of `range` that
    /// `bindable` accepts. When the range is exhausted for one key, nothing is leased.
    pub fn lease(
        &mut self,
        keys: &[LeaseKey],
        range: PortRange,
        mut bindable: impl FnMut(Proto, u16) -> bool,
    ) -> Result<Vec<Leased>, LeaseError> {
        let db = self.path.clone();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| classify(&db, e))?;
        let mut held = all(&tx, &db)?;
        let mut out = Vec::with_capacity(keys.len());
        for key in keys {
            match pick(key, &held, range, |p| bindable(key.proto, p)) {
                Pick::Existing(port) => out.push(Leased {
                    lease: Lease {
                        key: key.clone(),
                        external_port: port,
                    },
                    new: false,
                    skipped_in_use: Vec::new(),
                }),
                Pick::New { port, skipped } => {
                    tx.execute(
                        "INSERT INTO leases (network_id, service, proto, container_port, \
                         external_port, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                        params![
                            key.network_id,
                            key.service,
                            key.proto.as_str(),
                            key.container_port,
                            port,
                            now()
                        ],
                    )
                    .map_err(|e| classify(&db, e))?;
                    let lease = Lease {
                        key: key.clone(),
                        external_port: port,
                    };
                    held.push(lease.clone());
                    out.push(Leased {
                        lease,
                        new: true,
                        skipped_in_use: skipped,
                    });
                }
                Pick::Exhausted { skipped } => {
                    let mut holders: Vec<Lease> = held
                        .into_iter()
                        .filter(|l| l.key.proto == key.proto && range.contains(l.external_port))
                        .collect();
                    holders.sort_by_key(|l| l.external_port);
                    return Err(LeaseError::Exhausted {
                        key: key.clone(),
                        range,
                        holders,
                        in_use: skipped,
                        db,
                    });
                }
            }
        }
        tx.commit().map_err(|e| classify(&db, e))?;
        Ok(out)
    }

    /// Delete every lease matching any of `filters`, in one transaction; returns them sorted by
    /// (proto, external_port).
    pub fn release(&mut self, filters: &[ReleaseFilter]) -> Result<Vec<Lease>, LeaseError> {
        let db = self.path.clone();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| classify(&db, e))?;
        let gone: Vec<Lease> = all(&tx, &db)?
            .into_iter()
            .filter(|l| filters.iter().any(|f| f.matches(&l.key)))
            .collect();
        for l in &gone {
            delete(&tx, &db, l)?;
        }
        tx.commit().map_err(|e| classify(&db, e))?;
        Ok(gone)
    }

    /// Delete exactly these leases (key and port must still match: a lease re-made meanwhile
    /// is kept); returns the ones deleted.
    pub fn remove(&mut self, leases: &[Lease]) -> Result<Vec<Lease>, LeaseError> {
        let db = self.path.clone();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| classify(&db, e))?;
        let mut gone = Vec::new();
        for l in leases {
            if delete(&tx, &db, l)? {
                gone.push(l.clone());
            }
        }
        tx.commit().map_err(|e| classify(&db, e))?;
        Ok(gone)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::leases::parse_range;

    fn key(network_id: u32, service: &str, proto: Proto, port: u16) -> LeaseKey {
        LeaseKey::new(network_id, service, proto, port)
    }

    fn any(_: Proto, _: u16) -> bool {
        true
    }

    fn one(store: &mut Store, k: &LeaseKey, range: &str) -> Result<Leased, LeaseError> {
        let r = parse_range(range).unwrap();
        Ok(store.lease(std::slice::from_ref(k), r, any)?.remove(0))
    }

    /// Another process holding a write lock on a database not yet in WAL mode (another
    /// `renet` creating it) must not make opening fail: the switch to WAL waits for it.
    #[test]
    fn opening_waits_for_a_writer_of_a_new_database() {
        for holder_sql in ["BEGIN IMMEDIATE", "BEGIN; SELECT count(*) FROM t"] {
            let tmp = tempfile::tempdir().unwrap();
            let path = tmp.path().join("ports.db");
            let holder = Connection::open(&path).unwrap();
            holder.execute_batch("CREATE TABLE t(x)").unwrap();
            holder.execute_batch(holder_sql).unwrap();
            let release = std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(300));
                holder.execute_batch("COMMIT").unwrap();
            });
            let store = Store::open_path(path).unwrap_or_else(|e| panic!("{holder_sql}: {e}"));
            let mode: String = store
                .conn
                .query_row("PRAGMA journal_mode", [], |r| r.get(0))
                .unwrap();
            assert_eq!(mode, "wal", "{holder_sql}");
            release.join().unwrap();
        }
    }

    #[test]
    fn a_database_that_cannot_use_wal_is_refused_by_name() {
        let Err(err) = Store::open_path(PathBuf::from(":memory:")) else {
            panic!("an in-memory database cannot use WAL");
        };
        assert!(matches!(err, LeaseError::NoWal { .. }), "{err:?}");
        let msg = err.to_string();
        assert!(
            msg.contains(":memory:")
                && msg.contains("\"memory\"")
                && msg.contains("RENET_STATE_DIR"),
            "{msg}"
        );
    }

    #[test]
    fn same_key_same_port_across_reopen() {
        let tmp = tempfile::tempdir().unwrap();
        let db = key(2816, "db", Proto::Tcp, 5432);
        let cache = key(2816, "cache", Proto::Tcp, 6379);
        {
            let mut s = Store::open(tmp.path()).unwrap();
            assert!(tmp.path().join("router/ports.db").is_file());
            let a = one(&mut s, &db, "10000-10010").unwrap();
            assert_eq!((a.lease.external_port, a.new), (10000, true));
            assert_eq!(
                one(&mut s, &cache, "10000-10010")
                    .unwrap()
                    .lease
                    .external_port,
                10001
            );
        }
        let mut s = Store::open(tmp.path()).unwrap();
        let again = one(&mut s, &db, "10000-10010").unwrap();
        assert_eq!((again.lease.external_port, again.new), (10000, false));
        // Narrowing the range does not move an existing lease.
        let narrowed = one(&mut s, &cache, "10005-10006").unwrap();
        assert_eq!(narrowed.lease.external_port, 10001);
        assert_eq!(s.get(&db).unwrap().unwrap().external_port, 10000);
        let journal: String = s
            .conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(journal, "wal");
    }

    #[test]
    fn release_deletes_and_frees_the_port() {
        let tmp = tempfile::tempdir().unwrap();
        let mut s = Store::open(tmp.path()).unwrap();
        let r = parse_range("10000-10010").unwrap();
        let keys = [
            key(2816, "db", Proto::Tcp, 5432),
            key(2816, "db", Proto::Udp, 5432),
            key(2816, "web", Proto::Tcp, 80),
            key(2880, "db", Proto::Tcp, 5432),
        ];
        let got = s.lease(&keys, r, any).unwrap();
        let ports: Vec<u16> = got.iter().map(|l| l.lease.external_port).collect();
        assert_eq!(ports, [10000, 10000, 10001, 10002]);
        let gone = s
            .release(&[ReleaseFilter {
                network_id: 2816,
                service: Some("db".to_owned()),
                ..Default::default()
            }])
            .unwrap();
        assert_eq!(gone.len(), 2);
        assert_eq!(s.list(None).unwrap().len(), 2);
        assert_eq!(s.list(Some(2880)).unwrap().len(), 1);
        // The freed port goes to the next new key.
        let next = one(&mut s, &key(2944, "x", Proto::Tcp, 1), "10000-10010").unwrap();
        assert_eq!(next.lease.external_port, 10000);
        // remove() only deletes exact matches.
        let stale = Lease {
            key: keys[2].clone(),
            external_port: 10009,
        };
        assert!(s.remove(&[stale]).unwrap().is_empty());
        assert_eq!(s.remove(&[got[2].lease.clone()]).unwrap().len(), 1);
        let left: Vec<String> = s
            .list(None)
            .unwrap()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            left,
            [
                "network 2944 service x tcp/1 -> 10000",
                "network 2880 service db tcp/5432 -> 10002"
            ]
        );
    }

    #[test]
    fn exhausted_names_every_holder_and_leases_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let mut s = Store::open(tmp.path()).unwrap();
        let r = parse_range("10000-10001").unwrap();
        s.lease(
            &[
                key(2816, "db", Proto::Tcp, 5432),
                key(2880, "web", Proto::Tcp, 80),
            ],
            r,
            any,
        )
        .unwrap();
        let err = s
            .lease(
                &[
                    key(2944, "ok", Proto::Udp, 53),
                    key(2944, "late", Proto::Tcp, 1),
                ],
                r,
                any,
            )
            .unwrap_err();
        assert!(matches!(err, LeaseError::Exhausted { .. }));
        let msg = err.to_string();
        for needle in [
            "no free tcp port in 10000-10001 for network 2944 service late tcp/1",
            "network 2816 service db tcp/5432 -> 10000",
            "network 2880 service web tcp/80 -> 10001",
            "RENET_PORT_RANGE",
            "ports.db",
        ] {
            assert!(msg.contains(needle), "{needle:?} missing from: {msg}");
        }
        // All or nothing: the UDP lease of the same call was rolled back.
        assert_eq!(s.list(None).unwrap().len(), 2);
    }

    #[test]
    fn ports_in_use_are_skipped_and_named_when_exhausted() {
        let tmp = tempfile::tempdir().unwrap();
        let mut s = Store::open(tmp.path()).unwrap();
        let r = parse_range("10000-10002").unwrap();
        let got = s
            .lease(&[key(2816, "db", Proto::Tcp, 5432)], r, |_, p| p == 10002)
            .unwrap();
        assert_eq!(got[0].lease.external_port, 10002);
        assert_eq!(got[0].skipped_in_use, [10000, 10001]);
        let err = s
            .lease(&[key(2816, "x", Proto::Tcp, 1)], r, |_, _| false)
            .unwrap_err()
            .to_string();
        assert!(err.contains("tcp/10000 in use by another program"), "{err}");
        assert!(
            err.contains("network 2816 service db tcp/5432 -> 10002"),
            "{err}"
        );
    }

    #[test]
    fn empty_database_is_migrated_to_version_1() {
        let tmp = tempfile::tempdir().unwrap();
        let path = db_path(tmp.path());
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, b"").unwrap();
        let s = Store::open(tmp.path()).unwrap();
        assert_eq!(s.user_version().unwrap(), 1);
        assert!(s.list(None).unwrap().is_empty());
        // A second open finds the schema in place.
        assert_eq!(Store::open(tmp.path()).unwrap().user_version().unwrap(), 1);
    }

    #[test]
    fn newer_schema_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let s = Store::open(tmp.path()).unwrap();
        s.conn.pragma_update(None, "user_version", 7).unwrap();
        drop(s);
        let msg = Store::open(tmp.path()).err().unwrap().to_string();
        assert!(msg.contains("schema version 7"), "{msg}");
        assert!(msg.contains("ports.db"), "{msg}");
    }

    #[test]
    fn corrupt_file_names_the_file() {
        let tmp = tempfile::tempdir().unwrap();
        let path = db_path(tmp.path());
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, vec![b'x'; 8192]).unwrap();
        let err = Store::open(tmp.path()).err().unwrap();
        assert!(matches!(err, LeaseError::Corrupt { .. }), "{err:?}");
        let msg = err.to_string();
        assert!(msg.contains(&path.display().to_string()), "{msg}");
        assert!(msg.contains("move it aside"), "{msg}");
        assert!(crate::leases::list(tmp.path()).is_err());
    }

    #[test]
    fn list_without_a_database_is_empty_and_creates_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        assert!(crate::leases::list(tmp.path()).unwrap().is_empty());
        assert!(!tmp.path().join("router").exists());
    }

    #[test]
    fn release_filter_matches() {
        let k = key(2816, "db", Proto::Udp, 53);
        let f = |service: Option<&str>, proto, port| ReleaseFilter {
            network_id: 2816,
            service: service.map(str::to_owned),
            proto,
            container_port: port,
        };
        assert!(f(None, None, None).matches(&k));
        assert!(f(Some("db"), Some(Proto::Udp), Some(53)).matches(&k));
        assert!(!f(Some("web"), None, None).matches(&k));
        assert!(!f(None, Some(Proto::Tcp), None).matches(&k));
        assert!(!f(None, None, Some(54)).matches(&k));
        assert!(
            !ReleaseFilter {
                network_id: 2880,
                ..f(None, None, None)
            }
            .matches(&k)
        );
    }

    #[test]
    fn two_connections_never_share_a_port() {
        let tmp = tempfile::tempdir().unwrap();
        Store::open(tmp.path()).unwrap();
        let r = parse_range("20000-20039").unwrap();
        let handles: Vec<_> = (0..8)
            .map(|t| {
                let dir = tmp.path().to_owned();
                std::thread::spawn(move || {
                    let mut s = Store::open(&dir).unwrap();
                    (0..5)
                        .map(|i| {
                            let k = key(2816, &format!("s{t}"), Proto::Tcp, i + 1);
                            s.lease(&[k], r, any).unwrap()[0].lease.external_port
                        })
                        .collect::<Vec<u16>>()
                })
            })
            .collect();
        let mut ports: Vec<u16> = handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect();
        ports.sort_unstable();
        let want: Vec<u16> = (20000..20040).collect();
        assert_eq!(ports, want);
    }
}
