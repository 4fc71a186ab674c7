//! Gives libatomik_core.so an ELF SONAME, so programs record a versioned
//! dependency and `make install` can lay out the usual symlinks.
//! Cargo semver: 0.x releases break at the minor version, so the ABI name
//! is libatomik_core.so.0.<minor>; from 1.0 on it is libatomik_core.so.<major>.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if os != "linux" && os != "android" && !os.ends_with("bsd") {
        return;
    }
    let major = env!("CARGO_PKG_VERSION_MAJOR");
    let minor = env!("CARGO_PKG_VERSION_MINOR");
    let abi = if major == "0" {
        format!("0.{minor}")
    } else {
        major.to_string()
    };
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libatomik_core.so.{abi}");
}
