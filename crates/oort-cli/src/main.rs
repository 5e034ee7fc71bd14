//! The `oort` command (under construction).

fn main() {}
