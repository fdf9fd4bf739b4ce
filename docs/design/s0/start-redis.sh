#!/bin/sh
# usage: start-redis.sh yes|no
rm -rf /tmp/s0/data; mkdir -p /tmp/s0/data
redis-server --port 6390 --save '' --appendonly $1 --appendfsync everysec --dir /tmp/s0/data --daemonize yes --pidfile /tmp/s0/redis.pid --logfile /tmp/s0/redis-$1.log
sleep 0.5; redis-cli -p 6390 ping
