#!/usr/bin/env bash
# Runs one bench workload against a fresh dirsyncd (issue 6).
#
#   BUILD=./build bench/run.sh WORKLOAD [dirsync_loadgen options...]
#   e.g. bench/run.sh create -n 20000 -c 16
#        bench/run.sh lookup -n 20000 -c 16 --users 10000
#        bench/run.sh lookup -n 80000 -c 16 --users 10000 --rate 10000   (paced)
#        bench/run.sh group --members 10000 --removals 1000
#        DIRECTORIES=3 bench/run.sh mix -n 20000 -c 16
#        bench/run.sh health -n 300000 -c 16     (GET /healthz: the HTTP layer alone)
#        bench/run.sh overload [-c 320 --max-seconds 10 --factor 10]
#
# overload: the server runs with --http.max_in_flight 32 (unless SERVE_ARGS
# says otherwise); the load generator measures the sustainable create rate
# closed-loop (16 connections, 3 s), offers --factor (10) times that rate
# open-loop over -c (320) connections for --max-seconds (10), then checks
# the 503 + Retry-After share, p99 of the accepted requests, that every
# accepted create is stored and no refused one is, /healthz during and after,
# and a normal closed-loop run again.
#
# Builds nothing: expects $BUILD/main/dirsyncd and $BUILD/bench/dirsync_loadgen.
# Starts dirsyncd on a temporary data folder (127.0.0.1, port 0), creates an
# owner, DIRECTORIES completed okta directories (default 1, mix 3) through the
# admin API, runs the load generator, stops the server by PID with SIGTERM and
# removes the folder. With 2+ cores the server is pinned to core 0 and the
# load generator to core 1 (taskset).
#
# Environment: BUILD, DIRECTORIES, SERVE_ARGS (extra `--section.key VALUE`
# flags for serve), BENCH_TIMEOUT (seconds for the load generator, default
# 1800), RESTART=1 (after the run: restart the server, report time to ready
# and resident memory), PROFILE=FILE (record the server with `perf record -g`
# into FILE during the measured run; read it with `perf report -i FILE`),
# CALLGRIND=FILE (run the server under valgrind's callgrind, counting only
# during the load generator's run, and print the instructions it executed:
# unlike time, the count does not vary with the VM's speed, so a change worth
# a few per cent shows; compare two runs that differ only in -n to get the
# instructions per request; read FILE with `callgrind_annotate FILE`).
set -euo pipefail

BUILD=${BUILD:-./build}
WORKLOAD=${1:?usage: bench/run.sh create|lookup|patch|group|mix|overload|health [loadgen options]}
shift
if [[ $WORKLOAD == overload ]]; then
  SERVE_ARGS=${SERVE_ARGS:---http.max_in_flight 32}
  [[ " $* " == *" -c "* || " $* " == *" --concurrency "* ]] || set -- -c 320 "$@"
  [[ " $* " == *" --max-seconds "* ]] || set -- --max-seconds 10 "$@"
fi
DIRSYNCD=$BUILD/main/dirsyncd
LOADGEN=$BUILD/bench/dirsync_loadgen
for b in "$DIRSYNCD" "$LOADGEN"; do
  [[ -x $b ]] || { echo "missing $b (build the dirsyncd and dirsync_loadgen targets in BUILD=$BUILD)" >&2; exit 2; }
done
if [[ $WORKLOAD == mix ]]; then DIRECTORIES=${DIRECTORIES:-3}; else DIRECTORIES=${DIRECTORIES:-1}; fi
BENCH_TIMEOUT=${BENCH_TIMEOUT:-1800}

