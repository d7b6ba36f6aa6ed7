//! Every view and pane of the console, and the registry that lists them. All drawing lives
//! in this directory: the frame around them in [`frame`], the shared table in
//! [`table_render`], each view and pane in its own file.
//!
//! # How to add a view (a screen on the navigation stack, like `:errors`)
//! 1. Write `src/ui/views/<name>.rs` with a type implementing [`contract::View`]: required
//!    `id`, `built`, `ensure_built`, `table`/`table_mut` (a [`crate::ui::table::TableState`]
//!    over your [`crate::ui::table::RowSource`]) and `render` (draw with
//!    [`table_render::render_table`] and `cx.look(..)`); optional hooks `crumb`, `enter`
//!    (Enter: `cx.push` a view, `cx.then` an action, or a toast), `opened` (start loads or
//!    jobs), `fleet` (on-demand data-layer answers), `job` (your jobs' answers), `hints`,
//!    `node` / `command` / `invocation` / `targets` (what panes opened from it act on),
//!    `tab`, `page_rows` / `set_page`. Then its registry entry:
//!    ```ignore
//!    pub const ID: &str = "windows";
//!    pub const SPEC: Spec = Spec {
//!        id: ID,                               // keymap section [windows], breadcrumb
//!        commands: &["windows", "mw"],         // `:windows` + aliases (help, completion)
//!        describe: "Maintenance windows",
//!        action: None,                         // or Some(Action::X) bound in keymaps/*.toml
//!        table: true,                          // [table] keys apply after [windows]
//!        scoped: false,                        // `:windows ARG` completes accounts/OUs
//!        open: Open::View(|sel| {              // `sel.args`, `sel.data`, ... → the view
//!            no_argument(sel, ID)?;
//!            Ok(Box::new(WindowsView::default()))
//!        }),
//!    };
//!    ```
//!    `errors.rs` is the smallest complete example.
//! 2. Add `pub mod <name>;` below and `<name>::SPEC,` to [`REGISTRY`]. Nothing else:
//!    `:name`, aliases, completion, `:help`, breadcrumbs, keymap sections, rebuild on new
//!    data, filter / sort / mark, export of the table and drawing all follow from it.
//!
//! # How to add a pane (a modal overlay, like the command pane)
//! 1. Write `src/ui/views/<name>.rs` with a type implementing [`contract::Pane`]: required
//!    `id`, `title`, `action` (keymap actions; `Handled::NotConsumed` lets Esc close it),
//!    `render` (into the framed area); optional `key` (raw keys, text input), `opened`
//!    (start jobs here), `job` (answers), `data_changed`, `tick`, `hints`, `size`. Its
//!    `pub const SPEC: Spec { .., table: false, open: Open::Pane(open) }` where
//!    `fn open(sel: &Selection) -> Result<Box<dyn Pane>, String>` reads only what it needs
//!    (each computed on demand): `sel.targets()` (marked, else the view's nodes),
//!    `sel.node()`, `sel.command()`, `sel.invocation()`, `sel.table()`, `sel.snapshot()`,
//!    `sel.view_id()`, `sel.args`, `sel.readonly`. An `Err` is shown as an error toast.
//! 2. Add `pub mod <name>;` and `<name>::SPEC,` to [`REGISTRY`].
//!
//! # How to add a job (background work owned by a view or pane)
//! 1. In [`crate::ui::effect`]: a [`crate::ui::effect::Job`] variant (plain data, `PartialEq`),
//!    its [`crate::ui::effect::JobKind`] (and the arm in `Job::kind`), and its answer(s) in
//!    [`crate::ui::effect::JobEvent`].
//! 2. In `crate::ui::jobs::run`: one match arm calling an `async fn my_job(.., cx: JobCtx)`
//!    that answers with `cx.send(JobEvent::..)` and honours `cx.token` at its await points
//!    (`tokio::select!` on `cx.token.cancelled()` around sleeps and long calls).
//! 3. From a hook: `cx.start(Job::MyJob(..))`; the answers come to that owner's
//!    `job(kind, event, cx)`. One job per owner and kind (a new one replaces the old);
//!    `cx.stop(kind)` cancels one; closing the pane or leaving the view cancels all of its
//!    jobs, and a cancelled job's late answers are dropped. In tests:
//!    `assert_eq!(fx, [Effect::Start(owner, Job::MyJob(..))])` with `owner =
//!    state.panes[0].owner`, and feed answers as `Msg::Job(JobId { owner, kind }, event)`.
//!
//! # Import rule
//! Views and panes import [`contract`], [`fmt`], [`scope`], [`table_render`], siblings and
//! `crate::ui::{data, effect, action, table, theme, filter, layout}` — never `state`,
//! `update` or this file, so `src/ui` has no import circle (a test checks it).

