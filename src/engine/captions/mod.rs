//! Text-to-image on scenes ganvas makes itself (issue 17): digits placed on a canvas and
//! captions written from the same description ([`grammar`]), drawn from the embedded digits or
//! MNIST ([`render`]) into a dataset ([`scenes`]); the words a caption encoder reads ([`vocab`])
//! and the encoders themselves ([`encoder`]).

pub mod encoder;
pub mod grammar;
pub mod nets;
pub mod reader;
pub mod render;
pub mod run;
pub mod scenes;
#[cfg(test)]
pub mod vocab;
