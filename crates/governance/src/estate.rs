//! Estates (小区) and the people who govern them: the party branch, the owners' committee (or a
//! property-management committee, 物管会, where there is none), the property company, the stationed
//! community worker (包小专), the ten helper roles (十员) and the owners with their units' floor area.

use std::collections::BTreeMap;
use std::collections::BTreeSet;

use serde::Deserialize;
use serde::Serialize;

use crate::error::GovernanceError;

macro_rules! id {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub u64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}

id!(
    /// An estate (小区).
    EstateId
);
id!(
    /// A person acting in governance: a resident, a party's member, a worker, an official.
    ActorId
);
id!(
    /// A residents' issue (an Open311 service request).
    IssueId
);
id!(
    /// A meeting (owners' assembly, council or open consultation).
    MeetingId
);
id!(
    /// A livelihood project under supervision.
    ProjectId
);
id!(
    /// An expense application from an estate's public funds.
    ExpenseId
);
id!(
    /// A budget line of an estate's year.
    BudgetLineId
);
id!(
    /// A night-construction permit (certificate).
    PermitId
);

/// Floor area in hundredths of a square metre, so sums and the thresholds of the Civil Code are
/// exact. Parsed from square metres with up to two decimals (`"89.5"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FloorArea(pub u64);

impl FloorArea {
    /// Parses square metres (`"89"`, `"89.5"`, `"89.55"`); more than 0 and at most 100,000 m².
    pub fn parse_m2(s: &str) -> Result<FloorArea, GovernanceError> {
        let bad = || GovernanceError::invalid("floor_area", format!("「{s}」不是有效的面积（平方米，最多两位小数）"), format!("{s:?} is not an area in m² with up to two decimals"));
        let t = s.trim();
        let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
        let digits = |x: &str| x.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() || whole.len() > 6 || !digits(whole) || frac.len() > 2 || !digits(frac) || (t.contains('.') && frac.is_empty()) {
            return Err(bad());
        }
        let w: u64 = whole.parse().map_err(|_| bad())?;
        let f: u64 = if frac.is_empty() { 0 } else { frac.parse::<u64>().map_err(|_| bad())? * if frac.len() == 1 { 10 } else { 1 } };
        let a = FloorArea(w * 100 + f);
        if a.0 == 0 || a.0 > 10_000_000 {
            return Err(bad());
        }
        Ok(a)
    }

    /// Square metres, for display.
    pub fn m2(self) -> f64 {
        self.0 as f64 / 100.0
    }
}

/// The parties and offices that take residents' issues.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PartyKind {
    /// The estate's party branch (小区党支部).
    PartyBranch,
    /// The owners' committee (业委会), or the property-management committee (物管会) where there
    /// is none: whichever the estate has.
    Committee,
    /// The property company (物业服务企业).
    PropertyCompany,
    /// The community worker stationed in the estate (包小专).
    CommunityWorker,
}

impl PartyKind {
    /// Every party, in order.
    pub const ALL: [PartyKind; 4] = [PartyKind::PartyBranch, PartyKind::Committee, PartyKind::PropertyCompany, PartyKind::CommunityWorker];

    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            PartyKind::PartyBranch => "party_branch",
            PartyKind::Committee => "committee",
            PartyKind::PropertyCompany => "property_company",
            PartyKind::CommunityWorker => "community_worker",
        }
    }

    /// From its code.
    pub fn parse(code: &str) -> Option<PartyKind> {
        PartyKind::ALL.into_iter().find(|p| p.code() == code)
    }

    /// The Chinese name.
    pub fn name_zh(self) -> &'static str {
        match self {
            PartyKind::PartyBranch => "小区党支部",
            PartyKind::Committee => "业委会（物管会）",
            PartyKind::PropertyCompany => "物业服务企业",
            PartyKind::CommunityWorker => "驻点专员（包小专）",
        }
    }
}

/// The ten helper roles (十员) a street sends into its communities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HelperRole {
    /// 联络员.
    Liaison,
    /// 网格员.
    GridWorker,
    /// 调解员.
    Mediator,
    /// 律师.
    Lawyer,
    /// 民警.
    Police,
    /// 环卫.
    Sanitation,
    /// 消防.
    Fire,
    /// 行政执法.
    Enforcement,
    /// 医生.
    Doctor,
    /// 市场监管员.
    MarketRegulator,
}

