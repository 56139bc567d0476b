//! Runs `circles` subcommands on their own: `cargo run -p circles --features cli --release --example circles -- analyse …`.

use clap::Parser;

#[derive(Parser)]
#[command(name = "circles", about = "15-minute service circles")]
struct Cli {
    #[command(subcommand)]
    cmd: circles::cli::CirclesCommand,
}

fn main() -> anyhow::Result<()> {
    circles::cli::run(Cli::parse().cmd)
}
