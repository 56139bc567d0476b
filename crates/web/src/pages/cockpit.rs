//! The cockpit (数字驾驶舱) for district leaders and supervisors, for the district and each town:
//! cases by status, on-time rate, reductions (materials, trips, days), satisfaction per
//! department, notices sent, applications per month, the latest five-colour circles map, the
//! data pool's, medical insurance's and welfare's figures, community governance's, and the elderly safety guardian's per
//! town — from the in-memory snapshot (`crate::cockpit`); and places' (childcare places against
//! the norm per town, public rental housing, 善居), read from the places area's figures; and the
//! service halls' (today's queues and throughput per hall, `pages::queue::cockpit_section`),
//! one-click borrowing's (requests by day, loans, readers, fees, holds, overdue,
//! `pages::library::cockpit_section`) and
//! parking guidance's (lots now, occupancy, searches and guided trips by hour,
//! `pages::parking::cockpit_section`).

use axum::extract::{Query, State};
use axum::response::Response;
use catalog::Role;
use maud::{Markup, html};
use serde::Deserialize;
use server::failure::Failure;

use super::{dept_name, pct, signed_pct, time};
use crate::Web;
use crate::charts::{self, Bar};
use crate::cockpit::{Area, Snapshot};
use crate::ctx::Ctx;
use crate::layout::{finish, page, table_head};

#[derive(Debug, Default, Deserialize)]
pub struct CockpitQuery {
    pub town: Option<String>,
}

const STATUSES: &[&str] = &["in_progress", "supplementing", "completed", "partially_completed", "rejected", "withdrawn"];

fn status_name(ctx: &Ctx, s: &str) -> String {
    onething::AppStatus::parse(s).map(|x| ctx.lang.pick(x.name_zh(), x.name_en()).to_owned()).unwrap_or_else(|| s.to_owned())
}

/// A department's name without the district's prefix, for chart labels.
fn short_dept(name: &str) -> String {
    ["杭州市富阳区", "杭州市", "富阳区", "Fuyang District ", "Fuyang "].iter().find_map(|p| name.strip_prefix(p)).unwrap_or(name).to_owned()
}

fn kpis(ctx: &Ctx, a: &Area) -> Markup {
    let finished: i64 = ["completed", "partially_completed", "rejected"].iter().map(|s| a.by_status.get(*s).copied().unwrap_or(0)).sum();
    let open: i64 = ["in_progress", "supplementing"].iter().map(|s| a.by_status.get(*s).copied().unwrap_or(0)).sum();
    let r = a.ratings();
    let satisfied = (r.ratings > 0).then(|| r.satisfied as f64 / r.ratings as f64);
    let red = a.reductions();
    html! {
        ul.figures {
            li { span.num { (a.applications) } span.lbl { (ctx.t("ck-total")) } }
            li { span.num { (open) } span.lbl { (ctx.t("ck-open")) } }
            li { span.num { (finished) } span.lbl { (ctx.t("ck-finished")) } }
            li { span.num { (pct(a.on_time_rate())) } span.lbl { (ctx.t("ck-on-time")) } span.def { (ctx.ta("ck-on-time-def", crate::args![("finished", a.cases_finished), ("on_time", a.cases_on_time)])) } }
            li { span.num { (a.cases_overdue) } span.lbl { (ctx.t("ck-overdue")) } }
            li { span.num { (pct(satisfied)) } span.lbl { (ctx.ta("ck-satisfied", crate::args![("n", r.ratings)])) } }
            li { span.num { (r.bad) } span.lbl { (ctx.t("ck-bad")) } }
            li { span.num { (a.rectifications.get("open").copied().unwrap_or(0)) } span.lbl { (ctx.t("ck-rect-open")) } }
            li { span.num { (pct(red.materials)) } span.lbl { (ctx.t("ck-less-materials")) } }
            li { span.num { (pct(red.trips)) } span.lbl { (ctx.t("ck-less-trips")) } }
            li { span.num { (pct(red.days)) } span.lbl { (ctx.t("ck-less-days")) } }
            li { span.num { (a.notices.values().sum::<i64>()) } span.lbl { (ctx.t("ck-notices")) } }
        }
    }
}

fn charts(ctx: &Ctx, web: &Web, snap: &Snapshot, a: &Area) -> Markup {
    let c = web.state.catalog();
    let lang = ctx.lang;
    let status_bars: Vec<Bar> = STATUSES
        .iter()
        .map(|s| {
            let n = a.by_status.get(*s).copied().unwrap_or(0);
            Bar { label: status_name(ctx, s), value: n as f64, text: n.to_string() }
        })
        .collect();
    let month_bars: Vec<Bar> = snap
        .months
        .iter()
        .zip(a.monthly.iter())
        .map(|(m, n)| Bar { label: m.get(5..).unwrap_or(m).to_owned(), value: *n as f64, text: n.to_string() })
        .collect();
    let red = a.reductions();
    let pairs = vec![
        (ctx.t("ck-materials"), a.baseline.materials as f64, a.actual.materials as f64, ctx.ta("ck-minus", crate::args![("pct", pct(red.materials))])),
        (ctx.t("ck-trips"), a.baseline.trips as f64, a.actual.trips as f64, ctx.ta("ck-minus", crate::args![("pct", pct(red.trips))])),
        (ctx.t("ck-days"), a.baseline.days as f64, a.actual.days as f64, ctx.ta("ck-minus", crate::args![("pct", pct(red.days))])),
    ];
    let mut depts: Vec<(&String, &crate::cockpit::DeptSat)> = a.satisfaction.iter().collect();
    depts.sort_by_key(|d| std::cmp::Reverse(d.1.ratings));
    let sat_bars: Vec<Bar> = depts
        .iter()
        .map(|(d, s)| Bar {
            label: short_dept(&dept_name(c, d, lang)),
            value: s.average().unwrap_or(0.0),
            text: ctx.ta("ck-score", crate::args![("score", format!("{:.2}", s.average().unwrap_or(0.0))), ("bad", s.bad)]),
        })
        .collect();
    let notice_bars: Vec<Bar> = ["delivered", "pending", "failed"]
        .iter()
        .map(|k| {
            let n = a.notices.get(*k).copied().unwrap_or(0);
            Bar { label: ctx.t(&format!("ck-notice-{k}")), value: n as f64, text: n.to_string() }
        })
        .collect();
    html! {
        div.charts {
            figure.chart {
                figcaption #ck-status-cap { (ctx.t("ck-by-status")) }
                (charts::hbars("ck-status", &ctx.t("ck-by-status"), &status_bars.iter().map(|b| format!("{} {}", b.label, b.text)).collect::<Vec<_>>().join(", "), &status_bars, None, None))
            }
            figure.chart {
                figcaption { (ctx.t("ck-monthly")) }
                (charts::vbars("ck-month", &ctx.t("ck-monthly"), &snap.months.iter().zip(a.monthly.iter()).map(|(m, n)| format!("{m}: {n}")).collect::<Vec<_>>().join(", "), &month_bars))
            }
            figure.chart {
                figcaption { (ctx.ta("ck-reductions", crate::args![("n", a.measured)])) }
                (charts::pairs("ck-red", &ctx.t("ck-reductions-title"), &pairs.iter().map(|(l, b, x, n)| format!("{l}: {b} → {x} ({n})")).collect::<Vec<_>>().join(", "), &pairs, (&ctx.t("ck-item-by-item"), &ctx.t("ck-with-bundle"))))
            }
            figure.chart {
                figcaption { (ctx.t("ck-satisfaction")) }
                @if sat_bars.is_empty() { p.muted { (ctx.t("ck-no-ratings")) } }
                @else {
                    (charts::hbars("ck-sat", &ctx.t("ck-satisfaction"), &sat_bars.iter().map(|b| format!("{} {}", b.label, b.text)).collect::<Vec<_>>().join(", "), &sat_bars, Some(5.0), Some("#00703c")))
                }
            }
            figure.chart {
                figcaption { (ctx.t("ck-notices-title")) }
                (charts::hbars("ck-notice", &ctx.t("ck-notices-title"), &notice_bars.iter().map(|b| format!("{} {}", b.label, b.text)).collect::<Vec<_>>().join(", "), &notice_bars, None, None))
            }
        }
        details {
            summary { (ctx.t("ck-satisfaction-table")) }
            div.table-wrap { table {
                (table_head(ctx, "ck-satisfaction-table", "col-department", &["ck-ratings", "ck-average", "ck-good", "ck-bad"]))
                tbody {
                    @for (d, s) in &depts {
                        tr { th scope="row" { (dept_name(c, d, lang)) } td.num { (s.ratings) } td.num { (format!("{:.2}", s.average().unwrap_or(0.0))) } td.num { (s.satisfied) } td.num { (s.bad) } }
                    }
                }
            } }
        }
    }
}

