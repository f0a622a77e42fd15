#!/usr/bin/env bash
# A real Docker-API engine for the agent's tests: Debian's podman serving the Docker Engine API
# (v1.41) on a unix socket. No Docker daemon runs on these machines and no registry is reachable,
# so test images are built locally from busybox.
#   scripts/container-engine.sh install   apt packages (root)
#   scripts/container-engine.sh up        start the API service unless one can run containers, build test images
#   scripts/container-engine.sh down      remove test containers, stop the service this script started
#   scripts/container-engine.sh socket    print the socket path
#   scripts/container-engine.sh conf      write the engine settings and print their path
set -euo pipefail

DIR="${SIGNALBEAM_ENGINE_DIR:-/var/tmp/signalbeam-engine}"
SOCKET="$DIR/podman.sock"
export CONTAINERS_CONF="$DIR/containers.conf"

# runc + cgroupfs: these VMs have hybrid cgroups, which podman's default (crun, systemd) cannot use;
# explicit ulimits: root here lacks CAP_SYS_RESOURCE to raise podman's default ones; file events:
# there is no journald to log them to.
write_conf() {
  mkdir -p "$DIR"
  cat >"$CONTAINERS_CONF" <<'CONF'
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF
}

ping() { curl -sf --max-time 2 --unix-socket "$SOCKET" http://engine/_ping >/dev/null 2>&1; }
api() { curl -sf --max-time 30 --unix-socket "$SOCKET" "$@" >/dev/null 2>&1; }

# Whether the service can run a container, not just answer: a service whose working directory was
# deleted (started from a clone that is gone) still answers _ping, but conmon cannot start anything
# ("write child: broken pipe").
works() {
  ping || return 1
  local name="signalbeam-engine-check-$$"
  api -X POST -H 'content-type: application/json' \
    -d '{"Image":"localhost/signalbeam/busybox:1","Cmd":["/bin/true"],"Labels":{"io.signalbeam.test":"engine-check"}}' \
    "http://engine/containers/create?name=$name" || return 1
  local started=0
  api -X POST "http://engine/containers/$name/start" || started=1
  api -X DELETE "http://engine/containers/$name?force=true" || true
  return "$started"
}

# Stops a service that answers on our socket but cannot run containers, whoever started it.
stop_service() {
  if [ -f "$DIR/service.pid" ]; then
    kill "$(cat "$DIR/service.pid")" 2>/dev/null || true
    rm -f "$DIR/service.pid"
  fi
  pkill -f "podman system service --time=0 unix://$SOCKET" 2>/dev/null || true
  for _ in $(seq 1 50); do ping || break; sleep 0.1; done
  rm -f "$SOCKET"
}

install() {
  if command -v podman >/dev/null && command -v runc >/dev/null && [ -x /bin/busybox ]; then return 0; fi
  echo "› installing podman (apt)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    podman runc catatonit containernetworking-plugins iptables busybox-static curl >/dev/null
}

# Two versions of a tiny busybox app. Built locally: no registry is reachable.
build_images() {
  local work
  work="$(mktemp -d)"
  if ! podman image exists localhost/signalbeam/busybox:1; then
    mkdir -p "$work/rootfs/bin" "$work/rootfs/etc" "$work/rootfs/tmp"
    cp /bin/busybox "$work/rootfs/bin/busybox"
    for applet in $("$work/rootfs/bin/busybox" --list); do
      [ "$applet" = busybox ] || ln -sf busybox "$work/rootfs/bin/$applet"
    done
    printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$work/rootfs/etc/passwd"
    printf 'root:x:0:\nnogroup:x:65534:\n' >"$work/rootfs/etc/group"
    tar -C "$work/rootfs" -cf "$work/rootfs.tar" .
    podman import --change 'CMD ["/bin/sh"]' --change 'ENV PATH=/bin' "$work/rootfs.tar" localhost/signalbeam/busybox:1 >/dev/null
  fi
  for version in 1 2; do
    if ! podman image exists "localhost/signalbeam/demo-app:$version"; then
      cat >"$work/Containerfile" <<FILE
FROM localhost/signalbeam/busybox:1
LABEL org.opencontainers.image.version="$version"
CMD ["/bin/sh", "-c", "echo demo-app $version > /tmp/version; exec sleep 1000000"]
FILE
      podman build -q --format docker -t "localhost/signalbeam/demo-app:$version" -f "$work/Containerfile" "$work" >/dev/null
    fi
  done
  if ! podman image exists localhost/signalbeam/healthy-app:2; then
    cat >"$work/Containerfile" <<'FILE'
FROM localhost/signalbeam/busybox:1
HEALTHCHECK --interval=1s --timeout=1s --start-period=5s --retries=2 CMD ["/bin/sh", "-c", "test -f /tmp/ready"]
CMD ["/bin/sh", "-c", "sleep 1; touch /tmp/ready; exec sleep 1000000"]
FILE
    podman build -q --format docker -t localhost/signalbeam/healthy-app:2 -f "$work/Containerfile" "$work" >/dev/null
  fi
  rm -rf "$work"
}

up() {
  write_conf
  # Two test files may ask at once: one of them starts the service, the other waits for it.
  exec 9>"$DIR/lock"
  flock 9
  build_images
  if ! works; then
    if ping; then echo "› the podman API service on $SOCKET answers but cannot run containers; restarting it" >&2; fi
    stop_service
    # Started from its own directory, which outlives any clone that asked for it, and without the
    # lock (fd 9): a service holding it would make the next `up` wait forever.
    (
      cd "$DIR"
      exec 9>&-
      nohup podman system service --time=0 "unix://$SOCKET" >"$DIR/service.log" 2>&1 &
      echo $! >"$DIR/service.pid"
    )
    for _ in $(seq 1 50); do ping && break; sleep 0.1; done
    works || { echo "podman API service cannot run containers; see $DIR/service.log" >&2; exit 1; }
  fi
  echo "$SOCKET"
}

down() {
  write_conf
  podman rm -f -t 0 --filter "label=io.signalbeam.test" >/dev/null 2>&1 || true
  if [ -f "$DIR/service.pid" ]; then
    kill "$(cat "$DIR/service.pid")" 2>/dev/null || true
    rm -f "$DIR/service.pid"
  fi
}

case "${1:-}" in
  install) install ;;
  up) up ;;
  down) down ;;
  socket) echo "$SOCKET" ;;
  conf) write_conf; echo "$CONTAINERS_CONF" ;;
  *) echo "usage: $0 install|up|down|socket|conf" >&2; exit 2 ;;
esac
