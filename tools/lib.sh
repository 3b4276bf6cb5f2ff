# Shared by tools/test and tools/chat: find what is missing on this machine and install it.
# Debian 12 is the reference machine. Sourced, not run.

repo_root() { cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd; }

say() { printf '%s\n' "$*" >&2; }

# ensure_debs PACKAGE...: installs the Debian packages that are not installed yet.
ensure_debs() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    say "Missing Debian packages. Install them with:"
    say "  sudo apt-get install -y ${missing[*]}"
    exit 1
  fi
  say "Installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Look up fresh lists at most once a day; a stale list is the usual cause of 404s.
  if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mmin -1440 2>/dev/null | head -1)" ]; then
    apt-get update -qq >&2
  fi
  apt-get install -y -qq "${missing[@]}" >&2 || { apt-get update -qq >&2 && apt-get install -y -qq "${missing[@]}" >&2; }
}

# The packages every build and test needs.
BUILD_DEBS=(g++ meson ninja-build pkg-config cmake libcurl4-openssl-dev libssl-dev rapidjson-dev
            doctest-dev openssl ca-certificates libsodium-dev
            libncursesw5-dev tmux redis-server curl)

ensure_node() {
  if command -v node >/dev/null && command -v npm >/dev/null; then return 0; fi
  ensure_debs nodejs npm
}

# ensure_npm DIR: installs DIR's npm packages from its committed lockfile when they are missing
# or older than the lockfile. (`npm ci` refuses soketi's lockfile: its optional platform
# packages are not recorded. `npm install` accepts it.)
ensure_npm() {
  local dir=$1 stamp=$1/node_modules/.installed-lock
  ensure_node
  if [ -f "$stamp" ] && cmp -s "$dir/package-lock.json" "$stamp"; then return 0; fi
  say "Installing npm packages in ${dir#"$(repo_root)"/}"
  (cd "$dir" && npm install --no-audit --no-fund --loglevel=error >&2)
  cp "$dir/package-lock.json" "$stamp"
}

# meson_build DIR [OPTIONS...]: configures DIR once (reconfigures when options change), builds.
meson_build() {
  local dir=$1; shift
  local root; root=$(repo_root)
  local want="$*" have=""
  [ -f "$root/$dir/.pusher-options" ] && have=$(cat "$root/$dir/.pusher-options")
  if [ ! -f "$root/$dir/build.ninja" ] || [ "$want" != "$have" ]; then
    rm -rf "${root:?}/$dir"
    meson setup "$root/$dir" "$root" "$@" >&2
    printf '%s' "$want" > "$root/$dir/.pusher-options"
  fi
  ninja -C "$root/$dir" >&2
}

# proc_start_time PID: the process's start time in clock ticks since boot (field 22 of
# /proc/PID/stat), or nothing when there is no such process or it is a zombie. With the pid
# it names one process for good: a pid reused later has another start time.
proc_start_time() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
  stat=${stat##*) }                    # the command name may hold spaces and parentheses
  # shellcheck disable=SC2086
  set -- $stat
  [ "$1" != Z ] || return 0
  printf '%s' "${20}"
}

# pid_alive PID START: true when PID runs and is still the process that had start time START.
pid_alive() {
  [[ "$1" =~ ^[0-9]+$ ]] && [ -n "$2" ] && [ "$(proc_start_time "$1")" = "$2" ]
}

# stop_pid PID START [NAME]: SIGTERM, then SIGKILL after 3 s; only the process that had START.
stop_pid() {
  local pid=$1 start=$2 name=${3:-process} i
  pid_alive "$pid" "$start" || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for i in $(seq 30); do
    pid_alive "$pid" "$start" || return 0
    sleep 0.1
  done
  say "$name (pid $pid) did not stop within 3 s of SIGTERM; sending SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
  for i in $(seq 20); do
    pid_alive "$pid" "$start" || return 0
    sleep 0.1
  done
}

# free_tcp_port [PREFERRED]: prints PREFERRED when nothing listens on 127.0.0.1:PREFERRED,
# else a port the kernel picks. (Someone may take it before it is used: check after binding.)
free_tcp_port() {
  node -e '
    const net = require("net");
    const tryPort = (p, next) => {
      const s = net.createServer();
      s.once("error", next);
      s.listen(p, "127.0.0.1", () => { const got = s.address().port; s.close(() => console.log(got)); });
    };
    const preferred = Number(process.argv[1] || 0);
    tryPort(preferred, () => tryPort(0, (e) => { console.error(e.message); process.exit(1); }));
  ' "${1:-0}"
}

# pid_listens_on PID PORT: true when PID itself holds a TCP listener on 127.0.0.1:PORT.
pid_listens_on() {
  ss -Hltnp "sport = :$2" 2>/dev/null | grep -q "pid=$1,"
}

# http_ok URL: true when URL answers 200 within 2 s (never through a proxy).
http_ok() {
  [ "$(curl -s -o /dev/null -w '%{http_code}' --noproxy '*' --max-time 2 "$1" 2>/dev/null)" = 200 ]
}
