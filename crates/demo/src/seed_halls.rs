//! The demo's service halls (issue 36): Fuyang's "1+2+22+N" network registered by the demo
//! administrator through the use case — the district centre (富阳区政务服务中心: 30 windows over
//! every line of the rules, service through lunch, Saturday and Sunday mornings, self-service
//! terminals), the two central towns' centres (新登镇, 场口镇), a centre for each of the other 22
//! towns and streets, and village stations (便民服务站) in a sample of villages — and a day of
//! tickets at the district centre written with the engine's own transitions at their past times:
//! most served with realistic service times, some waiting, a few no-shows, appointments checked
//! in, ratings. The day is today's opening up to now when the centre has opened today; before it
//! opens (or on a day it does not open) it is the last opening day, whole, so the cockpit always
//! has a day to show ([`history_day`] says which). The demo resident books a slot later today or
//! on the next opening day through the use case.

use std::collections::BTreeMap;

use chrono::DateTime;
use chrono::Datelike;
use chrono::Days;
use chrono::Duration;
use chrono::NaiveDate;
use chrono::NaiveDateTime;
use chrono::NaiveTime;
use chrono::Utc;
use domain::china_date;
use halls::hall::Hall;
use halls::hall::HallId;
use halls::hall::TicketId;
use halls::hall::local;
use halls::hall::utc;
use halls::ticket::PersonFacts;
use halls::ticket::Source;
use halls::ticket::Ticket;
use rand::Rng;
use rand::SeedableRng;
use rand::rngs::StdRng;
use server::ServerError;
use server::areas::halls::cases;
use server::areas::halls::cases::StoredTicket;
use server::areas::halls::views::BookBody;
use server::areas::halls::views::HallBody;
use server::areas::halls::views::SessionBody;
use server::areas::halls::views::SlotQuery;
use server::areas::halls::views::TerminalBody;
use server::areas::halls::views::WindowBody;
use server::failure::Failure;
use server::state::AppState;
use store::DocChange;
use store::DocFilter;
use store::DocSave;

use crate::seed::DemoLogin;

const STAGE: &str = "政务服务大厅 halls";

/// The district centre's name.
pub const DISTRICT_CENTRE: &str = "富阳区政务服务中心";

/// The central towns (中心镇): 新登镇 and 场口镇.
pub const CENTRAL_TOWNS: [&str; 2] = ["330111115", "330111110"];

/// Village stations (便民服务站) in the sample of villages.
pub const VILLAGE_STATIONS: usize = 30;

/// The district centre's windows: (line, how many, the windows' name).
const CENTRE_WINDOWS: &[(&str, u32, &str)] = &[
    ("social_insurance", 5, "社保医保窗口"),
    ("real_estate", 5, "不动产登记窗口"),
    ("public_security", 4, "公安户政出入境窗口"),
    ("business", 4, "企业开办窗口"),
    ("tax", 3, "税务窗口"),
    ("civil_affairs", 3, "民政残联卫健窗口"),
    ("housing_fund", 2, "住房公积金窗口"),
    ("general", 4, "综合受理窗口"),
];

/// How the day's walk-ins spread over the lines (weights).
const LINE_WEIGHTS: &[(&str, u32)] = &[
    ("social_insurance", 22),
    ("real_estate", 13),
    ("public_security", 16),
    ("business", 10),
    ("tax", 10),
    ("civil_affairs", 10),
    ("housing_fund", 8),
    ("general", 11),
];

const ROADS: &[&str] = &["新桥路", "文化路", "中心街", "人民路", "府前路", "迎宾路", "富春路", "健康路", "兴隆街", "振兴路"];

fn failed(what: &str) -> impl Fn(Failure) -> ServerError + '_ {
    move |f| {
        let (code, _, en, field) = f.parts();
        ServerError::Seed(format!("halls, {what}: {code}: {en}{}", field.map(|x| format!(" ({x})")).unwrap_or_default()))
    }
}

fn engine(what: &str) -> impl Fn(halls::HallError) -> ServerError + '_ {
    move |e| ServerError::Seed(format!("halls, {what}: {e}"))
}

fn session(weekdays: &[u8], opens: &str, closes: &str) -> SessionBody {
    SessionBody { weekdays: weekdays.to_vec(), opens: opens.to_owned(), closes: closes.to_owned() }
}

fn window(no: u32, name: String, lines: &[&str]) -> WindowBody {
    WindowBody { no, name, lines: lines.iter().map(|l| (*l).to_owned()).collect(), open: true, staff: None }
}

