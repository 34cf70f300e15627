//! Training: the synchronous [`session::Session`] and the [`thread::Trainer`] thread that
//! drives one through the plain-data [`protocol`].

mod caption_worker;
mod classifier_job;
mod cycle_judges;
mod cycle_worker;
mod evaluate;
mod family_loop;
pub mod field;
mod helper_job;
mod image_judge;
mod link;
pub mod protocol;
pub mod reconfigure;
pub mod run_log;
pub mod session;
mod session_checkpoint;
mod sr_worker;
pub mod step;
mod style_worker;
pub mod tensors;
pub mod thread;
mod worker;
