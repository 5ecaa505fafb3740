//! The compressed linear address axis shared by the strip and Hilbert layouts (to come).
