//! Masking of personal data (identity numbers, phone numbers, names) for logs and lists.
//!
//! These work on any text, valid or not, and never panic; a text too short to keep anything
//! readable comes back fully starred, one star per character.

/// Keeps the first `head` and last `tail` characters and stars the rest; fully stars a text that
/// would not have at least one star.
fn keep(s: &str, head: usize, tail: usize) -> String {
    let chars: Vec<char> = s.chars().collect();
    let n = chars.len();
    if n <= head + tail {
        return "*".repeat(n);
    }
    let mut out = String::with_capacity(s.len());
    out.extend(chars.iter().take(head));
    out.push_str(&"*".repeat(n - head - tail));
    out.extend(chars.iter().skip(n - tail));
    out
}

/// An identity number with the first 6 and last 4 characters kept: `330111********123X`.
/// Text of 10 characters or fewer is fully starred.
pub fn id_number(s: &str) -> String {
    keep(s.trim(), 6, 4)
}

/// A phone number with the first 3 and last 4 digits kept: `138****1234`. A number with a
/// `+86` prefix or separators is first reduced to its 11 digits; text of 7 characters or fewer
/// is fully starred.
pub fn phone(s: &str) -> String {
    match crate::Phone::parse(s) {
        Ok(p) => keep(p.as_str(), 3, 4),
        Err(_) => keep(s.trim(), 3, 4),
    }
}

/// A personal name with only the first and (for three characters or more) the last character
/// kept: `张三丰` → `张*丰`, `张三` → `张*`, `欧阳娜娜` → `欧**娜`.
pub fn name(s: &str) -> String {
    let s = s.trim();
    match s.chars().count() {
        0 => String::new(),
        1 => "*".into(),
        2 => s.chars().take(1).chain(['*']).collect(),
        _ => keep(s, 1, 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_numbers() {
        let cases = [
            ("33011119900307123X", "330111********123X"),
            (" 330111199003071237 ", "330111********1237"),
            ("330111900307123", "330111*****7123"),
            ("12345678901", "123456*8901"),
            ("1234567890", "**********"),
            ("abc", "***"),
            ("", ""),
        ];
        for (input, want) in cases {
            assert_eq!(id_number(input), want, "{input:?}");
        }
    }

    #[test]
    fn phones() {
        let cases = [
            ("13812341234", "138****1234"),
            ("+86 138-1234-5678", "138****5678"),
            ("057163312345", "057*****2345"),
            ("12345678", "123*5678"),
            ("1234567", "*******"),
            ("", ""),
        ];
        for (input, want) in cases {
            assert_eq!(phone(input), want, "{input:?}");
        }
    }

    #[test]
    fn names() {
        let cases = [
            ("张三丰", "张*丰"),
            ("张三", "张*"),
            ("欧阳娜娜", "欧**娜"),
            ("阿卜杜·热合曼", "阿*****曼"),
            ("张", "*"),
            (" 李四 ", "李*"),
            ("", ""),
        ];
        for (input, want) in cases {
            assert_eq!(name(input), want, "{input:?}");
        }
    }
}