fn towns_table(ctx: &Ctx, snap: &Snapshot) -> Markup {
    html! {
        h2 { (ctx.t("ck-towns")) }
        div.table-wrap { table {
            (table_head(ctx, "ck-towns", "ck-town", &["ck-total", "ck-on-time", "ck-overdue", "ck-average", "ck-bad"]))
            tbody {
                @for t in snap.towns.iter().filter(|t| !t.code.is_empty()) {
                    @let r = t.ratings();
                    tr {
                        th scope="row" { a href={ "/cockpit?town=" (t.code) } { (if t.name.is_empty() { t.code.clone() } else { t.name.clone() }) } }
                        td.num { (t.applications) }
                        td.num { (pct(t.on_time_rate())) }
                        td.num { (t.cases_overdue) }
                        td.num { (r.average().map(|x| format!("{x:.2}")).unwrap_or_else(|| "—".into())) }
                        td.num { (r.bad) }
                    }
                }
            }
        } }
        p.note { (ctx.t("ck-on-time-note")) }
    }
}

/// A reading organisation's name: a department of the catalog, else an institution.
fn org_name(ctx: &Ctx, web: &Web, code: &str) -> String {
    let c = web.state.catalog();
    if code.is_empty() {
        return ctx.t("ck-org-residents");
    }
    match c.department(code) {
        Some(_) => short_dept(&dept_name(c, code, ctx.lang)),
        None => web.state.pool.recognition.institution(code).map(|i| i.name.clone()).unwrap_or_else(|| code.to_owned()),
    }
}

/// 数据同池与医检互认: records held, reads by organisation (allowed and refused), recognitions of
/// results and the money they saved, per institution.
fn pool_section(ctx: &Ctx, web: &Web, snap: &Snapshot) -> Markup {
    let c = web.state.catalog();
    let records: i64 = snap.shared_records.iter().map(|(_, n)| n).sum();
    let allowed: i64 = snap.data_reads.iter().map(|r| r.allowed).sum();
    let refused: i64 = snap.data_reads.iter().map(|r| r.refused).sum();
    let offered: i64 = snap.recognition.iter().map(|f| f.offered).sum();
    let accepted: i64 = snap.recognition.iter().map(|f| f.accepted).sum();
    let saved = domain::Fen(snap.recognition.iter().map(|f| f.saved_fen).sum());
    let mut reads: Vec<&store::OrgReads> = snap.data_reads.iter().collect();
    reads.sort_by_key(|r| std::cmp::Reverse(r.allowed + r.refused));
    let read_bars: Vec<Bar> = reads
        .iter()
        .take(12)
        .map(|r| Bar {
            label: org_name(ctx, web, &r.org),
            value: r.allowed as f64,
            text: ctx.ta("ck-reads-bar", crate::args![("allowed", r.allowed), ("refused", r.refused)]),
        })
        .collect();
    let mut insts: Vec<&store::InstitutionFigures> = snap.recognition.iter().filter(|f| f.offered > 0 || f.recognised_elsewhere > 0).collect();
    insts.sort_by_key(|f| std::cmp::Reverse(f.saved_fen));
    let saved_bars: Vec<Bar> = insts
        .iter()
        .filter(|f| f.offered > 0)
        .take(12)
        .map(|f| Bar { label: org_name(ctx, web, &f.institution), value: f.saved_fen as f64, text: format!("¥{}", domain::Fen(f.saved_fen).to_yuan_string()) })
        .collect();
    let rate = (offered > 0).then(|| accepted as f64 / offered as f64);
    html! {
        section aria-labelledby="h-pool" {
            h2 #h-pool { (ctx.t("ck-pool")) }
            ul.figures {
                li { span.num { (records) } span.lbl { (ctx.t("ck-pool-records-kpi")) } }
                li { span.num { (allowed) } span.lbl { (ctx.t("ck-reads")) } }
                li { span.num { (refused) } span.lbl { (ctx.t("ck-refused")) } }
                li { span.num { (snap.health_lookups) } span.lbl { (ctx.t("ck-health-lookups")) } }
                li { span.num { (accepted) } span.lbl { (ctx.ta("ck-recognitions", crate::args![("n", offered)])) } }
                li { span.num { (pct(rate)) } span.lbl { (ctx.t("ck-recognition-rate")) } }
                li { span.num { "¥" (saved.to_yuan_string()) } span.lbl { (ctx.t("ck-saved")) } }
            }
            div.charts {
                figure.chart {
                    figcaption { (ctx.t("ck-reads-title")) }
                    @if read_bars.is_empty() { p.muted { (ctx.t("ck-no-reads")) } }
                    @else {
                        (charts::hbars("ck-reads", &ctx.t("ck-reads-title"), &read_bars.iter().map(|b| format!("{} {}", b.label, b.text)).collect::<Vec<_>>().join(", "), &read_bars, None, None))
                    }
                }
                figure.chart {
                    figcaption { (ctx.t("ck-saved-title")) }
                    @if saved_bars.is_empty() { p.muted { (ctx.t("ck-no-recognitions")) } }
                    @else {
                        (charts::hbars("ck-saved", &ctx.t("ck-saved-title"), &saved_bars.iter().map(|b| format!("{} {}", b.label, b.text)).collect::<Vec<_>>().join(", "), &saved_bars, None, Some("#00703c")))
                    }
                }
            }
            details { summary { (ctx.t("ck-recognition-table")) }
            div.table-wrap { table {
                (table_head(ctx, "ck-recognition-table", "ck-institution", &["ck-offered", "ck-accepted", "ck-retested", "ck-saved", "ck-recognised-elsewhere"]))
                tbody {
                    @for f in &insts {
                        tr {
                            th scope="row" { (org_name(ctx, web, &f.institution)) }
                            td.num { (f.offered) } td.num { (f.accepted) } td.num { (f.retested) }
                            td.num { "¥" (domain::Fen(f.saved_fen).to_yuan_string()) } td.num { (f.recognised_elsewhere) }
                        }
                    }
                }
            } } }
            details { summary { (ctx.t("ck-pool-table")) }
            div.table-wrap { table {
                (table_head(ctx, "ck-pool-table", "ck-record-type", &["ck-records"]))
                tbody {
                    @for (t, n) in &snap.shared_records {
                        tr { th scope="row" { (c.record_type(t).map(|r| ctx.lang.pick(&r.name, &r.name_en).to_owned()).unwrap_or(t.clone())) } td.num { (n) } }
                    }
                }
            } } }
        }
    }
}

