//! The one way a set of codes becomes a Rust enum: each variant with its stored code and its
//! English label, `ALL` in order, `code`, `label`, `parse`, `Display`, `FromStr` with the
//! message a person reads for a wrong code, and `TryFrom<String>` for reading stored values.

/// A stored code that names no variant (a corrupt or outdated row).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} code {code:?}")]
pub struct UnknownCode {
    pub kind: &'static str,
    pub code: String,
}

/// Declares an enum of codes:
///
/// ```ignore
/// codes! {
///     /// Doc comment.
///     pub enum Urgency {
///         Routine = "routine", "Routine";
///         Urgent = "urgent", "Urgent";
///     }
///     else |s| "must be routine or urgent".to_owned()
/// }
/// ```
#[macro_export]
macro_rules! codes {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $code:literal, $label:literal; )+
        }
        else |$s:ident| $unknown:expr
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        $vis enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        impl $name {
            /// Every variant, in order.
            pub const ALL: [$name; [$($code),+].len()] = [$(Self::$variant),+];

            /// The code stored and used in forms and the API.
            pub const fn code(self) -> &'static str {
                match self { $(Self::$variant => $code,)+ }
            }

            /// The English label (pages translate it).
            pub const fn label(self) -> &'static str {
                match self { $(Self::$variant => $label,)+ }
            }

            /// The variant of a code, if any.
            pub fn parse(code: &str) -> Option<Self> {
                Self::ALL.into_iter().find(|x| x.code() == code)
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.code())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = String;
            fn from_str($s: &str) -> Result<Self, Self::Err> {
                Self::parse($s).ok_or_else(|| $unknown)
            }
        }

        impl TryFrom<String> for $name {
            type Error = $crate::domain::codes::UnknownCode;
            fn try_from(code: String) -> Result<Self, Self::Error> {
                Self::parse(&code).ok_or($crate::domain::codes::UnknownCode {
                    kind: stringify!($name),
                    code,
                })
            }
        }
    };
}

#[cfg(test)]
mod tests {
    crate::codes! {
        enum Sample {
            One = "one", "One";
            Two = "two", "Two";
        }
        else |s| format!("not a sample: {s}")
    }

    #[test]
    fn codes_labels_and_parsing_round_trip() {
        assert_eq!(Sample::ALL, [Sample::One, Sample::Two]);
        for s in Sample::ALL {
            assert_eq!(s.code().parse::<Sample>(), Ok(s));
            assert_eq!(Sample::try_from(s.to_string()), Ok(s));
        }
        assert_eq!(Sample::Two.label(), "Two");
        assert_eq!(
            "three".parse::<Sample>(),
            Err("not a sample: three".to_owned())
        );
        assert_eq!(
            Sample::try_from("three".to_owned())
                .unwrap_err()
                .to_string(),
            "unknown Sample code \"three\""
        );
    }
}
