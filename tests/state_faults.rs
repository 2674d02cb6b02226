//! A state that parses but is inconsistent (edited by hand, or by another program): vnet
//! refuses it with the file, the fault and a hint, changes nothing, and never panics. Each
//! fault goes in through `vnet state import` and straight into state.db with SQLite.

mod common;

use common::Vnet;
use rusqlite::{Connection, params};
use serde_json::{Value, json};

/// c1 and c2 running on n1 (10.5.0.0/16), c3 on the default bridge, c4 created on n1.
fn lab(tag: &str) -> Vnet {
    let v = Vnet::new(tag);
    v.ok(&["network", "create", "--subnet", "10.5.0.0/16", "n1"]);
    v.ok(&["run", "-itd", "--name", "c1", "--net", "n1", "busybox"]);
    v.ok(&["run", "-itd", "--name", "c2", "--net", "n1", "busybox"]);
    v.ok(&["run", "-itd", "--name", "c3", "busybox"]);
    v.ok(&["create", "--name", "c4", "--net", "n1", "busybox"]);
    v
}

fn no_panic(what: &str, r: &common::Run) {
    assert!(
        !r.stderr.contains("panicked") && r.code != 101,
        "{what} panicked: {}",
        r.stderr
    );
}

/// The default host's engine in a document.
fn engine(doc: &mut Value) -> &mut Value {
    &mut doc["cluster"]["hosts"]["default"]["engine"]
}

fn id_of(doc: &mut Value, kind: &str, name: &str) -> String {
    engine(doc)[kind]
        .as_object()
        .unwrap()
        .iter()
        .find(|(_, o)| o["name"] == name)
        .map(|(k, _)| k.clone())
        .unwrap()
}

/// Renames a container's ID everywhere the document holds it.
fn rekey_container(doc: &mut Value, old: &str, new: &str) {
    let e = engine(doc);
    let cons = e["containers"].as_object_mut().unwrap();
    let mut c = cons.shift_remove(old).unwrap();
    c["id"] = json!(new);
    cons.insert(new.to_string(), c);
    for net in e["networks"].as_object_mut().unwrap().values_mut() {
        for ep in net["endpoints"].as_object_mut().unwrap().values_mut() {
            if ep["container_id"] == old {
                ep["container_id"] = json!(new);
            }
        }
    }
}

/// Each fault: a name, what the error says of it, and the edit.
type DocFault = (&'static str, &'static str, fn(&mut Value));

const DOC_FAULTS: &[DocFault] = &[
    (
        "an endpoint naming a missing network",
        "which does not exist",
        |d| {
            let c1 = id_of(d, "containers", "c1");
            engine(d)["containers"][&c1]["networks"]["n1"]["network_id"] = json!("d".repeat(64));
        },
    ),
    ("a container ID shorter than 12", "has a short ID", |d| {
        let c1 = id_of(d, "containers", "c1");
        rekey_container(d, &c1, "abc");
    }),
    ("a container ID that is not hex", "not a Docker ID", |d| {
        let c1 = id_of(d, "containers", "c1");
        rekey_container(d, &c1, &format!("zz{}", &c1[2..]));
    }),
    (
        "a gateway outside its subnet",
        "address 192.168.9.1 is outside its subnet 10.5.0.0/16",
        |d| {
            let n1 = id_of(d, "networks", "n1");
            engine(d)["networks"][&n1]["ipam"]["pools"][0]["gateway"] = json!("192.168.9.1");
        },
    ),
    (
        "an endpoint naming a missing container",
        "which does not exist",
        |d| {
            let n1 = id_of(d, "networks", "n1");
            let eps = engine(d)["networks"][&n1]["endpoints"]
                .as_object_mut()
                .unwrap();
            let ep = eps.values_mut().next().unwrap();
            ep["container_id"] = json!("e".repeat(64));
        },
    ),
    (
        "an endpoint address outside the network",
        "outside the network's subnets",
        |d| {
            let n1 = id_of(d, "networks", "n1");
            let eps = engine(d)["networks"][&n1]["endpoints"]
                .as_object_mut()
                .unwrap();
            eps.values_mut().next().unwrap()["ipv4"] = json!(["10.5.0.2", 40]);
        },
    ),
    (
        "link settings of a missing network",
        "link settings name network",
        |d| {
            engine(d)["links"] = json!({ "f".repeat(64): {"loss": 0.5, "delay": 0, "jitter": 0} });
        },
    ),
    ("a link losing 500%", "not a share from 0 to 1", |d| {
        let n1 = id_of(d, "networks", "n1");
        engine(d)["links"] = json!({ n1: {"loss": 5.0, "delay": 0, "jitter": 0} });
    }),
    (
        "a clock past the year 9999",
        "past 9999-12-31T23:59:59.999999Z",
        |d| {
            engine(d)["clock"] = json!(u64::MAX);
        },
    ),
    (
        "a container name Docker refuses",
        "not a valid container name",
        |d| {
            let c1 = id_of(d, "containers", "c1");
            engine(d)["containers"][&c1]["name"] = json!("c/1");
        },
    ),
];

