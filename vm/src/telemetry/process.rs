//! The process as the kernel sees it (Linux `/proc`): CPU time, memory, open descriptors, start
//! time. Read for `/metrics` and for the language's `<metrics>`; zeros elsewhere.

use arovm_stdlib::metrics::ProcessStats;

/// The process figures from Linux's `/proc` (zero where it cannot be read, as on other systems).
pub fn process_stats() -> ProcessStats {
    let read = |p: &str| std::fs::read_to_string(p).unwrap_or_default();
    let (ticks, page) = clock_ticks_and_page_size();
    let stat = read("/proc/self/stat");
    // Fields after the command name, which is in parentheses and may hold spaces: field 3 is
    // the first of them.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let f: Vec<&str> = after.split_whitespace().collect();
    let num = |field: usize| -> u64 { f.get(field - 3).and_then(|s| s.parse().ok()).unwrap_or(0) };
    let boot: Option<u64> = read("/proc/stat")
        .lines()
        .find_map(|l| l.strip_prefix("btime ")?.trim().parse().ok());
    let open_fds = std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count() as u64);
    let max_fds = read("/proc/self/limits")
        .lines()
        .find_map(|l| {
            let soft = l
                .strip_prefix("Max open files")?
                .split_whitespace()
                .next()?;
            Some(soft.parse().unwrap_or(u64::MAX))
        })
        .unwrap_or(0);
    ProcessStats {
        cpu_user: num(14) as f64 / ticks,
        cpu_system: num(15) as f64 / ticks,
        virtual_bytes: num(23),
        resident_bytes: num(24) * page,
        open_fds,
        max_fds,
        start_time: boot.map_or(0.0, |b| b as f64 + num(22) as f64 / ticks),
    }
}

/// `AT_CLKTCK` and `AT_PAGESZ` from the auxiliary vector (no libc call needed); Linux's usual
/// 100 Hz and 4 KiB where it cannot be read.
fn clock_ticks_and_page_size() -> (f64, u64) {
    const AT_PAGESZ: u64 = 6;
    const AT_CLKTCK: u64 = 17;
    let (mut ticks, mut page) = (100.0, 4096);
    let auxv = std::fs::read("/proc/self/auxv").unwrap_or_default();
    let w = std::mem::size_of::<usize>();
    let word = |b: &[u8]| -> u64 {
        let mut x = [0u8; 8];
        x[..w].copy_from_slice(b);
        u64::from_ne_bytes(x)
    };
    for pair in auxv.chunks_exact(2 * w) {
        let (key, value) = (word(&pair[..w]), word(&pair[w..]));
        match key {
            AT_CLKTCK if value > 0 => ticks = value as f64,
            AT_PAGESZ if value > 0 => page = value,
            _ => {}
        }
    }
    (ticks, page)
}
