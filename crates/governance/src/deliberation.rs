//! Deliberation (F3): owners' assemblies, councils (议事亭/议事厅) and open consultations ("请你来
//! 协商") with agenda items drawn from issues and residents' proposals, attendance, votes,
//! decisions linked back to the issues they settle, and minutes drafted, amended and approved.
//!
//! Owners' votes are counted by the Civil Code's double majority (art. 278, in force 2021): a vote
//! counts only when owners holding at least two thirds of the floor area **and** at least two
//! thirds of the owners take part; it passes with more than half of the participating area **and**
//! of the participating owners, or — for raising maintenance funds, rebuilding, and changing the
//! use of or running a business on common parts (items 6–8) — with at least three quarters of
//! each. An owner of several units is one person in the headcount, with all their area (the
//! Supreme People's Court's interpretation on building ownership, art. 9; units the developer has
//! not sold or handed over count as one owner, the developer, whom the caller puts on the roll).
//! "以上" includes the number itself and "过半数" does not (Civil Code art. 1259). All counting is
//! in whole numbers, so the thresholds are exact.

use std::collections::BTreeMap;
use std::collections::BTreeSet;

use chrono::DateTime;
use chrono::Utc;
use serde::Deserialize;
use serde::Serialize;

use crate::error::GovernanceError;
use crate::estate::ActorId;
use crate::estate::Estate;
use crate::estate::EstateId;
use crate::estate::IssueId;
use crate::estate::MeetingId;

/// The kind of meeting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MeetingKind {
    /// The owners' assembly (业主大会): owners vote by art. 278.
    OwnersAssembly,
    /// A council (小区议事亭、社区议事厅): the attendees decide by simple majority.
    Council,
    /// An open consultation ("请你来协商") with departments and residents: the attendees decide by
    /// simple majority.
    OpenConsultation,
}

/// The matters owners decide together (Civil Code art. 278, items 1–9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Matter {
    /// (1) Making or changing the assembly's rules of procedure.
    RulesOfProcedure,
    /// (2) Making or changing the management statute.
    ManagementStatute,
    /// (3) Electing or replacing the owners' committee.
    Committee,
    /// (4) Hiring or dismissing the property company or another manager.
    PropertyManager,
    /// (5) Using the maintenance fund.
    UseMaintenanceFund,
    /// (6) Raising the maintenance fund.
    RaiseMaintenanceFund,
    /// (7) Rebuilding or reconstructing buildings and their facilities.
    Rebuild,
    /// (8) Changing the use of common parts or running a business on them.
    CommonParts,
    /// (9) Other major matters of common ownership and management (public-fund expenses above the
    /// threshold are decided as this).
    OtherMajor,
}

impl Matter {
    /// Whether it is one of items 6–8 (three quarters to pass).
    pub fn needs_three_quarters(self) -> bool {
        matches!(self, Matter::RaiseMaintenanceFund | Matter::Rebuild | Matter::CommonParts)
    }

    /// The item number in art. 278.
    pub fn item(self) -> u8 {
        self as u8 + 1
    }
}

/// A ballot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Choice {
    /// 同意.
    For,
    /// 反对.
    Against,
    /// 弃权 (takes part, does not agree).
    Abstain,
}

/// The threshold an item needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Threshold {
    /// Art. 278: more than half of participating area and owners.
    OwnersMajority,
    /// Art. 278 items 6–8: at least three quarters of participating area and owners.
    OwnersThreeQuarters,
    /// A council: more than half of the attendees who voted.
    AttendeesMajority,
}

/// A count of the votes on an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Count {
    /// People.
    pub people: u64,
    /// Floor area in 0.01 m² (0 for councils).
    pub area: u64,
}

/// The tally of an item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    /// The threshold applied.
    pub threshold: Threshold,
    /// Everyone entitled (the estate's owners; a council's attendees).
    pub entitled: Count,
    /// Those who voted.
    pub voted: Count,
    /// For.
    pub for_: Count,
    /// Against.
    pub against: Count,
    /// Abstained.
    pub abstained: Count,
    /// Whether enough took part.
    pub quorum: bool,
    /// Whether it passed (quorum and approval).
    pub passed: bool,
}

