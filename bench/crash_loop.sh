#!/usr/bin/env bash
# SIGKILL crash loop (SPEC S8): acknowledged writes survive any crash.
#
#   BUILD=./build-rel bench/crash_loop.sh [-n CYCLES] [-c WRITERS] [--min-ms MS] [--max-ms MS] [--seed S]
#
# Builds nothing: expects $BUILD/main/dirsyncd and $BUILD/bench/dirsync_loadgen.
# Starts dirsyncd on a fresh temporary data folder (127.0.0.1, port 0),
# creates an owner and a completed okta directory through the admin API,
# then CYCLES times:
#   1. `dirsync_loadgen crashwrite` drives WRITERS concurrent connections of
#      SCIM creates, PATCHes (givenName + active) and group pushes (member
#      adds into one group per writer), appending every outcome
#      (acknowledged or not) to a journal;
#   2. after a random MIN..MAX ms the server gets SIGKILL;
#   3. the database files, copied as the crash left them, must pass
#      `PRAGMA integrity_check` and `PRAGMA foreign_key_check`, and every
#      stored user and group version must have its audit row (L1);
#   4. the server restarts on the same data and must answer /readyz 200;
#   5. `dirsync_loadgen crashcheck` reads every user back: each acknowledged
#      create present with its userName, each user in its last acknowledged
#      state (or one of the unacknowledged PATCHes sent after it), no
#      userName stored twice, no user the journal does not know; every
#      acknowledged member add present, every member a stored user.
# CYCLES defaults to 100.
# Exits 1 on the first loss (keeping the folder for a post-mortem), 2 on a
# setup error, 0 with a summary otherwise.
set -euo pipefail

CYCLES=100 WRITERS=4 MIN_MS=100 MAX_MS=1500 SEED=$RANDOM
while [[ $# -gt 0 ]]; do
  case $1 in
    -n|--cycles) CYCLES=$2; shift 2 ;;
    -c|--writers) WRITERS=$2; shift 2 ;;
    --min-ms) MIN_MS=$2; shift 2 ;;
    --max-ms) MAX_MS=$2; shift 2 ;;
    --seed) SEED=$2; shift 2 ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

BUILD=${BUILD:-./build}
DIRSYNCD=$BUILD/main/dirsyncd
LOADGEN=$BUILD/bench/dirsync_loadgen
for b in "$DIRSYNCD" "$LOADGEN"; do
  [[ -x $b ]] || { echo "missing $b (build the dirsyncd and dirsync_loadgen targets in BUILD=$BUILD)" >&2; exit 2; }