pub mod certs;
pub mod checklist;
pub mod chooser;
pub mod command_output;
pub mod commands;
pub mod compliance;
pub mod contract;
pub mod describe;
pub mod doc;
pub mod errors;
pub mod export;
pub mod fmt;
pub mod frame;
pub mod node;
pub mod nodes;
pub mod org;
pub mod patch_now;
pub mod preview;
pub mod run;
pub mod run_open;
pub mod scope;
pub mod session;
pub mod table_render;
// patch schedules (#15): windows, a window, an execution, baselines
pub mod baselines;
pub mod execution;
pub mod node_schedule;
pub mod sched_doc;
pub mod sched_fmt;
pub mod window;
pub mod windows;
// #16: the patch index and software inventory views
pub mod index_filter;
pub mod node_list;
pub mod node_software;
pub mod patch_nodes;
pub mod patches;
pub mod software;
// #18: switching profile and regions inside the console
pub mod ctx;
pub mod region;
// #18: every toast of the session, whole
pub mod messages;

pub use contract::{Open, Spec, View};
pub use fmt::{age, count, pct_text, thousands};
pub use scope::NodeScope;

use super::action::Action;

/// Every view and pane, in `:help` order (views first). One line each.
pub static REGISTRY: &[Spec] = &[
    org::SPEC,
    nodes::SPEC,
    compliance::SPEC,
    node::SPEC,
    certs::SPEC,
    commands::SPEC,
    errors::SPEC,
    windows::SPEC,
    window::SPEC,
    execution::SPEC,
    baselines::SPEC,
    // #16: the patch index and software inventory views
    patches::SPEC,
    patch_nodes::SPEC,
    software::SPEC,
    software::NODES_SPEC,
    // #18: `:ctx` (a view) and `:region` (a pane)
    ctx::SPEC,
    // #18: `:messages`
    messages::SPEC,
    patch_now::SPEC,
    run_open::SPEC,
    run_open::RERUN_SPEC,
    command_output::SPEC,
    session::SPEC,
    export::SPEC,
    export::REPORT_SPEC,
    describe::SPEC,
    describe::RAW_SPEC,
    chooser::SPEC,
    region::SPEC,
];

/// The entry with this id.
pub fn spec(id: &str) -> Option<&'static Spec> {
    REGISTRY.iter().find(|s| s.id == id)
}

/// Keymap sections a view or pane consults before `global`, most specific first.
pub fn sections(id: &'static str) -> Vec<&'static str> {
    spec(id).map(Spec::sections).unwrap_or_else(|| vec![id])
}

/// The entry a key action opens.
pub fn by_action(a: Action) -> Option<&'static Spec> {
    REGISTRY.iter().find(|s| s.action == Some(a))
}

/// The entry a `:command` word (canonical or alias) opens.
pub fn by_command(word: &str) -> Option<&'static Spec> {
    REGISTRY.iter().find(|s| s.commands.contains(&word))
}

/// The view a [`contract::Drill`] names.
pub fn drill(d: contract::Drill) -> Box<dyn View> {
    match d {
        contract::Drill::SoftwareNodes { name, version } => {
            Box::new(software::SoftwareNodesView::new(name, version))
        }
    }
}

/// Every table whose columns can be chosen in `views.toml`: (its name there, its columns).
pub fn column_tables() -> [(&'static str, &'static [crate::ui::table::Column]); 15] {
    [
        ("org", org::COLUMNS),
        ("nodes", nodes::COLUMNS),
        ("compliance", compliance::COLUMNS),
        ("certs", certs::COLUMNS),
        ("commands", commands::COLUMNS),
        ("errors", errors::COLUMNS),
        ("patches", node::PATCH_COLUMNS),
        ("invocations", node::INVOCATION_COLUMNS),
        ("node_software", node_software::APP_COLUMNS),
        ("windows", windows::COLUMNS),
        ("window_targets", window::TARGET_COLUMNS),
        ("window_tasks", window::TASK_COLUMNS),
        ("window_executions", window::EXECUTION_COLUMNS),
        ("window_invocations", execution::COLUMNS),
        ("baselines", baselines::COLUMNS),
    ]
}
