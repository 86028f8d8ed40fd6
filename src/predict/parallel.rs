//! Work over a slice in consecutive parts, one per core (scoped threads): a fit sums its
//! likelihood over the whole sample a thousand times, and ranking by predicted value scores
//! every customer with orders. Below `min_per_part` items per part it stays on the calling
//! thread, where a thread would cost more than it saves.

/// `work` on consecutive parts of `items`, the results in the parts' order.
pub fn in_parts<T: Sync, R: Send>(
    items: &[T],
    min_per_part: usize,
    work: impl Fn(&[T]) -> R + Sync,
) -> Vec<R> {
    let parts = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(items.len() / min_per_part.max(1))
        .max(1);
    if parts == 1 {
        return vec![work(items)];
    }
    let size = items.len().div_ceil(parts);
    std::thread::scope(|s| {
        let handles: Vec<_> = items
            .chunks(size)
            .map(|part| s.spawn(|| work(part)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_parts_cover_every_item_once_in_order() {
        let items: Vec<u32> = (0..10_000).collect();
        let doubled: Vec<u32> =
            in_parts(&items, 100, |p| p.iter().map(|i| i * 2).collect::<Vec<_>>()).concat();
        assert_eq!(doubled, items.iter().map(|i| i * 2).collect::<Vec<_>>());
        assert_eq!(in_parts(&items[..10], 100, |p| p.len()), vec![10]);
    }
}
