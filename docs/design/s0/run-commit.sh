#!/bin/sh
# usage: run-commit.sh <label>
S=5
for m in lua set; do for c in 1 16 128; do
  redis-cli -p 6390 flushall >/dev/null; echo "$1 $(node bench-commit.mjs $m $c $S)"
done; done
for m in lua set; do for c in 16 128; do
  redis-cli -p 6390 flushall >/dev/null
  for p in 0 1 2; do node bench-commit.mjs $m $c $S $p 3 > /tmp/s0/mp-$p.out & done; wait
  for p in 0 1 2; do echo "$1 3proc $(cat /tmp/s0/mp-$p.out)"; done
done; done
