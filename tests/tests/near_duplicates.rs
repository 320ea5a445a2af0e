//! The console flags a house photo that another record already used, across phones, found
//! through the indexed bands of its perceptual hash (`perlinsos_server::photo_bands`), and
//! flags no photo that is merely another house.
use perlinsos_e2e::field::{FieldPhone, Server};
use perlinsos_server::review;

const CAM2: &[u8] = include_bytes!("../../core/data/photos/cam2_wood.jpg");
const CAM3: &[u8] = include_bytes!("../../core/data/photos/cam3_ladybird.jpg");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_photo_used_again_on_another_phone_is_flagged_and_another_house_is_not() {
    let server = Server::start().await;
    let scope = perlinsos_core::sample::KELURAHAN;
    server.import_recipients(scope);
    let first = FieldPhone::enrolled(&server, "agen-01", scope).await;
    let second = FieldPhone::enrolled(&server, "agen-02", scope).await;
    let (original, _) = first.file_sanggahan(7, scope, &[CAM2]);
    let (other_house, _) = first.file_against(8, scope, &[CAM3], "b");
    first.sync().await;
    let (reused, _) = second.file_sanggahan(9, scope, &[CAM2]);
    second.sync().await;

    let detail = review::detail(&server.state, &reused)
        .unwrap()
        .expect("detail");
    let flagged: Vec<(&str, &str, u32)> = detail.photos[0]
        .near_duplicates
        .iter()
        .map(|n| (n.record_kind.as_str(), n.record_id.as_str(), n.distance))
        .collect();
    assert_eq!(flagged, vec![("sanggahan", original.as_str(), 0)]);
    assert!(!detail.photos[0].near_duplicates[0].device_id.is_empty());

    let detail = review::detail(&server.state, &other_house)
        .unwrap()
        .expect("detail");
    assert_eq!(detail.photos.len(), 1);
    assert!(detail.photos[0].near_duplicates.is_empty());
}
