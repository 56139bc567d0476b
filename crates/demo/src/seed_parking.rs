//! The demo's hospital parking guidance (issue 34): six 富阳区 hospitals, each with its own car
//! park (visitor, staff, disabled and EV bays), a public garage and street bays nearby, and two or
//! three guidance signs (levels 2 and 3), registered by the parking department's clerk
//! (`zhzf_clerk`, 综合行政执法局) through the use cases; each lot's feed key is issued the same way
//! and written to `DATA_DIR/parking-feeds.csv` (mode 0600) for `minsheng parking simulate`.
//!
//! The totals follow what Hangzhou reported for its city hospitals' guidance (seed 002): 4,033
//! bays at the hospitals, 3,762 of them open to the public (the rest are staff bays), and 1,600
//! more in garages and on streets around them. The places are plausible placements in the right
//! streets and towns, not surveyed coordinates.

use std::io::Write;

use server::ServerError;
use server::areas::parking::cases;
use server::areas::parking::views::BaysView;
use server::areas::parking::views::FeesView;
use server::areas::parking::views::HospitalBody;
use server::areas::parking::views::LotBody;
use server::areas::parking::views::PointView;
use server::areas::parking::views::SignBody;
use server::areas::parking::views::SignLotBody;
use server::failure::Failure;
use server::state::AppState;

use crate::seed::DemoLogin;
use crate::seed::principal;

const STAGE: &str = "停车诱导 parking";

/// The file the feed simulator reads: `lot,user,topic,key`.
pub const FEEDS_FILE: &str = "parking-feeds.csv";

/// The department that registers hospitals, lots and signs, and its demo clerk.
pub const CLERK: &str = "zhzf_clerk";

/// A demo hospital: id, name, town, walking entrance (lat, lon).
pub struct DemoHospital {
    pub id: &'static str,
    pub name: &'static str,
    pub town: &'static str,
    pub entrance: (f64, f64),
}

/// What a lot is: the hospital's own, a public garage, or street bays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DemoKind {
    Hospital,
    Garage,
    Street,
}

impl DemoKind {
    fn code(self) -> &'static str {
        match self {
            DemoKind::Hospital => "hospital",
            DemoKind::Garage => "public_garage",
            DemoKind::Street => "street_bays",
        }
    }
}

/// A demo car park.
pub struct DemoLot {
    pub id: &'static str,
    pub name: &'static str,
    pub kind: DemoKind,
    pub structure: &'static str,
    /// The hospital it belongs to (its own lots) or stands beside.
    pub hospital: &'static str,
    pub town: &'static str,
    pub location: (f64, f64),
    pub entrance: (f64, f64),
    /// Visitor, staff, disabled, EV bays.
    pub bays: (u32, u32, u32, u32),
    pub hours: &'static str,
    /// First hour, each hour after, daily cap (0: none), free minutes; in fen.
    pub fees: (u32, u32, u32, u32),
    pub address: &'static str,
    pub operator: &'static str,
}

/// A demo guidance sign: id, name, level, hospital, where it stands, the lots it lists with arrows.
pub struct DemoSign {
    pub id: &'static str,
    pub name: &'static str,
    pub level: u8,
    pub hospital: &'static str,
    pub location: (f64, f64),
    pub lots: &'static [(&'static str, &'static str)],
}

const FUCHUN: &str = "330111001";
const DONGZHOU: &str = "330111005";
const XINDENG: &str = "330111115";
const CHANGKOU: &str = "330111110";

/// The hospitals.
pub const HOSPITALS: &[DemoHospital] = &[
    DemoHospital { id: "fy-first", name: "富阳区第一人民医院", town: FUCHUN, entrance: (30.0628, 119.9555) },
    DemoHospital { id: "fy-tcm", name: "富阳区中医院", town: FUCHUN, entrance: (30.0505, 119.9440) },
    DemoHospital { id: "fy-mch", name: "富阳区妇幼保健院", town: FUCHUN, entrance: (30.0455, 119.9610) },
    DemoHospital { id: "fy-second", name: "富阳区第二人民医院", town: XINDENG, entrance: (30.0430, 119.7390) },
    DemoHospital { id: "fy-third", name: "富阳区第三人民医院", town: CHANGKOU, entrance: (29.9810, 119.9180) },
    DemoHospital { id: "zju2-fy", name: "浙大二院富阳院区", town: DONGZHOU, entrance: (30.0765, 120.0135) },
];

