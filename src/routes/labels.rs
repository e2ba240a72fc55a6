//! A container's labels as the route server keeps them: sorted by key and packed into one
//! string with an index of offsets. The route server holds the labels of every container on
//! the machine between refreshes; as a `BTreeMap<String, String>` each label costs two heap
//! strings and a share of a B-tree node (22 MB for 20,000 containers in `benches/routes.py`),
//! packed it costs its bytes plus two offsets (two allocations per container in all).

use std::collections::BTreeMap;
use std::fmt;

/// Sorted, unique keys; lookups are binary searches.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub(crate) struct Labels {
    /// key0 value0 key1 value1 ... concatenated.
    text: Box<str>,
    /// End offset in `text` of each key and each value, in that order.
    ends: Box<[u32]>,
}

impl Labels {
    pub(crate) fn len(&self) -> usize {
        self.ends.len() / 2
    }

    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    fn span(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.text[start..self.ends[i] as usize]
    }

    fn key(&self, i: usize) -> &str {
        self.span(2 * i)
    }

    fn value(&self, i: usize) -> &str {
        self.span(2 * i + 1)
    }

    fn find(&self, key: &str) -> Result<usize, usize> {
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.key(mid).cmp(key) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Ok(mid),
            }
        }
        Err(lo)
    }

    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.find(key).ok().map(|i| self.value(i))
    }

    pub(crate) fn contains_key(&self, key: &str) -> bool {
        self.find(key).is_ok()
    }

    /// In key order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        (0..self.len()).map(|i| (self.key(i), self.value(i)))
    }

    /// Repacks: for tests; the route server builds label sets once, with `collect`.
    #[cfg(test)]
    pub(crate) fn insert(&mut self, key: impl Into<String>, value: impl Into<String>) {
        let mut map = self.to_map();
        map.insert(key.into(), value.into());
        *self = Self::pack(&map);
    }

    /// Repacks, like `insert`.
    #[cfg(test)]
    pub(crate) fn remove(&mut self, key: &str) -> Option<String> {
        let mut map = self.to_map();
        let old = map.remove(key);
        *self = Self::pack(&map);
        old
    }

    #[cfg(test)]
    fn to_map(&self) -> BTreeMap<String, String> {
        self.iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    }

    fn pack(map: &BTreeMap<String, String>) -> Self {
        let size: usize = map.iter().map(|(k, v)| k.len() + v.len()).sum();
        let mut text = String::with_capacity(size);
        let mut ends = Vec::with_capacity(2 * map.len());
        for (k, v) in map {
            // Offsets are u32 to halve the index; labels beyond 4 GiB per container cannot
            // reach us (the daemon refuses such requests long before), but stop rather than wrap.
            if text.len() + k.len() + v.len() > u32::MAX as usize {
                break;
            }
            text.push_str(k);
            ends.push(text.len() as u32);
            text.push_str(v);
            ends.push(text.len() as u32);
        }
        Self {
            text: text.into_boxed_str(),
            ends: ends.into_boxed_slice(),
        }
    }
}

/// Later pairs win over earlier ones with the same key, as with a map.
impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for Labels {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let map: BTreeMap<String, String> = iter
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        Self::pack(&map)
    }
}

impl fmt::Debug for Labels {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn lookups_and_order() {
        let l: Labels = [("b", "2"), ("a", "1"), ("c", ""), ("a", "one")]
            .into_iter()
            .collect();
        assert_eq!(l.len(), 3);
        assert_eq!(l.get("a"), Some("one"));
        assert_eq!(l.get("c"), Some(""));
        assert_eq!(l.get("d"), None);
        assert!(l.contains_key("b"));
        let pairs: Vec<_> = l.iter().collect();
        assert_eq!(pairs, vec![("a", "one"), ("b", "2"), ("c", "")]);
        assert_eq!(format!("{l:?}"), r#"{"a": "one", "b": "2", "c": ""}"#);
    }

    #[test]
    fn empty() {
        let l = Labels::default();
        assert!(l.is_empty());
        assert_eq!(l.get(""), None);
        assert_eq!(l.iter().count(), 0);
        let e: Labels = [("", "")].into_iter().collect();
        assert_eq!(e.get(""), Some(""));
    }

    #[test]
    fn edits_repack() {
        let mut l: Labels = [("x", "1")].into_iter().collect();
        l.insert("w", "0");
        l.insert("x", "2");
        assert_eq!(l.remove("w"), Some("0".to_owned()));
        assert_eq!(l.remove("w"), None);
        let pairs: Vec<_> = l.iter().collect();
        assert_eq!(pairs, vec![("x", "2")]);
    }

    proptest! {
        /// Behaves exactly like the map it replaces: same lookups, same order, same equality.
        #[test]
        fn same_as_a_btreemap(
            pairs in proptest::collection::vec(("[a-z.]{0,6}", "\\PC{0,6}"), 0..12),
            probe in "[a-z.]{0,6}",
        ) {
            let map: BTreeMap<String, String> = pairs.iter().cloned().collect();
            let packed: Labels = pairs.iter().cloned().collect();
            prop_assert_eq!(packed.len(), map.len());
            prop_assert_eq!(packed.get(&probe), map.get(&probe).map(String::as_str));
            let a: Vec<(&str, &str)> = packed.iter().collect();
            let b: Vec<(&str, &str)> = map.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            prop_assert_eq!(a, b);
            let again: Labels = map.clone().into_iter().collect();
            prop_assert_eq!(&again, &packed);
        }
    }
}
