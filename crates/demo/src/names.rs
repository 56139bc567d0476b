//! Chinese personal names: surnames weighted as in Fuyang, given names typical of each generation.

use domain::Sex;
use rand::Rng;

use crate::dates::{pick, weighted};

/// Surnames with rough weights: the national top twenty, Zhejiang's leaders (陈, 王, 张, 吴,
/// 徐, 周) and the families Fuyang is known for (孙 of 龙门, 董, 蒋, 俞, 章, 申屠).
const SURNAMES: &[(&str, u32)] = &[
    ("陈", 62),
    ("王", 56),
    ("张", 42),
    ("李", 34),
    ("孙", 34),
    ("周", 30),
    ("吴", 27),
    ("徐", 27),
    ("刘", 24),
    ("朱", 18),
    ("何", 18),
    ("蒋", 18),
    ("董", 18),
    ("俞", 16),
    ("杨", 15),
    ("黄", 15),
    ("章", 15),
    ("方", 14),
    ("胡", 14),
    ("沈", 11),
    ("赵", 10),
    ("高", 9),
    ("林", 9),
    ("汪", 8),
    ("许", 8),
    ("夏", 8),
    ("叶", 7),
    ("金", 7),
    ("钟", 6),
    ("邵", 5),
    ("郭", 5),
    ("马", 5),
    ("罗", 5),
    ("郎", 5),
    ("骆", 5),
    ("应", 4),
    ("楼", 4),
    ("倪", 4),
    ("袁", 4),
    ("程", 4),
    ("姜", 4),
    ("唐", 4),
    ("施", 4),
    ("谢", 4),
    ("潘", 4),
    ("申屠", 3),
    ("鲍", 3),
    ("江", 3),
    ("盛", 3),
    ("华", 3),
    ("范", 3),
    ("洪", 3),
    ("卢", 3),
    ("裘", 2),
];

/// Given names by birth cohort, `[male, female]`.
const BEFORE_1960: [&[&str]; 2] = [
    &[
        "建国", "国强", "建华", "德明", "国庆", "金根", "根水", "水根", "土根", "福根", "炳华",
        "长生", "永康", "德华", "荣华", "桂林", "金法", "关林", "樟土", "金土", "有才", "顺法",
        "树林", "新华", "解放", "援朝", "茂林", "正德", "仁法", "兴发", "金水", "宝根", "志明",
        "林法", "掌根",
    ],
    &[
        "秀英", "桂英", "玉兰", "凤英", "秀珍", "桂芳", "月娥", "彩娥", "菊英", "秀娥", "兰英",
        "金娣", "银娣", "杏仙", "雪花", "香娥", "素英", "美英", "月英", "彩英", "桂花", "翠英",
        "金花", "招娣", "秀凤", "玉英", "杏娟", "爱珍", "宝娟", "云仙",
    ],
];
const FROM_1960: [&[&str]; 2] = [
    &[
        "建军", "伟", "勇", "军", "国平", "建平", "卫东", "志刚", "海军", "建林", "伟民", "永明",
        "国华", "建明", "利军", "海林", "晓明", "小平", "卫国", "红兵", "建新", "忠良", "立新",
        "国良", "建忠", "永刚", "杭生", "水龙", "建伟", "国林", "金龙", "伟忠", "春华", "卫平",
    ],
    &[
        "丽萍", "红英", "美芳", "丽华", "建英", "彩萍", "燕", "丽娟", "美华", "红梅", "亚萍",
        "慧芳", "萍", "素芳", "雪芳", "月芳", "爱娟", "美娟", "惠娟", "小红", "玲", "琴", "秀芳",
        "春燕", "海燕", "卫红", "红霞", "建芬", "菊芬", "丽芬", "亚芬", "雅芬",
    ],
];
const FROM_1980: [&[&str]; 2] = [
    &[
        "磊", "斌", "杰", "超", "强", "鹏", "浩", "晨", "俊杰", "伟杰", "建峰", "海峰", "佳伟",
        "宇", "涛", "剑锋", "晓东", "振华", "俊", "凯", "斌斌", "杰峰", "益锋", "伟强", "佳明",
        "志强", "鑫", "峰", "晓峰", "亮", "旭东", "文杰", "嘉伟", "志华",
    ],
    &[
        "婷", "丽", "倩", "静", "佳佳", "雅琴", "丹", "丽娜", "晓燕", "露", "芳芳", "婷婷", "倩倩",
        "莉", "洁", "晶晶", "敏", "雯", "佳丽", "丹丹", "琳", "慧", "娟娟", "燕萍", "晓丽", "梦佳",
        "佳敏", "颖", "蕾", "思思", "丽丽", "燕",
    ],
];
const FROM_2000: [&[&str]; 2] = [
    &[
        "俊杰", "浩", "子豪", "宇航", "嘉豪", "晨阳", "浩宇", "家豪", "天宇", "博文", "一帆",
        "俊豪", "宇杰", "鑫宇", "文博", "泽宇", "子健", "俊宇", "佳豪", "浩然", "志豪", "凯文",
        "煜", "晨",
    ],
    &[
        "欣怡", "雨婷", "佳怡", "思琪", "梦婷", "诗雨", "雨欣", "佳琪", "婧", "心怡", "怡", "晨曦",
        "佳慧", "雨涵", "欣然", "梦瑶", "思雨", "可欣", "嘉怡", "诗琪", "雅婷", "颖",
    ],
];
const FROM_2010: [&[&str]; 2] = [
    &[
        "子涵", "浩然", "梓豪", "宇轩", "子轩", "一诺", "沐宸", "皓轩", "俊熙", "睿", "奕辰",
        "梓睿", "铭泽", "浩宇", "宸", "辰逸", "梓轩", "宇泽", "睿泽", "一鸣", "沐阳", "承泽",
        "思远", "锦程", "子墨", "亦辰", "煜祺",
    ],
    &[
        "子涵", "欣怡", "梓涵", "一诺", "诗涵", "语桐", "可馨", "梓萱", "若汐", "雨桐", "思涵",
        "沐晴", "欣妍", "依诺", "芷若", "梓琪", "语嫣", "安琪", "诗琪", "晨希", "若曦", "悦",
        "梓晴", "嘉懿", "一然", "伊一", "知夏",
    ],
];

