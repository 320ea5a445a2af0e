//! `perlinsos-server [ADDR]` (default 127.0.0.1:8750).
#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8750".to_owned());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    eprintln!("perlinsos-server listening on {}", listener.local_addr()?);
    perlinsos_server::serve(listener).await
}
