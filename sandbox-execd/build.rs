//! Tells the core's build script where this crate's source is (see `links` in Cargo.toml).

fn main() {
    let dir = std::env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR");
    println!("cargo:root={dir}");
}
