//! [`Label`]: a region's short description, shared rather than copied.
//!
//! A million regions mostly repeat a few thousand texts (a module's name on
//! each of its sections, "stack of thread 0x1a2c" on a stack's pieces). A
//! `String` per region costs 24 bytes plus a heap block each; a `Label` is one
//! pointer to text shared by reference count, and the empty label allocates
//! nothing. `Arc<Box<str>>` rather than `Arc<str>` keeps the pointer thin
//! (8 bytes), which is what keeps `Region` within 64 bytes.

use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

/// Immutable text, cheap to clone (a reference count), empty without allocating.
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Label(Option<Arc<Box<str>>>);

impl Label {
    /// The empty label.
    pub const EMPTY: Label = Label(None);

    pub fn as_str(&self) -> &str {
        self.0.as_deref().map_or("", |b| b)
    }
}

impl Deref for Label {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Label {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl Borrow<str> for Label {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl From<&str> for Label {
    fn from(s: &str) -> Label {
        if s.is_empty() { Label(None) } else { Label(Some(Arc::new(s.into()))) }
    }
}

impl From<String> for Label {
    fn from(s: String) -> Label {
        if s.is_empty() { Label(None) } else { Label(Some(Arc::new(s.into_boxed_str()))) }
    }
}

impl From<&String> for Label {
    fn from(s: &String) -> Label {
        Label::from(s.as_str())
    }
}

impl PartialEq<str> for Label {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Label {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for Label {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<Label> for str {
    fn eq(&self, other: &Label) -> bool {
        self == other.as_str()
    }
}

impl PartialEq<Label> for &str {
    fn eq(&self, other: &Label) -> bool {
        *self == other.as_str()
    }
}

impl PartialEq<Label> for String {
    fn eq(&self, other: &Label) -> bool {
        self == other.as_str()
    }
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Through `pad` so that width and alignment (`{:<30}`) work as for str.
        f.pad(self.as_str())
    }
}

impl fmt::Debug for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

#[cfg(test)]
mod tests {
    use super::Label;

    #[test]
    fn one_pointer_shared_and_empty_without_allocation() {
        assert_eq!(std::mem::size_of::<Label>(), 8);
        let a = Label::from("ntdll.dll");
        let b = a.clone();
        assert!(std::ptr::eq(a.as_str(), b.as_str()), "clones share the text");
        assert_eq!(a, "ntdll.dll");
        assert_eq!(Label::from(String::new()), Label::EMPTY);
        assert!(Label::default().is_empty());
        assert_eq!(format!("[{:<6}]", Label::from("ab")), "[ab    ]");
        assert_eq!(format!("{:?}", Label::from("a\"b")), "\"a\\\"b\"");
    }
}
