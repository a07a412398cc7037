/*
 * empty-preload.so -- a preloaded library that does nothing: what any
 * LD_PRELOAD costs an exec (open, map, relocate), the floor under libvu's
 * start-up in the costs table.
 */
int vu_bench_empty_preload;
