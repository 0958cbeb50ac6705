//! Enums whose values are part of the C ABI, declared once.
//!
//! `abi_enum!` declares a `#[repr(u32)]` Rust enum together with the names gsp.h gives it and
//! its values. The C layer hands these enums to C as they are, and its header test writes their
//! C declarations from each enum's [`AbiEnum`] (all of them: [`crate::ABI_ENUMS`]), so a value,
//! a name or a doc comment exists in one place only.

/// The C declaration of one enum of the ABI.
#[derive(Debug)]
pub struct AbiEnum {
    /// The C type name (`gsp_severity`).
    pub c_name: &'static str,
    /// The enum's doc comment, one entry per line.
    pub doc: &'static [&'static str],
    /// Every value, in declaration order.
    pub variants: &'static [AbiVariant],
}

/// One value of an [`AbiEnum`].
#[derive(Debug)]
pub struct AbiVariant {
    /// The C constant (`GSP_SEVERITY_INFO`).
    pub c_name: &'static str,
    /// Its fixed value.
    pub value: u32,
    /// Its doc comment, one entry per line.
    pub doc: &'static [&'static str],
}

/// Declares a `#[repr(u32)]` enum of the C ABI, with its C name and each value's C constant.
macro_rules! abi_enum {
    (
        $(#[doc = $doc:literal])*
        #[c_name = $c_name:literal]
        $(#[$meta:meta])*
        pub enum $name:ident {
            $(
                $(#[doc = $vdoc:literal])*
                $variant:ident = $value:literal => $c_variant:literal,
            )*
        }
    ) => {
        $(#[doc = $doc])*
        $(#[$meta])*
        #[repr(u32)]
        pub enum $name {
            $(
                $(#[doc = $vdoc])*
                $variant = $value,
            )*
        }

        impl $name {
            /// How gsp.h declares this enum (its values are fixed: part of the C ABI).
            pub const ABI: $crate::abi::AbiEnum = $crate::abi::AbiEnum {
                c_name: $c_name,
                doc: &[$($doc),*],
                variants: &[$(
                    $crate::abi::AbiVariant {
                        c_name: $c_variant,
                        value: $value,
                        doc: &[$($vdoc),*],
                    },
                )*],
            };
        }
    };
}

pub(crate) use abi_enum;
