#!/bin/sh
C="redis-cli -p 6390"
$C flushall >/dev/null; sleep 1
echo "empty: $($C info memory | grep -E '^used_memory:|^used_memory_rss:' | tr -d '\r' | tr '\n' ' ')"
node bench-load.mjs 10000 10 2>&1
echo "xlen=$($C xlen 'hubemu:{h}:log') hlen=$($C hlen 'hubemu:{h}:c:twins') rev=$($C get 'hubemu:{h}:rev')"
echo "MEMORY USAGE c:twins=$($C memory usage 'hubemu:{h}:c:twins' samples 0) r=$($C memory usage 'hubemu:{h}:r' samples 0) log=$($C memory usage 'hubemu:{h}:log' samples 0)"
$C info memory | grep -E '^used_memory:|^used_memory_rss:|^used_memory_peak:|^mem_fragmentation_ratio:|^used_memory_dataset:' | tr -d '\r'
echo "aof dir: $(du -sh /tmp/s0/data | cut -f1)"
for i in 1 2 3; do echo "apply-max parse: $(node --expose-gc bench-tail.mjs apply-max)"; done
for i in 1 2; do echo "apply-max raw:   $(RAW=1 node --expose-gc bench-tail.mjs apply-max)"; done