/// Counts owners' ballots on a `matter` against the estate's roll by art. 278.
pub fn tally_owners(ballots: &BTreeMap<ActorId, Choice>, estate: &Estate, matter: Matter) -> Tally {
    let mut t = Tally {
        threshold: if matter.needs_three_quarters() { Threshold::OwnersThreeQuarters } else { Threshold::OwnersMajority },
        entitled: Count::default(),
        voted: Count::default(),
        for_: Count::default(),
        against: Count::default(),
        abstained: Count::default(),
        quorum: false,
        passed: false,
    };
    for o in &estate.owners {
        let c = Count { people: 1, area: o.area().0 };
        add(&mut t.entitled, c);
        if let Some(b) = ballots.get(&o.id) {
            add(&mut t.voted, c);
            add(
                match b {
                    Choice::For => &mut t.for_,
                    Choice::Against => &mut t.against,
                    Choice::Abstain => &mut t.abstained,
                },
                c,
            );
        }
    }
    let (e, v, f) = (t.entitled, t.voted, t.for_);
    // At least two thirds of the area and of the owners take part.
    t.quorum = e.people > 0 && v.area * 3 >= e.area * 2 && v.people * 3 >= e.people * 2;
    let approved = match t.threshold {
        Threshold::OwnersThreeQuarters => f.area * 4 >= v.area * 3 && f.people * 4 >= v.people * 3,
        _ => f.area * 2 > v.area && f.people * 2 > v.people,
    };
    t.passed = t.quorum && approved;
    t
}

fn add(c: &mut Count, d: Count) {
    c.people += d.people;
    c.area += d.area;
}

/// Counts a council's ballots: more than half of the attendees who voted, with at least half of
/// the attendees voting.
pub fn tally_attendees(ballots: &BTreeMap<ActorId, Choice>, attendance: &BTreeSet<ActorId>) -> Tally {
    let mut t = Tally {
        threshold: Threshold::AttendeesMajority,
        entitled: Count { people: attendance.len() as u64, area: 0 },
        voted: Count::default(),
        for_: Count::default(),
        against: Count::default(),
        abstained: Count::default(),
        quorum: false,
        passed: false,
    };
    for (who, b) in ballots {
        if !attendance.contains(who) {
            continue;
        }
        let c = Count { people: 1, area: 0 };
        add(&mut t.voted, c);
        add(
            match b {
                Choice::For => &mut t.for_,
                Choice::Against => &mut t.against,
                Choice::Abstain => &mut t.abstained,
            },
            c,
        );
    }
    t.quorum = t.entitled.people > 0 && t.voted.people * 2 >= t.entitled.people;
    t.passed = t.quorum && t.for_.people * 2 > t.voted.people;
    t
}

/// Where a meeting is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MeetingState {
    /// The agenda is being put together.
    Draft,
    /// In session: attendance and votes.
    Open,
    /// Closed: decisions made, minutes follow.
    Closed,
}

impl MeetingState {
    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            MeetingState::Draft => "draft",
            MeetingState::Open => "open",
            MeetingState::Closed => "closed",
        }
    }
}

/// A decision on an agenda item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// The meeting.
    pub meeting: MeetingId,
    /// The estate.
    pub estate: EstateId,
    /// The item's number.
    pub item: u32,
    /// The matter (owners' items).
    pub matter: Option<Matter>,
    /// The count.
    pub tally: Tally,
    /// Whether it passed.
    pub passed: bool,
    /// The issues it settles (when passed).
    pub settles: Vec<IssueId>,
    /// When.
    pub at: DateTime<Utc>,
}

/// An agenda item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgendaItem {
    /// Its number, from 1.
    pub no: u32,
    /// What is proposed.
    pub title: String,
    /// Who proposed it (a resident, a party, a worker).
    pub proposed_by: ActorId,
    /// The art. 278 matter (owners' assembly items; `None` at councils).
    pub matter: Option<Matter>,
    /// The issues it is about.
    pub issues: Vec<IssueId>,
    /// The ballots.
    pub ballots: BTreeMap<ActorId, Choice>,
    /// The decision, once the meeting closed.
    pub decision: Option<Decision>,
}