/// 医保: the district's cost per stay and length of stay by month, the scheme's hospitals and the
/// applications waiting, the latest settlement, and each hospital's before and after joining.
fn medins_section(ctx: &Ctx, web: &Web, snap: &Snapshot) -> Markup {
    let m = &snap.medins;
    let pick = |zh: &'static str, en: &'static str| ctx.lang.pick(zh, en).to_owned();
    let los_bars: Vec<Bar> = m.months.iter().map(|x| Bar { label: x.month.clone(), value: x.avg_length_of_stay, text: format!("{:.2}", x.avg_length_of_stay) }).collect();
    let cost_bars: Vec<Bar> = m
        .months
        .iter()
        .map(|x| Bar { label: x.month.clone(), value: x.avg_cost_fen as f64 / 100.0, text: format!("¥{}", domain::Fen(x.avg_cost_fen).to_yuan_string()) })
        .collect();
    let last = m.months.last();
    html! {
        section aria-labelledby="h-medins" {
            h2 #h-medins { (pick("医保床日付费与 DRG 点数付费", "Medical insurance: bed-day and DRG payment")) }
            @if m.months.is_empty() {
                p.muted { (pick("尚无住院病例数据。", "No in-patient episodes yet.")) }
            } @else {
                ul.figures {
                    li { span.num { (last.map_or(0, |x| x.episodes)) } span.lbl { (pick("上月出院病例", "discharges last month")) } }
                    li { span.num { (last.map_or_else(String::new, |x| format!("{:.2}", x.avg_length_of_stay))) } span.lbl { (pick("平均住院日（天）", "average length of stay (days)")) } }
                    li { span.num { "¥" (last.map_or_else(String::new, |x| domain::Fen(x.avg_cost_fen).to_yuan_string())) } span.lbl { (pick("次均住院费用", "average cost per stay")) } }
                    li { span.num { (pct(last.map(|x| x.readmission_rate))) } span.lbl { (pick("15 日内再入院率", "re-admissions within 15 days")) } }
                    li { span.num { (m.in_scheme) " / " (m.hospitals) } span.lbl { (pick("纳入床日付费的医疗机构", "hospitals in the scheme")) } }
                    li { span.num { (m.applications_waiting) } span.lbl { (pick("待审核的加入申请", "applications waiting")) } }
                }
                @if let Some(s) = &m.latest_settlement {
                    p { (pick("最近结算：", "Latest settlement: ")) (s.month) " · " (if s.status == "approved" { pick("已审批", "approved") } else { pick("已冻结", "frozen") })
                        " · " (s.episodes) (pick(" 例", " stays")) " · ¥" (domain::Fen(s.budget_fen).to_yuan_string()) }
                }
                div.charts {
                    figure.chart {
                        figcaption { (pick("平均住院日（按出院月份）", "Average length of stay by month of discharge")) }
                        (charts::vbars("ck-medins-los", &pick("平均住院日", "Average length of stay"), &los_bars.iter().map(|b| format!("{}: {}", b.label, b.text)).collect::<Vec<_>>().join(", "), &los_bars))
                    }
                    figure.chart {
                        figcaption { (pick("次均住院费用（按出院月份）", "Average cost per stay by month of discharge")) }
                        (charts::vbars("ck-medins-cost", &pick("次均住院费用", "Average cost per stay"), &cost_bars.iter().map(|b| format!("{}: {}", b.label, b.text)).collect::<Vec<_>>().join(", "), &cost_bars))
                    }
                }
                @if !m.before_after.is_empty() {
                    div.table-wrap { table {
                        caption { (pick("加入床日付费前后", "Before and after joining the scheme")) }
                        thead { tr {
                            th scope="col" { (pick("医疗机构", "Hospital")) }
                            th scope="col" { (pick("次均费用（前 → 后）", "Cost per stay (before → after)")) }
                            th scope="col" { (pick("变化", "Change")) }
                            th scope="col" { (pick("平均住院日（前 → 后）", "Length of stay (before → after)")) }
                            th scope="col" { (pick("变化", "Change")) }
                        } }
                        tbody {
                            @for b in &m.before_after {
                                tr {
                                    th scope="row" { (org_name(ctx, web, &b.hospital)) }
                                    td.num { "¥" (domain::Fen(b.before_avg_cost_fen).to_yuan_string()) " → ¥" (domain::Fen(b.after_avg_cost_fen).to_yuan_string()) }
                                    td.num { (signed_pct(b.cost_change_pct)) }
                                    td.num { (format!("{:.2} → {:.2}", b.before_avg_length_of_stay, b.after_avg_length_of_stay)) }
                                    td.num { (signed_pct(b.length_of_stay_change_pct)) }
                                }
                            }
                        }
                    } }
                }
            }
        }
    }
}

