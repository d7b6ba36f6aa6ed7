//! ssmdeck: a full-screen terminal console for AWS Systems Manager fleets across an
//! AWS Organization — k9s for SSM.
//!
//! Map of the crate (each module's doc says more):
//! - [`app`]     — the application layer: wires commands to AWS or the demo world.
//! - [`actions`] — patch now, Run Command watching, Session Manager, the mutation gate and audit log.
//! - [`fleet`]  — the data layer: discovery, cross-account collection, live snapshots, and
//!   [`fleet::Ssm`], the actions' domain-typed SSM API.
//! - [`model`]  — domain types every layer shares: snapshot, nodes, patches, certificates, aggregates.
//! - [`sim`]    — `ssmdeck sim`: the AWS-compatible simulator (also the `--demo` world).
//! - [`config`] — config file and paths.
//! - [`cli`]    — command-line flags.
//! - [`text`]   — sanitizing untrusted remote text.
//! - [`logging`] — file logging.
//! - [`report`] — `ssmdeck report` and the console's export: CSV, JSON, Markdown, HTML.
//! - [`ui`]     — the console (views, keymaps, themes).

/// One allocator for every binary, test and bench linking ssmdeck (the console, the
/// simulator, `report`): see the `mimalloc` entry in Cargo.toml for why.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's settings for ssmdeck (#13). By default it commits a new arena's memory whole
/// (`arena_eager_commit`) and returns freed pages to the OS only after a delay (`purge_delay`,
/// 1 s in v3); ssmdeck's refresh grows and shrinks the heap in bursts (hundreds of responses in
/// flight), so arenas are committed as pages are used and freed pages are purged at once. Peak
/// RSS of a 40k-node refresh (`fleet_refresh` 40k-80, budget 200 MB): 223 MB with mimalloc's
/// defaults, 190–197 MB on-demand commit, 179–180 MB with both; the client's CPU did not grow.
/// Set before `main` (an ELF constructor), so every arena follows them;
/// `MIMALLOC_ARENA_EAGER_COMMIT` / `MIMALLOC_PURGE_DELAY` / `MIMALLOC_PAGE_MAX_RECLAIM` in the
/// environment still win. A page a thread freed into after giving it up is taken back only when
/// the thread has no page of that size (`page_max_reclaim` 0, default unlimited): 188–191 MB
/// instead of 197–202 MB (six runs each, interleaved), client CPU within the runs' spread.
/// Option numbers from mimalloc v3's `mimalloc.h` (`mi_option_arena_eager_commit` = 4,
/// `mi_option_purge_delay` = 15, `mi_option_page_max_reclaim` = 41), the version the `mimalloc`
/// crate builds by default.
#[cfg(target_os = "linux")]
mod allocator_settings {
    use std::ffi::{c_int, c_long};

    unsafe extern "C" {
        fn mi_option_set(option: c_int, value: c_long);
    }
    const SETTINGS: [(&str, c_int, c_long); 3] = [
        ("MIMALLOC_ARENA_EAGER_COMMIT", 4, 0),
        ("MIMALLOC_PURGE_DELAY", 15, 0),
        ("MIMALLOC_PAGE_MAX_RECLAIM", 41, 0),
    ];

    extern "C" fn apply() {
        for (env, option, value) in SETTINGS {
            if std::env::var_os(env).is_none() {
                // SAFETY: sets one of mimalloc's integer options; valid at any time
                unsafe { mi_option_set(option, value) };
            }
        }
    }

    #[used]
    #[unsafe(link_section = ".init_array")]
    static APPLY: extern "C" fn() = apply;
}

pub mod actions;
pub mod app;
pub mod cli;
pub mod config;
pub mod fleet;
pub mod logging;
pub mod model;
pub mod report;
pub mod sim;
pub mod text;
pub mod ui;