/// One version of the minutes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MinutesVersion {
    /// The text.
    pub text: String,
    /// Who wrote it.
    pub by: ActorId,
    /// Why it was amended (empty for the draft).
    pub reason: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// A meeting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meeting {
    /// Its id.
    pub id: MeetingId,
    /// The estate.
    pub estate: EstateId,
    /// Its kind.
    pub kind: MeetingKind,
    /// Its title.
    pub title: String,
    /// Where it is.
    pub state: MeetingState,
    /// The agenda.
    pub agenda: Vec<AgendaItem>,
    /// Who attended.
    pub attendance: BTreeSet<ActorId>,
    /// The minutes, every version.
    pub minutes: Vec<MinutesVersion>,
    /// Who approved the minutes, and when.
    pub approved: Option<(ActorId, DateTime<Utc>)>,
}

fn wrong(action: &'static str, s: MeetingState) -> GovernanceError {
    GovernanceError::WrongState { action, state: s.code() }
}

fn text(field: &str, s: &str, max: usize) -> Result<String, GovernanceError> {
    let t = s.trim();
    if t.is_empty() || t.chars().count() > max {
        return Err(GovernanceError::invalid(field, format!("须为 1～{max} 个字"), format!("must be 1–{max} characters")));
    }
    Ok(t.to_owned())
}

impl Meeting {
    /// A new meeting with an empty agenda.
    pub fn new(id: MeetingId, estate: EstateId, kind: MeetingKind, title: &str) -> Result<Meeting, GovernanceError> {
        Ok(Meeting {
            id,
            estate,
            kind,
            title: text("title", title, 200)?,
            state: MeetingState::Draft,
            agenda: Vec::new(),
            attendance: BTreeSet::new(),
            minutes: Vec::new(),
            approved: None,
        })
    }

    /// Adds an item (while in draft); an owners' assembly item must name its art. 278 matter, a
    /// council's must not. Returns its number.
    pub fn propose(&mut self, title: &str, by: ActorId, matter: Option<Matter>, issues: Vec<IssueId>) -> Result<u32, GovernanceError> {
        if self.state != MeetingState::Draft {
            return Err(wrong("propose", self.state));
        }
        let title = text("title", title, 500)?;
        match (self.kind, matter) {
            (MeetingKind::OwnersAssembly, None) => return Err(GovernanceError::invalid("matter", "业主大会议题须写明属于民法典第二百七十八条哪一项", "an owners' item must name its matter of art. 278")),
            (MeetingKind::Council | MeetingKind::OpenConsultation, Some(_)) => {
                return Err(GovernanceError::invalid("matter", "议事会不能表决业主共同决定事项，须提交业主大会", "a council cannot decide a matter of art. 278: put it to the owners"));
            }
            _ => {}
        }
        let no = self.agenda.len() as u32 + 1;
        let mut issues = issues;
        issues.sort();
        issues.dedup();
        self.agenda.push(AgendaItem { no, title, proposed_by: by, matter, issues, ballots: BTreeMap::new(), decision: None });
        Ok(no)
    }

    /// Opens the session (an agenda is needed).
    pub fn open(&mut self) -> Result<(), GovernanceError> {
        if self.state != MeetingState::Draft {
            return Err(wrong("open", self.state));
        }
        if self.agenda.is_empty() {
            return Err(GovernanceError::invalid("agenda", "议程为空", "the agenda is empty"));
        }
        self.state = MeetingState::Open;
        Ok(())
    }

    /// Records someone present.
    pub fn attend(&mut self, who: ActorId) -> Result<(), GovernanceError> {
        if self.state != MeetingState::Open {
            return Err(wrong("attend", self.state));
        }
        self.attendance.insert(who);
        Ok(())
    }

