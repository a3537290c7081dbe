# Sourced by scripts/run and scripts/test: create .venv once (Python 3.11+), set VENV_PY.
# Debian/Ubuntu's system python3 refuses a bare pip install (PEP 668), so everything goes here.
if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    echo "relay-metrics needs Python 3.11 or newer; python3 is $(python3 --version 2>&1)" >&2
    exit 1
fi
if [ ! -x .venv/bin/python ]; then
    if ! python3 -m venv .venv 2>/dev/null; then
        # Debian ships venv separately (python3-venv); install it when we may.
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
            rm -rf .venv
            apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
            python3 -m venv .venv
        else
            echo "python3 -m venv failed: install python3-venv (sudo apt-get install python3-venv)" >&2
            exit 1
        fi
    fi
fi
VENV_PY=.venv/bin/python