#[test]
fn an_imported_document_with_a_fault_is_refused_and_changes_nothing() {
    let v = lab("fault-import");
    let good = v.state_bytes();
    let doc: Value = serde_json::from_slice(&good).unwrap();
    let file = v.dir.with_extension("json");
    for (what, says, edit) in DOC_FAULTS {
        let mut d = doc.clone();
        edit(&mut d);
        std::fs::write(&file, serde_json::to_vec(&d).unwrap()).unwrap();
        let r = v.run(&["state", "import", file.to_str().unwrap()]);
        no_panic(what, &r);
        assert_eq!(r.code, 1, "{what}: {}", r.stderr);
        assert!(
            r.stderr
                .starts_with(&format!("vnet: state {} is corrupt (", file.display())),
            "{what}: {}",
            r.stderr
        );
        assert!(r.stderr.contains(says), "{what}: {}", r.stderr);
        assert!(
            r.stderr.contains("`vnet state check`") && r.stderr.contains("`vnet system reset -f`"),
            "{what}: {}",
            r.stderr
        );
        assert_eq!(v.state_bytes(), good, "{what}: the state is unchanged");
    }
    let _ = std::fs::remove_file(&file);
}

/// Every row of the database, as text: what a refused command must leave as it was.
fn rows(db: &std::path::Path) -> String {
    let conn = Connection::open(db).unwrap();
    let mut out = String::new();
    for table in [
        "meta",
        "hosts",
        "networks",
        "endpoints",
        "containers",
        "counters",
    ] {
        let mut st = conn
            .prepare(&format!("SELECT * FROM {table} ORDER BY 1, 2"))
            .unwrap();
        let n = st.column_count();
        let mut q = st.query([]).unwrap();
        while let Some(r) = q.next().unwrap() {
            for i in 0..n {
                let v: rusqlite::types::Value = r.get(i).unwrap();
                out.push_str(&format!("{v:?}|"));
            }
            out.push('\n');
        }
    }
    out
}

fn json_edit(conn: &Connection, table: &str, id: &str, f: impl FnOnce(&mut Value)) {
    let js: String = conn
        .query_row(
            &format!("SELECT json FROM {table} WHERE id = ?1"),
            [id],
            |r| r.get(0),
        )
        .unwrap();
    let mut v: Value = serde_json::from_str(&js).unwrap();
    f(&mut v);
    conn.execute(
        &format!("UPDATE {table} SET json = ?1 WHERE id = ?2"),
        params![v.to_string(), id],
    )
    .unwrap();
}

fn db_id(conn: &Connection, table: &str, name: &str) -> String {
    conn.query_row(
        &format!("SELECT id FROM {table} WHERE name = ?1"),
        [name],
        |r| r.get(0),
    )
    .unwrap()
}

/// A fault: its name, what the error says, the edit, and the objects it is in.
type DbFault = (
    &'static str,
    &'static str,
    fn(&Connection),
    &'static [&'static str],
);

