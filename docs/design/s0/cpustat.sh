#!/bin/sh
# machine busy % over $1 seconds
a=$(head -1 /proc/stat); sleep $1; b=$(head -1 /proc/stat)
echo "$a" "$b" | awk '{u1=$2+$3+$4+$7+$8; t1=u1+$5+$6; u2=$13+$14+$15+$18+$19; t2=u2+$16+$17; printf "machine busy %.0f%% of 2 cores\n", 100*(u2-u1)/(t2-t1)}'