/// A surname, drawn by frequency.
pub(crate) fn surname(rng: &mut impl Rng) -> &'static str {
    weighted::<&str>(rng, SURNAMES)
}

/// A given name typical of someone of `sex` born in `birth_year`, other than those in `avoid`
/// (siblings' names) where possible.
pub(crate) fn given_name(
    rng: &mut impl Rng,
    sex: Sex,
    birth_year: i32,
    avoid: &[&str],
) -> &'static str {
    let cohort = match birth_year {
        ..1960 => BEFORE_1960,
        1960..1980 => FROM_1960,
        1980..2000 => FROM_1980,
        2000..2010 => FROM_2000,
        _ => FROM_2010,
    };
    let list = match sex {
        Sex::Male => cohort[0],
        Sex::Female => cohort[1],
    };
    let mut name = *pick(rng, list);
    for _ in 0..8 {
        if !avoid.contains(&name) {
            break;
        }
        name = *pick(rng, list);
    }
    name
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use super::*;

    #[test]
    fn surnames_follow_their_weights() {
        let mut rng = StdRng::seed_from_u64(5);
        let mut counts: HashMap<&str, u32> = HashMap::new();
        for _ in 0..20_000 {
            *counts.entry(surname(&mut rng)).or_default() += 1;
        }
        let c = |s: &str| counts.get(s).copied().unwrap_or(0);
        assert!(c("陈") > c("张") && c("张") > c("赵") && c("赵") > c("裘"));
        assert!(c("申屠") > 0);
        assert!(counts.len() > 45);
    }

    #[test]
    fn given_names_fit_the_generation() {
        let mut rng = StdRng::seed_from_u64(6);
        let old: Vec<&str> = (0..200)
            .map(|_| given_name(&mut rng, Sex::Female, 1940, &[]))
            .collect();
        assert!(old.contains(&"秀英") && !old.contains(&"欣怡"));
        let young: Vec<&str> = (0..200)
            .map(|_| given_name(&mut rng, Sex::Male, 2018, &[]))
            .collect();
        assert!(young.contains(&"浩然") && !young.contains(&"建国"));
        for _ in 0..200 {
            assert_ne!(given_name(&mut rng, Sex::Male, 2018, &["浩然"]), "浩然");
        }
        for list in [BEFORE_1960, FROM_1960, FROM_1980, FROM_2000, FROM_2010]
            .iter()
            .flatten()
        {
            assert!(list.iter().all(|n| (1..=2).contains(&n.chars().count())));
        }
    }
}
