// jemalloc's settings for the daemon and the replay tool, read by jemalloc at
// start-up (MALLOC_CONF in the environment still overrides them).
//  - background_thread: a thread returns freed pages to the system while the
//    daemon is idle; without it, purging waits for the next allocation, so a
//    daemon quiet after a burst kept the burst's memory.
//    One such thread is enough for a daemon on a small machine.
//  - dirty_decay_ms: pages unused for 5 s go back (the default is 10 s).
extern "C" {
// NOLINTNEXTLINE: the name is jemalloc's.
const char* malloc_conf = "background_thread:true,max_background_threads:1,dirty_decay_ms:5000";
}