const HOSPITAL_24H: &str = "24/7";
const GARAGE_HOURS: &str = "Mo-Su 06:00-23:00";
const STREET_HOURS: &str = "Mo-Su 07:00-21:00";
const HOSPITAL_FEES: (u32, u32, u32, u32) = (300, 200, 2000, 15);
const GARAGE_FEES: (u32, u32, u32, u32) = (500, 300, 3000, 15);
const STREET_FEES: (u32, u32, u32, u32) = (300, 400, 0, 30);

/// The car parks: each hospital's own (4,033 bays, 271 of them staff bays), and 1,600 bays of
/// garages and streets around them.
pub const LOTS: &[DemoLot] = &[
    // 富阳区第一人民医院 (北环路).
    DemoLot { id: "fy-first-p", name: "一院地下停车库", kind: DemoKind::Hospital, structure: "underground", hospital: "fy-first", town: FUCHUN, location: (30.0634, 119.9562), entrance: (30.0630, 119.9558), bays: (1050, 80, 20, 60), hours: HOSPITAL_24H, fees: HOSPITAL_FEES, address: "富春街道北环路 一院地下停车库", operator: "富阳区第一人民医院" },
    DemoLot { id: "fy-beihuan-garage", name: "北环路公共停车场", kind: DemoKind::Garage, structure: "surface", hospital: "fy-first", town: FUCHUN, location: (30.0652, 119.9596), entrance: (30.0648, 119.9590), bays: (260, 0, 6, 12), hours: GARAGE_HOURS, fees: GARAGE_FEES, address: "富春街道北环路", operator: "富阳区城市停车管理有限公司" },
    DemoLot { id: "fy-first-street", name: "北环路路内泊位", kind: DemoKind::Street, structure: "street", hospital: "fy-first", town: FUCHUN, location: (30.0621, 119.9528), entrance: (30.0621, 119.9528), bays: (60, 0, 2, 0), hours: STREET_HOURS, fees: STREET_FEES, address: "富春街道北环路（医院西侧）", operator: "富阳区城市停车管理有限公司" },
    // 富阳区中医院.
    DemoLot { id: "fy-tcm-p", name: "中医院停车场", kind: DemoKind::Hospital, structure: "underground", hospital: "fy-tcm", town: FUCHUN, location: (30.0510, 119.9447), entrance: (30.0507, 119.9443), bays: (560, 45, 12, 30), hours: HOSPITAL_24H, fees: HOSPITAL_FEES, address: "富春街道 中医院地下停车场", operator: "富阳区中医院" },
    DemoLot { id: "fy-fuchun-garage", name: "富春江畔公共停车楼", kind: DemoKind::Garage, structure: "multi_storey", hospital: "fy-tcm", town: FUCHUN, location: (30.0471, 119.9472), entrance: (30.0474, 119.9466), bays: (220, 0, 6, 16), hours: GARAGE_HOURS, fees: GARAGE_FEES, address: "富春街道江滨西大道", operator: "富阳区城市停车管理有限公司" },
    DemoLot { id: "fy-tcm-street", name: "中医院周边路内泊位", kind: DemoKind::Street, structure: "street", hospital: "fy-tcm", town: FUCHUN, location: (30.0499, 119.9424), entrance: (30.0499, 119.9424), bays: (50, 0, 2, 0), hours: STREET_HOURS, fees: STREET_FEES, address: "富春街道（中医院西侧）", operator: "富阳区城市停车管理有限公司" },
    // 富阳区妇幼保健院.
    DemoLot { id: "fy-mch-p", name: "妇幼保健院停车场", kind: DemoKind::Hospital, structure: "surface", hospital: "fy-mch", town: FUCHUN, location: (30.0459, 119.9616), entrance: (30.0457, 119.9613), bays: (330, 30, 8, 20), hours: HOSPITAL_24H, fees: HOSPITAL_FEES, address: "富春街道 妇幼保健院内", operator: "富阳区妇幼保健院" },
    DemoLot { id: "fy-mall-garage", name: "商业中心地下停车库", kind: DemoKind::Garage, structure: "underground", hospital: "fy-mch", town: FUCHUN, location: (30.0441, 119.9662), entrance: (30.0445, 119.9655), bays: (260, 0, 6, 20), hours: "Mo-Su 07:00-23:00", fees: GARAGE_FEES, address: "富春街道（妇幼保健院东侧）", operator: "商业中心物业" },
    DemoLot { id: "fy-mch-street", name: "妇幼保健院周边路内泊位", kind: DemoKind::Street, structure: "street", hospital: "fy-mch", town: FUCHUN, location: (30.0463, 119.9594), entrance: (30.0463, 119.9594), bays: (40, 0, 2, 0), hours: STREET_HOURS, fees: STREET_FEES, address: "富春街道（妇幼保健院西侧）", operator: "富阳区城市停车管理有限公司" },
    // 富阳区第二人民医院 (新登镇).
    DemoLot { id: "fy-second-p", name: "二院停车场", kind: DemoKind::Hospital, structure: "surface", hospital: "fy-second", town: XINDENG, location: (30.0435, 119.7396), entrance: (30.0432, 119.7393), bays: (480, 40, 10, 24), hours: HOSPITAL_24H, fees: HOSPITAL_FEES, address: "新登镇 二院停车场", operator: "富阳区第二人民医院" },
    DemoLot { id: "xindeng-garage", name: "新登镇公共停车场", kind: DemoKind::Garage, structure: "surface", hospital: "fy-second", town: XINDENG, location: (30.0456, 119.7422), entrance: (30.0452, 119.7418), bays: (150, 0, 4, 8), hours: GARAGE_HOURS, fees: GARAGE_FEES, address: "新登镇", operator: "新登镇人民政府" },
    DemoLot { id: "fy-second-street", name: "二院周边路内泊位", kind: DemoKind::Street, structure: "street", hospital: "fy-second", town: XINDENG, location: (30.0424, 119.7371), entrance: (30.0424, 119.7371), bays: (40, 0, 0, 0), hours: STREET_HOURS, fees: STREET_FEES, address: "新登镇（二院西侧）", operator: "富阳区城市停车管理有限公司" },
    // 富阳区第三人民医院 (场口镇).
    DemoLot { id: "fy-third-p", name: "三院停车场", kind: DemoKind::Hospital, structure: "surface", hospital: "fy-third", town: CHANGKOU, location: (29.9814, 119.9186), entrance: (29.9812, 119.9183), bays: (300, 30, 8, 16), hours: HOSPITAL_24H, fees: HOSPITAL_FEES, address: "场口镇 三院停车场", operator: "富阳区第三人民医院" },
    DemoLot { id: "changkou-garage", name: "场口镇公共停车场", kind: DemoKind::Garage, structure: "surface", hospital: "fy-third", town: CHANGKOU, location: (29.9835, 119.9210), entrance: (29.9831, 119.9205), bays: (120, 0, 4, 6), hours: GARAGE_HOURS, fees: GARAGE_FEES, address: "场口镇", operator: "场口镇人民政府" },
    DemoLot { id: "fy-third-street", name: "三院周边路内泊位", kind: DemoKind::Street, structure: "street", hospital: "fy-third", town: CHANGKOU, location: (29.9805, 119.9165), entrance: (29.9805, 119.9165), bays: (30, 0, 0, 0), hours: STREET_HOURS, fees: STREET_FEES, address: "场口镇（三院西侧）", operator: "富阳区城市停车管理有限公司" },
    // 浙大二院富阳院区.
    DemoLot { id: "zju2-fy-p", name: "浙大二院富阳院区地下停车库", kind: DemoKind::Hospital, structure: "underground", hospital: "zju2-fy", town: DONGZHOU, location: (30.0770, 120.0142), entrance: (30.0767, 120.0138), bays: (740, 46, 16, 78), hours: HOSPITAL_24H, fees: HOSPITAL_FEES, address: "东洲街道 浙大二院富阳院区", operator: "浙大二院富阳院区" },
    DemoLot { id: "dongzhou-garage", name: "东洲公共停车楼", kind: DemoKind::Garage, structure: "multi_storey", hospital: "zju2-fy", town: DONGZHOU, location: (30.0792, 120.0170), entrance: (30.0788, 120.0164), bays: (240, 0, 8, 24), hours: GARAGE_HOURS, fees: GARAGE_FEES, address: "东洲街道", operator: "富阳区城市停车管理有限公司" },
    DemoLot { id: "zju2-fy-street", name: "浙大二院周边路内泊位", kind: DemoKind::Street, structure: "street", hospital: "zju2-fy", town: DONGZHOU, location: (30.0758, 120.0118), entrance: (30.0758, 120.0118), bays: (30, 0, 0, 0), hours: STREET_HOURS, fees: STREET_FEES, address: "东洲街道（院区西侧）", operator: "富阳区城市停车管理有限公司" },
];

