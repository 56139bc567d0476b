//! The parking data of a district as one TOML document — `[[hospitals]]`, `[[lots]]` and
//! `[[signs]]` — parsed and checked together: each record's own rules, unique ids, and every
//! hospital and lot that a lot or sign names exists. An error names the record and field.

use serde::Deserialize;
use serde::Serialize;

use crate::error::ParkingError;
use crate::lot::Hospital;
use crate::lot::HospitalId;
use crate::lot::Lot;
use crate::lot::LotId;
use crate::lot::SignId;
use crate::sign::Sign;

/// Hospitals, car parks and guidance signs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalog {
    /// The hospitals guidance leads to.
    #[serde(default)]
    pub hospitals: Vec<Hospital>,
    /// The car parks.
    #[serde(default)]
    pub lots: Vec<Lot>,
    /// The guidance signs.
    #[serde(default)]
    pub signs: Vec<Sign>,
}

/// 1-based line and column of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

impl Catalog {
    /// Parses and checks a TOML document.
    pub fn parse(text: &str) -> Result<Catalog, ParkingError> {
        let c: Catalog = toml::from_str(text).map_err(|e| {
            let (line, col) = e.span().map_or((0, 0), |s| line_col(text, s.start));
            let msg = e.message().to_owned();
            ParkingError::invalid("toml", format!("第 {line} 行第 {col} 列：{msg}"), format!("line {line} column {col}: {msg}"))
        })?;
        c.validate()?;
        Ok(c)
    }

    /// Checks every record, that ids are unique and that every id named exists.
    pub fn validate(&self) -> Result<(), ParkingError> {
        for (i, h) in self.hospitals.iter().enumerate() {
            h.validate().map_err(|e| e.within(&format!("hospitals[{i}]")))?;
            if self.hospitals[..i].iter().any(|o| o.id == h.id) {
                return Err(ParkingError::invalid(format!("hospitals[{i}].id"), format!("医院编号「{}」重复", h.id), format!("hospital id {} appears twice", h.id)));
            }
        }
        for (i, l) in self.lots.iter().enumerate() {
            let at = format!("lots[{i}]");
            l.validate().map_err(|e| e.within(&at))?;
            if self.lots[..i].iter().any(|o| o.id == l.id) {
                return Err(ParkingError::invalid(format!("{at}.id"), format!("停车场编号「{}」重复", l.id), format!("lot id {} appears twice", l.id)));
            }
            if let Some(h) = &l.hospital
                && self.hospital(h).is_none()
            {
                return Err(ParkingError::invalid(format!("{at}.hospital"), format!("没有编号为「{h}」的医院"), format!("no hospital {h}")));
            }
        }
        for (i, s) in self.signs.iter().enumerate() {
            let at = format!("signs[{i}]");
            s.validate().map_err(|e| e.within(&at))?;
            if self.signs[..i].iter().any(|o| o.id == s.id) {
                return Err(ParkingError::invalid(format!("{at}.id"), format!("诱导屏编号「{}」重复", s.id), format!("sign id {} appears twice", s.id)));
            }
            if self.hospital(&s.hospital).is_none() {
                return Err(ParkingError::invalid(format!("{at}.hospital"), format!("没有编号为「{}」的医院", s.hospital), format!("no hospital {}", s.hospital)));
            }
            for (j, e) in s.lots.iter().enumerate() {
                if self.lot(&e.lot).is_none() {
                    return Err(ParkingError::invalid(format!("{at}.lots[{j}].lot"), format!("没有编号为「{}」的停车场", e.lot), format!("no lot {}", e.lot)));
                }
            }
        }
        Ok(())
    }

    /// A hospital by id.
    pub fn hospital(&self, id: &HospitalId) -> Option<&Hospital> {
        self.hospitals.iter().find(|h| &h.id == id)
    }

    /// A lot by id.
    pub fn lot(&self, id: &LotId) -> Option<&Lot> {
        self.lots.iter().find(|l| &l.id == id)
    }

    /// A sign by id.
    pub fn sign(&self, id: &SignId) -> Option<&Sign> {
        self.signs.iter().find(|s| &s.id == id)
    }

    /// The lots that belong to or mainly serve a hospital.
    pub fn lots_of<'a>(&'a self, hospital: &'a HospitalId) -> impl Iterator<Item = &'a Lot> + 'a {
        self.lots.iter().filter(move |l| l.hospital.as_ref() == Some(hospital))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#"
[[hospitals]]
id = "fy-first"
name = "富阳区第一人民医院"
entrance = { lat = 30.0489, lon = 119.9531 }

[[lots]]
id = "fy-first-p1"
name = "一院地下停车场"
kind = "hospital"
structure = "underground"
hospital = "fy-first"
location = { lat = 30.0492, lon = 119.9525 }
entrance = { lat = 30.0490, lon = 119.9529 }
capacity = { visitor = 320, staff = 180, disabled = 8, ev = 20 }
fees = { first_hour = 500, per_hour_after = 200, daily_cap = 3000, free_minutes = 15 }

[[lots]]
id = "fuchun-garage"
name = "富春公共停车楼"
kind = "public_garage"
structure = "multi_storey"
location = { lat = 30.0521, lon = 119.9560 }
entrance = { lat = 30.0520, lon = 119.9558 }
capacity = { visitor = 400 }
hours = "Mo-Su 06:00-23:00"

[[signs]]
id = "s-jinqiao-n"
name = "金桥北路与桂花路口"
location = { lat = 30.0530, lon = 119.9500 }
level = 2
hospital = "fy-first"
lots = [{ lot = "fy-first-p1", arrow = "right" }, { lot = "fuchun-garage", arrow = "ahead" }]
"#;

    #[test]
    fn a_district_parses_and_cross_checks() {
        let c = Catalog::parse(DOC).expect("parses");
        let h = HospitalId::parse("fy-first").expect("id");
        assert_eq!(c.lots_of(&h).count(), 1);
        assert_eq!(c.lot(&LotId::parse("fuchun-garage").expect("id")).map(|l| l.hours.to_osm()), Some("Mo-Su 06:00-23:00".to_owned()));
        assert!(c.sign(&SignId::parse("s-jinqiao-n").expect("id")).is_some());

        let field = |doc: &str| Catalog::parse(doc).expect_err("rejected").field();
        assert_eq!(field(&DOC.replace("lot = \"fuchun-garage\", arrow", "lot = \"nowhere\", arrow")).as_deref(), Some("signs[0].lots[1].lot"));
        assert_eq!(field(&DOC.replace("hospital = \"fy-first\"\nlocation", "hospital = \"fy-second\"\nlocation")).as_deref(), Some("lots[0].hospital"));
        assert_eq!(field(&DOC.replace("id = \"fuchun-garage\"", "id = \"fy-first-p1\"")).as_deref(), Some("lots[1].id"));
        assert_eq!(field(&DOC.replace("level = 2", "level = 1")).as_deref(), Some("signs[0].level"));
        assert_eq!(field(&DOC.replace("name = \"一院地下停车场\"", "name = \"\"")).as_deref(), Some("lots[0].name"));
        let e = Catalog::parse(&DOC.replace("Mo-Su 06:00-23:00", "daily")).expect_err("hours");
        assert_eq!(e.field().as_deref(), Some("toml"));
        assert!(e.to_string().contains("line 26 column 9: hours"), "{e}");
    }
}
