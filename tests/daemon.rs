//! `vnet daemon` driven by real clients: the docker CLI replays the seed walkthrough and must
//! print what `vnet` prints; raw HTTP over the socket checks routes, errors, safety and
//! concurrency. Tests that need the docker CLI say so and skip where it is missing.

mod common;

use common::{Vnet, bin};
use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use vnet::scenario::Action;

/// A running `vnet daemon` on its own state directory and socket; stopped with SIGTERM.
struct DaemonProc {
    child: Option<Child>,
    state: Vnet,
    socket: PathBuf,
}

impl DaemonProc {
    fn start(tag: &str, seed: u64) -> DaemonProc {
        DaemonProc::start_on(tag, seed, None, |_| {})
    }

    /// A daemon serving simulated host `host` (`-H`), on a state `prepare` set up first.
    fn start_on(
        tag: &str,
        seed: u64,
        host: Option<&str>,
        prepare: impl FnOnce(&Vnet),
    ) -> DaemonProc {
        let state = Vnet::new(tag);
        std::fs::create_dir_all(&state.dir).unwrap();
        prepare(&state);
        let seed = seed.to_string();
        let mut global = vec!["--seed", seed.as_str()];
        if let Some(h) = host {
            global.extend(["-H", h]);
        }
        let (child, socket) = common::spawn_daemon(&state, &global, &[], Stdio::piped());
        DaemonProc {
            child: Some(child),
            state,
            socket,
        }
    }

    /// SIGTERM, then the exit status and stderr.
    fn stop(&mut self) -> (i32, String) {
        self.stop_with("-TERM")
    }

    /// A signal (`-TERM`, `-INT`), then the exit status and stderr.
    fn stop_with(&mut self, signal: &str) -> (i32, String) {
        let mut child = self.child.take().expect("running");
        let st = Command::new("kill")
            .arg(signal)
            .arg(child.id().to_string())
            .status()
            .unwrap();
        assert!(st.success());
        let status = child.wait().unwrap();
        let mut err = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        (status.code().unwrap_or(-1), err)
    }

    /// One HTTP/1.1 request on a new connection; returns status, headers (lowercased
    /// names) and body.
    fn request(&self, method: &str, path: &str, body: Option<&str>) -> Response {
        let mut s = UnixStream::connect(&self.socket).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
        let mut req =
            format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
        if let Some(b) = body {
            req.push_str(&format!(
                "Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{b}",
                b.len()
            ));
        } else {
            req.push_str("\r\n");
        }
        s.write_all(req.as_bytes()).unwrap();
        let mut raw = Vec::new();
        s.read_to_end(&mut raw).unwrap();
        Response::parse(&raw)
    }

    fn json(&self, method: &str, path: &str, body: Option<&str>) -> (u16, Value) {
        let r = self.request(method, path, body);
        let v = if r.body.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&r.body).unwrap_or_else(|e| {
                panic!("{method} {path}: {e}: {}", String::from_utf8_lossy(&r.body))
            })
        };
        (r.status, v)
    }
}

impl Drop for DaemonProc {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

#[derive(Debug)]
struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Response {
    fn parse(raw: &[u8]) -> Response {
        let end = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .unwrap_or_else(|| panic!("no header end in {:?}", String::from_utf8_lossy(raw)));
        let head = String::from_utf8_lossy(&raw[..end]).to_string();
        let mut lines = head.split("\r\n");
        let status: u16 = lines
            .next()
            .unwrap()
            .split(' ')
            .nth(1)
            .unwrap()
            .parse()
            .unwrap();
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(": "))
            .map(|(k, v)| (k.to_lowercase(), v.to_string()))
            .collect();
        let mut body = raw[end + 4..].to_vec();
        if headers
            .iter()
            .any(|(k, v)| k == "transfer-encoding" && v == "chunked")
        {
            body = common::dechunk(&body);
        }
        Response {
            status,
            headers,
            body,
        }
    }
    fn header(&self, k: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
    }
}

