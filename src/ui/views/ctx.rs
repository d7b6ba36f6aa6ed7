//! `:ctx` (`:profile`, `:context`) — the AWS profiles of the shared config and credentials
//! files, k9s `:ctx` style: the one in use marked `(*)`, each with what is known without a
//! network call (region, how it gets credentials: SSO account and role, role ARN and its
//! source, keys — never their values), the accounts ssmdeck reads with it
//! (`account_profiles`) and the role it assumes in member accounts. Enter switches: the new
//! profile is connected first (the current one keeps running); if that fails the row says
//! why and nothing else changes. `:ctx NAME` switches at once. In `--demo` the one profile
//! is the built-in simulator's.

use chrono::{DateTime, Utc};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

use super::contract::{Open, RenderCx, Spec, View, ViewCx};
use super::table_render::render_table;
use crate::config::aws_profiles::ProfileInfo;
use crate::text::sanitize;
use crate::ui::context::{ContextChoice, Ctx};
use crate::ui::data::Data;
use crate::ui::effect::{Job, JobEvent, JobKind};
use crate::ui::filter::{FieldSpec, contains};
use crate::ui::table::{Column, RowSource, TableState};
use crate::ui::theme::{Role, Theme};

pub const COLUMNS: &[Column] = &[
    Column::new("PROFILE", 28, 0),
    Column::new("STATUS", 12, 1),
    Column::new("REGION", 14, 2),
    Column::new("AUTH", 7, 3),
    Column::new("ACCOUNTS", 8, 5).num(),
    Column::new("DETAIL", 24, 4).grow(),
];

/// The demo world's one profile.
pub const DEMO_PROFILE: &str = "demo";

/// One row: a profile and where it stands.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CtxRow {
    pub info: ProfileInfo,
    pub current: bool,
    /// Accounts ssmdeck reads with this profile (`account_profiles`).
    pub accounts: usize,
    /// "connecting…", or why the last switch to it failed.
    pub status: RowStatus,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub enum RowStatus {
    #[default]
    Idle,
    Connecting,
    Failed(String),
}

#[derive(Clone, Default)]
pub struct CtxSource {
    pub rows: Vec<CtxRow>,
}

impl RowSource for CtxSource {
    fn columns(&self) -> &'static [Column] {
        COLUMNS
    }
    fn len(&self) -> usize {
        self.rows.len()
    }
    fn id(&self, row: usize) -> String {
        self.rows[row].info.name.clone()
    }
    fn text(&self, row: usize, col: usize) -> String {
        let r = &self.rows[row];
        match col {
            0 if r.current => format!("{} (*)", sanitize(&r.info.name)),
            0 => sanitize(&r.info.name),
            1 => match &r.status {
                RowStatus::Connecting => "connecting…".into(),
                RowStatus::Failed(_) => "✗ failed".into(),
                RowStatus::Idle if r.current => "in use".into(),
                RowStatus::Idle => String::new(),
            },
            2 => sanitize(r.info.region.as_deref().unwrap_or("-")),
            3 => sanitize(&r.info.auth),
            4 if r.accounts == 0 => String::new(),
            4 => r.accounts.to_string(),
            _ => match &r.status {
                RowStatus::Failed(m) => sanitize(m),
                _ => sanitize(&r.info.detail),
            },
        }
    }
    fn style(&self, row: usize, col: usize, theme: &Theme) -> Style {
        let r = &self.rows[row];
        match (col, &r.status) {
            (1 | 5, RowStatus::Failed(_)) => theme.style(Role::Error),
            (1, RowStatus::Connecting) => theme.style(Role::Spinner),
            (0 | 1, _) if r.current => theme.style(Role::Ok),
            (2..=4, _) => theme.style(Role::Muted),
            _ => theme.style(Role::Text),
        }
    }
    fn fields(&self) -> &'static [FieldSpec] {
        const F: &[FieldSpec] = &[
            FieldSpec::text("auth", "sso, role, process, keys, web-identity, -"),
            FieldSpec::text("region", "the profile's region"),
        ];
        F
    }
    fn field_matches(&self, row: usize, field: &str, v: &str) -> Option<bool> {
        let r = self.rows.get(row)?;
        Some(match field {
            "auth" => contains(&r.info.auth, v),
            "region" => contains(r.info.region.as_deref().unwrap_or(""), v),
            _ => return None,
        })
    }
}

