//! The server answers on a real loopback socket.
use std::io::{Read, Write};

#[tokio::test]
async fn health_answers_over_real_http() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let state = perlinsos_server::AppState::open(
        dir.path(),
        std::sync::Arc::new(perlinsos_server::now_millis),
    )
    .unwrap();
    tokio::spawn(perlinsos_server::serve(listener, state));
    let response = tokio::task::spawn_blocking(move || {
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        stream
            .write_all(b"GET /v1/health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            .unwrap();
        let mut text = String::new();
        stream.read_to_string(&mut text).unwrap();
        text
    })
    .await
    .unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains(r#""status":"ok""#));
    assert!(response.contains(r#""api":"v1""#));
}