/// The docker CLI, if this machine has one.
fn docker_cli() -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("VNET_DOCKER_CLI").map(PathBuf::from),
        Some(PathBuf::from("/usr/local/bin/docker")),
        Some(PathBuf::from("/usr/bin/docker")),
    ];
    candidates.into_iter().flatten().find(|p| {
        Command::new(p)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

/// What one command printed.
#[derive(Debug, PartialEq, Eq)]
struct Printed {
    stdout: String,
    stderr: String,
    code: i32,
}

/// Runs a command with `input` on its standard input (none when empty).
fn printed(mut cmd: Command, input: &str) -> Printed {
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("the command starts");
    let mut stdin = child.stdin.take().unwrap();
    // A command may end without reading all its input (a broken pipe is no error here).
    let _ = stdin.write_all(input.as_bytes());
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    Printed {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        code: out.status.code().unwrap_or(-1),
    }
}

fn docker_in(cli: &Path, d: &DaemonProc, config: &Path, args: &[String], input: &str) -> Printed {
    let mut c = Command::new(cli);
    c.args(args)
        .env("DOCKER_HOST", format!("unix://{}", d.socket.display()))
        .env("DOCKER_CONFIG", config)
        .env_remove("DOCKER_CONTEXT")
        .env_remove("DOCKER_API_VERSION")
        .env_remove("DOCKER_TLS_VERIFY");
    printed(c, input)
}

fn docker(cli: &Path, d: &DaemonProc, config: &Path, args: &[String]) -> Printed {
    docker_in(cli, d, config, args, "")
}

fn vnet_in(v: &Vnet, args: &[String], input: &str) -> Printed {
    let args: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
    printed(v.cmd(&args), input)
}

fn vnet(v: &Vnet, args: &[String]) -> Printed {
    vnet_in(v, args, "")
}

/// `docker ps`'s CREATED column is the client's wall clock minus the container's creation
/// time; vnet's clock is virtual (it starts at 2026-01-01), so that one cell differs by
/// design (the same for `docker images`' CREATED, an image's age). Everything else in the
/// table must match.
fn mask_ps_created(args: &[String], p: &mut Printed) {
    let words: Vec<&str> = args.iter().take(2).map(|s| s.as_str()).collect();
    if !matches!(
        words.as_slice(),
        ["ps", ..] | ["images", ..] | ["image", "ls" | "list"]
    ) {
        return;
    }
    if args.iter().any(|a| a.starts_with("--format")) {
        // The same cell as JSON (`--format json`, `{{json .}}`).
        let re = regex::Regex::new(r#""(RunningFor|CreatedSince)":"[^"]*""#).unwrap();
        p.stdout = re
            .replace_all(&p.stdout, r#""$1":"<created>""#)
            .into_owned();
        return;
    }
    let re = regex::Regex::new("  +").unwrap();
    p.stdout = p
        .stdout
        .lines()
        .enumerate()
        .map(|(i, l)| {
            let mut cells: Vec<&str> = re.split(l).collect();
            if i > 0 && cells.len() > 3 {
                cells[3] = "<created>";
            }
            cells.join(" | ") + "\n"
        })
        .collect();
}

/// The seed walkthrough, command by command: the docker CLI against `vnet daemon` on one
/// state directory, `vnet` on another, same seed. `run:` steps are typed as they are; an
/// `attach:` step's lines (a shell in a TTY container, which `docker attach` refuses to feed
/// from a pipe) are run as `exec` on both sides. Every command's stdout, stderr and exit
/// status must be the same.
#[test]
fn docker_cli_replays_the_seed_walkthrough() {
    let Some(cli) = docker_cli() else {
        eprintln!(
            "SKIPPED: docker_cli_replays_the_seed_walkthrough needs the docker CLI (28.2) at /usr/local/bin/docker, /usr/bin/docker or $VNET_DOCKER_CLI"
        );
        return;
    };
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/seed-walkthrough.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    let sc = vnet::scenario::parse(&path, &text).unwrap();
    let seed = sc.seed;
    let d = DaemonProc::start("walk-daemon", seed);
    let v = Vnet::new("walk-cli");
    v.ok(&["--seed", &seed.to_string(), "network", "ls", "-q"]);
    let config = d.state.dir.join("docker-config");
    std::fs::create_dir_all(&config).unwrap();
    let mut commands: Vec<Vec<String>> = Vec::new();
    for step in &sc.steps {
        match &step.value.action {
            Action::Run(r) => {
                let words = vnet::scenario::split_words(&r.line).unwrap();
                assert_eq!(words[0], "docker", "{}", r.line);
                commands.push(words[1..].to_vec());
            }
            Action::Attach(a) => {
                for l in &a.input {
                    let mut words = vec!["exec".to_string(), a.container.clone()];
                    words.extend(vnet::scenario::split_words(l).unwrap());
                    commands.push(words);
                }
            }
            _ => panic!("the walkthrough has a step this test does not replay"),
        }
    }
    assert!(commands.len() > 50, "{} commands", commands.len());
    for args in &commands {
        let mut want = vnet(&v, args);
        let mut got = docker(&cli, &d, &config, args);
        mask_ps_created(args, &mut want);
        mask_ps_created(args, &mut got);
        assert_eq!(got, want, "docker {}", args.join(" "));
    }
    // The two state directories hold the same hosts.
    let (code, err) = {
        let mut d = d;
        let r = d.stop();
        let (a, b) = (
            String::from_utf8(d.state.state_bytes()).unwrap(),
            String::from_utf8(v.state_bytes()).unwrap(),
        );
        let at = a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count();
        assert!(
            a == b,
            "state.json differs at byte {at}: daemon {:?} vnet {:?}",
            &a[at.saturating_sub(200)..(at + 100).min(a.len())],
            &b[at.saturating_sub(200)..(at + 100).min(b.len())]
        );
        r
    };
    assert_eq!((code, err.as_str()), (0, ""));
}

/// The handshake, headers, version prefixes, percent-decoded paths, filters in both
/// encodings, and Docker's errors with their statuses.
#[test]
fn routes_answer_as_moby() {
    let d = DaemonProc::start("routes", 1);
    let st = std::fs::metadata(&d.socket).unwrap();
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(st.permissions().mode() & 0o777, 0o600, "socket mode");

    let r = d.request("HEAD", "/_ping", None);
    assert_eq!(r.status, 200);
    assert_eq!(r.header("api-version"), Some("1.50"));
    assert_eq!(r.header("ostype"), Some("linux"));
    assert_eq!(r.header("content-length"), Some("0"));
    let r = d.request("GET", "/v1.50/_ping", None);
    assert_eq!((r.status, r.body.as_slice()), (200, b"OK".as_slice()));
    assert_eq!(r.header("swarm"), Some("inactive"));
    let (s, v) = d.json("GET", "/version", None);
    assert_eq!(
        (s, &v["ApiVersion"], &v["MinAPIVersion"]),
        (200, &Value::from("1.50"), &Value::from("1.24"))
    );
    let (s, v) = d.json("GET", "/v1.51/networks", None);
    assert_eq!(
        (s, v["message"].as_str().unwrap()),
        (
            400,
            "client version 1.51 is too new. Maximum supported API version is 1.50"
        )
    );
    let (s, v) = d.json("GET", "/v1.23/networks", None);
    assert_eq!(s, 400, "{v}");
    let (s, v) = d.json("GET", "/v1.50/nosuch", None);
    assert_eq!(
        (s, &v),
        (404, &serde_json::json!({"message": "page not found"}))
    );

    // Create with IPAM options; a name with a space is percent-encoded in the path.
    let body = r#"{"Name":"test 01","Driver":"bridge","IPAM":{"Driver":"default","Config":[{"Subnet":"172.28.0.0/16","IPRange":"172.28.5.0/24","Gateway":"172.28.5.254","AuxiliaryAddresses":{"a":"172.28.1.5"}}],"Options":null},"Labels":{"env":"test"},"CheckDuplicate":true}"#;
    let (s, v) = d.json("POST", "/v1.50/networks/create", Some(body));
    assert_eq!(s, 201, "{v}");
    let id = v["Id"].as_str().unwrap().to_string();
    assert_eq!(id.len(), 64);
    assert_eq!(v["Warning"], "");
    let (s, v) = d.json("GET", "/v1.50/networks/test%2001", None);
    assert_eq!(s, 200);
    assert_eq!(v["Id"], id.as_str());
    assert_eq!(
        v["IPAM"],
        serde_json::json!({"Driver": "default", "Options": null, "Config": [{"Subnet": "172.28.0.0/16", "IPRange": "172.28.5.0/24", "Gateway": "172.28.5.254", "AuxiliaryAddresses": {"a": "172.28.1.5"}}]})
    );
    let (s, v) = d.json("POST", "/networks/create", Some(body));
    assert_eq!(
        (s, v["message"].as_str().unwrap()),
        (409, "network with name test 01 already exists")
    );
    let (s, v) = d.json("DELETE", "/networks/bridge", None);
    assert_eq!(
        (s, v["message"].as_str().unwrap()),
        (403, "bridge is a pre-defined network and cannot be removed")
    );
    let (s, v) = d.json("GET", "/networks/nosuch", None);
    assert_eq!(
        (s, v["message"].as_str().unwrap()),
        (404, "network nosuch not found")
    );

    // Filters: the CLI's map of booleans and docker-py's lists.
    let names = |path: &str| -> Vec<String> {
        let (s, v) = d.json("GET", path, None);
        assert_eq!(s, 200, "{path}: {v}");
        let mut n: Vec<String> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["Name"].as_str().unwrap().to_string())
            .collect();
        n.sort();
        n
    };
    assert_eq!(names("/networks"), ["bridge", "host", "none", "test 01"]);
    assert_eq!(
        names("/networks?filters=%7B%22label%22%3A%7B%22env%3Dtest%22%3Atrue%7D%7D"),
        ["test 01"]
    );
    assert_eq!(
        names(&format!(
            "/networks?filters=%7B%22id%22%3A%5B%22{}%22%5D%7D",
            &id[..8]
        )),
        ["test 01"]
    );
    assert_eq!(
        names("/networks?filters=%7B%22type%22%3A%5B%22builtin%22%5D%7D"),
        ["bridge", "host", "none"]
    );
    assert_eq!(
        names("/networks?filters=%7B%22driver%22%3A%7B%22null%22%3Atrue%7D%7D"),
        ["none"]
    );
    let (s, v) = d.json(
        "GET",
        "/networks?filters=%7B%22nosuch%22%3A%5B%22x%22%5D%7D",
        None,
    );
    assert_eq!(
        (s, v["message"].as_str().unwrap()),
        (400, "invalid filter 'nosuch'")
    );

    // A container with a static address and an alias, connected, inspected, exec'd.
    let c = r#"{"Image":"busybox","Tty":true,"OpenStdin":true,"Cmd":null,"HostConfig":{"NetworkMode":"test 01"},"NetworkingConfig":{"EndpointsConfig":{"test 01":{"IPAMConfig":{"IPv4Address":"172.28.5.9"},"Aliases":["web"]}}}}"#;
    let (s, v) = d.json("POST", "/containers/create?name=c1", Some(c));
    assert_eq!(
        (s, v["Warnings"].clone()),
        (201, serde_json::json!([])),
        "{v}"
    );
    let (s, _) = d.json("POST", "/containers/c1/start", None);
    assert_eq!(s, 204);
    let (s, _) = d.json("POST", "/containers/c1/start", None);
    assert_eq!(s, 304);
    let (s, v) = d.json("GET", "/containers/c1/json", None);
    assert_eq!(s, 200);
    assert_eq!(
        v["NetworkSettings"]["Networks"]["test 01"]["IPAddress"],
        "172.28.5.9"
    );
    assert_eq!(
        v["NetworkSettings"]["Networks"]["test 01"]["Aliases"],
        serde_json::json!(["web"])
    );
    let (s, v) = d.json("POST", "/containers/create?name=c1", Some(c));
    assert_eq!(s, 409, "{v}");
    let (s, v) = d.json("GET", "/containers/json?all=1", None);
    assert_eq!(
        (s, v[0]["Names"].clone(), v[0]["State"].clone()),
        (200, serde_json::json!(["/c1"]), Value::from("running"))
    );
    assert!(v[0]["Created"].is_u64());

    // Exec without a hijack: the multiplexed frames in a 200 body, then the exit code.
    let (s, v) = d.json(
        "POST",
        "/containers/c1/exec",
        Some(r#"{"AttachStdout":true,"AttachStderr":true,"Cmd":["ping","-c","1","web"]}"#),
    );
    assert_eq!(s, 201, "{v}");
    let eid = v["Id"].as_str().unwrap().to_string();
    let r = d.request(
        "POST",
        &format!("/exec/{eid}/start"),
        Some(r#"{"Detach":false,"Tty":false}"#),
    );
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("content-type"),
        Some("application/vnd.docker.multiplexed-stream")
    );
    assert_eq!(r.body[0], 1, "a stdout frame");
    let len = u32::from_be_bytes(r.body[4..8].try_into().unwrap()) as usize;
    let text = String::from_utf8(r.body[8..8 + len].to_vec()).unwrap();
    assert!(
        text.starts_with("PING web (172.28.5.9): 56 data bytes\n64 bytes from 172.28.5.9"),
        "{text}"
    );
    let (s, v) = d.json("GET", &format!("/exec/{eid}/json"), None);
    assert_eq!(
        (s, v["ExitCode"].clone(), v["Running"].clone()),
        (200, Value::from(0), Value::from(false))
    );
    let (s, v) = d.json("POST", &format!("/exec/{eid}/start"), Some("{}"));
    assert_eq!(s, 409, "{v}");
    let (s, v) = d.json("GET", "/exec/nosuch/json", None);
    assert_eq!(
        (s, v["message"].as_str().unwrap()),
        (404, "No such exec instance: nosuch")
    );

    // wait: the answer comes when the container stops.
    let (s, _) = d.json("POST", "/containers/c1/kill", None);
    assert_eq!(s, 204);
    let (s, v) = d.json("POST", "/containers/c1/wait", None);
    assert_eq!(
        (s, v),
        (200, serde_json::json!({"StatusCode": 137, "Error": null}))
    );
    let (s, v) = d.json("POST", "/containers/c1/kill", None);
    assert_eq!(s, 409, "{v}");
    let (s, _) = d.json("POST", "/containers/c1/stop", None);
    assert_eq!(s, 304);
    let (s, _) = d.json("POST", "/containers/c1/rename?name=c2", None);
    assert_eq!(s, 204);
    let (s, _) = d.json(
        "DELETE",
        "/containers/c2?force=True&v=True&link=False",
        None,
    );
    assert_eq!(s, 204);
    let (s, v) = d.json("DELETE", "/containers/c2", None);
    assert_eq!(
        (s, v["message"].as_str().unwrap()),
        (404, "No such container: c2")
    );

    // Prune, images, swarm.
    let (s, v) = d.json("POST", "/networks/prune", None);
    assert_eq!(
        (s, v),
        (200, serde_json::json!({"NetworksDeleted": ["test 01"]}))
    );
    let (s, v) = d.json("POST", "/networks/prune", None);
    assert_eq!((s, v), (200, serde_json::json!({"NetworksDeleted": null})));
    let (s, v) = d.json("GET", "/v1.50/images/alpine:3.10/json", None);
    assert_eq!(
        (s, v["RepoTags"].clone()),
        (200, serde_json::json!(["alpine:3.10"]))
    );
    let r = d.request(
        "POST",
        "/v1.50/images/create?fromImage=docker.io%2Flibrary%2Fbusybox&tag=latest",
        None,
    );
    assert_eq!(r.status, 200);
    let lines: Vec<Value> = String::from_utf8(r.body)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        lines[0],
        serde_json::json!({"status": "Pulling from library/busybox", "id": "latest"})
    );
    assert_eq!(
        lines[2],
        serde_json::json!({"status": "Status: Image is up to date for busybox:latest"})
    );
    let (s, v) = d.json("GET", "/images/nosuch/json", None);
    assert_eq!(
        (s, v["message"].as_str().unwrap()),
        (404, "No such image: nosuch:latest")
    );
    let (s, v) = d.json("POST", "/swarm/leave?force=True", None);
    assert_eq!(
        (s, v["message"].as_str().unwrap()),
        (503, "This node is not part of a swarm")
    );
}

/// A second daemon refuses a live socket; a stale one (nothing listening) is replaced;
/// SIGTERM stops the daemon, removes its socket and leaves everything saved.
#[test]
fn socket_safety_and_clean_stop() {
    let mut d = DaemonProc::start("safety", 1);
    let (s, _) = d.json("POST", "/networks/create", Some(r#"{"Name":"kept"}"#));
    assert_eq!(s, 201);
    let out = Command::new(bin())
        .arg("--state-dir")
        .arg(&d.state.dir)
        .arg("daemon")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        format!(
            "vnet: another daemon is listening on {}; stop it or choose another --socket\n",
            d.socket.display()
        )
    );
    assert_eq!(
        d.request("GET", "/_ping", None).status,
        200,
        "the first one still answers"
    );
    let (code, err) = d.stop();
    assert_eq!((code, err.as_str()), (0, ""));
    assert!(!d.socket.exists(), "the socket is removed");
    assert!(
        d.state
            .ok(&["network", "ls", "--format", "{{.Name}}"])
            .contains("kept\n")
    );

    // A stale socket file: bound, then its listener gone.
    let stale = std::os::unix::net::UnixListener::bind(&d.socket).unwrap();
    drop(stale);
    assert!(d.socket.exists());
    let mut again = Command::new(bin())
        .arg("--state-dir")
        .arg(&d.state.dir)
        .arg("daemon")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(again.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line, format!("API listen on {}\n", d.socket.display()));
    d.child = Some(again);
    assert_eq!(d.request("GET", "/_ping", None).status, 200);
    let (s, _) = d.json(
        "POST",
        "/networks/create",
        Some(r#"{"Name":"after-restart"}"#),
    );
    assert_eq!(s, 201);
    // SIGINT (ctrl-c) stops it as cleanly.
    let (code, err) = d.stop_with("-INT");
    assert_eq!((code, err.as_str()), (0, ""));
    assert!(!d.socket.exists());
    assert!(
        d.state
            .ok(&["network", "ls", "--format", "{{.Name}}"])
            .contains("after-restart\n")
    );
    // Flags are checked as any command's.
    let v = Vnet::new("daemon-usage");
    v.fails(
        &["daemon", "--bogus"],
        "unknown flag: --bogus\n\nUsage:  vnet daemon [OPTIONS]\n\nRun 'vnet daemon --help' for more information\n",
        125,
    );
    assert!(
        v.ok(&["daemon", "--help"])
            .starts_with("Usage:  vnet daemon [OPTIONS]\n")
    );
    // A file that is not a socket is never replaced.
    let not_socket = d.state.dir.join("plain");
    std::fs::write(&not_socket, b"data").unwrap();
    let out = Command::new(bin())
        .arg("--state-dir")
        .arg(&d.state.dir)
        .arg("daemon")
        .arg("--socket")
        .arg(&not_socket)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(std::fs::read(&not_socket).unwrap(), b"data");
}

/// 50 clients at once, each creating, starting, connecting, inspecting and removing its own
/// networks and containers, while the `vnet` CLI writes to the same state directory: every
/// request succeeds, nothing is lost, and the state is consistent afterwards.
#[test]
fn fifty_concurrent_clients_lose_no_update() {
    let d = std::sync::Arc::new(DaemonProc::start("concurrent", 1));
    const CLIENTS: usize = 50;
    const ROUNDS: usize = 2;
    let mut threads = Vec::new();
    for t in 0..CLIENTS {
        let d = d.clone();
        threads.push(std::thread::spawn(move || {
            let ok = |method: &str, path: &str, body: Option<&str>, want: u16| -> Value {
                let (s, v) = d.json(method, path, body);
                assert_eq!(s, want, "client {t}: {method} {path}: {v}");
                v
            };
            for i in 0..ROUNDS {
                let net = format!("n-{t}-{i}");
                let c = format!("c-{t}-{i}");
                // Explicit subnets: the default pools hold only 31 networks.
                ok(
                    "POST",
                    "/networks/create",
                    Some(&format!(
                        r#"{{"Name":"{net}","IPAM":{{"Config":[{{"Subnet":"10.{t}.{i}.0/24"}}]}}}}"#
                    )),
                    201,
                );
                ok(
                    "POST",
                    &format!("/containers/create?name={c}"),
                    Some(&format!(r#"{{"Image":"busybox","Cmd":["sleep","3600"],"HostConfig":{{"NetworkMode":"{net}"}}}}"#)),
                    201,
                );
                ok("POST", &format!("/containers/{c}/start"), None, 204);
                ok("POST", "/networks/bridge/connect", Some(&format!(r#"{{"Container":"{c}","EndpointConfig":{{}}}}"#)), 200);
                let v = ok("GET", &format!("/networks/{net}"), None, 200);
                let members: Vec<&str> = v["Containers"].as_object().unwrap().values().map(|m| m["Name"].as_str().unwrap()).collect();
                assert_eq!(members, [c.as_str()], "client {t}");
                let v = ok("GET", &format!("/containers/{c}/json"), None, 200);
                assert_eq!(v["NetworkSettings"]["Networks"].as_object().unwrap().len(), 2);
                ok("DELETE", &format!("/containers/{c}?force=1"), None, 204);
                ok("DELETE", &format!("/networks/{net}"), None, 204);
            }
            ok(
                "POST",
                "/networks/create",
                Some(&format!(
                    r#"{{"Name":"keep-{t}","Labels":{{"client":"{t}"}},"IPAM":{{"Config":[{{"Subnet":"10.200.{t}.0/24"}}]}}}}"#
                )),
                201,
            );
        }));
    }
    // The CLI writes to the same directory meanwhile.
    let mut cli = Vec::new();
    for k in 0..5 {
        cli.push(
            d.state
                .cmd(&["network", "create", &format!("cli-{k}")])
                .spawn()
                .unwrap(),
        );
    }
    for t in threads {
        t.join().expect("a client failed");
    }
    for c in cli {
        let out = c.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let (s, v) = d.json("GET", "/networks", None);
    assert_eq!(s, 200);
    let mut names: Vec<String> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["Name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    let mut want: Vec<String> = ["bridge", "host", "none"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    want.extend((0..CLIENTS).map(|t| format!("keep-{t}")));
    want.extend((0..5).map(|k| format!("cli-{k}")));
    want.sort();
    assert_eq!(names, want);
    let (s, v) = d.json("GET", "/containers/json?all=1", None);
    assert_eq!((s, v), (200, serde_json::json!([])));
    // Every address went back to the pools: the default bridge has only its gateway.
    let (_, v) = d.json("GET", "/networks/bridge", None);
    assert_eq!(v["Containers"], serde_json::json!({}));
    let next = d
        .state
        .ok(&["run", "-d", "--name", "probe", "busybox", "sleep", "1"]);
    assert_eq!(next.len(), 65);
    assert_eq!(
        d.state
            .ok(&["inspect", "-f", "{{.NetworkSettings.IPAddress}}", "probe"]),
        "172.17.0.2\n"
    );
}

/// 10,000 malformed requests (garbage, bad JSON, wrong types, oversized bodies, bad
/// versions and paths, unknown routes): each gets a 4xx, the daemon keeps answering, and
/// `state.json` does not change by a byte.
#[test]
fn ten_thousand_malformed_requests_change_nothing() {
    let d = std::sync::Arc::new(DaemonProc::start("malformed", 1));
    let (s, _) = d.json("POST", "/networks/create", Some(r#"{"Name":"n1"}"#));
    assert_eq!(s, 201);
    let before = d.state.state_bytes();
    let post = |path: &str, body: &str| {
        format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .into_bytes()
    };
    let kinds: Vec<Vec<u8>> = vec![
        b"\x00\x01\x02 garbage\r\n\r\n".to_vec(),
        b"GET /networks HTTP/9.9\r\n\r\n".to_vec(),
        b"GET /_ping HTTP/1.1\r\nHost: x\r\nBad Header Line\r\n\r\n".to_vec(),
        post("/networks/create", "{not json"),
        post("/networks/create", r#"{"Name": 5}"#),
        post("/networks/create", ""),
        post("/networks/n1/connect", r#"{"Container": ["x"]}"#),
        post("/containers/create?name=x", r#"{"Image":"busybox","HostConfig":{"Links":"nope"}}"#),
        post("/v1.99/networks/create", r#"{"Name":"n2"}"#),
        post("/v0.1/networks/create", r#"{"Name":"n2"}"#),
        post("/networks/%ff/connect", r#"{"Container":"x"}"#),
        post("/nosuch/route", r#"{"Name":"n2"}"#),
        b"POST /networks/create HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 99999999\r\n\r\n{".to_vec(),
        b"GET /networks?filters=%7Bbad HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".to_vec(),
        b"PATCH /networks/n1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".to_vec(),
    ];
    let kinds = std::sync::Arc::new(kinds);
    const TOTAL: usize = 10_000;
    const THREADS: usize = 4;
    let mut threads = Vec::new();
    for t in 0..THREADS {
        let d = d.clone();
        let kinds = kinds.clone();
        threads.push(std::thread::spawn(move || {
            for i in (t..TOTAL).step_by(THREADS) {
                let req = &kinds[i % kinds.len()];
                let mut s = UnixStream::connect(&d.socket).unwrap();
                s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
                // The server may answer and close before it has read everything.
                let _ = s.write_all(req);
                let mut raw = Vec::new();
                let _ = s.read_to_end(&mut raw);
                let status: u16 = String::from_utf8_lossy(&raw)
                    .split(' ')
                    .nth(1)
                    .and_then(|c| c.parse().ok())
                    .unwrap_or_else(|| {
                        panic!(
                            "request {i}: no status in {:?}",
                            String::from_utf8_lossy(&raw)
                        )
                    });
                assert!(
                    (400..500).contains(&status),
                    "request {i} ({:?}): {status}",
                    String::from_utf8_lossy(req)
                );
            }
        }));
    }
    for t in threads {
        t.join().expect("a malformed request got no 4xx");
    }
    assert_eq!(d.request("GET", "/_ping", None).status, 200);
    assert_eq!(d.state.state_bytes(), before, "state.json changed");
    let (s, v) = d.json("GET", "/networks/n1", None);
    assert_eq!((s, v["Name"].as_str()), (200, Some("n1")));
}

/// `docker attach` with its input from a pipe (a container without a TTY, as the docker CLI
/// requires), `docker exec` and `docker ps -a` print what `vnet` prints: the shell runs each
/// line, `exit 3` stops the container with status 3, and that is `attach`'s exit status.
#[test]
fn docker_cli_attach_matches_vnet() {
    let Some(cli) = docker_cli() else {
        eprintln!("SKIPPED: docker_cli_attach_matches_vnet needs the docker CLI (28.2)");
        return;
    };
    let d = DaemonProc::start("attach-daemon", 3);
    let v = Vnet::new("attach-cli");
    v.ok(&["--seed", "3", "network", "create", "backend"]);
    let config = d.state.dir.join("docker-config");
    std::fs::create_dir_all(&config).unwrap();
    let w = |s: &str| -> Vec<String> { vnet::scenario::split_words(s).unwrap() };
    let steps: [(&str, &str); 8] = [
        ("network create backend", ""),
        ("run -id --name db --net backend busybox", ""),
        (
            "run -id --name app --net backend --network-alias web busybox",
            "",
        ),
        (
            "attach app",
            "hostname\nping -c 2 db\nnslookup web\nping -c 1 nosuch\ncat /etc/resolv.conf\nexit 3\nnot read\n",
        ),
        ("ps -a --format '{{.Names}} {{.Status}}'", ""),
        ("exec db ping -c 1 web", ""),
        // With -i the client sends its input too; the command does not read it.
        ("exec -i db hostname", "some input\n"),
        ("attach app", ""),
    ];
    for (k, (line, input)) in steps.iter().enumerate() {
        let args = w(line);
        if k > 0 {
            let want = vnet_in(&v, &args, input);
            let got = docker_in(&cli, &d, &config, &args, input);
            assert_eq!(got, want, "docker {line}");
            if k == 3 {
                assert_eq!(got.code, 3);
            }
        } else {
            assert_eq!(docker(&cli, &d, &config, &args).code, 0);
        }
    }
}

/// `docker exec -i c sh` with its input from a pipe prints what `vnet exec -i c sh` prints:
/// the shell reads line after line, keeps its variables, pipes into the filters, and `exit
/// 5` is the exec's status (the container keeps running); at the end of the input the
/// status is the last command's, and a background capture ends with its statistics.
#[test]
fn docker_cli_exec_shell_matches_vnet() {
    let Some(cli) = docker_cli() else {
        eprintln!("SKIPPED: docker_cli_exec_shell_matches_vnet needs the docker CLI (28.2)");
        return;
    };
    let d = DaemonProc::start("execsh-daemon", 4);
    let v = Vnet::new("execsh-cli");
    v.ok(&["--seed", "4", "network", "create", "lab"]);
    let config = d.state.dir.join("docker-config");
    std::fs::create_dir_all(&config).unwrap();
    let w = |s: &str| -> Vec<String> { vnet::scenario::split_words(s).unwrap() };
    let steps: [(&str, &str); 8] = [
        ("network create lab", ""),
        ("run -dit --name alpha --net lab busybox", ""),
        ("run -dit --name beta --net lab busybox", ""),
        ("run -dit --name cap --net lab nicolaka/netshoot", ""),
        // A capture left running when the input ends ends with the exec, as interrupted.
        (
            "exec -i cap sh",
            "tcpdump -n -t icmp &\nping -c 1 alpha > /dev/null\n",
        ),
        (
            "exec -i alpha sh",
            "N=beta; ping -c 2 $N | grep -c 'bytes from'\nseq 5 | sort -rn | head -n 2\necho \"$N\" && exit 5\necho never\n",
        ),
        ("exec -i beta sh", "grep -q nothing /etc/hosts\n"),
        ("ps --format '{{.Names}} {{.Status}}'", ""),
    ];
    for (line, input) in steps {
        let args = w(line);
        if line.starts_with("network create") {
            assert_eq!(docker(&cli, &d, &config, &args).code, 0);
            continue;
        }
        let want = vnet_in(&v, &args, input);
        let got = docker_in(&cli, &d, &config, &args, input);
        assert_eq!(got, want, "docker {line}");
        if line == "exec -i alpha sh" {
            assert_eq!((got.stdout.as_str(), got.code), ("2\n5\n4\nbeta\n", 5));
        }
        if line == "exec -i beta sh" {
            assert_eq!(got.code, 1);
        }
        if line == "exec -i cap sh" {
            assert!(
                got.stdout.starts_with("IP 172.18.0.4 > 172.18.0.2: ICMP echo request")
                    && got.stdout.ends_with(", length 64\n\n")
                    && got.stderr.ends_with("2 packets captured\n2 packets received by filter\n0 packets dropped by kernel\n"),
                "{got:?}"
            );
        }
    }
}

/// Every scenario file, replayed with the docker CLI against `vnet daemon` and with `vnet`,
/// command by command, comparing what each prints. `exec`, `attach` (its lines, as `exec`),
/// `reach` and `resolves` steps run as `docker exec` on both sides; `link` steps and `vnet`
/// commands run through the `vnet` CLI on both state directories (the daemon shares its
/// own). Files with `advance` steps (virtual time passing with no command, which no Docker
/// client can ask for) or several hosts (`docker -H`, `vnet host`) are left out and named.
#[test]
fn docker_cli_replays_every_scenario() {
    let Some(cli) = docker_cli() else {
        eprintln!("SKIPPED: docker_cli_replays_every_scenario needs the docker CLI (28.2)");
        return;
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let files = vnet::scenario::collect(&[root]);
    let files = std::sync::Mutex::new(files);
    let results = std::sync::Mutex::new((Vec::<String>::new(), Vec::<String>::new(), 0usize));
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                loop {
                    let Some(path) = files.lock().unwrap().pop() else {
                        return;
                    };
                    let text = std::fs::read_to_string(&path).unwrap();
                    let sc = vnet::scenario::parse(&path, &text).unwrap();
                    let name = path.file_name().unwrap().to_string_lossy().to_string();
                    // Several simulated hosts (`vnet host`, `docker -H HOST`): one daemon
                    // serves one host's state.
                    let multi_host = sc.steps.iter().any(|s| {
                        let Action::Run(r) = &s.value.action else {
                            return false;
                        };
                        let w = vnet::scenario::split_words(&r.line).unwrap_or_default();
                        w.get(1).is_some_and(|a| a.starts_with('-'))
                            || (w.first().map(|s| s.as_str()) == Some("vnet")
                                && w.get(1).map(|s| s.as_str()) == Some("host"))
                    });
                    if sc.pending.is_some()
                        || multi_host
                        || sc
                            .steps
                            .iter()
                            .any(|s| matches!(s.value.action, Action::Advance(_)))
                    {
                        results.lock().unwrap().1.push(name);
                        continue;
                    }
                    let r = replay_file(&cli, &sc, &name);
                    let mut g = results.lock().unwrap();
                    g.2 += r.1;
                    if let Some(f) = r.0 {
                        g.0.push(f);
                    }
                }
            });
        }
    });
    let (failures, skipped, commands) = results.into_inner().unwrap();
    eprintln!(
        "{commands} commands compared; left out (pending, advance steps, several hosts): {}",
        skipped.join(", ")
    );
    assert!(commands > 500, "{commands} commands");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Client-side messages name the program: `vnet: …`, `Run 'vnet run --help'`, where the
/// docker CLI says `docker`.
fn as_docker(text: &str) -> String {
    let re = regex::Regex::new(r"(^|[\s'])vnet([:\s])").unwrap();
    re.replace_all(text, "${1}docker${2}").into_owned()
}

/// Replays one scenario on both sides; returns the first difference (if any) and how many
/// commands were compared.
fn replay_file(cli: &Path, sc: &vnet::scenario::Scenario, name: &str) -> (Option<String>, usize) {
    let tag = name.trim_end_matches(".yaml");
    let d = DaemonProc::start(&format!("sc-d-{tag}"), sc.seed);
    let v = Vnet::new(&format!("sc-v-{tag}"));
    let seed = sc.seed.to_string();
    let config = d.state.dir.join("docker-config");
    std::fs::create_dir_all(&config).unwrap();
    let both_vnet = |args: &[String]| {
        let a = vnet(&v, args);
        let b = vnet(&d.state, args);
        (a, b)
    };
    let init: Vec<String> = ["--seed", &seed, "network", "ls", "-q"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    both_vnet(&init);
    if sc.options.dns_order.as_deref() == Some("shuffle") {
        let args: Vec<String> = ["system", "dns-order", "shuffle"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        both_vnet(&args);
    }
    let words = |s: &str| vnet::scenario::split_words(s).unwrap();
    let mut n = 0;
    for step in &sc.steps {
        let s = &step.value;
        let line = step.referenced.line();
        // (arguments, input, through the vnet CLI on both sides)
        let mut cmds: Vec<(Vec<String>, String, bool)> = Vec::new();
        match &s.action {
            Action::Run(r) => {
                let w = words(&r.line);
                let input: String = r.input.iter().map(|l| format!("{l}\n")).collect();
                cmds.push((w[1..].to_vec(), input, w[0] == "vnet"));
            }
            Action::Exec(e) => {
                let mut w = vec!["exec".to_string(), e.container.clone()];
                w.extend(words(&e.command));
                cmds.push((w, String::new(), false));
            }
            Action::Attach(a) => {
                for l in &a.input {
                    let mut w = vec!["exec".to_string(), a.container.clone()];
                    w.extend(words(l));
                    if w.len() > 2 {
                        cmds.push((w, String::new(), false));
                    }
                }
            }
            Action::Reach(r) => {
                let w = format!("exec {} ping -c 1 -W 1 {}", r.from, r.to);
                cmds.push((words(&w), String::new(), false));
            }
            Action::Resolves(r) => {
                let w = format!("exec {} nslookup {}", r.from, r.name);
                cmds.push((words(&w), String::new(), false));
            }
            Action::Link(l) => {
                let mut w = vec!["link".to_string(), "set".to_string()];
                for (flag, val) in [
                    ("--loss", &l.loss),
                    ("--delay", &l.delay),
                    ("--jitter", &l.jitter),
                ] {
                    if let Some(val) = val {
                        w.push(flag.to_string());
                        w.push(val.clone());
                    }
                }
                w.push(l.network.clone());
                cmds.push((w, String::new(), true));
            }
            Action::Advance(_) => {}
        }
        for (args, input, through_vnet) in cmds {
            n += 1;
            let (mut want, mut got) = if through_vnet {
                both_vnet(&args)
            } else {
                (
                    vnet_in(&v, &args, &input),
                    docker_in(cli, &d, &config, &args, &input),
                )
            };
            mask_ps_created(&args, &mut want);
            mask_ps_created(&args, &mut got);
            if !through_vnet {
                want.stderr = as_docker(&want.stderr);
                want.stdout = as_docker(&want.stdout);
            }
            if got != want {
                return (
                    Some(format!(
                        "{name}:{line}: docker {}\n  vnet:   {want:?}\n  docker: {got:?}",
                        args.join(" ")
                    )),
                    n,
                );
            }
        }
    }
    (None, n)
}

#[test]
fn a_daemon_serves_one_host_of_a_cluster() {
    let d = DaemonProc::start_on("daemon-host", 1, Some("host2"), |v| {
        common::two_hosts_on_an_overlay(v, &["--seed", "1"]);
    });
    // host2 sees the overlay network from the store, with host1's endpoint by its ID.
    let (code, v) = d.json("GET", "/v1.50/networks/multihost", None);
    assert_eq!(code, 200, "{v}");
    assert_eq!(v["Scope"], "global");
    let eps = v["Containers"].as_object().unwrap();
    assert_eq!(eps.len(), 1);
    assert!(eps.keys().all(|k| k.starts_with("ep-")), "{v}");
    // A container created through the daemon lands on host2 and joins the same network.
    let (code, v) = d.json(
        "POST",
        "/v1.50/containers/create?name=c2",
        Some(r#"{"Image":"busybox","Tty":true,"OpenStdin":true,"HostConfig":{"NetworkMode":"multihost"}}"#),
    );
    assert_eq!(code, 201, "{v}");
    let (code, _) = d.json("POST", "/v1.50/containers/c2/start", None);
    assert_eq!(code, 204);
    let out = d.state.ok(&["-H", "host2", "ps", "--format", "{{.Names}}"]);
    assert_eq!(out, "c2\n");
    assert_eq!(
        d.state.ok(&["-H", "host1", "ps", "--format", "{{.Names}}"]),
        "c1\n"
    );
    let ping = d
        .state
        .ok(&["-H", "host2", "exec", "c2", "ping", "-c", "1", "c1"]);
    assert!(ping.contains("1 packets received"), "{ping}");
}

/// The docker CLI's foreground `run` (attach, wait, start) prints and exits as `vnet run`
/// does: a command's output and status, `-i` feeding a shell whose end of input ends it
/// (StdinOnce), ubuntu's bash run as busybox's sh, `--rm` leaving nothing; and `docker
/// version`'s Server block is `vnet version`'s.
#[test]
fn docker_cli_foreground_run_and_version_match_vnet() {
    let Some(cli) = docker_cli() else {
        eprintln!(
            "SKIPPED: docker_cli_foreground_run_and_version_match_vnet needs the docker CLI (28.2)"
        );
        return;
    };
    let d = DaemonProc::start("fg-daemon", 5);
    let v = Vnet::new("fg-cli");
    let config = d.state.dir.join("docker-config");
    std::fs::create_dir_all(&config).unwrap();
    let w = |s: &str| -> Vec<String> { vnet::scenario::split_words(s).unwrap() };
    let steps: [(&str, &str, i32); 6] = [
        (
            "run --rm busybox sh -c 'echo out; echo err >&2; exit 3'",
            "",
            3,
        ),
        ("run -i --rm busybox sh", "echo from stdin\nfalse\n", 1),
        ("run -i --rm ubuntu", "echo from bash\n", 0),
        ("run --name kept busybox echo kept", "", 0),
        ("run --rm busybox nope", "", 127),
        ("ps -a --format '{{.Names}} {{.Status}}'", "", 0),
    ];
    for (line, input, code) in steps {
        let args = w(line);
        let want = vnet_in(&v, &args, input);
        let got = docker_in(&cli, &d, &config, &args, input);
        assert_eq!(
            (
                got.stdout.as_str(),
                got.stderr.replace("docker", "vnet"),
                got.code
            ),
            (want.stdout.as_str(), want.stderr.clone(), want.code),
            "docker {line}"
        );
        assert_eq!(got.code, code, "docker {line}");
    }
    let server = |s: &str| s.split_once("\nServer:").map(|(_, b)| b.to_string());
    let got = docker(&cli, &d, &config, &w("version"));
    let want = vnet(&v, &w("version"));
    assert!(server(&got.stdout).is_some(), "{}", got.stdout);
    assert_eq!(server(&got.stdout), server(&want.stdout));
}
