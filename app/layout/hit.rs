//! Hit testing on a layout's tiles (to come).
