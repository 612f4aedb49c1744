#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# bench/drop/pktgen.sh: drive the kernel's packet generator (pktgen) from a SENDER machine
# at a gateway running mcf2b, over a real NIC, with UDP packets to port 25 from a range of
# source addresses that the gateway has banned. Measure on the gateway: its softirq CPU
# time (e.g. `mpstat -P ALL 1`, or /proc/stat) with the XDP filter attached, then with only
# the iptables + ipset fallback, at the same rate.
#
# Needs CONFIG_NET_PKTGEN (modprobe pktgen) on the sender. The sandbox kernel mcf2b is
# developed on lacks pktgen: there, `scripts/bench drop` generates traffic with
# BPF_PROG_TEST_RUN live frames over a veth pair instead.
#
# usage: bench/drop/pktgen.sh DEV DST_IP DST_MAC SRC_MIN SRC_MAX [RATE_PPS] [COUNT] [THREADS]
#   e.g. bench/drop/pktgen.sh eth1 198.18.0.2 02:00:00:00:00:02 198.19.0.0 198.19.255.255 1000000
set -euo pipefail

if [[ $# -lt 5 ]]; then
  sed -n '3,15p' "$0" >&2
  exit 2
fi
dev=$1 dst=$2 dst_mac=$3 src_min=$4 src_max=$5
rate=${6:-1000000} count=${7:-10000000} threads=${8:-1}

if [[ $(id -u) -ne 0 ]]; then
  echo "pktgen.sh: needs root" >&2
  exit 1
fi
if [[ ! -d /proc/net/pktgen ]] && ! modprobe pktgen 2>/dev/null; then
  echo "pktgen.sh: this kernel has no pktgen (CONFIG_NET_PKTGEN); use scripts/bench drop" >&2
  exit 1
fi

pgset() { # pgset FILE COMMAND: write one pktgen command and check its result
  echo "$2" >"$1"
  if ! grep -q "^Result: OK" "$1" 2>/dev/null && [[ "$1" != /proc/net/pktgen/pgctrl ]]; then
    grep "^Result:" "$1" >&2 || true
  fi
}

pgset /proc/net/pktgen/pgctrl reset
per_thread_rate=$((rate / threads))
for ((t = 0; t < threads; t++)); do
  name="$dev@$t"
  pgset "/proc/net/pktgen/kpktgend_$t" "rem_device_all"
  pgset "/proc/net/pktgen/kpktgend_$t" "add_device $name"
  f="/proc/net/pktgen/$name"
  pgset "$f" "count $count"
  pgset "$f" "pkt_size 60"
  pgset "$f" "dst $dst"
  pgset "$f" "dst_mac $dst_mac"
  pgset "$f" "src_min $src_min"
  pgset "$f" "src_max $src_max"
  pgset "$f" "flag IPSRC_RND"
  pgset "$f" "udp_dst_min 25"
  pgset "$f" "udp_dst_max 25"
  pgset "$f" "ratep $per_thread_rate"
  pgset "$f" "burst 1"
  [[ $threads -gt 1 ]] && pgset "$f" "queue_map_min $t" && pgset "$f" "queue_map_max $t"
done

echo "pktgen.sh: sending $count packets per thread at $rate pps on $dev" >&2
pgset /proc/net/pktgen/pgctrl start
for ((t = 0; t < threads; t++)); do
  grep -A2 "^Result" "/proc/net/pktgen/$dev@$t" >&2
done
