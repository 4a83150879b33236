#!/usr/bin/env bash
# Install one pinned Pulumi CLI release into ~/.pulumi/bin, checked against its published checksum.
set -euo pipefail
VERSION="${1:?usage: install_pulumi.sh VERSION}"
NAME="pulumi-v${VERSION}-linux-x64.tar.gz"
BASE="https://get.pulumi.com/releases/sdk"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
curl -fsSL --retry 3 -o "$WORK/$NAME" "$BASE/$NAME"
curl -fsSL --retry 3 -o "$WORK/sums.txt" "$BASE/pulumi-${VERSION}-checksums.txt"
(cd "$WORK" && grep " ${NAME}\$" sums.txt | sha256sum -c -)
mkdir -p "$HOME/.pulumi"
tar -xzf "$WORK/$NAME" -C "$HOME/.pulumi" --strip-components=1 --one-top-level=bin
echo "$HOME/.pulumi/bin" >> "${GITHUB_PATH:-/dev/null}"
"$HOME/.pulumi/bin/pulumi" version
