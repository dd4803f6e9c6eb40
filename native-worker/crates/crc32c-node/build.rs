//! macOS links a shared library only when every symbol resolves; the napi_* symbols come from the
//! Node or Electron process that loads the module, so they are left for load time.
fn main() {
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("macos") {
        println!("cargo:rustc-cdylib-link-arg=-undefined");
        println!("cargo:rustc-cdylib-link-arg=dynamic_lookup");
    }
}