/// 民生保障: beneficiaries and money per benefit, households helped proactively against those
/// that applied, and the elders' indicator (80–99 岁户籍老人，自动享受高龄津贴).
fn welfare_section(ctx: &Ctx, snap: &Snapshot) -> Markup {
    let pick = |zh: &'static str, en: &'static str| ctx.lang.pick(zh, en).to_owned();
    let Some(w) = &snap.welfare else {
        return html! {
            section aria-labelledby="h-welfare" {
                h2 #h-welfare { (pick("民生保障：免申即享", "Welfare: benefits without applying")) }
                p.muted { (pick("暂时无法读取民生保障数据。", "The welfare figures cannot be read at present.")) }
            }
        };
    };
    // Per benefit, over the towns.
    let mut per: Vec<(String, String, i64, i64, i64)> = Vec::new();
    for f in &w.by_benefit_town {
        match per.iter_mut().find(|x| x.0 == f.benefit) {
            Some(x) => {
                x.2 += f.beneficiaries;
                x.3 += f.monthly_fen;
                x.4 += f.paid_fen;
            }
            None => per.push((f.benefit.clone(), f.benefit_name.clone(), f.beneficiaries, f.monthly_fen, f.paid_fen)),
        }
    }
    per.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.0.cmp(&b.0)));
    let people: i64 = per.iter().map(|x| x.2).sum();
    let monthly: i64 = per.iter().map(|x| x.3).sum();
    let enrolled = w.enrolled_proactive + w.enrolled_application;
    let share = (enrolled > 0).then(|| w.enrolled_proactive as f64 / enrolled as f64);
    let bars: Vec<Bar> = per.iter().map(|x| Bar { label: x.1.clone(), value: x.2 as f64, text: x.2.to_string() }).collect();
    let desc = bars.iter().map(|b| format!("{}: {}", b.label, b.text)).collect::<Vec<_>>().join(", ");
    html! {
        section aria-labelledby="h-welfare" {
            h2 #h-welfare { (pick("民生保障：免申即享", "Welfare: benefits without applying")) }
            p.lead { (ctx.lang.pick(
                &format!("80–99 岁户籍老人 {} 人，自动享受高龄津贴 {} 人。", w.elders_80_99, w.elders_80_99_receiving),
                &format!("{} registered elders aged 80–99; {} receive the old-age allowance without applying.", w.elders_80_99, w.elders_80_99_receiving),
            )) }
            ul.figures {
                li { span.num { (people) } span.lbl { (pick("正在享受待遇的人次", "benefits being received")) } }
                li { span.num { "¥" (domain::Fen(monthly).to_yuan_string()) } span.lbl { (pick("每月发放金额", "paid a month")) } }
                li { span.num { (w.flagged_proactive) " / " (w.flagged_application) } span.lbl { (pick("困难家庭：主动发现 / 本人求助", "households in difficulty: found / asked")) } }
                li { span.num { (pct(share)) } span.lbl { (pick("纳入救助的家庭中主动发现的占比", "of households enrolled in relief, found proactively")) } }
            }
            @if per.is_empty() {
                p.muted { (pick("尚无待遇发放数据。", "No benefits yet.")) }
            } @else {
                div.charts {
                    figure.chart {
                        figcaption { (pick("各项待遇享受人数", "People receiving each benefit")) }
                        (charts::hbars("ck-welfare", &pick("各项待遇享受人数", "People receiving each benefit"), &desc, &bars, None, None))
                    }
                }
                div.table-wrap { table {
                    caption { (pick("各项待遇", "Benefits")) }
                    thead { tr {
                        th scope="col" { (pick("待遇", "Benefit")) }
                        th.num scope="col" { (pick("享受人数", "People")) }
                        th.num scope="col" { (pick("每月金额", "A month")) }
                        th.num scope="col" { (pick("累计发放", "Paid so far")) }
                    } }
                    tbody {
                        @for x in &per {
                            tr {
                                th scope="row" { (x.1) }
                                td.num { (x.2) }
                                td.num { "¥" (domain::Fen(x.3).to_yuan_string()) }
                                td.num { "¥" (domain::Fen(x.4).to_yuan_string()) }
                            }
                        }
                    }
                } }
            }
        }
    }
}

