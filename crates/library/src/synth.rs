//! A deterministic synthetic catalogue of the district for the demo and the benchmark: the ten
//! shipped branches, about 2,000 titles with valid ISBN-13s (Chinese publishers' 978-7 prefixes)
//! and one to four copies each, more of them at the main library; and reader homes spread over the
//! district. The same seed always gives the same catalogue.

use crate::catalogue::Barcode;
use crate::catalogue::Catalogue;
use crate::catalogue::Copy;
use crate::catalogue::Isbn;
use crate::catalogue::ShelfStatus;
use crate::catalogue::Title;
use crate::catalogue::embedded_branches;
use crate::error::LibraryError;
use crate::order::Destination;

/// SplitMix64: a small, fast, well-mixed generator (no dependency for a demo's randomness).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 { 0 } else { (self.next_u64() % n as u64) as usize }
    }

    /// A number in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// One of a slice's items.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        items.get(self.below(items.len()))
    }
}

/// Publishers with their ISBN prefixes (978-7-…).
const PUBLISHERS: [(&str, &str); 10] = [
    ("020", "人民文学出版社"),
    ("101", "中华书局"),
    ("108", "三联书店"),
    ("115", "人民邮电出版社"),
    ("213", "浙江人民出版社"),
    ("300", "清华大学出版社"),
    ("506", "作家出版社"),
    ("536", "重庆出版社"),
    ("544", "南海出版公司"),
    ("559", "浙江少年儿童出版社"),
];
const SUBJECTS: [&str; 12] =
    ["当代小说", "古典小说", "中国史", "地方文献", "儿童文学", "科普读物", "计算机程序设计", "哲学", "散文", "诗歌", "经济管理", "健康养生"];
const FIRST: [&str; 16] = ["春江", "富春", "山居", "远方", "城南", "光阴", "星河", "故乡", "江南", "少年", "人间", "四季", "岁月", "长河", "晨光", "田野"];
const SECOND: [&str; 16] = ["往事", "笔记", "手记", "之歌", "旧梦", "简史", "漫谈", "故事", "的风", "志", "十讲", "札记", "新编", "图说", "与海", "之书"];
const SURNAMES: [&str; 16] = ["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "胡", "朱", "高", "郁"];
const GIVEN: [&str; 16] = ["建国", "晓燕", "明", "静", "伟", "芳", "达夫", "海燕", "志强", "秀英", "磊", "婷", "子恺", "敏", "杰", "文"];

/// A district catalogue of `titles` titles (a few copies each) over the shipped branches.
pub fn catalogue(seed: u64, titles: usize) -> Result<Catalogue, LibraryError> {
    let branches = embedded_branches()?;
    let mut rng = Rng::new(seed);
    let mut cat = Catalogue::new(branches.clone())?;
    let mut barcode = 0u32;
    let mut used = std::collections::HashSet::new();
    let mut n = 0usize;
    while n < titles {
        let (prefix, publisher) = PUBLISHERS[rng.below(PUBLISHERS.len())];
        let body = format!("9787{prefix}{:05}", rng.below(100_000));
        let isbn = Isbn::complete(&body)?;
        if !used.insert(isbn.clone()) {
            continue;
        }
        n += 1;
        let f = FIRST[rng.below(FIRST.len())];
        let s = SECOND[rng.below(SECOND.len())];
        let title = if rng.below(4) == 0 { format!("{f}{s}：第{}卷", 1 + rng.below(5)) } else { format!("{f}{s}") };
        let author = format!("{}{}", SURNAMES[rng.below(SURNAMES.len())], GIVEN[rng.below(GIVEN.len())]);
        let t = Title {
            isbn: isbn.clone(),
            title,
            author,
            subject: SUBJECTS[rng.below(SUBJECTS.len())].to_owned(),
            publisher: publisher.to_owned(),
            year: Some(1990 + rng.below(36) as i32),
        };
        let count = 1 + rng.below(4);
        let mut copies = Vec::with_capacity(count);
        for k in 0..count {
            // The main library (the first branch) holds a first copy of most titles.
            let b = if k == 0 && rng.below(10) < 7 { &branches[0] } else { &branches[rng.below(branches.len())] };
            barcode += 1;
            copies.push(Copy {
                barcode: Barcode::parse(&format!("FY{barcode:08}"))?,
                isbn: isbn.clone(),
                branch: b.code.clone(),
                status: ShelfStatus::OnShelf,
            });
        }
        cat.add(t, copies)?;
    }
    Ok(cat)
}

/// `n` reader homes spread over the district (around the branches, within about 6 km).
pub fn homes(seed: u64, n: usize) -> Result<Vec<Destination>, LibraryError> {
    let branches = embedded_branches()?;
    let mut rng = Rng::new(seed ^ 0x5EED);
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let b = &branches[rng.below(branches.len())];
        out.push(Destination::Home { lat: b.lat + (rng.unit() - 0.5) * 0.1, lon: b.lon + (rng.unit() - 0.5) * 0.1 });
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::order::ReaderFacts;
    use crate::order::Wanted;
    use crate::order::plan;
    use crate::rules::LibraryRules;

    #[test]
    fn the_synthetic_catalogue_is_valid_deterministic_and_quick_to_plan() {
        let a = catalogue(7, 2000).unwrap();
        let b = catalogue(7, 2000).unwrap();
        assert_eq!(a.titles().count(), 2000);
        assert_eq!(a.copies(), b.copies());
        assert!(a.copies().len() > 4000 && a.copies().len() < 6000, "{}", a.copies().len());
        for t in a.titles() {
            assert_eq!(Isbn::parse(t.isbn.as_str()).unwrap(), t.isbn);
        }
        let per_branch = |code: &str| a.copies().iter().filter(|c| c.branch.as_str() == code).count();
        assert!(a.branches().iter().all(|br| per_branch(br.code.as_str()) > 100));
        // Plan 200 requests of 3 titles: each is an index look-up, far below a millisecond.
        let rules = LibraryRules::embedded().unwrap();
        let isbns: Vec<Isbn> = a.titles().map(|t| t.isbn.clone()).collect();
        let homes = homes(7, 200).unwrap();
        let mut rng = Rng::new(1);
        let start = std::time::Instant::now();
        for h in &homes {
            let mut want: Vec<Wanted> = Vec::new();
            while want.len() < 3 {
                let w = Wanted::Title(rng.pick(&isbns).unwrap().clone());
                if !want.contains(&w) {
                    want.push(w);
                }
            }
            let p = plan(&a, &rules, &ReaderFacts::default(), &want, h).unwrap();
            assert_eq!(p.books, 3);
        }
        let per = start.elapsed() / 200;
        assert!(per.as_millis() < 20, "a plan took {per:?}");
    }
}
