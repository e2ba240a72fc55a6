#!/usr/bin/env bash
# Build a tiny image from busybox-static into the daemon DOCKER_HOST points at. The machines
# renet runs on may reach no image registry; this makes the examples self-contained.
#   usage: DOCKER_HOST=unix:///var/run/rediacc/docker-2816.sock ./import-busybox.sh [TAG]
set -euo pipefail
tag=${1:-renet-example/busybox:1}
if docker image inspect "$tag" >/dev/null 2>&1; then
    exit 0
fi
busybox=$(command -v busybox || true)
[ -n "$busybox" ] || { echo "busybox not found: apt-get install busybox-static" >&2; exit 1; }
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/bin" "$root/tmp" "$root/www"
cp "$busybox" "$root/bin/busybox"
for applet in sh httpd wget nc sleep echo cat ls hostname env; do
    ln -s busybox "$root/bin/$applet"
done
tar -C "$root" -c . | docker import -c 'CMD ["/bin/sh"]' - "$tag" >/dev/null
echo "imported $tag" >&2