/// 社区治理: issues reported and settled per town and month, settled within the estate's deadline,
/// escalations, the median time to settle, public-fund spending, projects completed on time and
/// complaints per night-construction permit (`server::areas::governance::civic::figures`).
fn governance_section(ctx: &Ctx, snap: &Snapshot, town: Option<&str>) -> Markup {
    let pick = |zh: &'static str, en: &'static str| ctx.lang.pick(zh, en).to_owned();
    let title = pick("社区治理：三方协同", "Community governance");
    let Some(g) = &snap.governance else {
        return html! {
            section aria-labelledby="h-governance" {
                h2 #h-governance { (title) }
                p.muted { (pick("暂时无法读取社区治理数据。", "The governance figures cannot be read at present.")) }
            }
        };
    };
    let rows: Vec<&server::areas::governance::views::TownMonthView> = g.by_town_month.iter().filter(|r| town.is_none_or(|t| r.town == t)).collect();
    let (reported, settled, in_time, escalated): (u64, u64, u64, u64) = rows.iter().fold((0, 0, 0, 0), |a, r| (a.0 + r.reported, a.1 + r.settled, a.2 + r.settled_in_time, a.3 + r.escalated));
    let hours = |h: Option<f64>| h.map_or_else(|| "—".to_owned(), |h| ctx.lang.pick(&format!("{h:.1} 小时"), &format!("{h:.1} h")).to_owned());
    let mut by_month: Vec<(String, u64, u64)> = Vec::new();
    for r in &rows {
        match by_month.iter_mut().find(|m| m.0 == r.month) {
            Some(m) => {
                m.1 += r.reported;
                m.2 += r.settled;
            }
            None => by_month.push((r.month.clone(), r.reported, r.settled)),
        }
    }
    by_month.sort();
    let bars: Vec<Bar> = by_month.iter().map(|m| Bar { label: m.0.clone(), value: m.2 as f64, text: format!("{} / {}", m.2, m.1) }).collect();
    let desc = bars.iter().map(|b| format!("{}: {}", b.label, b.text)).collect::<Vec<_>>().join(", ");
    let chart_title = pick("每月办结 / 受理诉求", "Issues settled / reported by month");
    html! {
        section aria-labelledby="h-governance" {
            h2 #h-governance { (title) }
            ul.figures {
                li { span.num { (settled) " / " (reported) } span.lbl { (pick("近一年诉求办结 / 受理", "issues settled / reported in the last year")) } }
                li { span.num { (pct((settled > 0).then(|| in_time as f64 / settled as f64))) } span.lbl { (pick("在小区一级时限内办结", "settled within the estate's deadline")) } }
                li { span.num { (escalated) } span.lbl { (pick("逐级上报的诉求", "issues escalated")) } }
                li { span.num { (hours(g.median_hours_to_settle)) } span.lbl { (pick("办结用时中位数", "median time to settle")) } }
                @if town.is_none() {
                    li { span.num { "¥" (domain::Fen(g.expense_paid_fen).to_yuan_string()) } span.lbl { (pick("公共收益已支出（三级审核）", "public funds spent (three-level review)")) } }
                    li { span.num { (g.projects_on_time) " / " (g.projects) } span.lbl { (pick("民生项目按期完成 / 总数", "projects on time / all")) } }
                    li { span.num { (g.complaints_per_permit.values().sum::<u64>()) " / " (g.permits) } span.lbl { (pick("关联夜间施工证明的噪声投诉 / 证明数", "noise complaints matched to permits / permits")) } }
                }
            }
            @if bars.is_empty() {
                p.muted { (pick("尚无诉求数据。", "No issues yet.")) }
            } @else {
                div.charts {
                    figure.chart {
                        figcaption { (chart_title) }
                        (charts::hbars("ck-governance", &chart_title, &desc, &bars, None, None))
                    }
                }
                div.table-wrap { table {
                    caption { (pick("各镇街诉求（按月）", "Issues by town and month")) }
                    thead { tr {
                        th scope="col" { (pick("镇街", "Town")) }
                        th scope="col" { (pick("月份", "Month")) }
                        th.num scope="col" { (pick("受理", "Reported")) }
                        th.num scope="col" { (pick("办结", "Settled")) }
                        th.num scope="col" { (pick("时限内办结", "In time")) }
                        th.num scope="col" { (pick("上报", "Escalated")) }
                        th.num scope="col" { (pick("用时中位数", "Median time")) }
                    } }
                    tbody {
                        @for r in &rows {
                            tr {
                                th scope="row" { (if r.town_name.is_empty() { town_name(snap, &r.town) } else { r.town_name.clone() }) }
                                td { (r.month) }
                                td.num { (r.reported) }
                                td.num { (r.settled) }
                                td.num { (r.settled_in_time) }
                                td.num { (r.escalated) }
                                td.num { (hours(r.median_hours_to_settle)) }
                            }
                        }
                    }
                } }
            }
        }
    }
}

/// Places' figures with the snapshot they were read for.
type PlacesFigures = (Option<server::areas::places::views::ChildcareFiguresView>, Option<server::areas::places::views::HousingFiguresView>);
static PLACES: std::sync::Mutex<Option<(std::sync::Arc<Snapshot>, std::sync::Arc<PlacesFigures>)>> = std::sync::Mutex::new(None);

/// The places area's figures for a snapshot: read again only when the snapshot is new (the
/// snapshot is held with them, so a new one is never mistaken for it).
async fn places_figures(web: &Web, snap: &std::sync::Arc<Snapshot>) -> std::sync::Arc<PlacesFigures> {
    if let Ok(g) = PLACES.lock()
        && let Some((s, f)) = g.as_ref()
        && std::sync::Arc::ptr_eq(s, snap)
    {
        return f.clone();
    }
    let cc = match server::areas::places::cases::figures(&web.state).await {
        Ok(f) => Some(f),
        Err(e) => {
            tracing::warn!(error = %e.body().message_en, "the cockpit's childcare figures");
            None
        }
    };
    let h = match server::areas::places::housing::figures(&web.state).await {
        Ok(f) => Some(f),
        Err(e) => {
            tracing::warn!(error = %e.body().message_en, "the cockpit's housing figures");
            None
        }
    };
    let f = std::sync::Arc::new((cc, h));
    if let Ok(mut g) = PLACES.lock() {
        *g = Some((snap.clone(), f.clone()));
    }
    f
}

