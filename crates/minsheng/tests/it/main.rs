//! Tests of the `minsheng` command: the real binary as a child process — help texts, catalog
//! checks, migrations, the demo, the reductions report, history verification, and a server
//! killed with SIGKILL while it takes applications.

mod circles;
mod cli;
mod crash;
mod helpers;
mod pool;
