#!/usr/bin/env bash
# Creates .venv and installs one requirement set into it, saying what it does as it goes.
#   preview: base + preview (what `make preview` imports); dev: everything (`make test`).
# uv (pinned in requirements/tools.txt) does the install; pip takes over when uv cannot be
# installed or fails, or when INSTALLER=pip.
set -euo pipefail

profile=${1:?usage: install_venv.sh preview|dev}
venv=${VENV:-.venv}
python=${PYTHON:-python3}
case "$profile" in
  preview) files=(requirements/base.txt requirements/preview.txt) ;;
  dev) files=(requirements/base.txt requirements/preview.txt requirements/dev.txt) ;;
  *) echo "install_venv.sh: unknown profile '$profile' (preview or dev)" >&2; exit 2 ;;
esac

start=$SECONDS
say() { printf 'setup [%3ss] %s\n' "$((SECONDS - start))" "$*"; }
packages=$(cat "${files[@]}" | grep -E '^[A-Za-z0-9]' | cut -d= -f1 | sort -uf | wc -l)

if [ ! -x "$venv/bin/python" ]; then
  say "creating $venv with $("$python" --version 2>&1)"
  "$python" -m venv "$venv"
fi
pip=("$venv/bin/pip" --disable-pip-version-check)

installer=${INSTALLER:-uv}
if [ "$installer" = uv ] && [ ! -x "$venv/bin/uv" ]; then
  say "installing the uv installer ($(grep -E '^uv==' requirements/tools.txt))"
  "${pip[@]}" install --quiet -r requirements/tools.txt || installer=pip
fi

req_args=()
for f in "${files[@]}"; do req_args+=(-r "$f"); done
say "installing $packages pinned packages for '$profile' (${files[*]}) with $installer"
if [ "$installer" = uv ]; then
  if ! "$venv/bin/uv" pip install --python "$venv/bin/python" "${req_args[@]}"; then
    say "uv failed; installing with pip instead"
    installer=pip
  fi
fi
if [ "$installer" = pip ]; then
  # One line per package instead of pip's download chatter; pip's own status decides.
  set +e
  "${pip[@]}" install --progress-bar off "${req_args[@]}" \
    | grep --line-buffered -E '^(Collecting|Successfully installed|ERROR)'
  status=${PIPESTATUS[0]}
  set -e
  [ "$status" -eq 0 ] || exit "$status"
fi

say "installing hrmsctl and this checkout (editable)"
if [ "$installer" = uv ]; then
  "$venv/bin/uv" pip install --quiet --python "$venv/bin/python" --no-deps --no-build-isolation -e .
else
  "${pip[@]}" install --quiet --no-deps --no-build-isolation -e .
fi
say "done: $venv ready for '$profile'"