pub struct CtxView {
    pub src: CtxSource,
    pub table: TableState,
    built: Option<u64>,
    /// The profiles are being read (a job).
    loading: bool,
    /// Why they could not be read.
    error: Option<String>,
    /// `:ctx NAME`: switch to it once the profiles are known.
    want: Option<String>,
    /// The profile in use, the demo flag, ssmdeck's role settings.
    ctx: Ctx,
}

pub const ID: &str = "ctx";

pub const SPEC: Spec = Spec {
    id: ID,
    commands: &["ctx", "context", "contexts", "profile", "profiles"],
    describe: "AWS profiles: Enter switches profile (k9s :ctx); :ctx NAME switches at once",
    action: None,
    table: true,
    scoped: false,
    open: Open::View(|sel| Ok(Box::new(CtxView::new(sel.ctx, &sel.args)))),
};

impl CtxView {
    pub fn new(ctx: &Ctx, args: &str) -> CtxView {
        let mut v = CtxView {
            src: CtxSource::default(),
            table: TableState::unsorted(),
            built: None,
            loading: !ctx.demo,
            error: None,
            want: Some(args.trim().to_string()).filter(|a| !a.is_empty()),
            ctx: ctx.clone(),
        };
        if ctx.demo {
            let regions: Vec<String> = ctx.known_regions.iter().cloned().collect();
            v.set_rows(vec![ProfileInfo {
                name: DEMO_PROFILE.into(),
                region: Some(match regions.len() {
                    0 => "-".into(),
                    1 => regions[0].clone(),
                    n => format!("{n} regions"),
                }),
                auth: "static".into(),
                detail: "the built-in simulator on loopback (127.0.0.1)".into(),
            }]);
        }
        v
    }

    /// The profile in use as named in the files (`default` for the chain's default).
    fn current_name(&self) -> &str {
        if self.ctx.demo {
            DEMO_PROFILE
        } else {
            self.ctx.profile.as_deref().unwrap_or("default")
        }
    }

    fn set_rows(&mut self, profiles: Vec<ProfileInfo>) {
        let current = self.current_name().to_string();
        let mut rows: Vec<CtxRow> = profiles
            .into_iter()
            .map(|info| CtxRow {
                current: info.name == current,
                accounts: self
                    .ctx
                    .account_profiles
                    .values()
                    .filter(|p| **p == info.name)
                    .count(),
                info,
                status: RowStatus::Idle,
            })
            .collect();
        // the profile in use is always listed (the chain's `default` need not be in a file)
        if !rows.iter().any(|r| r.current) {
            rows.insert(
                0,
                CtxRow {
                    info: ProfileInfo {
                        name: current.clone(),
                        region: None,
                        auth: "-".into(),
                        detail: "not in the AWS files: environment or instance credentials".into(),
                    },
                    current: true,
                    accounts: 0,
                    status: RowStatus::Idle,
                },
            );
        }
        self.src.rows = rows;
        // the cursor starts on the profile in use
        self.table.selected_id = Some(current);
        self.table.rebuild(&self.src);
    }

    /// Ask for a switch to `name`, or say why not.
    fn switch_to(&mut self, name: &str, cx: &mut ViewCx<'_>) {
        let Some(i) = self.src.rows.iter().position(|r| r.info.name == name) else {
            let known: Vec<&str> = self.src.rows.iter().map(|r| r.info.name.as_str()).collect();
            cx.error(format!(
                "no profile `{}` (profiles: {})",
                sanitize(name),
                known.join(", ")
            ));
            return;
        };
        if self.src.rows[i].current {
            cx.toast(format!(
                "already on {} (ctrl-r refreshes; :region changes the regions)",
                if self.ctx.demo {
                    "the demo".to_string()
                } else {
                    format!("profile {}", sanitize(name))
                }
            ));
            return;
        }
        for r in &mut self.src.rows {
            if matches!(r.status, RowStatus::Connecting) {
                r.status = RowStatus::Idle;
            }
        }
        self.src.rows[i].status = RowStatus::Connecting;
        // widths follow the new status text
        self.table.rebuild(&self.src);
        cx.switch = Some(ContextChoice {
            profile: Some(name.to_string()),
            regions: None,
        });
    }

