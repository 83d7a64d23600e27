//! Exact percentiles over recorded latencies, and a small seeded random
//! generator (no dependency for either).

use std::time::Duration;

/// The nearest-rank percentile of `sorted` (ascending): the smallest value
/// such that at least `p` percent of the values are less than or equal to
/// it. `None` for an empty slice.
pub fn percentile(sorted: &[Duration], p: f64) -> Option<Duration> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

/// Latency figures of one measured run.
#[derive(Debug, Clone, Copy, Default)]
pub struct LatencySummary {
    pub count: usize,
    pub p50: Option<Duration>,
    pub p99: Option<Duration>,
    pub max: Option<Duration>,
}

impl LatencySummary {
    /// Sorts `latencies` in place and reads the figures off it.
    pub fn of(latencies: &mut [Duration]) -> Self {
        latencies.sort_unstable();
        LatencySummary {
            count: latencies.len(),
            p50: percentile(latencies, 50.0),
            p99: percentile(latencies, 99.0),
            max: latencies.last().copied(),
        }
    }
}

/// Milliseconds, for reports.
pub fn ms(d: Option<Duration>) -> Option<f64> {
    d.map(|d| d.as_secs_f64() * 1000.0)
}

/// The median of a few figures (the mean of the middle two for an even count).
pub fn median(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    Some(if v.len() % 2 == 0 {
        (v[mid - 1] + v[mid]) / 2.0
    } else {
        v[mid]
    })
}

/// SplitMix64: enough randomness to pick ids and fill upload buffers.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A value in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms_list(values: &[u64]) -> Vec<Duration> {
        values.iter().map(|&v| Duration::from_millis(v)).collect()
    }

    #[test]
    fn nearest_rank_percentiles() {
        let one_to_hundred: Vec<u64> = (1..=100).collect();
        let sorted = ms_list(&one_to_hundred);
        assert_eq!(percentile(&sorted, 50.0), Some(Duration::from_millis(50)));
        assert_eq!(percentile(&sorted, 99.0), Some(Duration::from_millis(99)));
        assert_eq!(percentile(&sorted, 100.0), Some(Duration::from_millis(100)));
        assert_eq!(percentile(&sorted, 0.0), Some(Duration::from_millis(1)));

        // With fewer than 100 values, p99 is the largest.
        let sorted = ms_list(&[3, 7, 9, 20]);
        assert_eq!(percentile(&sorted, 50.0), Some(Duration::from_millis(7)));
        assert_eq!(percentile(&sorted, 99.0), Some(Duration::from_millis(20)));

        assert_eq!(percentile(&[], 50.0), None);
        assert_eq!(
            percentile(&ms_list(&[5]), 99.0),
            Some(Duration::from_millis(5))
        );
    }

    #[test]
    fn summary_sorts_before_reading() {
        let mut values = ms_list(&[40, 10, 30, 20, 1000]);
        let s = LatencySummary::of(&mut values);
        assert_eq!(s.count, 5);
        assert_eq!(s.p50, Some(Duration::from_millis(30)));
        assert_eq!(s.p99, Some(Duration::from_millis(1000)));
        assert_eq!(s.max, Some(Duration::from_millis(1000)));
    }

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&[5.0, 1.0, 3.0]), Some(3.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&[]), None);
    }
}
