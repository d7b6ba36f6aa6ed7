//! `:certs` — ACM certificates across accounts and regions, soonest expiry first, coloured
//! by band (expired, ≤7, ≤14, ≤30, ≤45 days) with a risk marker.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

use super::contract::{Open, RenderCx, Spec, View, ViewCx};
use super::scope::NodeScope;
use super::table_render::render_table;
use crate::model::aggregate::cert_band;
use crate::model::{Certificate, ExpiryBand, FleetSnapshot};
use crate::text::sanitize;
use crate::ui::action::Action;
use crate::ui::data::Data;
use crate::ui::filter::{contains, prefix_of_any, yes_no};
use crate::ui::table::{Cell, Column, RowSource, TableState};
use crate::ui::theme::{Role, Theme};

pub const COLUMNS: &[Column] = &[
    Column::new("DOMAIN", 30, 0),
    Column::new("ACCOUNT", 18, 1),
    Column::new("REGION", 14, 2),
    Column::new("TYPE", 13, 2),
    Column::new("STATUS", 10, 3),
    Column::new("KEY", 13, 5),
    Column::new("NOT AFTER", 10, 1),
    Column::new("DAYS", 5, 0).num(),
    Column::new("IN USE", 6, 3),
    Column::new("RENEWAL", 22, 4),
    Column::new("RISK", 20, 0).grow(),
    Column::new("ACCOUNT ID", 12, 7).companion(1),
    Column::new("ARN", 40, 7).companion(0),
];

use crate::ui::filter::FieldSpec;

pub const FIELDS: &[FieldSpec] = &[
    FieldSpec::text("account", "account name or id"),
    FieldSpec::text("region", "region"),
    FieldSpec::text("domain", "domain name or a SAN"),
    FieldSpec::text("type", "AMAZON_ISSUED | IMPORTED | PRIVATE"),
    FieldSpec::text("status", "certificate status"),
    FieldSpec::choice(
        "band",
        &[
            "expired", "7", "14", "30", "45", "7d", "14d", "30d", "45d", "≤7", "≤14", "≤30", "≤45",
            "later",
        ],
        "expired, or expiring within 7 / 14 / 30 / 45 days (cumulative)",
    ),
    FieldSpec::yes_no("risk", "has a risk marker"),
    FieldSpec::yes_no("inuse", "in use by a resource").alias(&["in_use"]),
    FieldSpec::number("days", "at most this many days left"),
];

#[derive(Clone, Default)]
pub struct CertsSource {
    pub snap: Arc<FleetSnapshot>,
    pub rows: Vec<u32>,
    pub bands: Vec<ExpiryBand>,
    pub days: Vec<Option<i64>>,
    /// Each row's risk marker at the build's time.
    pub risks: Vec<Option<&'static str>>,
    pub account_names: HashMap<String, String>,
}

impl CertsSource {
    pub fn build(data: &Data, scope: &NodeScope, now: DateTime<Utc>) -> CertsSource {
        let snap = data.snapshot.clone();
        let ou_accts = match scope {
            NodeScope::Ou(ou) => Some(super::nodes::accounts_under(&snap, ou)),
            _ => None,
        };
        let rows: Vec<u32> = snap
            .certificates
            .iter()
            .enumerate()
            .filter(|(_, c)| match scope {
                NodeScope::Account(a) => &c.account_id == a,
                NodeScope::Region(r) => &c.region == r,
                NodeScope::Ou(_) => ou_accts
                    .as_ref()
                    .is_some_and(|s| s.contains(c.account_id.as_str())),
                _ => true,
            })
            .map(|(i, _)| i as u32)
            .collect();
        let bands = rows
            .iter()
            .map(|&i| cert_band(&snap.certificates[i as usize], now))
            .collect();
        let days = rows
            .iter()
            .map(|&i| snap.certificates[i as usize].days_left_at(now))
            .collect();
        let risks = rows
            .iter()
            .map(|&i| snap.certificates[i as usize].risk_at(now))
            .collect();
        let account_names = snap
            .accounts
            .iter()
            .map(|a| {
                (
                    a.id.clone(),
                    sanitize(if a.name.is_empty() { &a.id } else { &a.name }),
                )
            })
            .collect();
        CertsSource {
            snap: snap.clone(),
            rows,
            bands,
            days,
            risks,
            account_names,
        }
    }

