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
            doctest-dev openssl ca-certificates)

ensure_node() {
  if command -v node >/dev/null && command -v npm >/dev/null; then return 0; fi
  ensure_debs nodejs npm
}

# ensure_npm DIR: installs DIR's npm packages from its committed lockfile when they are missing
# or older than the lockfile. (`npm ci` refuses soketi's lockfile: its optional platform
# packages are not recorded. `npm install` accepts it. field-notes.md)
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
