//! Deterministic dump generators: the bundled demo dump and (later) big test dumps.
//! Writes minidumps with minidump-synth; depends on no other layer of memscape.