    pub fn cert(&self, row: usize) -> &Certificate {
        &self.snap.certificates[self.rows[row] as usize]
    }
}

impl RowSource for CertsSource {
    fn columns(&self) -> &'static [Column] {
        COLUMNS
    }
    fn len(&self) -> usize {
        self.rows.len()
    }
    fn id(&self, row: usize) -> String {
        self.cert(row).arn.clone()
    }
    fn text(&self, row: usize, col: usize) -> String {
        let c = self.cert(row);
        match col {
            0 => sanitize(&c.domain_name),
            1 => self
                .account_names
                .get(&c.account_id)
                .cloned()
                .unwrap_or_else(|| sanitize(&c.account_id)),
            2 => sanitize(&c.region),
            3 => sanitize(&c.cert_type),
            4 => sanitize(&c.status),
            5 => sanitize(&c.key_algorithm),
            6 => c
                .not_after
                .map(|t| t.format("%Y-%m-%d").to_string())
                .unwrap_or_else(|| "-".into()),
            7 => match self.days[row] {
                Some(d) if d < 0 => format!("{d}"),
                Some(d) => d.to_string(),
                None => "-".into(),
            },
            8 => {
                if c.in_use {
                    "yes".into()
                } else {
                    "no".into()
                }
            }
            9 => sanitize(&format!(
                "{}{}",
                c.renewal_eligibility.as_deref().unwrap_or("-"),
                c.renewal_status
                    .as_deref()
                    .map(|s| format!(" / {s}"))
                    .unwrap_or_default()
            )),
            10 => self.risks[row]
                .map(|r| format!("⚠ {r}"))
                .unwrap_or_default(),
            11 => sanitize(&c.account_id),
            12 => sanitize(&c.arn),
            _ => String::new(),
        }
    }
    fn value(&self, row: usize, col: usize) -> Cell {
        let c = self.cert(row);
        match col {
            6 => Cell::time(c.not_after),
            7 => self.days[row].map(Cell::Int).unwrap_or(Cell::Empty),
            8 => Cell::Bool(c.in_use),
            9 => {
                let parts: Vec<&str> = [
                    c.renewal_eligibility.as_deref(),
                    c.renewal_status.as_deref(),
                ]
                .into_iter()
                .flatten()
                .filter(|s| !s.is_empty())
                .collect();
                Cell::text(sanitize(&parts.join(" / ")))
            }
            10 => Cell::opt_text(self.risks[row]),
            _ => Cell::text(self.text(row, col)),
        }
    }
    fn compare(&self, a: usize, b: usize, col: usize) -> Ordering {
        let (x, y) = (self.cert(a), self.cert(b));
        match col {
            6 | 7 => {
                // unknown expiry last
                let k = |c: &Certificate| (c.not_after.is_none(), c.not_after);
                k(x).cmp(&k(y))
            }
            8 => x.in_use.cmp(&y.in_use),
            10 => self.risks[a].is_none().cmp(&self.risks[b].is_none()),
            _ => self
                .text(a, col)
                .to_lowercase()
                .cmp(&self.text(b, col).to_lowercase()),
        }
    }
    fn style(&self, row: usize, col: usize, theme: &Theme) -> Style {
        let band = self.bands[row];
        match col {
            0 | 6 | 7 => theme.band(band),
            1 | 2 | 5 => theme.style(Role::Muted),
            4 if self.cert(row).status != "ISSUED" => theme.style(Role::Warning),
            10 => theme.style(Role::Risk),
            _ => theme.style(Role::Text),
        }
    }
    fn fields(&self) -> &'static [FieldSpec] {
        FIELDS
    }
    fn field_matches(&self, row: usize, field: &str, v: &str) -> Option<bool> {
        if self.rows.is_empty() {
            return crate::ui::filter::find_field(FIELDS, field).map(|_| false);
        }
        let c = self.cert(row);
        Some(match field {
            "account" => {
                c.account_id.contains(v)
                    || self
                        .account_names
                        .get(&c.account_id)
                        .is_some_and(|n| contains(n, v))
            }
            "region" => contains(&c.region, v),
            "domain" => {
                contains(&c.domain_name, v)
                    || c.subject_alternative_names.iter().any(|s| contains(s, v))
            }
            "type" => contains(&c.cert_type, v),
            "status" => contains(&c.status, v),
            "band" => {
                let b = self.bands[row];
                match v.trim_start_matches('≤').trim_end_matches('d') {
                    "expired" => b == ExpiryBand::Expired,
                    "7" => b <= ExpiryBand::Within7,
                    "14" => b <= ExpiryBand::Within14,
                    "30" => b <= ExpiryBand::Within30,
                    "45" => b <= ExpiryBand::Within45,
                    _ => prefix_of_any(v, &[b.label()]),
                }
            }
            "risk" => yes_no(v).is_some_and(|y| y == self.risks[row].is_some()),
            "inuse" => yes_no(v).is_some_and(|y| y == c.in_use),
            "days" => v
                .parse::<i64>()
                .ok()
                .is_some_and(|d| self.days[row].is_some_and(|x| x <= d)),
            _ => return None,
        })
    }
}

