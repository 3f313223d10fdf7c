#!/usr/bin/env bash
# Build the whydenied image on a machine that reaches no container registry, only Debian's and
# Python's package indexes: the base image is made from Debian packages (debootstrap, imported with
# podman), the wheels are fetched on the host (pip wheel, through the host's own index settings), and
# the Dockerfile installs from them offline. Prints how long each step took.
#
#   deploy/image/build.sh                  # -> localhost/whydenied:dev
#   TAG=registry.example/whydenied:1 deploy/image/build.sh
#
# Needs root (debootstrap), debootstrap, podman and buildah (Debian packages of those names).
set -euo pipefail
cd "$(dirname "$0")/../.."

TAG=${TAG:-localhost/whydenied:dev}
BASE_TAG=${BASE_TAG:-localhost/whydenied-base:bookworm}
SUITE=${SUITE:-bookworm}  # Debian 12: python3 is 3.11, the version whydenied is tested on
PYTHON=${PYTHON:-$( [ -x .venv/bin/python ] && echo .venv/bin/python || echo python3 )}

step() {
  local label=$1 start=$SECONDS
  shift
  echo "== ${label}"
  "$@"
  echo "== ${label}: $((SECONDS - start)) s"
}

make_base() {
  local work
  work=$(mktemp -d)
  # minbase: dpkg, apt, coreutils, bash, passwd (useradd); plus the interpreter and its venv module.
  debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates "$SUITE" "$work/rootfs" >"$work/debootstrap.log" \
    || { tail -20 "$work/debootstrap.log" >&2; return 1; }
  rm -rf "$work/rootfs/var/cache/apt/archives/"*.deb "$work/rootfs/var/lib/apt/lists/"*
  tar -C "$work/rootfs" -c . | podman import --change 'CMD ["/bin/bash"]' - "$BASE_TAG" >/dev/null
  rm -rf "$work"
}

if podman image exists "$BASE_TAG"; then
  echo "== base ${BASE_TAG}: already built"
else
  step "base image from Debian packages (${SUITE})" make_base
fi
# hatchling too: the build stage builds whydenied's own wheel from source, offline. async-timeout: redis needs it
# below Python 3.11.3, and Debian 12's python3 is 3.11.2 (the host's newer Python would not fetch it).
wheels() {
  local wheelhouse=deploy/image/wheelhouse cache=${WHEEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/whydenied-wheelhouse}
  mkdir -p "$cache"
  cp -n "$cache"/*.whl "$wheelhouse"/ 2>/dev/null || true
  # From the wheels already here when they suffice (seconds), else through the host's index (minutes).
  "$PYTHON" -m pip wheel --quiet --no-index --find-links "$wheelhouse" --wheel-dir "$wheelhouse" . hatchling async-timeout \
    2>/dev/null \
    || "$PYTHON" -m pip wheel --quiet --wheel-dir "$wheelhouse" . hatchling async-timeout \
      2> >(grep -v "is neither a file nor a directory" >&2)
  cp -n "$wheelhouse"/*.whl "$cache"/
}
step "wheels for the offline install" wheels
# BASE replaces the FROM of both stages (buildah's --from would replace only the first).
# chroot isolation: no OCI runtime, so no cgroups (crun refuses a cgroup v1/v2 hybrid, as on this machine).
step "image ${TAG}" buildah build --quiet --format docker --layers --isolation "${ISOLATION:-chroot}" \
  --build-arg BASE="$BASE_TAG" --build-arg OFFLINE=1 -t "$TAG" -f Dockerfile .
