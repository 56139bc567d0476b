//! Tests of the `minsheng` command: the real binary as a child process — help texts, catalog
//! checks, migrations, the demo, the reductions report, history verification, a server killed
//! with SIGKILL while it takes applications, and the logs of a story searched for identifiers.

mod architecture;
mod bench_governance;
mod bench_halls;
mod bench_places;
mod chaos;
mod circles;
mod cli;
mod crash;
mod faults;
mod helpers;
mod logs;
mod medins;
mod guardian;
mod governance_kill;
mod places_kill;
mod halls_peer;
mod guardian_share;
mod pool;
mod welfare;
