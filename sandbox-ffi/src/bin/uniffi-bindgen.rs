//! The project's own `uniffi-bindgen`, the same uniffi version as the library, so that the
//! bindings always match: `cargo run -p docksandbox-ffi --bin uniffi-bindgen -- generate
//! --library target/debug/libdocksandbox_ffi.so --language kotlin --out-dir out`.

fn main() {
    uniffi::uniffi_bindgen_main()
}