    /// A switch failed: the row says why (the old profile stays in use).
    pub fn failed(&mut self, choice: &ContextChoice, message: &str) {
        for r in &mut self.src.rows {
            if matches!(r.status, RowStatus::Connecting)
                || choice.profile.as_deref() == Some(r.info.name.as_str())
            {
                r.status = RowStatus::Failed(message.to_string());
            }
        }
        self.table.rebuild(&self.src);
    }
}

impl View for CtxView {
    fn id(&self) -> &'static str {
        ID
    }

    fn crumb(&self, _snap: Option<&crate::model::FleetSnapshot>) -> String {
        if self.ctx.demo {
            "ctx (demo)".into()
        } else {
            format!(
                "ctx (member accounts: AssumeRole {})",
                sanitize(&self.ctx.role_name)
            )
        }
    }

    fn built(&self) -> Option<u64> {
        self.built
    }

    /// Its rows come from the AWS files, not from the fleet's data.
    fn ensure_built(&mut self, data: &Data, _now: DateTime<Utc>) {
        self.built = Some(data.generation);
    }

    fn needs_data(&self) -> bool {
        false
    }

    fn table(&self) -> Option<(&crate::ui::table::TableState, &dyn RowSource)> {
        Some((&self.table, &self.src))
    }

    fn table_mut(&mut self) -> Option<(&mut crate::ui::table::TableState, &dyn RowSource)> {
        Some((&mut self.table, &self.src))
    }

    fn opened(&mut self, cx: &mut ViewCx<'_>) {
        if self.ctx.demo {
            if let Some(name) = self.want.take() {
                self.switch_to(&name, cx);
            }
        } else {
            cx.start(Job::ListProfiles);
        }
    }

    fn job(&mut self, kind: JobKind, event: JobEvent, cx: &mut ViewCx<'_>) {
        if let (JobKind::ListProfiles, JobEvent::Profiles(r)) = (kind, event) {
            self.loading = false;
            match r {
                Ok(p) => {
                    self.set_rows(p);
                    if let Some(name) = self.want.take() {
                        self.switch_to(&name, cx);
                    }
                }
                Err(e) => {
                    cx.error(e.clone());
                    self.error = Some(sanitize(&e));
                    self.set_rows(Vec::new());
                }
            }
        }
    }

    fn enter(&mut self, cx: &mut ViewCx<'_>) {
        let Some(r) = self.table.selected_row() else {
            return;
        };
        let name = self.src.rows[r].info.name.clone();
        self.switch_to(&name, cx);
    }

    fn hints(&self) -> Vec<crate::ui::action::Action> {
        Vec::new()
    }

    /// `d` / `y`: the row whole (the detail is cut at narrow widths).
    fn describe(&self, _data: &Data, _now: DateTime<Utc>) -> Result<super::doc::Doc, String> {
        let r = self
            .table
            .selected_row()
            .ok_or("Nothing selected to describe")?;
        Ok(super::doc::table_row(ID, &self.src, r))
    }

    fn render(&self, buf: &mut Buffer, area: Rect, cx: &RenderCx<'_>) {
        let msg = if self.loading {
            format!("{} reading the AWS profiles…", cx.spinner())
        } else if let Some(e) = &self.error {
            format!("✗ {e}")
        } else {
            cx.empty_msg("profiles", &self.table)
        };
        render_table(buf, area, &self.table, &self.src, cx.theme, &cx.look(msg));
    }
}