const DB_FAULTS: &[DbFault] = &[
    (
        "an endpoint row naming a missing network",
        "which the network does not hold",
        |db| {
            let c1 = db_id(db, "containers", "c1");
            db.execute(
                "UPDATE endpoints SET network_id = ?1 WHERE container_id = ?2",
                params!["d".repeat(64), c1],
            )
            .unwrap();
        },
        &["c1"],
    ),
    (
        "a container ID shorter than 12",
        "has a short ID",
        |db| {
            let c1 = db_id(db, "containers", "c1");
            db.execute("UPDATE containers SET id = 'abc' WHERE id = ?1", [&c1])
                .unwrap();
            json_edit(db, "containers", "abc", |j| j["id"] = json!("abc"));
            let eps: Vec<String> = db
                .prepare("SELECT id FROM endpoints WHERE container_id = ?1")
                .unwrap()
                .query_map([&c1], |r| r.get(0))
                .unwrap()
                .map(Result::unwrap)
                .collect();
            for eid in eps {
                db.execute(
                    "UPDATE endpoints SET container_id = 'abc' WHERE id = ?1",
                    [&eid],
                )
                .unwrap();
                json_edit(db, "endpoints", &eid, |j| j["container_id"] = json!("abc"));
            }
        },
        &["c1", "n1"],
    ),
    (
        "a gateway outside its subnet",
        "is outside its subnet 10.5.0.0/16",
        |db| {
            let n1 = db_id(db, "networks", "n1");
            json_edit(db, "networks", &n1, |j| {
                j["ipam"]["pools"][0]["gateway"] = json!("192.168.9.1")
            });
        },
        &["c1", "n1"],
    ),
    (
        "a name column that is not the JSON's",
        "its name column says \"zzz\", its JSON \"c1\"",
        |db| {
            db.execute("UPDATE containers SET name = 'zzz' WHERE name = 'c1'", [])
                .unwrap();
        },
        &["c1"],
    ),
    (
        "link settings of a missing network",
        "link settings name network",
        |db| {
            let js: String = db
                .query_row("SELECT json FROM hosts WHERE name = 'default'", [], |r| {
                    r.get(0)
                })
                .unwrap();
            let mut h: Value = serde_json::from_str(&js).unwrap();
            h["engine"]["links"] =
                json!({ "f".repeat(64): {"loss": 0.5, "delay": 0, "jitter": 0} });
            db.execute(
                "UPDATE hosts SET json = ?1 WHERE name = 'default'",
                [h.to_string()],
            )
            .unwrap();
        },
        &["c1", "n1"],
    ),
];

/// What each command reads: the whole state, or container c1 (and its networks), or n1.
const COMMANDS: [(&[&str], &str); 6] = [
    (&["ps", "-a"], "whole"),
    (&["exec", "c1", "ping", "-c", "1", "c2"], "c1"),
    (&["network", "inspect", "n1"], "n1"),
    (&["inspect", "c1"], "c1"),
    (&["rm", "-f", "c1"], "c1"),
    (&["link", "ls"], "whole"),
];

#[test]
fn a_state_db_edited_into_a_fault_is_refused_without_a_panic() {
    for (what, says, edit, reaches) in DB_FAULTS {
        let v = lab("fault-db");
        let db = v.state_file();
        {
            let conn = Connection::open(&db).unwrap();
            edit(&conn);
        }
        let before = rows(&db);
        for (args, reads) in COMMANDS {
            let r = v.run(args);
            no_panic(&format!("{what}: {args:?}"), &r);
            // A command that reads the faulty object refuses; one that reads only the rest
            // (a part of the state) may go on, on what it read.
            // (`rm -f` of a container it cannot find says so and exits 0, as docker's does.)
            if reads == "whole" || reaches.contains(&reads) {
                assert!(
                    r.code != 0 || r.stderr.contains("No such container: c1"),
                    "{what}: {args:?} went on: {}",
                    r.stdout
                );
            }
        }
        // A command that reads the whole state names the file, the fault and what to do.
        let r = v.run(&["ps", "-a"]);
        assert!(
            r.stderr
                .starts_with(&format!("vnet: state {} is corrupt (", db.display()))
                && r.stderr.contains(says)
                && r.stderr.contains("`vnet state check`"),
            "{what}: {}",
            r.stderr
        );
        let r = v.run(&["state", "check"]);
        assert!(
            r.code == 1 && r.stderr.contains(says),
            "{what}: {}",
            r.stderr
        );
        assert!(
            rows(&db) == before,
            "{what}: something was repaired or changed"
        );
    }
}