/// The guidance signs: a second-level sign on an approach road and a third-level sign at the
/// last junction for each hospital, a second approach sign for the busiest.
pub const SIGNS: &[DemoSign] = &[
    DemoSign { id: "fy-first-s2-east", name: "北环路东段二级诱导屏", level: 2, hospital: "fy-first", location: (30.0660, 119.9680), lots: &[("fy-first-p", "ahead"), ("fy-beihuan-garage", "right"), ("fy-first-street", "ahead")] },
    DemoSign { id: "fy-first-s2-south", name: "金桥北路二级诱导屏", level: 2, hospital: "fy-first", location: (30.0560, 119.9550), lots: &[("fy-first-p", "ahead"), ("fy-first-street", "left"), ("fy-beihuan-garage", "right")] },
    DemoSign { id: "fy-first-s3", name: "一院路口三级诱导屏", level: 3, hospital: "fy-first", location: (30.0640, 119.9575), lots: &[("fy-first-p", "left"), ("fy-beihuan-garage", "right")] },
    DemoSign { id: "fy-tcm-s2", name: "江滨西大道二级诱导屏", level: 2, hospital: "fy-tcm", location: (30.0460, 119.9520), lots: &[("fy-tcm-p", "ahead"), ("fy-fuchun-garage", "left"), ("fy-tcm-street", "ahead")] },
    DemoSign { id: "fy-tcm-s3", name: "中医院路口三级诱导屏", level: 3, hospital: "fy-tcm", location: (30.0495, 119.9455), lots: &[("fy-tcm-p", "right"), ("fy-tcm-street", "ahead")] },
    DemoSign { id: "fy-mch-s2", name: "桂花路二级诱导屏", level: 2, hospital: "fy-mch", location: (30.0500, 119.9660), lots: &[("fy-mch-p", "ahead"), ("fy-mall-garage", "left"), ("fy-mch-street", "right")] },
    DemoSign { id: "fy-mch-s3", name: "妇幼保健院路口三级诱导屏", level: 3, hospital: "fy-mch", location: (30.0465, 119.9625), lots: &[("fy-mch-p", "right"), ("fy-mall-garage", "ahead")] },
    DemoSign { id: "fy-second-s2", name: "新登镇二级诱导屏", level: 2, hospital: "fy-second", location: (30.0470, 119.7450), lots: &[("fy-second-p", "ahead"), ("xindeng-garage", "right"), ("fy-second-street", "left")] },
    DemoSign { id: "fy-second-s3", name: "二院路口三级诱导屏", level: 3, hospital: "fy-second", location: (30.0440, 119.7405), lots: &[("fy-second-p", "left"), ("fy-second-street", "ahead")] },
    DemoSign { id: "fy-third-s2", name: "场口镇二级诱导屏", level: 2, hospital: "fy-third", location: (29.9860, 119.9240), lots: &[("fy-third-p", "ahead"), ("changkou-garage", "right"), ("fy-third-street", "left")] },
    DemoSign { id: "fy-third-s3", name: "三院路口三级诱导屏", level: 3, hospital: "fy-third", location: (29.9820, 119.9195), lots: &[("fy-third-p", "left"), ("changkou-garage", "ahead")] },
    DemoSign { id: "zju2-fy-s2-north", name: "东洲大道北段二级诱导屏", level: 2, hospital: "zju2-fy", location: (30.0840, 120.0200), lots: &[("zju2-fy-p", "ahead"), ("dongzhou-garage", "left"), ("zju2-fy-street", "ahead")] },
    DemoSign { id: "zju2-fy-s2-west", name: "东洲大道西段二级诱导屏", level: 2, hospital: "zju2-fy", location: (30.0740, 120.0050), lots: &[("zju2-fy-p", "ahead"), ("zju2-fy-street", "right"), ("dongzhou-garage", "ahead")] },
    DemoSign { id: "zju2-fy-s3", name: "浙大二院富阳院区路口三级诱导屏", level: 3, hospital: "zju2-fy", location: (30.0775, 120.0150), lots: &[("zju2-fy-p", "right"), ("dongzhou-garage", "ahead")] },
];