/// 托育与公租房: childcare places per 1,000 residents against the norm per town, utilisation and
/// families waiting (`server::areas::places::cases::figures`); households waiting, offered and
/// housed, the rent subsidy, offers accepted and refused and 善居 projects by state and
/// satisfaction (`server::areas::places::housing::figures`, the district only).
fn places_section(ctx: &Ctx, cc: Option<&server::areas::places::views::ChildcareFiguresView>, h: Option<&server::areas::places::views::HousingFiguresView>, town: Option<&str>) -> Markup {
    let pick = |zh: &'static str, en: &'static str| ctx.lang.pick(zh, en).to_owned();
    let num = |x: Option<f64>, d: usize| x.map_or_else(|| "—".to_owned(), |v| super::number(v, d));
    let title = pick("托育与公租房", "Childcare and public rental housing");
    let towns: Vec<&server::areas::places::views::SupplyView> = cc.map(|c| c.towns.iter().filter(|t| town.is_none_or(|x| t.town.as_deref() == Some(x))).collect()).unwrap_or_default();
    let whole = cc.map(|c| if town.is_some() { towns.first().copied() } else { Some(&c.district) }).unwrap_or(None);
    let norm = cc.map_or(4.5, |c| c.norm_per_1000);
    let bars: Vec<Bar> = towns.iter().map(|t| Bar { label: t.town_name.clone(), value: t.places_per_1000.unwrap_or(0.0), text: format!("{} / {}", num(t.places_per_1000, 2), super::number(t.norm_per_1000, 1)) }).collect();
    let desc = bars.iter().map(|b| format!("{}: {}", b.label, b.text)).collect::<Vec<_>>().join(", ");
    let chart_title = pick("每千人托位数 / 标准", "Childcare places per 1,000 residents / norm");
    html! {
        section aria-labelledby="h-places" {
            h2 #h-places { (title) }
            @match (cc, whole) {
                (Some(c), Some(d)) => {
                    ul.figures {
                        li { span.num { (num(d.places_per_1000, 2)) } span.lbl { (ctx.lang.pick(&format!("每千人托位数（标准 {}）", super::number(norm, 1)), &format!("places per 1,000 residents (norm {})", super::number(norm, 1)))) } }
                        li { span.num { (d.licensed_places) } span.lbl { (pick("核定托位", "licensed places")) } }
                        li { span.num { (num(d.utilisation_pct, 1)) "%" } span.lbl { (pick("托位使用率", "places in use")) } }
                        li { span.num { (d.families_waiting) } span.lbl { (pick("轮候中的家庭", "families waiting")) } }
                        li { span.num { (d.places_short_of_norm) } span.lbl { (pick("距标准缺少的托位", "places short of the norm")) } }
                    }
                    p.muted { (pick("托位标准依据：", "The norm: ")) (c.norm_source) }
                    @if !bars.is_empty() {
                        div.charts {
                            figure.chart {
                                figcaption { (chart_title) }
                                (charts::hbars("ck-places", &chart_title, &desc, &bars, Some(bars.iter().map(|b| b.value).fold(norm, f64::max)), None))
                            }
                        }
                        div.table-wrap { table {
                            caption { (pick("各镇街托育供给", "Childcare by town")) }
                            thead { tr {
                                th scope="col" { (pick("镇街", "Town")) }
                                th.num scope="col" { (pick("机构", "Institutions")) }
                                th.num scope="col" { (pick("核定托位", "Places")) }
                                th.num scope="col" { (pick("在托", "Enrolled")) }
                                th.num scope="col" { (pick("使用率", "In use")) }
                                th.num scope="col" { (pick("每千人托位", "Per 1,000")) }
                                th scope="col" { (pick("达到标准", "Meets the norm")) }
                                th.num scope="col" { (pick("3 岁以下儿童", "Children under 3")) }
                                th.num scope="col" { (pick("轮候家庭", "Waiting")) }
                            } }
                            tbody {
                                @for t in &towns {
                                    tr {
                                        th scope="row" { (t.town_name) }
                                        td.num { (t.institutions) }
                                        td.num { (t.licensed_places) }
                                        td.num { (t.enrolled) }
                                        td.num { (num(t.utilisation_pct, 1)) "%" }
                                        td.num { (num(t.places_per_1000, 2)) }
                                        td { @if t.places_short_of_norm == 0 { (pick("达到", "yes")) } @else { (ctx.lang.pick(&format!("缺 {} 个", t.places_short_of_norm), &format!("{} short", t.places_short_of_norm))) } }
                                        td.num { (t.children_under_3) }
                                        td.num { (t.families_waiting) }
                                    }
                                }
                            }
                        } }
                    }
                }
                _ => { p.muted { (pick("暂时无法读取托育数据。", "The childcare figures cannot be read at present.")) } }
            }
            @if town.is_none() {
                h3 { (pick("公共租赁住房与善居工程", "Public rental housing and home improvements")) }
                @match h {
                    Some(h) => {
                        ul.figures {
                            li { span.num { (h.waiting) } span.lbl { (pick("轮候家庭", "households waiting")) } }
                            li { span.num { (h.offered) } span.lbl { (pick("已配租待确认", "offered, to answer")) } }
                            li { span.num { (h.housed) } span.lbl { (pick("已入住", "housed")) } }
                            li { span.num { (h.receiving_subsidy) } span.lbl { (pick("领取租赁补贴", "receiving the rent subsidy")) } }
                            li { span.num { (h.offers_accepted) " / " (h.offers_refused) } span.lbl { (pick("配租接受 / 放弃", "offers accepted / refused")) } }
                            li { span.num { (h.draws) } span.lbl { (pick("摇号", "draws")) } }
                        }
                        div.table-wrap { table {
                            caption { (pick("善居工程", "Home improvements (善居)")) }
                            thead { tr { th scope="col" { (pick("状态", "State")) } th.num scope="col" { (pick("项目数", "Projects")) } } }
                            tbody {
                                @for sc in &h.shanju_per_state {
                                    tr { th scope="row" { (ctx.lang.try_t(&format!("pl-shanju-{}", sc.state)).unwrap_or_else(|| sc.state.clone())) } td.num { (sc.count) } }
                                }
                                @if h.shanju_per_state.is_empty() { tr { td colspan="2" { (pick("尚无项目", "No projects yet")) } } }
                            }
                        } }
                        p {
                            (pick("居民满意度（1–5）：", "Residents' satisfaction (1–5): ")) (num(h.shanju_satisfaction, 1))
                            " · " (pick("勘查到完工天数中位数：", "median days from survey to completion: ")) (num(h.shanju_median_days, 0))
                            " · " (pick("预算 / 支出：", "budget / spent: ")) "¥" (h.shanju_budget_yuan) " / ¥" (h.shanju_spend_yuan)
                        }
                    }
                    None => { p.muted { (pick("暂时无法读取公租房数据。", "The housing figures cannot be read at present.")) } }
                }
            }
        }
    }
}

/// A duration in minutes and seconds: `4 分 10 秒` / `4 min 10 s`; `—` when there is none.
fn minutes_seconds(ctx: &Ctx, s: Option<f64>) -> String {
    let Some(s) = s.filter(|s| s.is_finite() && *s >= 0.0) else { return "—".to_owned() };
    let s = s.round() as u64;
    match (s / 60, s % 60) {
        (0, sec) => ctx.lang.pick(&format!("{sec} 秒"), &format!("{sec} s")).to_owned(),
        (m, sec) => ctx.lang.pick(&format!("{m} 分 {sec} 秒"), &format!("{m} min {sec} s")).to_owned(),
    }
}

/// A town's name as the snapshot knows it, else its code.
fn town_name(snap: &Snapshot, code: &str) -> String {
    snap.town(code).map(|t| t.name.clone()).filter(|n| !n.is_empty()).unwrap_or_else(|| code.to_owned())
}

