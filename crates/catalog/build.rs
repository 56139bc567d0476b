//! Rebuilds the crate when a file is added to or removed from the embedded demo catalog.
//!
//! `include_dir!` records the files it embeds, so edits are seen, but on stable Rust it cannot
//! tell cargo to watch the directory itself; this does.

fn main() {
    println!("cargo:rerun-if-changed=../../catalog");
}