/// A demo lot by id.
pub fn lot(id: &str) -> Option<&'static DemoLot> {
    LOTS.iter().find(|l| l.id == id)
}

fn failed(what: &str) -> impl Fn(Failure) -> ServerError + '_ {
    move |f| {
        let (code, _, en, field) = f.parts();
        ServerError::Seed(format!("parking, {what}: {code}: {en}{}", field.map(|x| format!(" ({x})")).unwrap_or_default()))
    }
}

fn point((lat, lon): (f64, f64)) -> PointView {
    PointView { lat, lon }
}

fn lot_body(l: &DemoLot) -> LotBody {
    let (visitor, staff, disabled, ev) = l.bays;
    let (first, after, cap, free) = l.fees;
    LotBody {
        id: l.id.into(),
        name: l.name.into(),
        kind: l.kind.code().into(),
        structure: l.structure.into(),
        hospital: (l.kind == DemoKind::Hospital).then(|| l.hospital.to_owned()),
        town: l.town.into(),
        location: point(l.location),
        entrance: point(l.entrance),
        capacity: BaysView { visitor, staff, disabled, ev },
        hours: Some(l.hours.into()),
        fees: Some(FeesView { first_hour_fen: first, per_hour_after_fen: after, daily_cap_fen: (cap > 0).then_some(cap), free_minutes: free }),
        address: Some(l.address.into()),
        operator: Some(l.operator.into()),
    }
}

