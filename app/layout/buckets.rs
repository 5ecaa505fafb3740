//! Items grouped into numbered buckets, compressed (CSR): the picking indexes
//! group tiles and boxes by grid cell and by region this way.

/// Groups `len` items into `buckets` buckets: `each(i, put)` calls `put`
/// with every bucket item `i` belongs to. Returns `(start, items)`: bucket
/// `b` holds `items[start[b]..start[b + 1]]`, items in index order. A
/// counting pass, prefix sums and a filling pass: no per-bucket allocation.
pub(crate) fn group(buckets: usize, len: usize, each: impl Fn(usize, &mut dyn FnMut(usize))) -> (Vec<u32>, Vec<u32>) {
    let mut start = vec![0u32; buckets + 1];
    for i in 0..len {
        each(i, &mut |b| start[b + 1] += 1);
    }
    for b in 0..buckets {
        start[b + 1] += start[b];
    }
    let mut fill = start.clone();
    let mut items = vec![0u32; start[buckets] as usize];
    for i in 0..len {
        each(i, &mut |b| {
            items[fill[b] as usize] = i as u32;
            fill[b] += 1;
        });
    }
    (start, items)
}

/// [`group`] with one bucket per item, `bucket_of(i)`: items by region.
pub(crate) fn group_by(len: usize, bucket_of: impl Fn(usize) -> usize) -> (Vec<u32>, Vec<u32>) {
    let buckets = (0..len).map(|i| bucket_of(i) + 1).max().unwrap_or(0);
    group(buckets, len, |i, put| put(bucket_of(i)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_land_in_their_buckets_in_order() {
        // Item i is in buckets i % 3 and, when even, also 3.
        let (start, items) = group(4, 7, |i, put| {
            put(i % 3);
            if i % 2 == 0 {
                put(3);
            }
        });
        let bucket = |b: usize| &items[start[b] as usize..start[b + 1] as usize];
        assert_eq!(bucket(0), &[0, 3, 6]);
        assert_eq!(bucket(1), &[1, 4]);
        assert_eq!(bucket(2), &[2, 5]);
        assert_eq!(bucket(3), &[0, 2, 4, 6]);
        let (start, items) = group_by(4, |i| [2, 0, 2, 1][i]);
        assert_eq!((start, items), (vec![0, 1, 2, 4], vec![1, 3, 0, 2]));
    }
}
