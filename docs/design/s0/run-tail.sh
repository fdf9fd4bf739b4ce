#!/bin/sh
F="redis-cli -p 6390 flushall"
$F >/dev/null; echo "getrev idle: $(node bench-tail.mjs getrev 3)"
for R in 2000 5000 10000; do
  $F >/dev/null; node bench-tail.mjs lag 5 > /tmp/s0/t.out & sleep 0.3; node bench-load.mjs $R 7 2>&1; wait; echo "lag @$R/s: $(cat /tmp/s0/t.out)"
done
$F >/dev/null; echo "fence idle: $(node bench-tail.mjs fence 3 64)"
for R in 2000 5000 10000; do
  $F >/dev/null; node bench-tail.mjs fence 5 64 > /tmp/s0/t.out & sleep 0.3; node bench-load.mjs $R 7 2>&1; wait; echo "fence @$R/s: $(cat /tmp/s0/t.out)"
  $F >/dev/null; node bench-tail.mjs getrev 5 > /tmp/s0/t.out & sleep 0.3; node bench-load.mjs $R 6 2>&1; wait; echo "getrev @$R/s: $(cat /tmp/s0/t.out)"
done