impl HelperRole {
    /// The ten, in the seed's order.
    pub const ALL: [HelperRole; 10] = [
        HelperRole::Liaison,
        HelperRole::GridWorker,
        HelperRole::Mediator,
        HelperRole::Lawyer,
        HelperRole::Police,
        HelperRole::Sanitation,
        HelperRole::Fire,
        HelperRole::Enforcement,
        HelperRole::Doctor,
        HelperRole::MarketRegulator,
    ];

    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            HelperRole::Liaison => "liaison",
            HelperRole::GridWorker => "grid_worker",
            HelperRole::Mediator => "mediator",
            HelperRole::Lawyer => "lawyer",
            HelperRole::Police => "police",
            HelperRole::Sanitation => "sanitation",
            HelperRole::Fire => "fire",
            HelperRole::Enforcement => "enforcement",
            HelperRole::Doctor => "doctor",
            HelperRole::MarketRegulator => "market_regulator",
        }
    }

    /// From its code.
    pub fn parse(code: &str) -> Option<HelperRole> {
        HelperRole::ALL.into_iter().find(|h| h.code() == code)
    }

    /// The Chinese name.
    pub fn name_zh(self) -> &'static str {
        match self {
            HelperRole::Liaison => "联络员",
            HelperRole::GridWorker => "网格员",
            HelperRole::Mediator => "调解员",
            HelperRole::Lawyer => "律师",
            HelperRole::Police => "民警",
            HelperRole::Sanitation => "环卫",
            HelperRole::Fire => "消防",
            HelperRole::Enforcement => "行政执法",
            HelperRole::Doctor => "医生",
            HelperRole::MarketRegulator => "市场监管员",
        }
    }
}

/// Which committee the estate has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CommitteeKind {
    /// An elected owners' committee (业委会).
    OwnersCommittee,
    /// A property-management committee (物管会) the street set up where owners elected none: street
    /// and community cadres, enforcement, the community police and owners.
    PropertyManagementCommittee,
}

/// One party of an estate: its name and the people who act for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Party {
    /// The name (`旭辉府小区党支部`, `某某物业服务有限公司`).
    pub name: String,
    /// Who acts for it.
    pub members: Vec<ActorId>,
}

/// An owner (业主): one person (or household acting as one) with the units they own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Owner {
    /// Who the owner is.
    pub id: ActorId,
    /// The units (专有部分) the owner holds, with their floor area.
    pub units: Vec<Unit>,
}

impl Owner {
    /// The owner's total floor area.
    pub fn area(&self) -> FloorArea {
        FloorArea(self.units.iter().map(|u| u.area.0).sum())
    }
}

/// One unit (专有部分) of an estate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unit {
    /// Its number (`3-2-501`).
    pub number: String,
    /// Its floor area.
    pub area: FloorArea,
}

/// An estate with its parties, helpers and owners.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Estate {
    /// Its id.
    pub id: EstateId,
    /// Its name.
    pub name: String,
    /// The community (社区) it belongs to, by code.
    pub community: String,
    /// The town or street (乡镇/街道), by code: the measures are per town.
    pub town: String,
    /// Where it is (the gate), WGS 84.
    pub lat: f64,
    /// Where it is (the gate), WGS 84.
    pub lon: f64,
    /// The party branch.
    pub party_branch: Option<Party>,
    /// Which committee it has.
    pub committee_kind: CommitteeKind,
    /// The committee.
    pub committee: Party,
    /// The property company, if any.
    pub property_company: Option<Party>,
    /// The stationed community worker (包小专).
    pub worker: Option<ActorId>,
    /// The ten helper roles, each with the people who fill it.
    pub helpers: BTreeMap<HelperRole, Vec<ActorId>>,
    /// The owners.
    pub owners: Vec<Owner>,
}

impl Estate {
    /// Checks that it is whole: a named committee with members, owners once each with units of
    /// distinct numbers and a floor area.
    pub fn check(&self) -> Result<(), GovernanceError> {
        if self.name.trim().is_empty() {
            return Err(GovernanceError::invalid("name", "小区名称不能为空", "the estate needs a name"));
        }
        if self.committee.members.is_empty() {
            return Err(GovernanceError::invalid("committee", "业委会或物管会须至少有一名成员", "the committee needs at least one member"));
        }
        if !(-90.0..=90.0).contains(&self.lat) || !(-180.0..=180.0).contains(&self.lon) {
            return Err(GovernanceError::invalid("lat", "坐标超出范围", "coordinates out of range"));
        }
        let mut owners = BTreeSet::new();
        let mut units = BTreeSet::new();
        for o in &self.owners {
            if !owners.insert(o.id) {
                return Err(GovernanceError::invalid("owners", format!("业主 {} 重复登记", o.id), format!("owner {} listed twice", o.id)));
            }
            if o.units.is_empty() {
                return Err(GovernanceError::invalid("owners", format!("业主 {} 没有房屋", o.id), format!("owner {} has no unit", o.id)));
            }
            for u in &o.units {
                if u.area.0 == 0 {
                    return Err(GovernanceError::invalid("floor_area", format!("房屋 {} 面积为零", u.number), format!("unit {} has no floor area", u.number)));
                }
                if !units.insert(u.number.as_str()) {
                    return Err(GovernanceError::invalid("units", format!("房屋 {} 登记给了两位业主", u.number), format!("unit {} is listed twice", u.number)));
                }
            }
        }
        Ok(())
    }

