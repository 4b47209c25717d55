//! Values known by name in settings and options: one way to read them, one refusal.

use std::fmt;

use crate::api::json::quoted;

/// A closed set of values, each with the name settings and options spell it with.
pub trait Named: Copy + 'static {
    /// What one of them is, in a refusal: "tag API", "region".
    const KIND: &'static str;
    /// Every one of them, in order.
    const ALL: &'static [Self];

    /// Its name.
    fn name_of(self) -> &'static str;

    /// The one named `name`, whatever its case and the spaces around it.
    fn named(name: &str) -> Result<Self, UnknownName> {
        let wanted = name.trim_ascii();
        Self::ALL
            .iter()
            .copied()
            .find(|known| known.name_of().eq_ignore_ascii_case(wanted))
            .ok_or_else(|| UnknownName {
                kind: Self::KIND,
                name: name.into(),
                expected: Self::ALL.iter().map(|known| known.name_of()).collect(),
            })
    }
}

/// A name that is none of a set's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} {}; expected one of {}", quoted(name), Listed(expected.as_slice()))]
pub struct UnknownName {
    /// What was asked for.
    pub kind: &'static str,
    /// The name given.
    pub name: String,
    /// The names there are.
    pub expected: Vec<&'static str>,
}

/// Names written `a, b, c`.
struct Listed<'a>(&'a [&'static str]);

impl fmt::Display for Listed<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, name) in self.0.iter().enumerate() {
            if index > 0 {
                f.write_str(", ")?;
            }
            f.write_str(name)?;
        }
        Ok(())
    }
}
