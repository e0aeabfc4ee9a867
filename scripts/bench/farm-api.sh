# Sourced by the kernel benchmarks after private-farm.sh, with $PORT set:
# the API as the benchmark's admin ($TOKEN), and builds followed to the end.

api() { # METHOD PATH [JSON] → the envelope's data
  curl -fsS -X "$1" "http://127.0.0.1:$PORT$2" -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    ${3:+-d "$3"} | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["data"]))'
}
field() { python3 -c "import json,sys; d=json.load(sys.stdin); print(d$1)"; }

# Submits a build of configuration version $1 (options JSON $2), waits for it
# polling its status in the database every $3 seconds, prints its id. (psql,
# not the API through curl and python: a compile being measured shares the
# machine with the poller, and python's start alone costs tens of milliseconds.)
build_of() {
  local id status
  id=$(api POST /builds "{\"configVersionId\":\"$1\",\"options\":$2}" | field '["id"]')
  while status=$(psql -qAt "$KFARM_DATABASE_URL" -c "SELECT status FROM builds WHERE id = '$id'")
        [ "$status" = queued ] || [ "$status" = in_progress ]; do
    sleep "$3"
  done
  [ "$status" = completed ] || { echo "build $id: $status" >&2; api GET "/builds/$id" >&2; exit 1; }
  echo "$id"
}

# Seconds a build's stages took, in the database's clock.
stage_seconds() { # BUILD STAGE...
  local list; list=$(printf ",'%s'" "${@:2}"); list=${list:1}
  psql -qAt "$KFARM_DATABASE_URL" -c "SELECT round(sum(extract(epoch FROM completed_at - started_at))::numeric, 2)
    FROM build_stages WHERE build_id = '$1' AND name IN ($list)"
}
