//! noctis-wire: what a peer's bytes mean, decided within the bytes it sent.
//!
//! Every parser here takes a byte slice and checks each declared length, count
//! or size against the bytes actually present before it reads or allocates
//! anything for it. A peer on the open internet controls all of these bytes;
//! each module is a fuzz target (`wire/fuzz`).

pub mod bitstream;
pub mod command;
pub mod commitment;
pub mod elements;
pub mod header;
pub mod identifier;
pub mod multipart;
pub mod part10;
pub mod pdu;
pub mod pixel_data;
pub mod proxy;
pub mod transfer_syntax;
