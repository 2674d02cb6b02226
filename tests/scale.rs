//! The scale workload (`benches/common/scale.rs`, shared with the `scale` bench and
//! `examples/scale.rs`) at a small size: every container's gateway answers its ping.

#[path = "../benches/common/scale.rs"]
mod scale;

#[test]
fn every_gateway_answers() {
    let r = scale::run(1, 250);
    assert_eq!(
        r,
        scale::Report {
            networks: 3,
            containers: 250,
            answered: 250
        }
    );
}
