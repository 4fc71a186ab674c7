//! The workspace version, composed once.
//!
//! Every crate of the workspace shares one version (`[workspace.package]`), so
//! the C library's `atomik_version()`, the header's `ATOMIK_VERSION*` macros,
//! the banner of emitted Verilog and the CLI's `--version` all read it here.

/// The version string, e.g. `"0.1.0"`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
/// [`VERSION`] NUL-terminated, for the C library's `atomik_version_string()`.
pub const VERSION_C: &core::ffi::CStr =
    match core::ffi::CStr::from_bytes_with_nul(concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes())
    {
        Ok(s) => s,
        Err(_) => panic!("the package version contains a NUL byte"),
    };
/// Major version.
pub const VERSION_MAJOR: u32 = parse_decimal(env!("CARGO_PKG_VERSION_MAJOR"));
/// Minor version.
pub const VERSION_MINOR: u32 = parse_decimal(env!("CARGO_PKG_VERSION_MINOR"));
/// Patch version.
pub const VERSION_PATCH: u32 = parse_decimal(env!("CARGO_PKG_VERSION_PATCH"));
/// The version as one number, `major * 10000 + minor * 100 + patch`: the
/// value of the C header's `ATOMIK_VERSION` and of `atomik_version()`.
pub const VERSION_NUMBER: u32 = VERSION_MAJOR * 10_000 + VERSION_MINOR * 100 + VERSION_PATCH;

/// Parses a decimal version component at compile time. Cargo guarantees the
/// components are non-empty decimal numbers, so anything else is a build bug
/// and fails const evaluation.
const fn parse_decimal(s: &str) -> u32 {
    let bytes = s.as_bytes();
    assert!(!bytes.is_empty(), "empty version component");
    let mut value = 0u32;
    let mut i = 0;
    while i < bytes.len() {
        assert!(
            bytes[i].is_ascii_digit(),
            "version component is not decimal"
        );
        value = value * 10 + (bytes[i] - b'0') as u32;
        i += 1;
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_matches_the_string() {
        let mut parts = VERSION.split('.').map(|p| p.parse::<u32>().unwrap());
        let (major, minor, patch) = (
            parts.next().unwrap(),
            parts.next().unwrap(),
            parts.next().unwrap(),
        );
        assert_eq!(
            (VERSION_MAJOR, VERSION_MINOR, VERSION_PATCH),
            (major, minor, patch)
        );
        assert_eq!(VERSION_NUMBER, major * 10_000 + minor * 100 + patch);
        assert_eq!(VERSION_C.to_str(), Ok(VERSION));
    }
}
