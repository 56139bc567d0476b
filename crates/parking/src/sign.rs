//! Second- and third-level guidance signs (二级、三级诱导屏): which lots a sign lists, with a
//! direction arrow each, and [`display`] — what the sign shows now: the lot's name, its free
//! visitor bays or 满 (full) or — (unknown) or 关闭 (closed), and the arrow. Beside each sign a QR
//! code opens the guidance page for that sign ([`Sign::qr_target`]; the caller builds the URL).

use serde::Deserialize;
use serde::Serialize;

use crate::error::ParkingError;
use crate::live::LiveState;
use crate::live::Status;
use crate::lot::HospitalId;
use crate::lot::Lot;
use crate::lot::LotId;
use crate::lot::Needs;
use crate::lot::Point;
use crate::lot::SignId;

/// The most lots one sign lists.
pub const MAX_SIGN_ROWS: usize = 6;

/// What a sign shows for a full lot.
pub const FULL: &str = "满";
/// What a sign shows for a lot whose feed is silent.
pub const UNKNOWN: &str = "—";
/// What a sign shows for a lot closed by its hours.
pub const CLOSED: &str = "关闭";

/// A direction arrow on a sign.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Arrow {
    /// Turn left: ←
    Left,
    /// Straight on: ↑
    Ahead,
    /// Turn right: →
    Right,
}

impl Arrow {
    /// The arrow as a character.
    pub fn symbol(self) -> &'static str {
        match self {
            Arrow::Left => "←",
            Arrow::Ahead => "↑",
            Arrow::Right => "→",
        }
    }
}

/// One lot a sign lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignEntry {
    /// The lot.
    pub lot: LotId,
    /// Which way to it from the sign.
    pub arrow: Arrow,
}

/// A guidance sign.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sign {
    /// Its id (the QR code's target).
    pub id: SignId,
    /// Its name (where it stands).
    pub name: String,
    /// Where it stands.
    pub location: Point,
    /// 2 (on the main roads around the hospital) or 3 (at the last junctions before the lots).
    pub level: u8,
    /// The hospital it guides to.
    pub hospital: HospitalId,
    /// The lots it lists, in order, with their arrows.
    pub lots: Vec<SignEntry>,
}

impl Sign {
    /// Checks the sign: a name, a real location, level 2 or 3, 1–[`MAX_SIGN_ROWS`] distinct lots.
    pub fn validate(&self) -> Result<(), ParkingError> {
        if self.name.trim().is_empty() {
            return Err(ParkingError::invalid("name", "诱导屏名称不能为空", "a sign has a name"));
        }
        self.location.validate("location")?;
        if !(2..=3).contains(&self.level) {
            return Err(ParkingError::invalid("level", format!("诱导屏级别只能是 2 或 3，收到 {}", self.level), format!("a sign's level is 2 or 3, got {}", self.level)));
        }
        if self.lots.is_empty() || self.lots.len() > MAX_SIGN_ROWS {
            return Err(ParkingError::invalid("lots", format!("一块诱导屏列出 1–{MAX_SIGN_ROWS} 个停车场"), format!("a sign lists 1–{MAX_SIGN_ROWS} lots")));
        }
        for (i, e) in self.lots.iter().enumerate() {
            if self.lots[..i].iter().any(|o| o.lot == e.lot) {
                return Err(ParkingError::invalid(format!("lots[{i}].lot"), format!("停车场「{}」重复列出", e.lot), format!("lot {} is listed twice", e.lot)));
            }
        }
        Ok(())
    }

    /// What the QR code beside the sign points at: the sign's id (the caller makes the URL).
    pub fn qr_target(&self) -> &SignId {
        &self.id
    }
}

/// One row of a sign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignRow {
    /// The lot's id.
    pub lot: LotId,
    /// The lot's name (its id when the lot is not known).
    pub name: String,
    /// Free visitor bays, when known and open.
    pub free: Option<u32>,
    /// What the sign shows: the free count, [`FULL`], [`UNKNOWN`] or [`CLOSED`].
    pub shown: String,
    /// Which way.
    pub arrow: Arrow,
    /// The arrow as a character.
    pub arrow_symbol: &'static str,
}

/// What a sign shows now. `lookup` gives each listed lot and its live state (`None` for a lot the
/// caller no longer has: shown as unknown). Signs count visitor bays only.
pub fn display<'a>(sign: &Sign, lookup: impl Fn(&LotId) -> Option<(&'a Lot, LiveState)>) -> Vec<SignRow> {
    sign.lots
        .iter()
        .map(|e| {
            let found = lookup(&e.lot);
            let name = found.map_or_else(|| e.lot.to_string(), |(l, _)| l.name.clone());
            let (free, shown) = match found.map(|(_, s)| (s.status, s.free_for(Needs::default()))) {
                Some((Status::Closed, _)) => (None, CLOSED.to_owned()),
                Some((Status::Full, _)) | Some((_, Some(0))) => (Some(0), FULL.to_owned()),
                Some((Status::Open, Some(n))) => (Some(n), n.to_string()),
                _ => (None, UNKNOWN.to_owned()),
            };
            SignRow { lot: e.lot.clone(), name, free, shown, arrow: e.arrow, arrow_symbol: e.arrow.symbol() }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lot::tests::lot;

    fn live(status: Status, visitor: Option<u32>) -> LiveState {
        LiveState { status, free: [visitor, Some(40), Some(4), Some(6)], updated_at: None }
    }

    #[test]
    fn a_sign_shows_counts_full_unknown_and_closed_with_arrows() {
        let lots = [lot("p1"), lot("p2"), lot("p3"), lot("p4")];
        let entry = |id: &str, arrow| SignEntry { lot: LotId::parse(id).expect("id"), arrow };
        let sign = Sign {
            id: SignId::parse("s-fy-1").expect("id"),
            name: "金桥北路口".into(),
            location: Point::new(30.05, 119.95),
            level: 2,
            hospital: HospitalId::parse("fy-first").expect("id"),
            lots: vec![entry("p1", Arrow::Left), entry("p2", Arrow::Ahead), entry("p3", Arrow::Right), entry("p4", Arrow::Right), entry("p9", Arrow::Ahead)],
        };
        assert!(sign.validate().is_ok());
        let states = [live(Status::Open, Some(23)), live(Status::Full, Some(0)), live(Status::Unknown, None), live(Status::Closed, None)];
        let rows = display(&sign, |id| lots.iter().position(|l| &l.id == id).map(|i| (&lots[i], states[i])));
        let shown: Vec<(&str, &str)> = rows.iter().map(|r| (r.shown.as_str(), r.arrow_symbol)).collect();
        assert_eq!(shown, [("23", "←"), ("满", "↑"), ("—", "→"), ("关闭", "→"), ("—", "↑")]);
        assert_eq!(rows[0].name, "停车场 p1");
        assert_eq!(rows[4].name, "p9");
        assert_eq!(sign.qr_target().as_str(), "s-fy-1");
        let mut bad = sign.clone();
        bad.level = 4;
        assert_eq!(bad.validate().expect_err("level").field().as_deref(), Some("level"));
        let mut bad = sign.clone();
        bad.lots.push(entry("p1", Arrow::Left));
        assert!(bad.validate().is_err());
    }
}
