//! The five-colour warning (预警五色图): green, blue, yellow, orange, red from coverage and
//! balance against configurable thresholds.

use serde::Serialize;

use crate::norms::WarningNorms;

/// A warning colour, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Colour {
    Green,
    Blue,
    Yellow,
    Orange,
    Red,
}

impl Colour {
    /// All colours, best first.
    pub const ALL: [Colour; 5] = [
        Colour::Green,
        Colour::Blue,
        Colour::Yellow,
        Colour::Orange,
        Colour::Red,
    ];

    /// 0 (green) … 4 (red).
    pub fn grade(self) -> u8 {
        self as u8
    }

    /// The colour of a grade (clamped).
    pub fn from_grade(g: u8) -> Colour {
        Colour::ALL[g.min(4) as usize]
    }

    /// Lower-case English name.
    pub fn name(self) -> &'static str {
        ["green", "blue", "yellow", "orange", "red"][self as usize]
    }

    /// Chinese name.
    pub fn name_zh(self) -> &'static str {
        ["绿", "蓝", "黄", "橙", "红"][self as usize]
    }

    /// Map fill colour.
    pub fn hex(self) -> &'static str {
        ["#2e9e44", "#2f6fd0", "#f2c318", "#f07f1a", "#d7261e"][self as usize]
    }

    /// What the colour means for a planner.
    pub fn meaning(self) -> &'static str {
        [
            "meets the norm",
            "nearly meets it",
            "shortfall",
            "serious shortfall",
            "unserved",
        ][self as usize]
    }
}

/// Grade of a value against descending lower bounds of green, blue, yellow, orange.
pub fn grade(value: f64, bounds: [f64; 4]) -> Colour {
    bounds
        .iter()
        .position(|&b| value >= b)
        .map_or(Colour::Red, |i| Colour::from_grade(i as u8))
}

/// The colour of an area for one category: the worse of its coverage grade and (when the
/// category has a norm) its balance grade.
pub fn colour(coverage: f64, balance_ratio: Option<f64>, w: &WarningNorms) -> Colour {
    let c = grade(coverage, w.coverage);
    match balance_ratio {
        Some(r) => c.max(grade(r, w.balance)),
        None => c,
    }
}

/// The overall colour of an area: the mean grade of its categories, rounded half up
/// (so one red among greens is a warning, not a verdict).
pub fn overall(colours: impl Iterator<Item = Colour>) -> Option<Colour> {
    let (mut sum, mut n) = (0u32, 0u32);
    for c in colours {
        sum += c.grade() as u32;
        n += 1;
    }
    (n > 0).then(|| Colour::from_grade(((sum * 2 + n) / (2 * n)) as u8))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::norms::Norms;

    #[test]
    fn thresholds() {
        let w = Norms::default().warning;
        assert_eq!(grade(0.95, w.coverage), Colour::Green);
        assert_eq!(grade(0.90, w.coverage), Colour::Green);
        assert_eq!(grade(0.80, w.coverage), Colour::Blue);
        assert_eq!(grade(0.60, w.coverage), Colour::Yellow);
        assert_eq!(grade(0.50, w.coverage), Colour::Orange);
        assert_eq!(grade(0.10, w.coverage), Colour::Red);
        assert_eq!(
            colour(1.0, Some(0.8333), &w),
            Colour::Yellow,
            "full coverage, a sixth short of the norm"
        );
        assert_eq!(colour(0.5, Some(2.0), &w), Colour::Orange);
        assert_eq!(colour(0.95, None, &w), Colour::Green);
        assert_eq!(
            overall([Colour::Green, Colour::Green, Colour::Red].into_iter()),
            Some(Colour::Blue)
        );
        assert_eq!(
            overall([Colour::Green, Colour::Red].into_iter()),
            Some(Colour::Yellow)
        );
        assert_eq!(overall(std::iter::empty()), None);
    }
}