/// 空巢老人安全守护: for the district (with a row per town) or one town, the elders guarded, the
/// devices online, this month's alarms by kind, the share closed within 10 minutes and the share
/// of life-safety alarms with someone on scene within 10 minutes, the median time to scene, and
/// coverage — from the guardian's measures (`server::areas::guardian::figures`).
fn guardian_section(ctx: &Ctx, snap: &Snapshot, town: Option<&str>) -> Markup {
    let pick = |zh: &'static str, en: &'static str| ctx.lang.pick(zh, en).to_owned();
    let title = pick("空巢老人安全守护", "Elderly safety guardian");
    let Some(g) = &snap.guardian else {
        return html! {
            section aria-labelledby="h-guardian" {
                h2 #h-guardian { (title) }
                p.muted { (pick("暂时无法读取安全守护数据。", "The guardian's figures cannot be read at present.")) }
            }
        };
    };
    let empty = server::areas::guardian::figures::TownFigures::default();
    let f = match town {
        Some(code) => g.towns.iter().find(|t| t.town == code).unwrap_or(&empty),
        None => &g.district,
    };
    let m = f.month.as_ref();
    let n = |x: Option<u32>| x.unwrap_or(0);
    let kinds: Vec<Bar> = m
        .map(|m| m.by_kind.iter().filter(|(_, n)| **n > 0).map(|(k, n)| Bar { label: ctx.t(&format!("gd-kind-{}", k.code())), value: f64::from(*n), text: n.to_string() }).collect())
        .unwrap_or_default();
    let kinds_title = ctx.lang.pick(&format!("本月（{}）各类报警", g.month), &format!("Alarms this month ({}) by kind", g.month)).to_owned();
    let coverage: Vec<Bar> = g
        .towns
        .iter()
        .filter_map(|t| {
            let c = t.month.as_ref()?.coverage?;
            Some(Bar { label: town_name(snap, &t.town), value: c * 100.0, text: pct(Some(c)) })
        })
        .collect();
    let steps_title = ctx.lang.pick(&format!("本月（{}）处置各环节用时（中位数，自报警起）", g.month), &format!("Median time from the alarm to each step this month ({})", g.month)).to_owned();
    let steps: Vec<Bar> = [
        (pick("确认", "acknowledged"), m.map(|m| m.to_acknowledge)),
        (pick("派单", "dispatched"), m.map(|m| m.to_dispatch)),
        (pick("到场", "on scene"), m.map(|m| m.to_scene)),
        (pick("办结", "closed"), m.map(|m| m.to_close)),
    ]
    .into_iter()
    .map(|(label, d)| {
        let median = d.and_then(|d| d.median_s);
        Bar { label, value: median.unwrap_or(0.0), text: minutes_seconds(ctx, median) }
    })
    .collect();
    let coverage_title = pick("各镇街守护覆盖率", "Coverage by town");
    let desc = |bars: &[Bar]| bars.iter().map(|b| format!("{}: {}", b.label, b.text)).collect::<Vec<_>>().join(", ");
    let by_kind_text = |m: Option<&server::areas::guardian::figures::TownMonth>| -> String {
        m.map(|m| m.by_kind.iter().filter(|(_, n)| **n > 0).map(|(k, n)| format!("{} {n}", ctx.t(&format!("gd-kind-{}", k.code())))).collect::<Vec<_>>().join(ctx.lang.pick("、", ", ")))
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "—".to_owned())
    };
    html! {
        section aria-labelledby="h-guardian" {
            h2 #h-guardian { (title) }
            p.lead { (ctx.lang.pick(
                &format!("本月（{}）：报警由监护中心确认、派单，响应人 10 分钟内到场处置（闭环）。", g.month),
                &format!("This month ({}): every alarm acknowledged and dispatched by the monitoring centre, someone on scene within 10 minutes (the closed loop).", g.month),
            )) }
            ul.figures {
                li { span.num { (f.guarded) } span.lbl { (pick("守护中的老人", "elders under guard")) } }
                li { span.num { (pct(f.online_share)) } span.lbl { (pick("设备在线率", "devices online")) }
                    span.def { (ctx.lang.pick(&format!("在线 {} 台 / 共 {} 台（在各类设备的离线时限内上报过）", f.devices_online, f.devices), &format!("{} of {} devices heard within their kind's offline limit", f.devices_online, f.devices))) } }
                li { span.num { (n(m.map(|m| m.alarms))) } span.lbl { (pick("本月报警", "alarms this month")) }
                    span.def { (ctx.lang.pick(&format!("其中设备类 {} 起，尚未办结 {} 起", n(m.map(|m| m.technical)), n(m.map(|m| m.open))), &format!("{} about devices, {} still open", n(m.map(|m| m.technical)), n(m.map(|m| m.open))))) } }
                li { span.num { (pct(m.and_then(|m| m.closed_10min_share))) } span.lbl { (pick("10 分钟内闭环率", "closed within 10 minutes")) }
                    span.def { (ctx.lang.pick(&format!("10 分钟内办结的为人报警 {} 起 ÷ 为人报警（不计未满 10 分钟仍在处理的）", n(m.map(|m| m.closed_10min))), &format!("{} alarms for people closed within 10 minutes ÷ alarms for people (but those open and younger than 10 minutes)", n(m.map(|m| m.closed_10min))))) } }
                li { span.num { (pct(m.and_then(|m| m.on_scene_10min_share))) } span.lbl { (pick("10 分钟内到场率", "on scene within 10 minutes")) }
                    span.def { (ctx.lang.pick(&format!("需到场的人身安全报警 {} 起中 {} 起", n(m.map(|m| m.life_safety)), n(m.map(|m| m.life_safety_on_scene_10min))), &format!("{} of {} life-safety alarms that needed someone on scene", n(m.map(|m| m.life_safety_on_scene_10min)), n(m.map(|m| m.life_safety))))) } }
                li { span.num { (minutes_seconds(ctx, m.and_then(|m| m.to_scene.median_s))) } span.lbl { (pick("响应时间中位数", "median response time")) }
                    span.def { (ctx.lang.pick(&format!("从报警到响应人到场，{} 起", n(m.map(|m| m.to_scene.n))), &format!("from the alarm to a responder on scene, {} alarms", n(m.map(|m| m.to_scene.n))))) } }
                li { span.num { (pct(m.and_then(|m| m.coverage))) } span.lbl { (pick("守护覆盖率", "coverage")) }
                    span.def { (ctx.lang.pick(&format!("符合条件的老人 {} 人中已守护 {} 人", n(m.and_then(|m| m.qualifying)), n(m.and_then(|m| m.guarded))), &format!("{} of {} qualifying elders guarded", n(m.and_then(|m| m.guarded)), n(m.and_then(|m| m.qualifying))))) } }
            }
            div.charts {
                figure.chart {
                    figcaption { (kinds_title) }
                    @if kinds.is_empty() { p.muted { (pick("本月尚无报警。", "No alarms this month.")) } }
                    @else { (charts::hbars("ck-guardian-kinds", &kinds_title, &desc(&kinds), &kinds, None, None)) }
                }
                figure.chart {
                    figcaption { (steps_title) }
                    (charts::hbars("ck-guardian-steps", &steps_title, &desc(&steps), &steps, None, None))
                }
                @if town.is_none() {
                    figure.chart {
                        figcaption { (coverage_title) }
                        @if coverage.is_empty() { p.muted { (pick("尚无符合条件的老人。", "No qualifying elders yet.")) } }
                        @else { (charts::hbars("ck-guardian-coverage", &coverage_title, &desc(&coverage), &coverage, Some(100.0), Some("#00703c"))) }
                    }
                }
            }
            @if town.is_none() && !g.towns.is_empty() {
                div.table-wrap { table {
                    caption { (pick("各镇街安全守护", "The guardian by town")) }
                    thead { tr {
                        th scope="col" { (pick("镇街", "Town")) }
                        th.num scope="col" { (pick("守护老人", "Guarded")) }
                        th.num scope="col" { (pick("设备在线率", "Devices online")) }
                        th.num scope="col" { (pick("本月报警", "Alarms")) }
                        th scope="col" { (pick("各类报警", "By kind")) }
                        th.num scope="col" { (pick("10 分钟内闭环率", "Closed in 10 min")) }
                        th.num scope="col" { (pick("响应时间中位数", "Median response")) }
                        th.num scope="col" { (pick("覆盖率", "Coverage")) }
                    } }
                    tbody {
                        @for t in &g.towns {
                            @let tm = t.month.as_ref();
                            tr {
                                th scope="row" { a href={ "/cockpit?town=" (t.town) } { (town_name(snap, &t.town)) } }
                                td.num { (t.guarded) }
                                td.num { (pct(t.online_share)) }
                                td.num { (n(tm.map(|m| m.alarms))) }
                                td { (by_kind_text(tm)) }
                                td.num { (pct(tm.and_then(|m| m.closed_10min_share))) }
                                td.num { (minutes_seconds(ctx, tm.and_then(|m| m.to_scene.median_s))) }
                                td.num { (pct(tm.and_then(|m| m.coverage))) }
                            }
                        }
                    }
                } }
            }
        }
    }
}