SERVER_PIN=() LOAD_PIN=() SERVER_WRAP=()
if [[ -n ${CALLGRIND:-} ]]; then
  command -v valgrind >/dev/null || { echo "CALLGRIND needs valgrind (apt-get install valgrind)" >&2; exit 2; }
  SERVER_WRAP=(valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$CALLGRIND")
fi
if [[ $(nproc) -ge 2 ]] && command -v taskset >/dev/null; then
  SERVER_PIN=(taskset -c 0) LOAD_PIN=(taskset -c 1)
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/dirsync-bench.XXXXXX")
PID=
stop_server() {
  [[ -n $PID ]] || return 0
  kill -TERM "$PID" 2>/dev/null || true
  for _ in $(seq 1 150); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$PID" 2>/dev/null && { echo "dirsyncd did not stop in 15 s, SIGKILL" >&2; kill -KILL "$PID"; }
  wait "$PID" 2>/dev/null || true
  PID=
}
cleanup() { stop_server; rm -rf "$TMP"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

PORT=
READY_MS=
start_server() {
  : >"$TMP/serve.out"
  local t0; t0=$(date +%s%N)
  "${SERVER_PIN[@]}" "${SERVER_WRAP[@]}" "$DIRSYNCD" serve --storage.path "$TMP/dirsync.db" --http.port 0 \
    --mail.folder "$TMP/mail" ${SERVE_ARGS:-} >"$TMP/serve.out" 2>>"$TMP/serve.err" &
  PID=$!
  for _ in $(seq 1 600); do
    PORT=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$TMP/serve.out" | head -n1)
    [[ -n $PORT ]] && break
    kill -0 "$PID" 2>/dev/null || { cat "$TMP/serve.err" >&2; echo "dirsyncd exited" >&2; exit 2; }
    sleep 0.02
  done
  [[ -n $PORT ]] || { echo "dirsyncd not ready within 12 s" >&2; exit 2; }
  READY_MS=$(( ($(date +%s%N) - t0) / 1000000 ))
}
# Resident size, peak and now, and now split into private memory (RssAnon)
# and mapped pages of the database file (RssFile: the kernel's page cache,
# counted once per read connection that maps it, storage.read_mmap).
server_mem() { awk '/^VmRSS|^VmHWM|^RssAnon|^RssFile/ {printf "%s %d MiB  ", $1, $2/1024}' "/proc/$PID/status"; }
server_cpu() { awk '{print $14 + $15}' "/proc/$PID/stat"; } # clock ticks
server_written() { awk '/^write_bytes/ {print $2}' "/proc/$PID/io"; } # bytes sent to the disk
# Per thread name: CPU clock ticks and context switches (voluntary and not),
# one "name ticks switches" line each, summed over threads of that name.
server_threads() {
  for t in /proc/"$PID"/task/*; do
    printf '%s %s %s\n' "$(tr ' ' _ <"$t/comm")" "$(awk '{print $14 + $15}' "$t/stat")" \
      "$(awk '/ctxt_switches/ {s += $2} END {print s}' "$t/status")"
  done 2>/dev/null | awk '{c[$1] += $2; s[$1] += $3} END {for (n in c) print n, c[n], s[n]}' | sort
}

KEY=$(timeout 30 "$DIRSYNCD" create-owner --name bench --storage.path "$TMP/dirsync.db" | tail -n1)
start_server
json_field() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
admin() { curl -sf --max-time 10 -X POST -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' "$@"; }
for i in $(seq 1 "$DIRECTORIES"); do
  ID=$(admin -d "{\"type\":\"okta\",\"name\":\"bench $i\"}" "http://127.0.0.1:$PORT/admin/v1/directories" | json_field id)
  admin "http://127.0.0.1:$PORT/admin/v1/directories/$ID/complete" | json_field token >>"$TMP/tokens"
done

PERF_PID=
if [[ -n ${PROFILE:-} ]]; then
  perf record -F ${PROFILE_FREQ:-499} -g -p "$PID" -o "$PROFILE" >"$TMP/perf.log" 2>&1 &
  PERF_PID=$!
  sleep 1
fi
[[ -n ${CALLGRIND:-} ]] && callgrind_control -i on "$PID" >/dev/null
CPU0=$(server_cpu)
THREADS0=$(server_threads)
WRITTEN0=$(server_written)
T0=$(date +%s%N)
RC=0
timeout "$BENCH_TIMEOUT" "${LOAD_PIN[@]}" "$LOADGEN" "$WORKLOAD" --port "$PORT" --tokens-file "$TMP/tokens" "$@" \
  >"$TMP/loadgen.out" 2>&1 || RC=$?
if [[ -n $PERF_PID ]]; then
  kill -INT "$PERF_PID" 2>/dev/null || true
  wait "$PERF_PID" 2>/dev/null || true
fi
[[ -n ${CALLGRIND:-} ]] && callgrind_control -i off "$PID" >/dev/null
WALL=$(( ($(date +%s%N) - T0) / 1000000 ))
CPU=$(( $(server_cpu) - CPU0 ))
# Where the server's CPU and context switches went, by thread name (the
# writer is a caf.actor thread when detached; CAF's workers are named
# caf.multiplexer in 0.17; dirsyncd is the main and the I/O threads).
THREADS=$(join -a 2 -e 0 -o 0,1.2,1.3,2.2,2.3 <(echo "$THREADS0") <(server_threads) | awk -v hz="$(getconf CLK_TCK)" '
  {t = $4 - $2; w = $5 - $3; if (t > 0 || w > 0) out = out sprintf("%s %d ms, %d switches; ", $1, 1000 * t / hz, w); tw += w}
  END {sub(/; $/, "", out); printf "threads: %s (%d switches in all)", out, tw}')
WRITTEN=$(( $(server_written) - WRITTEN0 ))
MEM=$(server_mem)
DBSIZE=$(du -sm "$TMP" | cut -f1)
# Group commit as the writer saw it: commits, jobs per commit, time per commit.
WRITER=$(curl -s --max-time 10 "http://127.0.0.1:$PORT/metrics" | awk '
  /^dirsync_writer_batch_size_sum/ {js=$2} /^dirsync_writer_batch_size_count/ {n=$2}
  /^dirsync_writer_commit_seconds_sum/ {cs=$2}
  END { if (n > 0) printf "writer: %d commits since start, %.1f jobs per commit, %.2f ms per commit", n, js/n, 1000*cs/n }')
stop_server
RESTART_LINE=
if [[ ${RESTART:-0} == 1 ]]; then
  start_server
  RESTART_LINE="restart: ready after ${READY_MS} ms, $(server_mem)"
  stop_server
fi

echo "== dirsync bench: $WORKLOAD $* | $(nproc) cores ($(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -n1)), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== server: ${SERVER_PIN[*]:-unpinned} dirsyncd ${SERVE_ARGS:-(defaults)}; loadgen: ${LOAD_PIN[*]:-unpinned}; $DIRECTORIES directories"
cat "$TMP/loadgen.out"
echo "server: cpu $(awk -v t="$CPU" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.2f", t / hz}') s during the run (${WALL} ms wall), ${MEM}data ${DBSIZE} MiB, $(( WRITTEN / 1048576 )) MiB written to disk"
[[ -n $WRITER ]] && echo "$WRITER"
echo "$THREADS"
[[ -n $RESTART_LINE ]] && echo "$RESTART_LINE"
if [[ -n ${CALLGRIND:-} ]]; then
  echo "callgrind: $(callgrind_annotate "$CALLGRIND" 2>/dev/null | sed -n 's/^\([0-9,]*\) .*PROGRAM TOTALS.*/\1/p' | tr -d ,) instructions during the run ($CALLGRIND)"
fi
[[ $RC == 0 ]] && echo "result: OK (nothing acknowledged was lost)" || echo "result: FAILED (loadgen exit $RC)"
exit "$RC"