/// A stable small number from a text (FNV-1a), for spreading places.
fn hash(s: &str, salt: u64) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325 ^ salt, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// A point about `km` kilometres from a town's centre, in a direction taken from `key`.
fn near(town: &str, key: &str, km: f64) -> (f64, f64) {
    let (lat, lon) = crate::seed_places::town_centre(town);
    let h = hash(key, 36);
    let angle = (h % 360) as f64 * std::f64::consts::PI / 180.0;
    let r = km * (0.6 + ((h / 360) % 40) as f64 / 100.0);
    let dlat = r * angle.sin() / 111.0;
    let dlon = r * angle.cos() / (111.0 * 0.866);
    (((lat + dlat) * 1e6).round() / 1e6, ((lon + dlon) * 1e6).round() / 1e6)
}

/// The halls of the network, as the administrator registers them.
fn network(towns: &[(String, String)], villages: &[(String, String, String)]) -> Vec<HallBody> {
    let weekdays = [1, 2, 3, 4, 5];
    let mut out = Vec::new();
    // 1: the district centre, serving through lunch and on weekend mornings.
    let mut windows = Vec::new();
    let mut no = 1;
    for (line, n, name) in CENTRE_WINDOWS {
        for k in 1..=*n {
            windows.push(window(no, format!("{name}{k}"), &[line]));
            no += 1;
        }
    }
    let (lat, lon) = crate::seed_places::town_centre("330111001");
    out.push(HallBody {
        id: None,
        name: DISTRICT_CENTRE.into(),
        level: "district".into(),
        town: "330111001".into(),
        address: "杭州市富阳区富春街道金桥北路1号 富阳区市民中心".into(),
        lat,
        lon,
        status: None,
        sessions: vec![session(&weekdays, "08:30", "17:00"), session(&[6, 7], "09:00", "12:00")],
        windows,
        terminals: vec![
            TerminalBody { no: 1, name: "社保医保自助一体机".into(), items: Vec::new() },
            TerminalBody { no: 2, name: "不动产登记自助查询机".into(), items: vec!["zgj-housing-status".into()] },
            TerminalBody { no: 3, name: "公安户政自助服务机".into(), items: Vec::new() },
            TerminalBody { no: 4, name: "24小时自助服务区综合终端".into(), items: vec!["rsj-employment-cert".into()] },
        ],
    });
    // 2 + 22: a centre for every town and street, the central towns' larger.
    for (k, (code, name)) in towns.iter().enumerate() {
        let central = CENTRAL_TOWNS.contains(&code.as_str());
        let (lat, lon) = near(code, name, 0.3);
        let road = ROADS[k % ROADS.len()];
        let windows = if central {
            vec![
                window(1, "社保医保窗口".into(), &["social_insurance"]),
                window(2, "社保医保窗口".into(), &["social_insurance"]),
                window(3, "不动产登记窗口".into(), &["real_estate"]),
                window(4, "户政窗口".into(), &["public_security"]),
                window(5, "企业开办与税务窗口".into(), &["business", "tax"]),
                window(6, "民政残联窗口".into(), &["civil_affairs"]),
                window(7, "综合受理窗口".into(), &["general"]),
                window(8, "综合受理窗口".into(), &["general", "housing_fund"]),
            ]
        } else {
            vec![
                window(1, "综合受理窗口".into(), &["general", "civil_affairs"]),
                window(2, "社保医保窗口".into(), &["social_insurance"]),
                window(3, "综合受理窗口".into(), &["general", "public_security"]),
            ]
        };
        let mut sessions = vec![session(&weekdays, "08:30", "12:00"), session(&weekdays, "13:30", "17:00")];
        if central {
            sessions.push(session(&[6], "09:00", "12:00"));
        }
        out.push(HallBody {
            id: None,
            name: format!("{name}便民服务中心"),
            level: if central { "central_town" } else { "town" }.into(),
            town: code.clone(),
            address: format!("杭州市富阳区{name}{road}{}号", 8 + hash(code, 1) % 180),
            lat,
            lon,
            status: None,
            sessions,
            windows,
            terminals: if central { vec![TerminalBody { no: 1, name: "政务服务自助一体机".into(), items: Vec::new() }] } else { Vec::new() },
        });
    }
    // N: village stations, one or two windows of the general line, weekday hours.
    for (code, town, name) in villages {
        let town_name = towns.iter().find(|t| &t.0 == town).map_or("", |t| t.1.as_str());
        let (lat, lon) = near(town, code, 2.5);
        let two = hash(code, 2).is_multiple_of(3);
        let mut windows = vec![window(1, "代办窗口".into(), &["general"])];
        if two {
            windows.push(window(2, "代办窗口".into(), &["general"]));
        }
        out.push(HallBody {
            id: None,
            name: format!("{name}便民服务站"),
            level: "village".into(),
            town: town.clone(),
            address: format!("杭州市富阳区{town_name}{name}村（居）委会一楼"),
            lat,
            lon,
            status: None,
            sessions: vec![session(&weekdays, "09:00", "11:30"), session(&weekdays, "14:00", "16:30")],
            windows,
            terminals: Vec::new(),
        });
    }
    out
}