async fn circles_map(ctx: &Ctx, web: &Web) -> Markup {
    if ctx.user.is_none() {
        return html! {};
    }
    // The page's own guard has let only supervisors and administrators in.
    let latest = server::areas::circles::cases::latest_view(&web.state);
    html! {
        section aria-labelledby="h-circles" {
            h2 #h-circles { (ctx.t("ck-circles")) }
            @match latest {
                Ok(v) => {
                    p { (ctx.ta("ck-circles-when", crate::args![("when", v.finished_at.map(time).unwrap_or_default())])) }
                    // The shipped sample city is never shown as the district (issue 37).
                    @if v.inputs.sample {
                        p.warning role="note" { strong { (ctx.lang.pick(server::areas::circles::samples::CITY.0, server::areas::circles::samples::CITY.1)) } " " (ctx.t("ck-circles-sample")) }
                    }
                    img.map-img src={ "/api/circles/analyses/" (v.id) "/map.svg" } alt=(ctx.t(if v.inputs.sample { "ck-circles-alt-sample" } else { "ck-circles-alt" })) loading="lazy";
                    p { a href={ "/api/circles/analyses/" (v.id) "/areas.csv" } { (ctx.t("ck-circles-csv")) } }
                }
                Err(_) => {
                    div.placeholder { p { (ctx.t(if server::areas::circles::cases::configured_sample(&web.state) { "ck-circles-none-sample" } else { "ck-circles-none" })) } }
                }
            }
        }
    }
}

/// `/cockpit?town=…`: administrators and supervisors.
pub async fn show(State(web): State<Web>, ctx: Ctx, Query(q): Query<CockpitQuery>) -> Response {
    let r = async {
        let p = ctx.require()?;
        p.require_any(&[Role::Admin, Role::Supervisor])?;
        let snap = web.cockpit.get(&web.state).await?;
        let town = q.town.as_deref().filter(|t| !t.is_empty());
        let area = match town {
            Some(t) => snap.town(t).ok_or_else(|| Failure::not_found("没有这个镇街", "No such town"))?,
            None => &snap.district,
        };
        let place = match town {
            Some(_) => area.name.clone(),
            None => ctx.t("ck-district"),
        };
        let title = ctx.ta("ck-title", crate::args![("place", place.clone())]);
        let map = if town.is_none() { circles_map(&ctx, &web).await } else { html! {} };
        // Places' figures are not in the snapshot: they are read once per snapshot (so as fresh
        // as the rest of the page), and a failure leaves the section saying so.
        let places = places_figures(&web, &snap).await;
        let (places_cc, places_h) = (&places.0, &places.1);
        // The service halls' figures are today's, live (`server::areas::halls::cases::district_figures`).
        let halls = if town.is_none() { super::queue::cockpit_section(&ctx, &web, p).await } else { html! {} };
        // One-click borrowing's figures of the last 30 days, live (`server::areas::library::cases::figures`).
        let library = if town.is_none() { super::library::cockpit_section(&ctx, &web, p).await } else { html! {} };
        // Parking guidance's figures are today's, live (`server::areas::parking::cases::figures`).
        let parking = if town.is_none() { super::parking::cockpit_section(&ctx, &web, p).await } else { html! {} };
        let body = html! {
            h1 { (title) }
            p.muted { (ctx.ta("ck-as-of", crate::args![("time", time(snap.at)), ("ms", u64::try_from(snap.took.as_millis()).unwrap_or(u64::MAX))])) }
            form.actions method="get" action="/cockpit" {
                div.field {
                    label for="f-town" { (ctx.t("ck-choose-town")) }
                    select #f-town.input name="town" {
                        option value="" { (ctx.t("ck-district")) }
                        @for t in snap.towns.iter().filter(|t| !t.code.is_empty()) {
                            option value=(t.code) selected[town == Some(t.code.as_str())] { (if t.name.is_empty() { t.code.clone() } else { t.name.clone() }) }
                        }
                    }
                }
                button.button.button-secondary type="submit" { (ctx.t("ck-show")) }
            }
            (kpis(&ctx, area))
            (charts(&ctx, &web, &snap, area))
            @if town.is_none() { (towns_table(&ctx, &snap)) }
            (map)
            @if town.is_none() { (pool_section(&ctx, &web, &snap)) }
            @if town.is_none() { (medins_section(&ctx, &web, &snap)) }
            @if town.is_none() { (welfare_section(&ctx, &snap)) }
            (guardian_section(&ctx, &snap, town))
            (governance_section(&ctx, &snap, town))
            (places_section(&ctx, places_cc.as_ref(), places_h.as_ref(), town))
            (halls)
            (library)
            (parking)
        };
        Ok::<_, Failure>(page(&ctx, &title, body))
    }
    .await;
    finish(&ctx, r)
}