    /// A vote on item `no`: at an owners' assembly only by an owner of the estate, at a council
    /// only by an attendee; once each. Nothing changes on a refusal.
    pub fn vote(&mut self, no: u32, voter: ActorId, choice: Choice, estate: &Estate) -> Result<(), GovernanceError> {
        if self.state != MeetingState::Open {
            return Err(wrong("vote", self.state));
        }
        if estate.id != self.estate {
            return Err(GovernanceError::NotFound { what: "estate", id: self.estate.to_string() });
        }
        let kind = self.kind;
        let present = self.attendance.contains(&voter);
        let item = self.agenda.iter_mut().find(|i| i.no == no).ok_or_else(|| GovernanceError::NotFound { what: "agenda_item", id: no.to_string() })?;
        match kind {
            MeetingKind::OwnersAssembly if estate.owner(voter).is_none() => return Err(GovernanceError::NotAnOwner { voter: voter.0 }),
            MeetingKind::Council | MeetingKind::OpenConsultation if !present => {
                return Err(GovernanceError::NotAllowed { actor: voter.0, action: "vote", why_zh: "未出席会议", why_en: "did not attend the meeting" });
            }
            _ => {}
        }
        if item.ballots.contains_key(&voter) {
            return Err(GovernanceError::AlreadyVoted { owner: voter.0 });
        }
        item.ballots.insert(voter, choice);
        Ok(())
    }

    /// Closes the session and decides every item; the decisions (a passed decision settles its
    /// issues).
    pub fn close(&mut self, estate: &Estate, now: DateTime<Utc>) -> Result<Vec<Decision>, GovernanceError> {
        if self.state != MeetingState::Open {
            return Err(wrong("close", self.state));
        }
        if estate.id != self.estate {
            return Err(GovernanceError::NotFound { what: "estate", id: self.estate.to_string() });
        }
        let mut out = Vec::new();
        for item in &mut self.agenda {
            let tally = match item.matter {
                Some(m) => tally_owners(&item.ballots, estate, m),
                None => tally_attendees(&item.ballots, &self.attendance),
            };
            let passed = tally.passed;
            let d = Decision {
                meeting: self.id,
                estate: self.estate,
                item: item.no,
                matter: item.matter,
                tally,
                passed,
                settles: if passed { item.issues.clone() } else { Vec::new() },
                at: now,
            };
            item.decision = Some(d.clone());
            out.push(d);
        }
        self.state = MeetingState::Closed;
        Ok(out)
    }

    /// Drafts (first) or amends (later) the minutes, with a reason for an amendment; not once
    /// approved.
    pub fn write_minutes(&mut self, text_: &str, by: ActorId, reason: &str, now: DateTime<Utc>) -> Result<(), GovernanceError> {
        if self.state != MeetingState::Closed {
            return Err(wrong("write_minutes", self.state));
        }
        if self.approved.is_some() {
            return Err(GovernanceError::WrongState { action: "write_minutes", state: "approved" });
        }
        let t = text("minutes", text_, 50_000)?;
        let reason = if self.minutes.is_empty() { reason.trim().to_owned() } else { text("reason", reason, 500)? };
        self.minutes.push(MinutesVersion { text: t, by, reason, at: now });
        Ok(())
    }