pub struct CertsView {
    pub scope: NodeScope,
    pub src: CertsSource,
    pub table: TableState,
    pub built: Option<u64>,
}

impl CertsView {
    pub fn new(scope: NodeScope) -> CertsView {
        CertsView {
            scope,
            src: CertsSource::default(),
            table: TableState::new(6, false),
            built: None,
        }
    }
}

pub const ID: &str = "certs";

pub const SPEC: Spec = Spec {
    id: ID,
    commands: &["certs", "cert", "acm", "certificates"],
    describe: "ACM certificates by expiry (:certs <account-or-ou>)",
    action: Some(Action::ViewCerts),
    table: true,
    scoped: true,
    open: Open::View(|sel| {
        let scope = NodeScope::from_args(sel.data, &sel.args)?;
        Ok(Box::new(CertsView::new(scope)))
    }),
};

impl View for CertsView {
    fn id(&self) -> &'static str {
        ID
    }

    fn crumb(&self, snap: Option<&FleetSnapshot>) -> String {
        match self.scope.label(snap) {
            l if l.is_empty() => "certs".into(),
            l => format!("certs({l})"),
        }
    }

    fn built(&self) -> Option<u64> {
        self.built
    }

    fn table(&self) -> Option<(&TableState, &dyn RowSource)> {
        Some((&self.table, &self.src))
    }

    fn table_mut(&mut self) -> Option<(&mut TableState, &dyn RowSource)> {
        Some((&mut self.table, &self.src))
    }

    /// Enter describes the certificate: SANs, what uses it, renewal and why it failed.
    fn enter(&mut self, cx: &mut ViewCx<'_>) {
        if self.table.selected_row().is_some() {
            cx.then = Some(Action::Describe);
        }
    }

    fn describe(&self, data: &Data, now: DateTime<Utc>) -> Result<super::doc::Doc, String> {
        let r = self
            .table
            .selected_row()
            .ok_or("Nothing selected to describe")?;
        Ok(super::doc::certificate(
            &data.snapshot,
            self.src.cert(r),
            now,
        ))
    }

    fn render(&self, buf: &mut Buffer, area: Rect, cx: &RenderCx<'_>) {
        let look = cx.look(cx.empty_msg("certificates", &self.table));
        render_table(buf, area, &self.table, &self.src, cx.theme, &look);
    }

    fn ensure_built(&mut self, data: &Data, now: DateTime<Utc>) {
        if self.built == Some(data.generation) {
            return;
        }
        self.src = CertsSource::build(data, &self.scope, now);
        self.table.rebuild(&self.src);
        self.built = Some(data.generation);
    }
}
