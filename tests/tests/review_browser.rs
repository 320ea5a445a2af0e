//! The review console as an officer uses it: Debian's headless Chromium driven through
//! chromedriver (WebDriver) against a real server. A phone's core files a sanggahan with a
//! photo and syncs; the officer logs in, opens it, sees the photo and the attestation result,
//! decides; the phone's next sync shows the decision. The detail page's screenshot is saved
//! under the target directory (`review-console/detail.png`).
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use perlinsos_core::sanggahan::Status;
use perlinsos_e2e::field::{FieldPhone, Server};
use perlinsos_server::console::accounts::{self, Role};
use serde_json::json;

const CAM3: &[u8] = include_bytes!("../../core/data/photos/cam3_ladybird.jpg");
const SCOPE: &[&str] = perlinsos_core::sample::KELURAHAN.split_at(8).0;
const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// chromedriver, stopped when the test ends however it ends.
struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_driver() -> Driver {
    assert!(
        std::path::Path::new(CHROMIUM).exists() && std::path::Path::new(CHROMEDRIVER).exists(),
        "Debian's chromium and chromium-driver are needed (./build.sh test installs them)"
    );
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let driver = Driver {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "chromedriver did not listen");
        std::thread::sleep(Duration::from_millis(100));
    }
    driver
}

async fn browser(driver: &Driver) -> Client {
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": CHROMIUM,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1280,1600", "--lang=id-ID"],
        }),
    );
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    ClientBuilder::new(connector)
        .capabilities(capabilities)
        .connect(&driver.url)
        .await
        .expect("a Chromium session")
}

/// Waits until the first element matching `css` has a text that `wanted` accepts (a click's
/// navigation may still be under way when the click returns), and returns it.
async fn wait_text(client: &Client, css: &str, wanted: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Ok(element) = client.find(Locator::Css(css)).await {
            if let Ok(text) = element.text().await {
                if wanted(&text) {
                    return text;
                }
            }
        }
        if Instant::now() > deadline {
            let page = client.source().await.unwrap_or_default();
            panic!(
                "no {css} on {}: {page}",
                client.current_url().await.unwrap()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_officer_reviews_a_synced_sanggahan_in_chromium_and_the_phone_sees_the_decision() {
    let server = Server::start().await;
    server.import_recipients(SCOPE);
    accounts::add(
        &server.state,
        "peninjau01",
        Role::Peninjau,
        "kata-sandi-yang-panjang",
        &SCOPE.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
    )
    .unwrap();
    let phone = FieldPhone::enrolled(&server, "agen-01", SCOPE).await;
    let (id, _) = phone.file_sanggahan(11, SCOPE, &[CAM3]);
    phone.sync().await;
    assert_eq!(phone.status(&id), Status::Diterima);

    let driver = start_driver();
    let client = browser(&driver).await;
    // No session: the console sends the browser to its login page.
    client
        .goto(&format!("{}/review/sanggahan", server.url))
        .await
        .unwrap();
    assert!(client
        .current_url()
        .await
        .unwrap()
        .path()
        .ends_with("/review/login"));
    client
        .find(Locator::Css("input[name=username]"))
        .await
        .unwrap()
        .send_keys("peninjau01")
        .await
        .unwrap();
    client
        .find(Locator::Css("input[name=password]"))
        .await
        .unwrap()
        .send_keys("kata-sandi-yang-panjang")
        .await
        .unwrap();
    client
        .find(Locator::Css("form button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_text(&client, "h1", |t| t == "Sanggahan (1)").await;

    client
        .find(Locator::LinkText(&id))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_text(&client, "h1", |t| t == format!("Sanggahan {id}")).await;
    let attestation = wait_text(&client, ".attestation", |_| true).await;
    assert!(attestation.contains("Atestasi sah"), "{attestation}");
    let reporter = wait_text(&client, "#reporter", |_| true).await;
    assert!(reporter.contains("disembunyikan"), "{reporter}");
    // The photo really loaded in the browser (served only to this session).
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let width = client
            .execute(
                "const img = document.querySelector('figure img'); \
                 return img.complete ? img.naturalWidth : 0;",
                vec![],
            )
            .await
            .unwrap();
        if width.as_u64().unwrap_or(0) > 100 {
            break;
        }
        assert!(Instant::now() < deadline, "the photo did not load: {width}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let screenshot = client.screenshot().await.unwrap();
    let target = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".into());
    let out = std::path::Path::new(&target).join("review-console");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("detail.png"), &screenshot).unwrap();
    assert!(screenshot.starts_with(b"\x89PNG"));

    client
        .find(Locator::Css("input[value=diverifikasi]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    client
        .find(Locator::Id("decide"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_text(&client, "#status", |t| t.starts_with("diverifikasi")).await;
    assert!(
        client.find(Locator::Id("decide")).await.is_err(),
        "no second decision"
    );
    client.close().await.unwrap();

    phone.sync().await;
    assert_eq!(phone.status(&id), Status::Diverifikasi);
}