    /// Approves the latest minutes: by someone other than their latest author, who attended.
    pub fn approve_minutes(&mut self, by: ActorId, now: DateTime<Utc>) -> Result<(), GovernanceError> {
        let last = self.minutes.last().ok_or(GovernanceError::WrongState { action: "approve_minutes", state: "no_minutes" })?;
        if self.approved.is_some() {
            return Err(GovernanceError::WrongState { action: "approve_minutes", state: "approved" });
        }
        if last.by == by {
            return Err(GovernanceError::SeparationOfDuties { actor: by.0, duty: "approve_minutes", earlier: "write_minutes" });
        }
        if !self.attendance.contains(&by) {
            return Err(GovernanceError::NotAllowed { actor: by.0, action: "approve_minutes", why_zh: "未出席会议", why_en: "did not attend the meeting" });
        }
        self.approved = Some((by, now));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::Choice::Abstain;
    use super::Choice::Against;
    use super::Choice::For;
    use super::*;
    use crate::estate::FloorArea;
    use crate::estate::Owner;
    use crate::estate::Unit;
    use crate::estate::tests::estate;
    use crate::issue::tests::t0;

    fn ballots(v: &[(u64, Choice)]) -> BTreeMap<ActorId, Choice> {
        v.iter().map(|(a, c)| (ActorId(*a), *c)).collect()
    }

    fn roll(areas: &[u64]) -> Estate {
        let mut e = estate();
        e.owners = areas
            .iter()
            .enumerate()
            .map(|(i, a)| Owner { id: ActorId(i as u64 + 1), units: vec![Unit { number: format!("u{i}"), area: FloorArea(*a) }] })
            .collect();
        e
    }

    #[test]
    fn the_double_majority_of_article_278() {
        // Owners 101–104: 150, 100, 100 and 50 m² (101 holds two units, counted as one person).
        let e = estate();
        let t = tally_owners(&ballots(&[(101, For), (102, For), (103, Against)]), &e, Matter::UseMaintenanceFund);
        assert_eq!((t.entitled.people, t.entitled.area), (4, 40_000));
        assert_eq!((t.voted.people, t.voted.area), (3, 35_000));
        assert!(t.quorum && t.passed);
        // The same ballots do not reach three quarters of the area (250 of 350 m²) for item 7.
        let t = tally_owners(&ballots(&[(101, For), (102, For), (103, Against)]), &e, Matter::Rebuild);
        assert!(t.quorum && !t.passed);
        // Half of the owners taking part is not two thirds: no quorum, whatever they say.
        let t = tally_owners(&ballots(&[(101, For), (104, For)]), &e, Matter::UseMaintenanceFund);
        assert!(!t.quorum && !t.passed);
        // An abstention takes part but does not agree.
        let t = tally_owners(&ballots(&[(101, For), (102, Abstain), (103, Abstain)]), &e, Matter::PropertyManager);
        assert!(t.quorum && !t.passed, "150 of 350 m² is not more than half");
    }

    #[test]
    fn thresholds_are_exact_at_their_boundaries() {
        // Exactly two thirds take part (2 of 3 owners, 200 of 300 m²): quorum.
        let e = roll(&[10_000, 10_000, 10_000]);
        assert!(tally_owners(&ballots(&[(1, For), (2, For)]), &e, Matter::Committee).quorum);
        // One hundredth of a square metre short of two thirds of the area: no quorum.
        let e = roll(&[9_999, 10_000, 10_001]);
        assert!(!tally_owners(&ballots(&[(1, For), (2, For)]), &e, Matter::Committee).quorum);
        // Exactly three quarters agree (3 of 4 owners and area): item 6 passes.
        let e = roll(&[100, 100, 100, 100]);
        assert!(tally_owners(&ballots(&[(1, For), (2, For), (3, For), (4, Against)]), &e, Matter::RaiseMaintenanceFund).passed);
        // Exactly half is not more than half: an ordinary matter fails.
        assert!(!tally_owners(&ballots(&[(1, For), (2, For), (3, Against), (4, Against)]), &e, Matter::Committee).passed);
        // Area alone is not enough: one owner of 301 of 400 m² for, three against.
        let e = roll(&[30_100, 3_300, 3_300, 3_300]);
        let t = tally_owners(&ballots(&[(1, For), (2, Against), (3, Against), (4, Against)]), &e, Matter::Committee);
        assert!(t.quorum && !t.passed);
        // Nor is the headcount: three small owners for, the big one against.
        let t = tally_owners(&ballots(&[(1, Against), (2, For), (3, For), (4, For)]), &e, Matter::Committee);
        assert!(t.quorum && !t.passed);
        // An empty roll never passes.
        assert!(!tally_owners(&BTreeMap::new(), &roll(&[]), Matter::Committee).passed);
    }

    #[test]
    fn an_assembly_votes_decides_and_links_its_decision_to_issues() {
        let e = estate();
        let mut m = Meeting::new(MeetingId(1), e.id, MeetingKind::OwnersAssembly, "2026 年第一次业主大会").expect("meeting");
        assert!(m.propose("更换路灯", ActorId(20), None, vec![]).is_err(), "an owners' item names its matter");
        let no = m.propose("动用公共收益更换太阳能路灯", ActorId(20), Some(Matter::OtherMajor), vec![IssueId(7), IssueId(7), IssueId(3)]).expect("item");
        assert!(m.vote(no, ActorId(101), For, &e).is_err(), "not open yet");
        m.open().expect("open");
        m.vote(no, ActorId(101), For, &e).expect("vote");
        // A second vote, a non-owner's vote, a vote on no item: refused, nothing changed.
        assert_eq!(m.vote(no, ActorId(101), Against, &e), Err(GovernanceError::AlreadyVoted { owner: 101 }));
        assert_eq!(m.vote(no, ActorId(30), For, &e), Err(GovernanceError::NotAnOwner { voter: 30 }));
        assert!(matches!(m.vote(9, ActorId(102), For, &e), Err(GovernanceError::NotFound { .. })));
        assert_eq!(m.agenda[0].ballots.get(&ActorId(101)), Some(&For));
        assert_eq!(m.agenda[0].ballots.len(), 1);
        m.vote(no, ActorId(102), For, &e).expect("vote");
        m.vote(no, ActorId(103), Against, &e).expect("vote");
        let d = m.close(&e, t0()).expect("close");
        assert!(d[0].passed);
        assert_eq!(d[0].settles, vec![IssueId(3), IssueId(7)]);
        assert!(m.vote(no, ActorId(104), For, &e).is_err(), "closed");
        // The decision is linked back to the issues it settles, and to no other.
        let r = crate::routing::Routing::embedded().expect("rules");
        let (mut seven, _) = crate::issue::Issue::report(IssueId(7), crate::issue::tests::new_issue("street_lamp"), &e, &r, t0()).expect("report");
        crate::issue::link_decision(&mut seven, &d[0], t0()).expect("link");
        crate::issue::link_decision(&mut seven, &d[0], t0()).expect("again: no change");
        assert_eq!(seven.decisions, vec![(MeetingId(1), 1)]);
        let (mut eight, _) = crate::issue::Issue::report(IssueId(8), crate::issue::tests::new_issue("street_lamp"), &e, &r, t0()).expect("report");
        assert!(crate::issue::link_decision(&mut eight, &d[0], t0()).is_err());
    }

    #[test]
    fn a_council_decides_by_attendees_and_minutes_are_amended_then_approved() {
        let e = estate();
        let mut m = Meeting::new(MeetingId(2), e.id, MeetingKind::Council, "小区议事亭：停车难").expect("meeting");
        assert!(m.propose("改变绿地用途", ActorId(20), Some(Matter::CommonParts), vec![]).is_err(), "a council cannot decide art. 278 matters");
        let no = m.propose("夜间临时停车方案", ActorId(102), None, vec![IssueId(5)]).expect("item");
        m.open().expect("open");
        for a in [10, 20, 30, 40] {
            m.attend(ActorId(a)).expect("attend");
        }
        assert!(matches!(m.vote(no, ActorId(999), For, &e), Err(GovernanceError::NotAllowed { .. })), "not present");
        for (a, c) in [(10, For), (20, For), (30, Against)] {
            m.vote(no, ActorId(a), c, &e).expect("vote");
        }
        let d = m.close(&e, t0()).expect("close");
        assert!(d[0].passed && d[0].settles == vec![IssueId(5)]);
        assert!(m.approve_minutes(ActorId(10), t0()).is_err(), "no minutes yet");
        m.write_minutes("会议决定……", ActorId(40), "", t0()).expect("draft");
        assert!(m.write_minutes("会议决定（修改）", ActorId(40), " ", t0()).is_err(), "an amendment needs a reason");
        m.write_minutes("会议决定（修改）", ActorId(40), "补充物业意见", t0()).expect("amend");
        assert!(matches!(m.approve_minutes(ActorId(40), t0()), Err(GovernanceError::SeparationOfDuties { .. })));
        assert!(matches!(m.approve_minutes(ActorId(999), t0()), Err(GovernanceError::NotAllowed { .. })));
        m.approve_minutes(ActorId(10), t0()).expect("approve");
        assert!(m.write_minutes("偷偷改", ActorId(20), "改", t0()).is_err(), "approved minutes are final");
        assert_eq!(m.minutes.len(), 2);
    }
}
