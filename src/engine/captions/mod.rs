//! Text-to-image on scenes ganvas makes itself (issue 17): digits placed on a canvas and
//! captions written from the same description ([`grammar`]), drawn from the embedded digits or
//! MNIST ([`render`]), and the words a caption encoder reads ([`vocab`]).

pub mod grammar;
pub mod render;
pub mod vocab;
