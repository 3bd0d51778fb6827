#!/usr/bin/env bash
# Make moto_server available: use the machine's if it has one, else create .venv and pip install it there.
set -euo pipefail
cd "$(dirname "$0")/.."
for py in .venv/bin/python python3 python; do
  if command -v "$py" >/dev/null 2>&1 && "$py" -c 'import moto.server, werkzeug' 2>/dev/null; then
    echo "moto: using $("$py" -c 'import moto, sys; print(sys.executable, moto.__version__)')"
    exit 0
  fi
done
echo "moto: not found; installing moto[server]==5.2.1 into .venv"
python3 -m venv .venv
.venv/bin/pip install --quiet "moto[server]==5.2.1"