/// The day of tickets the demo gives the district centre, with its first opening and where the
/// history ends (local times): today from opening to now when the centre opened today at least
/// twenty minutes ago, else the last day it opened, whole.
pub fn history_day(hall: &Hall, now: DateTime<Utc>) -> Option<(NaiveDate, NaiveDateTime, NaiveDateTime)> {
    let at = local(now);
    for back in 0..8u64 {
        let Some(day) = at.date().checked_sub_days(Days::new(back)) else { continue };
        let wd = u8::try_from(day.weekday().number_from_monday()).unwrap_or(1);
        let on: Vec<_> = hall.sessions.iter().filter(|s| s.on(wd)).collect();
        let (Some(opens), Some(closes)) = (on.iter().map(|s| s.opens).min(), on.iter().map(|s| s.closes).max()) else { continue };
        let (first, last) = (day.and_time(opens), day.and_time(closes));
        if back == 0 {
            if at < first + Duration::minutes(20) {
                continue;
            }
            return Some((day, first, at.min(last)));
        }
        return Some((day, first, last));
    }
    None
}

/// A log-normal factor of mean about 1 (σ = 0.45).
fn spread(rng: &mut StdRng) -> f64 {
    let u1: f64 = rng.random_range(1e-9..1.0);
    let u2: f64 = rng.random_range(0.0..1.0);
    let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
    (0.45 * z - 0.1).exp()
}

fn pick_line(rng: &mut StdRng) -> &'static str {
    let total: u32 = LINE_WEIGHTS.iter().map(|l| l.1).sum();
    let mut r = rng.random_range(0..total);
    for (line, w) in LINE_WEIGHTS {
        if r < *w {
            return line;
        }
        r -= w;
    }
    "general"
}

/// One arrival of the day: when (local), the line, and the holder of an appointment.
struct Arrival {
    at: NaiveDateTime,
    line: &'static str,
    appointment: Option<(i64, NaiveDateTime)>,
    elder: bool,
}

