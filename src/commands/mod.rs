//! The commands people run (the protocol actions docker runs are in [`crate::protocol`]; `push`
//! and `sync` are subsystems of their own, [`crate::push`] and [`crate::sync`]).

pub mod backends;
pub mod completions;
pub mod doctor;
pub mod import;
pub mod man;
pub mod setup;
