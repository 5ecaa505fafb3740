//! `memscape shot`: a view rendered offscreen (no window, no X server) and
//! written as a PNG: a map (coloured by kind or as --colour says, or by
//! change with --compare), or the byte picture (--view bytes). The pictures
//! are export/'s; this gathers what they need and reports them.

use std::io::Write;

use anyhow::{Result, bail};

use super::args::{Command, ShotView};
use super::timings::Timings;
use crate::analysis::byte_stats::region_bytes;
use crate::analysis::compare;
use crate::export::{BytesPictureOptions, PictureOptions, save_bytes_picture, save_picture};
use crate::scene::theme::ColorMode;
use crate::scene::{RegionByteFigures, RegionChanges};

/// Runs `memscape shot` (`command` is a [`Command::Shot`]).
pub fn run(command: &Command, timings: &mut Timings, out: &mut dyn Write) -> Result<()> {
    let Command::Shot {
        dump,
        view,
        bytes_mode,
        order,
        size,
        output,
        select,
        camera,
        height,
        theme,
        transparent,
        title,
        legend,
        callouts,
        compare,
        colour,
        tile_px,
    } = command
    else {
        bail!("not a shot command");
    };
    let view = match view {
        ShotView::Map(v) => *v,
        ShotView::Bytes => {
            let opts = BytesPictureOptions {
                select: *select,
                order: *order,
                mode: *bytes_mode,
                theme: *theme,
                title: title.clone(),
                legend: *legend,
                ..BytesPictureOptions::new(*size)
            };
            let space = timings.open(dump)?;
            let [w, h] = save_bytes_picture(&space, &opts, output, &mut |name, took| timings.record(name, took))?;
            writeln!(
                out,
                "wrote {} ({w}x{h}, bytes view, {} by {})",
                output.display(),
                order.name(),
                bytes_mode.name()
            )?;
            return Ok(());
        }
    };
    let mut opts = PictureOptions {
        view,
        size_px: *size,
        select: *select,
        camera: camera.map(|c| c.0),
        camera_target: camera.and_then(|c| c.1),
        metric: *height,
        theme: *theme,
        transparent: *transparent,
        title: title.clone(),
        legend: *legend,
        callouts: *callouts,
        tile_px: *tile_px,
        ..PictureOptions::new(view, *size)
    };
    let space = timings.open(dump)?;
    let space = match compare {
        Some(a) => {
            let a = timings.open(a)?;
            let (cut, comparison) = timings.time("analysis", || compare::compare(&a, &space));
            for w in &comparison.diff.warnings {
                log::warn!("{w}");
            }
            opts.filters.color_mode = ColorMode::Change;
            opts.filters.changes = Some(RegionChanges(comparison.classes.into()));
            opts.compared_with = Some(comparison.a_path);
            cut
        }
        None if *colour == Some(ColorMode::Change) => {
            bail!("--colour change needs --compare EARLIER (the dump to compare with)")
        }
        None => space,
    };
    if let Some(mode) = colour {
        opts.filters.color_mode = *mode;
    }
    if opts.filters.color_mode.reads_bytes() {
        let figures = timings.time("analysis", || region_bytes(&space));
        opts.filters.bytes = Some(RegionByteFigures(figures.into()));
    }
    write_map(&space, &opts, output, timings, out)
}

/// Writes the map picture of `opts` to `output` and says so on `out`.
pub fn write_map(
    space: &crate::dump::AddressSpace,
    opts: &PictureOptions,
    output: &std::path::Path,
    timings: &mut Timings,
    out: &mut dyn Write,
) -> Result<()> {
    let [w, h] = save_picture(space, opts, output, &mut |name, took| timings.record(name, took))?;
    writeln!(out, "wrote {} ({w}x{h}, {} view)", output.display(), opts.view.name())?;
    Ok(())
}
