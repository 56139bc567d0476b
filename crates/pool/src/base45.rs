//! Base45 (RFC 9285): bytes as text in the QR code's alphanumeric alphabet, so a payload fills a
//! QR code densely (the EU digital COVID certificate uses it the same way).

const ALPHABET: &[u8; 45] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

pub fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 3 / 2 + 2);
    for pair in bytes.chunks(2) {
        let mut n = match pair {
            [a, b] => usize::from(*a) * 256 + usize::from(*b),
            [a] => usize::from(*a),
            _ => 0,
        };
        let digits = if pair.len() == 2 { 3 } else { 2 };
        for _ in 0..digits {
            out.push(char::from(ALPHABET[n % 45]));
            n /= 45;
        }
    }
    out
}

/// Decodes base45; `None` for a character outside the alphabet or a value out of range.
pub fn decode(text: &str) -> Option<Vec<u8>> {
    let vals: Vec<usize> = text.bytes().map(|c| ALPHABET.iter().position(|a| *a == c)).collect::<Option<_>>()?;
    let mut out = Vec::with_capacity(vals.len() * 2 / 3 + 1);
    for chunk in vals.chunks(3) {
        match chunk {
            [c, d, e] => {
                let n = c + d * 45 + e * 45 * 45;
                if n > 0xFFFF {
                    return None;
                }
                out.push(u8::try_from(n / 256).ok()?);
                out.push(u8::try_from(n % 256).ok()?);
            }
            [c, d] => {
                let n = c + d * 45;
                out.push(u8::try_from(n).ok()?);
            }
            _ => return None,
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_9285_examples() {
        assert_eq!(encode(b"AB"), "BB8");
        assert_eq!(encode(b"Hello!!"), "%69 VD92EX0");
        assert_eq!(encode(b"base-45"), "UJCLQE7W581");
        assert_eq!(decode("QED8WEX0").as_deref(), Some(&b"ietf!"[..]));
        assert_eq!(decode("GGW"), None, "65536 is out of range");
        assert_eq!(decode("a"), None);
        let all: Vec<u8> = (0..=255).collect();
        assert_eq!(decode(&encode(&all)), Some(all));
    }
}
