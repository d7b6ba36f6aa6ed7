//! Drawing the two non-list views: the compliance dashboard and node detail.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::widgets::{Block, BorderType, Borders, Widget};

use super::layout::{self, row};
use super::render::SPINNER;
use super::state::{Load, State};
use super::theme::{Role, Theme};
use super::views::compliance::{Breakdown, ComplianceView, DASHBOARD_ROWS};
use super::views::node::NodeView;
use super::views::table_render::{TableLook, put, render_table, set_cell};
use super::views::{pct_text, thousands};
use crate::model::Compliance;

fn bar(buf: &mut Buffer, x: u16, y: u16, width: u16, frac: f64, theme: &Theme, role: Role) {
    let full = ((frac.clamp(0.0, 1.0)) * f64::from(width)).round() as u16;
    for i in 0..width {
        let (sym, st) = if i < full {
            ("█", theme.style(role))
        } else {
            ("░", theme.style(Role::BarEmpty))
        };
        set_cell(buf, x.saturating_add(i), y, sym, st);
    }
}

fn text(buf: &mut Buffer, x: u16, y: u16, s: &str, w: u16, st: Style) -> u16 {
    put(buf, x, y, s, w, st, None, Style::default(), false)
}

pub fn compliance(
    buf: &mut Buffer,
    area: Rect,
    v: &ComplianceView,
    state: &State,
    theme: &Theme,
    look: TableLook<'_>,
) {
    let f = &v.agg.fleet;
    let muted = theme.style(Role::Muted);
    let tx = theme.style(Role::Text);
    let y0 = area.y;
    let w = area.width;
    // The dashboard's rows that fit, top first; the table takes what is left.
    let Some(_) = row(area, 0) else { return };
    // Line 0: fleet gauge
    let label = "Fleet compliance ";
    let mut x = area.x + 1;
    x += text(
        buf,
        x,
        y0,
        label,
        area.right().saturating_sub(x),
        theme.style(Role::Title),
    );
    let pct = f.pct_compliant();
    let gw = (w / 3).max(10).min(area.right().saturating_sub(x));
    bar(
        buf,
        x,
        y0,
        gw,
        pct.unwrap_or(0.0) / 100.0,
        theme,
        Role::Compliant,
    );
    x += gw + 1;
    x += text(
        buf,
        x,
        y0,
        &format!("{:>6}", pct_text(pct)),
        7.min(area.right().saturating_sub(x)),
        theme.pct(pct),
    ) + 2;
    let summary = format!(
        "{} nodes · {} compliant · {} non-compliant · {} unreported",
        thousands(f.nodes.into()),
        thousands(f.compliant.into()),
        thousands(f.non_compliant.into()),
        thousands(f.unreported.into())
    );
    text(buf, x, y0, &summary, area.right().saturating_sub(x), muted);

    // Three columns of labelled bars.
    let colw = (w.saturating_sub(2)) / 3;
    let nodes = f64::from(f.nodes.max(1));
    type Group<'a> = (&'a str, Vec<(&'a str, u64, Role)>);
    let groups: [Group<'_>; 3] = [
        (
            "Non-compliant by severity",
            vec![
                ("Critical", f.critical.into(), Role::Critical),
                ("Security", f.security.into(), Role::NonCompliant),
                ("Other", f.other.into(), Role::Warning),
            ],
        ),
        (
            "Nodes with patches",
            vec![
                ("Missing", f.with_missing.into(), Role::NonCompliant),
                ("Failed", f.with_failed.into(), Role::Critical),
                ("Pending rbt", f.pending_reboot.into(), Role::Warning),
            ],
        ),
        (
            "Reporting",
            vec![
                ("≤7 days", f.reported_recently.into(), Role::Compliant),
                ("Stale >7d", f.stale.into(), Role::Stale),
                ("Never", f.unreported.into(), Role::Unreported),
            ],
        ),
    ];
    for (gi, (title, rows)) in groups.iter().enumerate() {
        let gx = area.x + 1 + gi as u16 * colw;
        if let Some(r) = row(area, 2) {
            text(buf, gx, r.y, title, colw, theme.style(Role::Header));
        }
        for (ri, (label, n, role)) in rows.iter().enumerate() {
            let Some(r) = row(area, 3 + ri as u16) else {
                break;
            };
            let y = r.y;
            let lw = 12u16.min(colw / 2);
            text(buf, gx, y, label, lw.saturating_sub(1), tx);
            let num = thousands(*n);
            let bw = colw.saturating_sub(lw + 9);
            bar(buf, gx + lw, y, bw, *n as f64 / nodes, theme, *role);
            let st = if *n == 0 { muted } else { theme.style(*role) };
            put(
                buf,
                gx + lw + bw + 1,
                y,
                &num,
                7,
                st,
                None,
                Style::default(),
                true,
            );
        }
    }
    // certs + online line
    let c = &v.agg.certs;
    let within = |b| c.by_band.get(&b).copied().unwrap_or(0);
    use crate::model::ExpiryBand as B;
    let line = [
        (
            format!("online {}", thousands(f.online.into())),
            theme.style(Role::Ok),
        ),
        (
            format!("offline {}", thousands(f.offline.into())),
            theme.count(f.offline.into(), Role::Offline),
        ),
        (
            format!("agent outdated {}", thousands(f.agent_outdated.into())),
            theme.count(f.agent_outdated.into(), Role::Warning),
        ),
        (
            format!("certs expired {}", within(B::Expired)),
            theme.count(within(B::Expired).into(), Role::Expired),
        ),
        // cumulative, as `≤` says (and as the `band:` filter counts): ≤14d includes ≤7d
        (
            format!("≤7d {}", within(B::Within7)),
            theme.count(within(B::Within7).into(), Role::Band7),
        ),
        (
            format!("≤14d {}", within(B::Within7) + within(B::Within14)),
            theme.count(
                (within(B::Within7) + within(B::Within14)).into(),
                Role::Band14,
            ),
        ),
        (
            format!(
                "≤30d {}",
                within(B::Within7) + within(B::Within14) + within(B::Within30)
            ),
            theme.count(
                (within(B::Within7) + within(B::Within14) + within(B::Within30)).into(),
                Role::Band30,
            ),
        ),
        (
            format!("at risk {}", c.at_risk),
            theme.count(c.at_risk.into(), Role::Risk),
        ),
    ];
    let mut x = area.x + 1;
    for (s, st) in line {
        let Some(r) = row(area, 6) else { break };
        if x + s.chars().count() as u16 + 3 > area.right() {
            break;
        }
        x += text(buf, x, r.y, &s, area.right() - x, st);
        x += text(buf, x, r.y, "  ", 2, muted);
    }
    // tab bar
    let Some(tabs) = row(area, 8) else { return };
    let y = tabs.y;
    let mut x = area.x + 1;
    x += text(buf, x, y, "Breakdown: ", 11, muted);
    for b in Breakdown::ALL {
        let st = if b == v.by {
            theme.style(Role::Selection).patch(theme.style(Role::Title))
        } else {
            muted
        };
        x += text(
            buf,
            x,
            y,
            &format!(" {} ", b.label()),
            area.right().saturating_sub(x),
            st,
        ) + 1;
    }
    let _ = state;
    let table_area = layout::below(area, DASHBOARD_ROWS as u16);
    render_table(buf, table_area, &v.table, &v.src, theme, &look);
}

pub fn node(
    buf: &mut Buffer,
    area: Rect,
    v: &NodeView,
    state: &State,
    theme: &Theme,
    reserved: &[char],
) {
    let compact = area.height < 28;
    let box_h: u16 = if compact { 8 } else { 10 };
    let half = area.width / 2;
    let inv_rect = Rect {
        height: box_h.min(area.height),
        width: half,
        ..area
    };
    let sum_rect = Rect {
        x: area.x + half,
        width: area.width - half,
        height: box_h.min(area.height),
        ..area
    };
    let block = |title: String, focused: bool| {
        Block::default()
            .borders(Borders::ALL)
            .border_type(BorderType::Rounded)
            .border_style(if focused {
                theme.style(Role::Title)
            } else {
                theme.style(Role::Border)
            })
            .title(title)
            .title_style(theme.style(Role::Title))
    };
    let muted = theme.style(Role::Muted);
    let tx = theme.style(Role::Text);
    let spinner = SPINNER[state.spinner % SPINNER.len()];
    let kv = |buf: &mut Buffer, r: Rect, rows: &[(&str, String, Style)]| {
        for (i, (k, val, st)) in rows.iter().enumerate().take(r.height as usize) {
            let y = r.y + i as u16;
            put(buf, r.x + 1, y, k, 13, muted, None, Style::default(), false);
            put(
                buf,
                r.x + 15,
                y,
                val,
                r.width.saturating_sub(16),
                *st,
                None,
                Style::default(),
                false,
            );
        }
    };
    // Inventory box
    let b = block(" Inventory ".into(), false);
    let inner = b.inner(inv_rect);
    b.render(inv_rect, buf);
    match &v.node {
        None => {
            put(
                buf,
                inner.x + 1,
                inner.y,
                "node not in the current snapshot",
                inner.width,
                theme.style(Role::Warning),
                None,
                Style::default(),
                false,
            );
        }
        Some(n) => {
            let s = crate::text::sanitize;
            let mut rows: Vec<(&str, String, Style)> = vec![
                (
                    "Name",
                    super::views::nodes::node_name(n),
                    theme.style(Role::Title),
                ),
                ("Instance", s(&n.instance_id), tx),
                (
                    "Account",
                    format!("{} ({})", v.account_name, s(&n.account_id)),
                    tx,
                ),
                ("Region", s(&n.region), tx),
                (
                    "Platform",
                    s(&format!(
                        "{} {} ({})",
                        n.platform_name,
                        n.platform_version,
                        n.platform_type.as_str()
                    )),
                    tx,
                ),
                ("IP", s(&n.ip_address), tx),
                (
                    "Agent",
                    format!(
                        "{}{}",
                        s(&n.agent_version),
                        if n.agent_outdated { "  (outdated)" } else { "" }
                    ),
                    if n.agent_outdated {
                        theme.style(Role::Warning)
                    } else {
                        tx
                    },
                ),
                (
                    "Ping",
                    format!(
                        "{}  last {}",
                        n.ping_status.as_str(),
                        super::views::ago(state.now, n.last_ping)
                    ),
                    theme.ping(n.ping_status),
                ),
            ];
            if !compact {
                rows.insert(3, ("OU", v.ou_path.clone(), muted));
                rows.push((
                    "Registered",
                    n.registration_date
                        .map(|d| d.format("%Y-%m-%d").to_string())
                        .unwrap_or_else(|| "-".into()),
                    muted,
                ));
            }
            if let Load::Loaded(inv) = &v.inventory
                && let Some(c) = &inv.capture_time
            {
                rows.push(("Inventory", format!("captured {}", s(c)), muted));
            }
            kv(buf, inner, &rows);
        }
    }
    // Patch summary box
    let b = block(" Patch summary ".into(), false);
    let inner = b.inner(sum_rect);
    b.render(sum_rect, buf);
    if let Some(n) = &v.node {
        let s = crate::text::sanitize;
        let comp = match n.compliance {
            Compliance::Compliant => "✓ Compliant",
            Compliance::NonCompliant => "✗ Non-compliant",
            Compliance::Unreported => "? Unreported (no patch state)",
        };
        let cnt = |n: u32, role: Role| (n.to_string(), theme.count(n.into(), role));
        let mut rows: Vec<(&str, String, Style)> = vec![
            ("Compliance", comp.into(), theme.compliance(n.compliance)),
            (
                "Patch group",
                s(n.patch_group.as_deref().unwrap_or("-")),
                tx,
            ),
            ("Baseline", s(n.baseline_id.as_deref().unwrap_or("-")), tx),
            (
                "Last op",
                match (n.last_operation, n.last_operation_end) {
                    (Some(op), end) => format!(
                        "{} {}{}",
                        op.as_str(),
                        super::views::ago(state.now, end),
                        n.reboot_option
                            .map(|r| format!(" · {}", r.as_str()))
                            .unwrap_or_default()
                    ),
                    _ => "never".into(),
                },
                if n.is_stale(state.now, chrono::Duration::days(v.stale_days)) {
                    theme.style(Role::Stale)
                } else {
                    tx
                },
            ),
        ];
        if n.compliance == Compliance::Unreported {
            // no patch state: the counts are unknown, never a made-up 0
            rows.push((
                "Patches",
                "never scanned (no counts)".into(),
                theme.style(Role::Unreported),
            ));
        } else {
            let (m, ms) = cnt(n.missing, Role::NonCompliant);
            let (f, fs) = cnt(n.failed, Role::Critical);
            rows.push(("Missing", m, ms));
            rows.push(("Failed", f, fs));
            rows.push((
                "Pending rbt",
                format!(
                    "{}   rejected {}",
                    n.installed_pending_reboot, n.installed_rejected
                ),
                theme.count(
                    (n.installed_pending_reboot + n.installed_rejected).into(),
                    Role::Warning,
                ),
            ));
            rows.push((
                "Severity",
                format!(
                    "critical {}  security {}  other {}",
                    n.critical_noncompliant, n.security_noncompliant, n.other_noncompliant
                ),
                theme.count(n.critical_noncompliant.into(), Role::Critical),
            ));
            if !compact {
                rows.push((
                    "Installed",
                    format!(
                        "{}  other {}  n/a {}",
                        n.installed, n.installed_other, n.not_applicable
                    ),
                    muted,
                ));
            }
        }
        kv(buf, inner, &rows);
    }
    // Tables
    let rest = layout::below(area, box_h);
    if rest.height < 4 {
        return;
    }
    let ph = (rest.height * 2 / 3).max(3);
    let prect = Rect { height: ph, ..rest };
    let irect = Rect {
        y: rest.y + ph,
        height: rest.height - ph,
        ..rest
    };
    let look = |focused: bool, empty: String| TableLook {
        marks: &state.marks,
        focused: focused && state.panes.is_empty() && state.help.is_none(),
        empty,
        reserved,
    };
    let count = |t: &super::table::TableState| {
        if t.order.len() == t.rows_total {
            format!("{}", t.rows_total)
        } else {
            format!("{}/{}", t.order.len(), t.rows_total)
        }
    };
    let ptitle = match &v.patches {
        Load::Loading => format!(" Patches {spinner} loading "),
        Load::Failed(_) => " Patches ✗ ".into(),
        Load::Loaded(_) => format!(" Patches ({}) ", count(&v.patch_table)),
    };
    let b = block(ptitle, v.focus == 0);
    let inner = b.inner(prect);
    b.render(prect, buf);
    match &v.patches {
        Load::Failed(e) => {
            put(
                buf,
                inner.x + 1,
                inner.y,
                &format!("✗ {e}"),
                inner.width,
                theme.style(Role::Error),
                None,
                Style::default(),
                false,
            );
        }
        _ => {
            let empty = match &v.patches {
                Load::Loading => format!("{spinner} loading patches…"),
                _ if !v.patch_table.filter.text.is_empty() => {
                    format!("no patches match /{}", v.patch_table.filter.text)
                }
                _ => "no patches reported".into(),
            };
            render_table(
                buf,
                inner,
                &v.patch_table,
                &v.patch_src,
                theme,
                &look(v.focus == 0, empty),
            );
        }
    }
    if irect.height < 3 {
        return;
    }
    let ititle = match &v.invocations {
        Load::Loading => format!(" Recent invocations {spinner} "),
        Load::Failed(_) => " Recent invocations ✗ ".into(),
        Load::Loaded(_) => format!(" Recent invocations ({}) ", count(&v.inv_table)),
    };
    let b = block(ititle, v.focus == 1);
    let inner = b.inner(irect);
    b.render(irect, buf);
    match &v.invocations {
        Load::Failed(e) => {
            put(
                buf,
                inner.x + 1,
                inner.y,
                &format!("✗ {e}"),
                inner.width,
                theme.style(Role::Error),
                None,
                Style::default(),
                false,
            );
        }
        _ => {
            let empty = match &v.invocations {
                Load::Loading => format!("{spinner} loading invocations…"),
                _ => "no recent invocations".into(),
            };
            render_table(
                buf,
                inner,
                &v.inv_table,
                &v.inv_src,
                theme,
                &look(v.focus == 1, empty),
            );
        }
    }
}
