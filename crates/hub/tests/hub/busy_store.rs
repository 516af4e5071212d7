//! A busy store holds up the requests that need it, and only those: the real server on a
//! multi-thread runtime of two workers, its store held as a slow query would hold it, and more
//! requests for the store than there are workers, Alipay+ calls among them (the gateway uses
//! the store inline while it is free, and waits for it like any other request when not). The
//! clients are plain sockets on threads of their own, so a stalled runtime shows as a timeout,
//! not as a hung test.

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How long a request that needs no storage may take while the store is held.
const PROMPT: Duration = Duration::from_secs(2);

/// One raw HTTP/1.1 request (`head` ends with its last header line) over a fresh connection;
/// the status line and body, or why not (`what` names the request).
fn exchange(address: SocketAddr, head: &str, body: &str, what: &str) -> Result<String, String> {
    let mut stream = TcpStream::connect(address).map_err(|error| error.to_string())?;
    stream
        .set_read_timeout(Some(PROMPT * 5))
        .map_err(|error| error.to_string())?;
    write!(
        stream,
        "{head}Host: {address}\r\nConnection: close\r\n\r\n{body}"
    )
    .map_err(|error| error.to_string())?;
    let mut answer = String::new();
    stream
        .read_to_string(&mut answer)
        .map_err(|error| format!("no answer to {what}: {error}"))?;
    Ok(answer)
}

/// A GET over a fresh connection; the status line and body, or why not.
fn get(address: SocketAddr, path: &str, token: Option<&str>) -> Result<String, String> {
    let authorization = token
        .map(|token| format!("Authorization: Bearer {token}\r\n"))
        .unwrap_or_default();
    let head = format!("GET {path} HTTP/1.1\r\n{authorization}");
    exchange(address, &head, "", &format!("GET {path}"))
}

/// An Alipay+ `pay` from an unregistered Client-Id over a fresh connection (the hub answers it
/// INVALID_CLIENT and counts it in the store); the status line and body, or why not.
fn post_gateway(address: SocketAddr) -> Result<String, String> {
    let body = r#"{"paymentRequestId":"busy-1"}"#;
    let head = format!(
        "POST /aps/api/v1/payments/pay HTTP/1.1\r\nClient-Id: NOT_REGISTERED\r\n\
         Content-Type: application/json; charset=UTF-8\r\nContent-Length: {}\r\n",
        body.len()
    );
    exchange(address, &head, body, "the pay")
}

/// `get` with a deadline of [`PROMPT`]: the answer and how long it took.
fn get_promptly(address: SocketAddr, path: &str) -> (Result<String, String>, Duration) {
    let started = Instant::now();
    let mut stream = match TcpStream::connect(address) {
        Ok(stream) => stream,
        Err(error) => return (Err(error.to_string()), started.elapsed()),
    };
    let _ = stream.set_read_timeout(Some(PROMPT));
    let sent = write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    );
    let mut answer = String::new();
    let result = sent
        .and_then(|()| stream.read_to_string(&mut answer))
        .map(|_| answer)
        .map_err(|error| format!("no answer to GET {path} within {PROMPT:?}: {error}"));
    (result, started.elapsed())
}

#[test]
fn health_and_routes_without_storage_answer_while_the_store_is_held() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let data = tempfile::tempdir().unwrap();
    let config = crate::support::loopback_config(data.path());
    let server = runtime.block_on(linker_hub::Server::bind(&config)).unwrap();
    let hub = server.hub.clone();
    let address = server.address;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = runtime.spawn(server.run(async {
        let _ = stopped.await;
    }));
    let token = std::fs::read_to_string(linker_hub::admin_token_path(data.path())).unwrap();
    let token = token.trim().to_owned();
    let projects = "/admin/v1/projects";
    let first = get(address, projects, Some(&token)).unwrap();
    assert!(first.starts_with("HTTP/1.1 200"), "{first}");

    // The store held on a thread of its own, as a slow query would hold it.
    let (held, is_held) = mpsc::channel::<()>();
    let (release, released) = mpsc::channel::<()>();
    let holder = std::thread::spawn({
        let hub = hub.clone();
        move || {
            let hold = hub.hold_store_for_test();
            held.send(()).unwrap();
            let _ = released.recv();
            drop(hold);
        }
    });
    is_held.recv().unwrap();

    // Four requests for the store, twice the workers: before the fix, two of them held both
    // workers in the store's mutex and nothing else was served. Two are Alipay+ calls.
    let (answered, answers) = mpsc::channel::<Result<String, String>>();
    for index in 0..4 {
        let answered = answered.clone();
        let token = token.clone();
        std::thread::spawn(move || {
            let _ = answered.send(if index % 2 == 0 {
                get(address, projects, Some(&token))
            } else {
                post_gateway(address)
            });
        });
    }
    let waiting = |at_least: usize| {
        let deadline = Instant::now() + Duration::from_secs(10);
        while hub.store_waiting_for_test() < at_least {
            assert!(
                Instant::now() < deadline,
                "{at_least} requests should wait for the store, {} do",
                hub.store_waiting_for_test()
            );
            std::thread::yield_now();
        }
    };
    waiting(2);

    for path in ["/health", "/openapi.json"] {
        let (answer, took) = get_promptly(address, path);
        let answer = answer.unwrap_or_else(|error| {
            panic!(
                "{error}; {} requests wait for the store",
                hub.store_waiting_for_test()
            )
        });
        assert!(
            answer.starts_with("HTTP/1.1 200"),
            "GET {path} while the store is held answered {answer}"
        );
        assert!(took < PROMPT, "GET {path} took {took:?}");
    }
    assert!(
        answers.try_recv().is_err(),
        "the requests for the store wait while it is held"
    );
    waiting(4);

    release.send(()).unwrap();
    holder.join().unwrap();
    for _ in 0..4 {
        let answer = answers
            .recv_timeout(PROMPT * 5)
            .expect("a store request answers once the store is free")
            .unwrap();
        assert!(
            answer.starts_with("HTTP/1.1 200")
                && (answer.ends_with(']') || answer.contains("INVALID_CLIENT")),
            "a store request after the hold answered {answer}"
        );
    }
    let _ = stop.send(());
    runtime.block_on(serving).unwrap().unwrap();
}
