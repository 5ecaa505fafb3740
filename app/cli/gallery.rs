//! `memscape gallery DIR`: every view of the bundled demo dump as PNGs: with
//! the crashing instruction's region selected, pattern callouts, the title
//! block and the legend (`demo-VIEW.png`, the pictures README.md shows), and
//! bare (`demo-VIEW-plain.png`). One command rebuilds screenshots/.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};

use super::shot;
use crate::demo;
use crate::export::PictureOptions;
use crate::layout::View;

/// The files the gallery writes, in order.
pub fn file_names() -> Vec<String> {
    View::ALL.iter().flat_map(|v| [format!("demo-{}.png", v.name()), format!("demo-{}-plain.png", v.name())]).collect()
}

pub fn run(dir: &Path, size_px: [u32; 2], out: &mut dyn Write) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("{}: cannot create the folder", dir.display()))?;
    let space = demo::open_demo()?;
    let crash = space.exception.as_ref().map(|e| e.instruction_addr.unwrap_or(e.address));
    for view in View::ALL {
        for dressed in [true, false] {
            let suffix = if dressed { "" } else { "-plain" };
            let mut opts = PictureOptions::new(view, size_px);
            if dressed {
                opts.select = crash;
                opts.title = Some(None);
                opts.legend = true;
                opts.callouts = true;
            }
            let path = dir.join(format!("demo-{}{suffix}.png", view.name()));
            shot::write_map(&space, &opts, &path, &mut super::Timings::off(), out)?;
        }
    }
    Ok(())
}
