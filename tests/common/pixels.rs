//! Reading rendered pictures: one pixel, brightness, colour distance, and
//! keeping a picture to look at.

/// The pixel at (x, y).
pub fn at(img: &image::RgbaImage, (x, y): (u32, u32)) -> [u8; 4] {
    img.get_pixel(x, y).0
}

/// r + g + b.
pub fn brightness(c: [u8; 4]) -> u32 {
    c[0] as u32 + c[1] as u32 + c[2] as u32
}

/// The sum of the channel differences (alpha left out).
pub fn distance(a: [u8; 4], b: [u8; 4]) -> u32 {
    (0..3).map(|i| a[i].abs_diff(b[i]) as u32).sum()
}

/// Saves the picture as `target/tmp/{name}.png` when MEMSCAPE_SAVE_RENDERS=1, to look at.
pub fn maybe_save(img: &image::RgbaImage, name: &str) {
    if std::env::var("MEMSCAPE_SAVE_RENDERS").as_deref() == Ok("1") {
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
        let path = dir.join(format!("{name}.png"));
        img.save(&path).expect("save png");
        println!("saved {}", path.display());
    }
}