/// The parking department's log-in, worth printing.
fn logins() -> Vec<DemoLogin> {
    vec![DemoLogin { login: CLERK.into(), who: "区综合行政执法局承办人（停车诱导：医院、停车场、诱导屏、接入密钥）parking department".into() }]
}

/// Registers the hospitals, lots and signs unless the district has hospitals already, issues
/// every lot's feed key and writes the keys to [`FEEDS_FILE`]. The log-ins worth printing.
pub async fn seed_parking(state: &AppState, progress: &mut (dyn FnMut(&str, u64, u64) + Send)) -> Result<Vec<DemoLogin>, ServerError> {
    if !cases::hospitals(state).await.map_err(failed("hospitals"))?.is_empty() {
        return Ok(logins());
    }
    let clerk = principal(state, CLERK, "parking").await?;
    let total = (HOSPITALS.len() + 2 * LOTS.len() + SIGNS.len()) as u64;
    let mut done = 0u64;
    for h in HOSPITALS {
        let body = HospitalBody { id: h.id.into(), name: h.name.into(), town: h.town.into(), entrance: point(h.entrance) };
        cases::save_hospital(state, &clerk, body).await.map_err(failed(h.id))?;
        done += 1;
        progress(STAGE, done, total);
    }
    for l in LOTS {
        cases::save_lot(state, &clerk, lot_body(l)).await.map_err(failed(l.id))?;
        done += 1;
        progress(STAGE, done, total);
    }
    for s in SIGNS {
        let body = SignBody {
            id: s.id.into(),
            name: s.name.into(),
            level: s.level,
            hospital: s.hospital.into(),
            location: point(s.location),
            lots: s.lots.iter().map(|(lot, arrow)| SignLotBody { lot: (*lot).into(), arrow: (*arrow).into() }).collect(),
        };
        cases::save_sign(state, &clerk, body).await.map_err(failed(s.id))?;
        done += 1;
        progress(STAGE, done, total);
    }
    let mut lines = vec!["lot,user,topic,key".to_owned()];
    for l in LOTS {
        let k = cases::issue_key(state, &clerk, l.id).await.map_err(failed(l.id))?;
        lines.push(format!("{},{},{},{}", k.lot, k.mqtt_user, k.mqtt_topic, k.key));
        done += 1;
        progress(STAGE, done, total);
    }
    let path = state.config.data_dir.join(FEEDS_FILE);
    write_private(&path, &(lines.join("\n") + "\n")).map_err(|e| ServerError::Io(path.display().to_string(), e))?;
    Ok(logins())
}

/// Writes a file only its owner may read (it holds the feeds' keys).
fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    let mut f = o.open(path)?;
    // An older file keeps its mode when truncated: make it private too.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    f.write_all(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_totals_are_those_reported_for_hospital_parking() {
        let own = LOTS.iter().filter(|l| l.kind == DemoKind::Hospital);
        let total: u32 = own.clone().map(|l| l.bays.0 + l.bays.1 + l.bays.2 + l.bays.3).sum();
        let public: u32 = own.map(|l| l.bays.0 + l.bays.2 + l.bays.3).sum();
        let outside: u32 = LOTS.iter().filter(|l| l.kind != DemoKind::Hospital).map(|l| l.bays.0 + l.bays.2 + l.bays.3).sum();
        assert_eq!((total, public), (4033, 3762));
        assert!((1500..=1700).contains(&outside), "{outside}");
    }

    #[test]
    fn every_hospital_has_its_own_lot_and_two_or_three_signs_listing_known_lots() {
        for h in HOSPITALS {
            assert!(LOTS.iter().any(|l| l.hospital == h.id && l.kind == DemoKind::Hospital), "{}", h.id);
            let signs: Vec<&DemoSign> = SIGNS.iter().filter(|s| s.hospital == h.id).collect();
            assert!((2..=3).contains(&signs.len()), "{}", h.id);
            assert!(signs.iter().any(|s| s.level == 2) && signs.iter().any(|s| s.level == 3), "{}", h.id);
        }
        for s in SIGNS {
            assert!(s.lots.iter().all(|(l, _)| lot(l).is_some()), "{}", s.id);
        }
    }
}
