//! Languages of the pages: Chinese (the default) and English, with every user-facing string in
//! Fluent files under `crates/web/locales/` embedded at compile time (fluent-templates).

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::OnceLock;

use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader};

fluent_templates::static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "zh-CN",
        // Plain text in HTML: no Unicode isolation marks around arguments.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

/// A language of the pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Zh,
    En,
}

fn ids() -> &'static (LanguageIdentifier, LanguageIdentifier) {
    static IDS: OnceLock<(LanguageIdentifier, LanguageIdentifier)> = OnceLock::new();
    IDS.get_or_init(|| {
        let zh = "zh-CN".parse().unwrap_or_default();
        let en = "en".parse().unwrap_or_default();
        (zh, en)
    })
}

impl Lang {
    /// The cookie value and `lang` switch code.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }

    /// The HTML `lang` attribute.
    pub fn html(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    pub fn parse(s: &str) -> Option<Lang> {
        match s {
            "zh" | "zh-CN" => Some(Lang::Zh),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    pub fn other(self) -> Lang {
        match self {
            Lang::Zh => Lang::En,
            Lang::En => Lang::Zh,
        }
    }

    fn id(self) -> &'static LanguageIdentifier {
        match self {
            Lang::Zh => &ids().0,
            Lang::En => &ids().1,
        }
    }

    /// The message `key`.
    pub fn t(self, key: &str) -> String {
        LOCALES.lookup(self.id(), key)
    }

    /// The message `key`, if there is one.
    pub fn try_t(self, key: &str) -> Option<String> {
        LOCALES.try_lookup(self.id(), key)
    }

    /// The message `key` with named arguments.
    pub fn ta(self, key: &str, args: &[(&str, Arg)]) -> String {
        let map: HashMap<Cow<'static, str>, FluentValue<'_>> = args
            .iter()
            .map(|(k, v)| {
                let v = match v {
                    Arg::S(s) => FluentValue::from(s.clone()),
                    Arg::N(n) => FluentValue::from(*n),
                };
                (Cow::Owned((*k).to_owned()), v)
            })
            .collect();
        LOCALES.lookup_with_args(self.id(), key, &map)
    }

    /// Chooses between a Chinese and an English text that come from data (catalog, notices, errors).
    pub fn pick<'a>(self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::En if !en.is_empty() => en,
            _ => zh,
        }
    }
}

/// An argument of a message.
#[derive(Debug, Clone)]
pub enum Arg {
    S(String),
    N(i64),
}

impl From<&str> for Arg {
    fn from(s: &str) -> Arg {
        Arg::S(s.to_owned())
    }
}
impl From<String> for Arg {
    fn from(s: String) -> Arg {
        Arg::S(s)
    }
}
impl From<i64> for Arg {
    fn from(n: i64) -> Arg {
        Arg::N(n)
    }
}
impl From<u64> for Arg {
    fn from(n: u64) -> Arg {
        Arg::N(i64::try_from(n).unwrap_or(i64::MAX))
    }
}
impl From<usize> for Arg {
    fn from(n: usize) -> Arg {
        Arg::N(i64::try_from(n).unwrap_or(i64::MAX))
    }
}
impl From<u32> for Arg {
    fn from(n: u32) -> Arg {
        Arg::N(i64::from(n))
    }
}

/// Builds an argument list: `args![("n", 3), ("name", "x")]`.
#[macro_export]
macro_rules! args {
    ($(($k:expr, $v:expr)),* $(,)?) => {
        &[$(($k, $crate::i18n::Arg::from($v))),*]
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every key of the Chinese file exists in the English one and the other way round.
    #[test]
    fn both_languages_have_the_same_keys() {
        let keys = |s: &str| -> std::collections::BTreeSet<String> {
            s.lines()
                .filter(|l| !l.starts_with(' ') && !l.starts_with('#') && l.contains(" ="))
                .filter_map(|l| l.split(" =").next().map(|k| k.trim().to_owned()))
                .collect()
        };
        let zh = keys(include_str!("../locales/zh-CN/main.ftl"));
        let en = keys(include_str!("../locales/en/main.ftl"));
        let only_zh: Vec<_> = zh.difference(&en).collect();
        let only_en: Vec<_> = en.difference(&zh).collect();
        assert!(only_zh.is_empty() && only_en.is_empty(), "only in zh: {only_zh:?}; only in en: {only_en:?}");
        assert!(zh.len() > 100, "{} keys", zh.len());
    }

    #[test]
    fn messages_resolve_in_both_languages() {
        assert_eq!(Lang::Zh.t("site-name"), "富阳区网上办事大厅");
        assert_eq!(Lang::En.t("site-name"), "Fuyang District Online Service Hall");
        assert!(Lang::En.ta("hall-to-upload", args![("n", 2_i64)]).contains('2'));
    }
}
