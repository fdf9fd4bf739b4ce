#!/bin/sh
F="redis-cli -p 6390 flushall"
for R in 5000 10000 20000; do
  $F >/dev/null; node bench-tail.mjs fence 5 64 > /tmp/s0/t.out & sleep 0.3; node bench-loadb.mjs $R 7 2>&1; wait; echo "grouped fence+lag @$R/s: $(cat /tmp/s0/t.out)"
  $F >/dev/null; RAW=1 node bench-tail.mjs lag 5 > /tmp/s0/t.out & sleep 0.3; node bench-loadb.mjs $R 7 2>&1; wait; echo "grouped lag RAW @$R/s: $(cat /tmp/s0/t.out)"
done
