//! First-fit slot allocation (SPEC section 2). Pure: no files, no clock.

use std::collections::{BTreeMap, BTreeSet};

use crate::network::{SLOT_COUNT, Slot};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "too many services: a repository has {SLOT_COUNT} slots (127.x.y.2-62) and {used} are taken; \
     these services did not fit: {}. Remove services, or run `renet slots prune` to free the slots \
     of services no compose file names any more",
    unplaced.join(", ")
)]
// `pub`: `crate::slotmap::SlotMapError` holds it.
pub struct CapacityError {
    pub(crate) used: usize,
    pub(crate) unplaced: Vec<String>,
}

/// Give every name in `wanted` that has no slot yet the lowest free slot, taking new names in
/// byte order. Existing assignments never move. Returns only the new assignments.
pub(crate) fn allocate<'a>(
    existing: &BTreeMap<String, Slot>,
    wanted: impl IntoIterator<Item = &'a str>,
) -> Result<Vec<(String, Slot)>, CapacityError> {
    // BTreeSet gives byte order of names, which is the order the SPEC asks for.
    let new: BTreeSet<&str> = wanted
        .into_iter()
        .filter(|n| !existing.contains_key(*n))
        .collect();
    let taken: BTreeSet<Slot> = existing.values().copied().collect();
    let mut free = Slot::all().filter(|s| !taken.contains(s));
    let mut out = Vec::with_capacity(new.len());
    let mut unplaced = Vec::new();
    for name in new {
        match free.next() {
            Some(slot) => out.push((name.to_owned(), slot)),
            None => unplaced.push(name.to_owned()),
        }
    }
    if unplaced.is_empty() {
        Ok(out)
    } else {
        Err(CapacityError {
            used: existing.len() + out.len(),
            unplaced,
        })
    }
}

/// `listmonk-app` -> `LISTMONK_APP_IP`.
pub(crate) fn var_name(service: &str) -> String {
    let mut v: String = service
        .chars()
        .map(|c| {
            let u = c.to_ascii_uppercase();
            if u.is_ascii_uppercase() || u.is_ascii_digit() || u == '_' {
                u
            } else {
                '_'
            }
        })
        .collect();
    v.push_str("_IP");
    v
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "services \"{first}\" and \"{second}\" both map to the variable {var}; rename one of them \
     (variable names are the service name upper-cased with every character outside [A-Z0-9_] turned into _)"
)]
// `pub`: `crate::slotmap::SlotMapError` holds it.
pub struct VarCollision {
    pub(crate) first: String,
    pub(crate) second: String,
    pub(crate) var: String,
}

/// Two services whose names give the same `<NAME>_IP` variable would silently share an address
/// variable; refuse them.
pub(crate) fn check_var_names<'a>(
    names: impl IntoIterator<Item = &'a str>,
) -> Result<(), VarCollision> {
    let mut seen: BTreeMap<String, &str> = BTreeMap::new();
    let mut sorted: Vec<&str> = names.into_iter().collect();
    sorted.sort_unstable();
    sorted.dedup();
    for name in sorted {
        let var = var_name(name);
        if let Some(first) = seen.get(&var) {
            return Err(VarCollision {
                first: (*first).to_owned(),
                second: name.to_owned(),
                var,
            });
        }
        seen.insert(var, name);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn slot(n: u8) -> Slot {
        Slot::new(n.into()).unwrap()
    }

    #[test]
    fn new_names_in_byte_order_get_lowest_free() {
        let mut existing = BTreeMap::new();
        existing.insert("api".to_owned(), slot(1));
        let got = allocate(&existing, ["web", "Zed", "api", "db"]).unwrap();
        assert_eq!(
            got,
            vec![
                ("Zed".to_owned(), slot(0)),
                ("db".to_owned(), slot(2)),
                ("web".to_owned(), slot(3))
            ]
        );
    }

    #[test]
    fn sixty_two_services_do_not_fit() {
        let names: Vec<String> = (0..62).map(|i| format!("s{i:02}")).collect();
        let err = allocate(&BTreeMap::new(), names.iter().map(String::as_str)).unwrap_err();
        assert_eq!(err.unplaced, vec!["s61".to_owned()]);
        assert!(err.to_string().contains("61 slots"));
        let ok = allocate(&BTreeMap::new(), names[..61].iter().map(String::as_str)).unwrap();
        assert_eq!(ok.last().unwrap().1, slot(60));
    }

    #[test]
    fn variable_names() {
        assert_eq!(var_name("listmonk-app"), "LISTMONK_APP_IP");
        assert_eq!(var_name("db.1"), "DB_1_IP");
        assert_eq!(var_name("Postgres"), "POSTGRES_IP");
        let err = check_var_names(["my-app", "my_app", "db"]).unwrap_err();
        assert_eq!(err.var, "MY_APP_IP");
        assert!(check_var_names(["a", "b", "a"]).is_ok());
    }

    proptest! {
        #[test]
        fn no_slot_twice_and_existing_never_move(
            existing_names in proptest::collection::btree_set("[a-z]{1,6}", 0..30),
            wanted in proptest::collection::vec("[a-z]{1,6}", 0..40),
            seed in any::<u64>(),
        ) {
            // Spread existing names over distinct pseudo-random slots.
            let mut slots: Vec<Slot> = Slot::all().collect();
            let mut s = seed;
            for i in (1..slots.len()).rev() {
                s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                slots.swap(i, (s >> 33) as usize % (i + 1));
            }
            let existing: BTreeMap<String, Slot> =
                existing_names.into_iter().zip(slots).collect();
            match allocate(&existing, wanted.iter().map(String::as_str)) {
                Ok(new) => {
                    let mut all: BTreeMap<String, Slot> = existing.clone();
                    for (n, s) in &new {
                        prop_assert!(!existing.contains_key(n), "existing name reassigned");
                        prop_assert!(all.insert(n.clone(), *s).is_none());
                    }
                    let distinct: BTreeSet<Slot> = all.values().copied().collect();
                    prop_assert_eq!(distinct.len(), all.len(), "a slot handed out twice");
                    for w in &wanted { prop_assert!(all.contains_key(w)); }
                }
                Err(e) => {
                    let distinct_new: BTreeSet<&String> =
                        wanted.iter().filter(|w| !existing.contains_key(*w)).collect();
                    prop_assert!(existing.len() + distinct_new.len() > 61);
                    prop_assert!(!e.unplaced.is_empty());
                }
            }
        }

        #[test]
        fn allocation_is_deterministic_whatever_the_input_order(
            mut names in proptest::collection::vec("[a-z]{1,4}", 0..20)
        ) {
            let a = allocate(&BTreeMap::new(), names.iter().map(String::as_str)).unwrap();
            names.reverse();
            let b = allocate(&BTreeMap::new(), names.iter().map(String::as_str)).unwrap();
            prop_assert_eq!(a, b);
        }
    }
}