/// The district centre's day: tickets through the engine's transitions at their times, written
/// as the live server keeps them. Returns how many.
async fn day_of_tickets(state: &AppState, hall: &Hall, seed: u64, holders: &[i64]) -> Result<usize, ServerError> {
    let now = state.now();
    let at = local(now);
    let Some((day, first, end)) = history_day(hall, now) else { return Ok(0) };
    let mut rng = StdRng::seed_from_u64(seed ^ 0x4A11_5EED ^ u64::from(day.ordinal()));
    let span = (end - first).num_minutes().max(1);
    let n = ((span as f64 / 60.0) * 40.0).clamp(40.0, 340.0) as usize;
    let mut arrivals = Vec::with_capacity(n + 16);
    let mut slots: BTreeMap<(&str, NaiveDateTime), u32> = BTreeMap::new();
    let slot_minutes = i64::from(cases::rules().appointments.slot_minutes);
    for k in 0..n {
        // A morning peak around 09:30 over an even spread.
        let minute = if rng.random_range(0..10) < 4 {
            let peak = (day.and_time(NaiveTime::from_hms_opt(9, 30, 0).unwrap_or(NaiveTime::MIN)) - first).num_minutes();
            (peak + rng.random_range(-45..45)).clamp(0, span - 1)
        } else {
            rng.random_range(0..span)
        };
        let t = first + Duration::minutes(minute) + Duration::seconds(rng.random_range(0..60));
        if !hall.is_open_at(t) {
            continue;
        }
        let line = pick_line(&mut rng);
        // About one in twelve booked a slot the day before and checks in on time.
        let mut appointment = None;
        if !holders.is_empty() && k % 12 == 5 {
            let grid = (t - day.and_time(NaiveTime::MIN)).num_minutes() / slot_minutes * slot_minutes;
            let slot = day.and_time(NaiveTime::MIN) + Duration::minutes(grid);
            let windows = CENTRE_WINDOWS.iter().find(|w| w.0 == line).map_or(1, |w| w.1);
            let taken = slots.entry((line, slot)).or_insert(0);
            if slot >= first && hall.is_open_at(slot + Duration::minutes(slot_minutes - 1)) && *taken < windows * cases::rules().appointments.per_window_per_slot {
                *taken += 1;
                appointment = Some((holders[k / 12 % holders.len()], slot));
            }
        }
        let t = appointment.map_or(t, |(_, slot)| slot - Duration::minutes(rng.random_range(2..25)));
        arrivals.push(Arrival { at: t.max(first), line, appointment, elder: rng.random_range(0..100) < 6 });
    }
    // When the centre is open now, a rush in the last quarter of an hour leaves some waiting.
    if end == at {
        for _ in 0..16 {
            let t = at - Duration::seconds(rng.random_range(30..900));
            let line = if rng.random_range(0..2) == 0 { "social_insurance" } else { "real_estate" };
            if hall.is_open_at(t) {
                arrivals.push(Arrival { at: t, line, appointment: None, elder: false });
            }
        }
    }
    arrivals.sort_by_key(|a| a.at);

    // The windows of each line, free from opening.
    let mut free: BTreeMap<&str, Vec<(u32, NaiveDateTime)>> = BTreeMap::new();
    for w in &hall.windows {
        if let Some(l) = w.lines.first()
            && let Some((code, _)) = LINE_WEIGHTS.iter().find(|x| x.0 == l)
        {
            free.entry(code).or_default().push((w.no, first));
        }
    }
    let mut seqs: BTreeMap<&str, u32> = BTreeMap::new();
    let mut docs = Vec::with_capacity(arrivals.len());
    let mut written = 0;
    for a in &arrivals {
        let seq = {
            let s = seqs.entry(a.line).or_insert(0);
            *s += 1;
            *s
        };
        let id = TicketId(state.parts.ids.next());
        let facts = PersonFacts { age: a.elder.then_some(74), disabled: false };
        let mut t = match a.appointment {
            Some((holder, slot)) => {
                let booked_at = utc(slot - Duration::hours(20));
                let mut t = Ticket::book(cases::rules(), hall, id, a.line, holder, slot, 0, booked_at).map_err(engine("booking"))?;
                t.check_in(cases::rules(), hall, seq, &facts, utc(a.at)).map_err(engine("check-in"))?;
                t
            }
            None => Ticket::walk_in(cases::rules(), hall, id, a.line, seq, None, &facts, Source::Kiosk, utc(a.at)).map_err(engine("ticket"))?,
        };
        let mut last = a.at;
        // The window free first calls it, when both it and the ticket are ready.
        let queued = t.queued_at.map_or(a.at, local);
        if let Some(ws) = free.get_mut(a.line)
            && let Some(w) = ws.iter_mut().min_by_key(|w| w.1)
        {
            let call = queued.max(a.at).max(w.1) + Duration::seconds(rng.random_range(5..40));
            if call < at {
                t.call(hall, w.0, utc(call)).map_err(engine("call"))?;
                last = call;
                w.1 = call;
                if rng.random_range(0..100) < 4 {
                    // Not there: called again, then marked no-show.
                    let gone = call + Duration::minutes(3);
                    if gone < at {
                        t.recall(cases::rules(), utc(call + Duration::minutes(1))).map_err(engine("recall"))?;
                        t.no_show(utc(gone)).map_err(engine("no-show"))?;
                        last = gone;
                    }
                    w.1 = gone;
                } else {
                    let start = call + Duration::seconds(rng.random_range(30..120));
                    let mean = cases::rules().line(a.line).map_or(10.0, |l| l.service_minutes);
                    let done = start + Duration::seconds((mean * 60.0 * spread(&mut rng)).clamp(90.0, 3600.0) as i64);
                    w.1 = done;
                    if start < at {
                        t.start(utc(start)).map_err(engine("start"))?;
                        last = start;
                        if done < at {
                            t.finish(None, utc(done)).map_err(engine("finish"))?;
                            last = done;
                            let rated = done + Duration::minutes(1);
                            if rng.random_range(0..100) < 55 && rated < at {
                                let score = match rng.random_range(0..100) {
                                    0..70 => 5,
                                    70..92 => 4,
                                    92..98 => 3,
                                    _ => 2,
                                };
                                t.rate(score, utc(rated)).map_err(engine("rating"))?;
                                last = rated;
                            }
                        }
                    }
                }
            }
        }
        let stored = StoredTicket { ticket: t, token: format!("{:016x}{:016x}", rng.random::<u64>(), rng.random::<u64>()) };
        docs.push(cases::ticket_doc(&stored, &hall.town, None, utc(last)).map_err(failed("ticket document"))?);
        if docs.len() == 200 {
            written += write(state, std::mem::take(&mut docs), now).await?;
        }
    }
    written += write(state, docs, now).await?;
    Ok(written)
}

