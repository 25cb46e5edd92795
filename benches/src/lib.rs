//! trackc's performance harness: synthetic contracts and traffic ([`synth`]) shared by the
//! generator's tests and the bench binaries.

pub mod synth;
