//! memscape: GPU-rendered maps of a process's virtual address space, read from
//! crash and memory dumps. See ARCHITECTURE.md for the layers and what each owns.

pub mod synth;