async fn write(state: &AppState, docs: Vec<store::Doc>, now: DateTime<Utc>) -> Result<usize, ServerError> {
    let n = docs.len();
    if n == 0 {
        return Ok(0);
    }
    match state.store.halls().save(&DocChange { docs, ..Default::default() }, now).await? {
        DocSave::Saved => Ok(n),
        other => Err(ServerError::Seed(format!("halls: the day's tickets were not saved: {other:?}"))),
    }
}

/// Registers the network and the district centre's day unless the district has halls already;
/// books the demo resident's appointment. The log-ins worth printing.
pub async fn seed_halls(state: &AppState, seed: u64, progress: &mut (dyn FnMut(&str, u64, u64) + Send)) -> Result<Vec<DemoLogin>, ServerError> {
    if !state.store.halls().all("hall", &DocFilter::default()).await?.is_empty() {
        return Ok(Vec::new());
    }
    let admin = crate::seed::principal(state, "admin", "halls").await?;
    let divisions = crate::fuyang_divisions();
    let towns: Vec<(String, String)> = divisions.iter().filter(|d| d.level == "town").map(|d| (d.code.clone(), d.name.clone())).collect();
    let all_villages: Vec<(String, String, String)> = divisions
        .iter()
        .filter(|d| d.level == "village")
        .filter_map(|d| d.parent.clone().map(|p| (d.code.clone(), p, d.name.clone())))
        .collect();
    let villages: Vec<(String, String, String)> = (0..VILLAGE_STATIONS.min(all_villages.len())).map(|k| all_villages[k * all_villages.len() / VILLAGE_STATIONS].clone()).collect();
    let bodies = network(&towns, &villages);
    let total = bodies.len() as u64 + 1;
    let mut centre = None;
    for (k, body) in bodies.into_iter().enumerate() {
        let name = body.name.clone();
        let v = cases::save_hall(state, &admin, body).await.map_err(failed("registering a hall"))?;
        if name == DISTRICT_CENTRE {
            centre = Some(v.id);
        }
        progress(STAGE, k as u64 + 1, total);
    }
    let centre = centre.ok_or_else(|| ServerError::Seed("halls: the district centre was not registered".into()))?;
    let hall = cases::load_hall(state, &centre).await.map_err(failed("the district centre"))?.hall;

    // The day's appointments are booked by residents of the register (not the demo resident).
    let today = china_date(state.now());
    let demo = state.store.registers().demo_citizen(today).await?;
    let mut holders = Vec::new();
    for login in state.store.registers().bench_citizens(40).await? {
        if demo.as_ref().is_some_and(|d| d.0 == login) {
            continue;
        }
        holders.push(crate::seed::principal(state, &login, "halls").await?.id().0);
    }
    let n = day_of_tickets(state, &hall, seed, &holders).await?;
    tracing::info!(tickets = n, "halls: the district centre's day of tickets");
    progress(STAGE, total, total);

    // The demo resident's appointment: the first slot of the general line at least 45 minutes ahead.
    let mut out = Vec::new();
    if let Some((login, name)) = demo {
        let p = crate::seed::principal(state, &login, "halls").await?;
        let soon = local(state.now()) + Duration::minutes(45);
        'days: for d in 0..=cases::rules().appointments.days_ahead {
            let day = soon.date() + Days::new(u64::from(d));
            let slots = cases::slots(state, &centre, SlotQuery { line: "general".into(), day: Some(day.to_string()) }).await.map_err(failed("slots"))?;
            for s in slots.into_iter().filter(|s| s.bookable) {
                let Ok(start) = NaiveDateTime::parse_from_str(&s.start, "%Y-%m-%dT%H:%M") else { continue };
                if start < soon {
                    continue;
                }
                let t = cases::book(state, &p, &centre, BookBody { line: "general".into(), slot: s.start.clone() }).await.map_err(failed("the demo appointment"))?;
                out.push(DemoLogin { login: login.clone(), who: format!("居民 {name}（已预约{DISTRICT_CENTRE} {} 综合受理，可签到取号）resident with an appointment", t.slot.unwrap_or_default().replace('T', " ")) });
                break 'days;
            }
        }
    }
    Ok(out)
}

/// The id of the district centre, once registered.
pub async fn district_centre(state: &AppState) -> Result<Option<HallId>, ServerError> {
    for d in state.store.halls().all("hall", &DocFilter::default()).await? {
        let h: Hall = serde_json::from_str(&d.doc).map_err(|e| ServerError::Seed(format!("halls: {e}")))?;
        if h.name == DISTRICT_CENTRE {
            return Ok(Some(h.id));
        }
    }
    Ok(None)
}
