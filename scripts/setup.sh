#!/usr/bin/env bash
# Set up chatrec on a fresh Debian machine with Python 3.11: .venv, CPU torch, llama-cpp-python
# built without native CPU code, and chatrec with all extras. Safe to run again: a stamp file
# skips everything when pyproject.toml and this script are unchanged.
#
#   bash scripts/setup.sh
#
# Environment:
#   PYTHON=python3                    the Python that creates .venv
#   CHATREC_WHEELHOUSE=DIR            where llama-cpp-python wheels we built are kept
#                                     (default ~/.cache/chatrec/wheels; outside the repo)
#   CHATREC_SETUP_BROWSER=1           also install Debian's chromium and chromium-driver
#   CHATREC_SETUP_FORCE=1             ignore the stamp and run every step
set -Eeuo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

PYTHON="${PYTHON:-python3}"
VENV="$ROOT/.venv"
VPY="$VENV/bin/python"
TORCH_VERSION="2.13.0"
LLAMA_VERSION="0.3.36"
LLAMA_CMAKE_ARGS="-DGGML_NATIVE=OFF"
WHEELHOUSE="${CHATREC_WHEELHOUSE:-$HOME/.cache/chatrec/wheels}"
START=$SECONDS

step() { printf '\n==> [setup %3ds] %s\n' "$((SECONDS - START))" "$*"; }
die() { printf '\nsetup.sh: ERROR: %s\n' "$*" >&2; exit 1; }
trap 'printf "\nsetup.sh: FAILED (exit %s) at line %s: %s\n" "$?" "$LINENO" "$BASH_COMMAND" >&2' ERR

install_browser() {
    if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
        step "browser: $(/usr/bin/chromium --version 2>/dev/null || echo chromium) already installed"
        return
    fi
    command -v apt-get >/dev/null || die "CHATREC_SETUP_BROWSER=1 needs apt-get (Debian) to install chromium"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    step "browser: apt-get update, then install chromium and chromium-driver"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver
    [ -x /usr/bin/chromium ] || die "chromium was installed but /usr/bin/chromium is missing"
}

# The browser is a system package: check it on every run, whatever the stamp says.
if [ "${CHATREC_SETUP_BROWSER:-0}" = "1" ]; then
    install_browser
fi

STAMP_HASH="$(cat pyproject.toml scripts/setup.sh | sha256sum | cut -c1-16)"
STAMP="$VENV/.chatrec-setup-$STAMP_HASH"
if [ -f "$STAMP" ] && [ -x "$VPY" ] && [ "${CHATREC_SETUP_FORCE:-0}" != "1" ]; then
    step "up to date (stamp $(basename "$STAMP")); nothing to do"
    exit 0
fi

step "python: $("$PYTHON" --version 2>&1) at $(command -v "$PYTHON")"
"$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' \
    || die "chatrec needs Python 3.10 or newer (set PYTHON=...)"

if [ ! -x "$VPY" ]; then
    step "create $VENV"
    "$PYTHON" -m venv "$VENV"
else
    step "reuse $VENV"
fi
PIP=("$VPY" -m pip --disable-pip-version-check)

step "upgrade pip"
"${PIP[@]}" install -q --upgrade pip

step "torch==$TORCH_VERSION (CPU build, before anything that depends on torch)"
"${PIP[@]}" install -q "torch==$TORCH_VERSION"
"$VPY" -c "import torch, sys; v = torch.__version__; print('torch', v); sys.exit(0 if v.startswith('$TORCH_VERSION') and not torch.version.cuda else 'torch is not the $TORCH_VERSION CPU build: ' + v)"

step "llama-cpp-python==$LLAMA_VERSION from the wheelhouse $WHEELHOUSE (built with CMAKE_ARGS=$LLAMA_CMAKE_ARGS)"
mkdir -p "$WHEELHOUSE"
# A marker file per wheel records the flags it was built with; a wheel without one is not ours.
find_wheel() {
    local whl
    for whl in "$WHEELHOUSE"/llama_cpp_python-"$LLAMA_VERSION"-*.whl; do
        [ -f "$whl" ] && [ "$(cat "$whl.cmake-args" 2>/dev/null)" = "$LLAMA_CMAKE_ARGS" ] && { echo "$whl"; return 0; }
    done
    return 1
}
if ! WHEEL="$(find_wheel)"; then
    step "no matching wheel: building llama-cpp-python==$LLAMA_VERSION (about 4-10 minutes on 2 cores)"
    BUILD_DIR="$(mktemp -d)"
    CMAKE_ARGS="$LLAMA_CMAKE_ARGS" FORCE_CMAKE=1 "${PIP[@]}" wheel --no-deps --no-cache-dir \
        -w "$BUILD_DIR" "llama-cpp-python==$LLAMA_VERSION"
    for whl in "$BUILD_DIR"/llama_cpp_python-"$LLAMA_VERSION"-*.whl; do
        [ -f "$whl" ] || die "pip wheel produced no llama_cpp_python-$LLAMA_VERSION wheel in $BUILD_DIR"
        mv "$whl" "$WHEELHOUSE/"
        printf '%s' "$LLAMA_CMAKE_ARGS" > "$WHEELHOUSE/$(basename "$whl").cmake-args"
    done
    rm -rf "$BUILD_DIR"
    WHEEL="$(find_wheel)" || die "the built wheel is not in $WHEELHOUSE"
fi
echo "using $WHEEL"
"${PIP[@]}" install -q --no-deps --no-index --find-links "$WHEELHOUSE" "llama-cpp-python==$LLAMA_VERSION"

step "chatrec in editable mode with extras all,dev"
"${PIP[@]}" install -q -e ".[all,dev]"

step "check the installed versions"
"$VPY" - "$TORCH_VERSION" "$LLAMA_VERSION" <<'EOF'
import sys
from importlib.metadata import version

torch_want, llama_want = sys.argv[1:3]
got = {name: version(name) for name in ("torch", "llama_cpp_python", "chromadb", "sentence-transformers", "chatrec")}
print("  " + "  ".join(f"{k}={v}" for k, v in got.items()))
if not got["torch"].startswith(torch_want):
    sys.exit(f"torch {got['torch']} replaced {torch_want}: a dependency asked for another torch")
if got["llama_cpp_python"] != llama_want:
    sys.exit(f"llama-cpp-python {got['llama_cpp_python']} replaced our {llama_want} wheel: align pyproject.toml")
EOF
"$VENV/bin/chatrec" --version

rm -f "$VENV"/.chatrec-setup-*
touch "$STAMP"
step "done in $((SECONDS - START)) s; stamp $(basename "$STAMP")"
