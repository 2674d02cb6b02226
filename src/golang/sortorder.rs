//! `github.com/fvbommel/sortorder`'s `NaturalLess`, which docker/cli sorts names and ports
//! with (`network ls`, `port`): runs of digits compare as numbers.

use std::cmp::Ordering;

/// `NaturalLess` as an ordering: runs of digits compare as numbers (leading zeros ignored;
/// on a tie, fewer zeros first), a digit before any other byte, other bytes bytewise, and
/// a string that is a prefix of the other first.
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (s1, s2) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    while let (Some(&c1), Some(&c2)) = (s1.get(i), s2.get(j)) {
        let (d1, d2) = (c1.is_ascii_digit(), c2.is_ascii_digit());
        if d1 != d2 {
            return if d1 {
                Ordering::Less
            } else {
                Ordering::Greater
            };
        }
        if !d1 {
            if c1 != c2 {
                return c1.cmp(&c2);
            }
            i += 1;
            j += 1;
            continue;
        }
        let (n1, zeros1, end1) = number_at(s1, i);
        let (n2, zeros2, end2) = number_at(s2, j);
        let by_number = n1.len().cmp(&n2.len()).then_with(|| n1.cmp(n2));
        if by_number != Ordering::Equal {
            return by_number;
        }
        if zeros1 != zeros2 {
            return zeros1.cmp(&zeros2);
        }
        (i, j) = (end1, end2);
    }
    s1.len().cmp(&s2.len())
}

/// The run of digits at `s[at..]`: its digits after any leading zeros, where those digits
/// start (the position `NaturalLess` compares on a tie), and where the run ends.
fn number_at(s: &[u8], at: usize) -> (&[u8], usize, usize) {
    let rest = s.get(at..).unwrap_or_default();
    let zeros = rest.iter().take_while(|c| **c == b'0').count();
    let digits = rest
        .iter()
        .skip(zeros)
        .take_while(|c| c.is_ascii_digit())
        .count();
    let n = rest.get(zeros..zeros + digits).unwrap_or_default();
    (n, at + zeros, at + zeros + digits)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::*;

    #[test]
    fn natural_order() {
        assert_eq!(natural_cmp("net2", "net10"), Less);
        assert_eq!(natural_cmp("bridge", "host"), Less);
        assert_eq!(natural_cmp("a", "a"), Equal);
        assert_eq!(natural_cmp("a1b", "a1"), Greater);
        assert_eq!(natural_cmp("a01", "a1"), Greater);
        assert_eq!(natural_cmp("a1", "a01"), Less);
        // A digit sorts before any other byte, even one below '0'.
        assert_eq!(natural_cmp("a1", "a-b"), Less);
        assert_eq!(natural_cmp("80/tcp", "443/tcp"), Less);
        assert_eq!(natural_cmp("", "0"), Less);
    }
}