done
command -v sqlite3 >/dev/null || { echo "needs the sqlite3 command-line shell (apt-get install sqlite3)" >&2; exit 2; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/dirsync-crash.XXXXXX")
DB=$TMP/dirsync.db
JOURNAL=$TMP/journal
KEEP=0
PID= WPID=
cleanup() {
  [[ -n $WPID ]] && kill -KILL "$WPID" 2>/dev/null || true
  if [[ -n $PID ]]; then
    kill -TERM "$PID" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$PID" 2>/dev/null || true
    wait "$PID" 2>/dev/null || true
  fi
  if [[ $KEEP == 1 ]]; then echo "data, journal and logs kept in $TMP" >&2; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() { echo "FAILED: $*" >&2; KEEP=1; exit 1; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

PORT=
start_server() {
  : >"$TMP/serve.out"
  "$DIRSYNCD" serve --storage.path "$DB" --http.port 0 --mail.folder "$TMP/mail" ${SERVE_ARGS:-} \
    >"$TMP/serve.out" 2>>"$TMP/serve.err" &
  PID=$!
  PORT=
  for _ in $(seq 1 500); do
    PORT=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$TMP/serve.out" | head -n1)
    [[ -n $PORT ]] && return 0
    kill -0 "$PID" 2>/dev/null || { tail -n 20 "$TMP/serve.err" >&2; fail "dirsyncd exited at start"; }
    sleep 0.02
  done
  fail "dirsyncd did not print its port within 10 s"
}
wait_ready() {
  for _ in $(seq 1 500); do
    [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$PORT/readyz") == 200 ]] && return 0
    sleep 0.02
  done
  fail "/readyz not 200 within 10 s after a restart"
}
integrity() {
  # The files exactly as the crash left them, checked on a copy so that the
  # server's own WAL recovery at restart is what gets tested next.
  rm -rf "$TMP/copy" && mkdir "$TMP/copy"
  cp "$DB" "$TMP/copy/dirsync.db"
  [[ -f $DB-wal ]] && cp "$DB-wal" "$TMP/copy/dirsync.db-wal"
  local r; r=$(sqlite3 "$TMP/copy/dirsync.db" 'PRAGMA integrity_check;' 2>&1) || true
  [[ $r == ok ]] || fail "integrity_check after the crash: $r"
  # No membership, device or enrollment row without its user or group.
  r=$(sqlite3 "$TMP/copy/dirsync.db" 'PRAGMA foreign_key_check;' 2>&1) || true
  [[ -z $r ]] || fail "foreign_key_check after the crash: $r"
  # L1: a change and its audit row commit together. Every stored version of
  # a user or group was written with one audit row (create, then one per
  # update), and no audit row names a user or group that was never stored.
  r=$(sqlite3 "$TMP/copy/dirsync.db" "
    WITH a AS (SELECT object_kind k, object_id id, count(*) n FROM admin_actions
               WHERE object_kind IN ('user', 'group') GROUP BY 1, 2),
         s AS (SELECT 'user' k, id, version FROM users UNION ALL SELECT 'group', id, version FROM groups)
    SELECT s.k || ' ' || s.id || ': version ' || s.version || ', audit rows ' || coalesce(a.n, 0)
      FROM s LEFT JOIN a ON a.k = s.k AND a.id = s.id WHERE coalesce(a.n, 0) != s.version
    UNION ALL
    SELECT a.k || ' ' || a.id || ': audit rows without the row' FROM a
      WHERE NOT EXISTS (SELECT 1 FROM s WHERE s.k = a.k AND s.id = a.id)
    LIMIT 5;" 2>&1) || true
  [[ -z $r ]] || fail "audit rows do not match the stored versions after the crash: $r"
}

KEY=$(timeout 30 "$DIRSYNCD" create-owner --name crash --storage.path "$DB" | tail -n1)
start_server
wait_ready
json_field() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
admin() { curl -sf --max-time 10 -X POST -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' "$@"; }
ID=$(admin -d '{"type":"okta","name":"crash loop"}' "http://127.0.0.1:$PORT/admin/v1/directories" | json_field id)
TOKEN=$(admin "http://127.0.0.1:$PORT/admin/v1/directories/$ID/complete" | json_field token)
: >"$JOURNAL"

echo "== dirsync crash loop: $CYCLES cycles, $WRITERS writers, SIGKILL after ${MIN_MS}..${MAX_MS} ms, seed $SEED"
RANDOM=$SEED
READY_TIMES=()
T_START=$(now_ms)
for cycle in $(seq 1 "$CYCLES"); do
  "$LOADGEN" crashwrite --port "$PORT" --token "$TOKEN" --journal "$JOURNAL" -c "$WRITERS" \
    --seed "$((SEED * 1000 + cycle))" --max-seconds 60 --timeout-ms 10000 >"$TMP/write.out" 2>&1 &
  WPID=$!
  delay=$(( MIN_MS + RANDOM % (MAX_MS - MIN_MS + 1) ))
  sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
  kill -KILL "$PID" 2>/dev/null || fail "dirsyncd died on its own in cycle $cycle: $(tail -n 5 "$TMP/serve.err")"
  wait "$PID" 2>/dev/null || true
  PID=
  wait "$WPID" || fail "crashwrite exited with $? in cycle $cycle: $(cat "$TMP/write.out")"
  WPID=
  integrity
  t0=$(now_ms)
  start_server
  wait_ready
  READY_TIMES+=($(( $(now_ms) - t0 )))
  "$LOADGEN" crashcheck --port "$PORT" --token "$TOKEN" --journal "$JOURNAL" >"$TMP/check.out" 2>&1 \
    || { cat "$TMP/check.out" >&2; fail "cycle $cycle: acknowledged writes lost or wrong"; }
  printf 'cycle %3d: killed after %4d ms; %s; ready after %d ms; %s\n' "$cycle" "$delay" \
    "$(sed -n 's/^crashwrite: //p' "$TMP/write.out")" "${READY_TIMES[-1]}" \
    "$(grep -o 'lost [0-9]*, wrong state [0-9]*, duplicate userNames [0-9]*' "$TMP/check.out")"
done

sorted=$(printf '%s\n' "${READY_TIMES[@]}" | sort -n)
echo "== summary: $CYCLES SIGKILL cycles in $(( ($(now_ms) - T_START) / 1000 )) s, integrity_check, foreign_key_check and audit rows ok after every crash"
echo "restart to ready: min $(head -n1 <<<"$sorted") ms, median $(sed -n "$(( (CYCLES + 1) / 2 ))p" <<<"$sorted") ms, max $(tail -n1 <<<"$sorted") ms"
sed -n 's/^crashcheck: //p' "$TMP/check.out"
echo "result: OK (no acknowledged write lost)"
