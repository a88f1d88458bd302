#!/usr/bin/env bash
# Installs the Debian packages named in $1 (one a line) that are not installed yet.
set -euo pipefail
list=${1:-deb-packages.txt}
missing=()
while read -r pkg; do
    [[ -z "$pkg" || "$pkg" == \#* ]] && continue
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
done < "$list"
if ((${#missing[@]} == 0)); then
    exit 0
fi
echo "installing missing packages: ${missing[*]}"
sudo=""
if ((EUID != 0)); then
    if command -v sudo >/dev/null; then sudo=sudo; else
        echo "error: these packages are missing and I am not root: ${missing[*]}" >&2
        exit 1
    fi
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q "${missing[@]}"