    /// The people who act for `party` in this estate.
    pub fn members(&self, party: PartyKind) -> Vec<ActorId> {
        match party {
            PartyKind::PartyBranch => self.party_branch.as_ref().map(|p| p.members.clone()).unwrap_or_default(),
            PartyKind::Committee => self.committee.members.clone(),
            PartyKind::PropertyCompany => self.property_company.as_ref().map(|p| p.members.clone()).unwrap_or_default(),
            PartyKind::CommunityWorker => self.worker.into_iter().collect(),
        }
    }

    /// Whether the estate has `party` (an estate without a property company manages itself).
    pub fn has(&self, party: PartyKind) -> bool {
        !self.members(party).is_empty()
    }

    /// The owner `id`, if an owner.
    pub fn owner(&self, id: ActorId) -> Option<&Owner> {
        self.owners.iter().find(|o| o.id == id)
    }

    /// The helper roles that are filled.
    pub fn helper_roles(&self) -> Vec<HelperRole> {
        self.helpers.iter().filter(|(_, v)| !v.is_empty()).map(|(k, _)| *k).collect()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A small estate: three parties, a worker, two helpers, four owners (one with two units).
    pub(crate) fn estate() -> Estate {
        let unit = |n: &str, a: &str| Unit { number: n.into(), area: FloorArea::parse_m2(a).expect("area") };
        Estate {
            id: EstateId(1),
            name: "旭辉府".into(),
            community: "yjb".into(),
            town: "chongxian".into(),
            lat: 30.42,
            lon: 120.25,
            party_branch: Some(Party { name: "旭辉府小区党支部".into(), members: vec![ActorId(10)] }),
            committee_kind: CommitteeKind::OwnersCommittee,
            committee: Party { name: "旭辉府业委会".into(), members: vec![ActorId(20), ActorId(21)] },
            property_company: Some(Party { name: "某物业".into(), members: vec![ActorId(30)] }),
            worker: Some(ActorId(40)),
            helpers: BTreeMap::from([(HelperRole::Mediator, vec![ActorId(50)]), (HelperRole::Lawyer, vec![ActorId(51)])]),
            owners: vec![
                Owner { id: ActorId(101), units: vec![unit("1-101", "100"), unit("1-102", "50")] },
                Owner { id: ActorId(102), units: vec![unit("1-201", "100")] },
                Owner { id: ActorId(103), units: vec![unit("1-301", "100")] },
                Owner { id: ActorId(104), units: vec![unit("1-401", "50")] },
            ],
        }
    }

    #[test]
    fn floor_areas_parse_exactly_and_garbage_is_refused() {
        assert_eq!(FloorArea::parse_m2("89.5"), Ok(FloorArea(8950)));
        assert_eq!(FloorArea::parse_m2(" 89.55 "), Ok(FloorArea(8955)));
        assert_eq!(FloorArea::parse_m2("120"), Ok(FloorArea(12000)));
        for bad in ["", "0", "0.00", "-3", "1.234", "89.", ".5", "1e3", "八十", "1,000", "9999999", "NaN"] {
            assert!(FloorArea::parse_m2(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn an_estate_is_checked_whole() {
        let e = estate();
        assert_eq!(e.check(), Ok(()));
        assert_eq!(e.owner(ActorId(101)).map(|o| o.area()), Some(FloorArea(15000)));
        assert_eq!(e.members(PartyKind::CommunityWorker), vec![ActorId(40)]);
        assert_eq!(e.helper_roles(), vec![HelperRole::Mediator, HelperRole::Lawyer]);
        let mut twice = estate();
        twice.owners.push(twice.owners[0].clone());
        assert!(twice.check().is_err());
        let mut shared_unit = estate();
        shared_unit.owners[1].units[0].number = "1-101".into();
        assert!(shared_unit.check().is_err());
        let mut no_committee = estate();
        no_committee.committee.members.clear();
        assert!(no_committee.check().is_err());
        let mut self_managed = estate();
        self_managed.property_company = None;
        self_managed.committee_kind = CommitteeKind::PropertyManagementCommittee;
        assert_eq!(self_managed.check(), Ok(()));
        assert!(!self_managed.has(PartyKind::PropertyCompany));
    }

    #[test]
    fn codes_round_trip() {
        for p in PartyKind::ALL {
            assert_eq!(PartyKind::parse(p.code()), Some(p));
        }
        for h in HelperRole::ALL {
            assert_eq!(HelperRole::parse(h.code()), Some(h));
            assert!(!h.name_zh().is_empty());
        }
        assert_eq!(HelperRole::ALL.len(), 10);
        assert_eq!(PartyKind::parse("mayor"), None);
    }
}
