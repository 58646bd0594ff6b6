#!/usr/bin/env bash
# GPU check of the native kernels, for a machine with an NVIDIA GPU and nvcc: builds the addon
# with CUDA, runs the native agreement tests (the CUDA ones run instead of skipping there) and the
# native benchmarks. Writes $OUT/bench-gpu.json (OUT defaults to the current folder).
# Needs node_modules installed (npm ci) beforehand; takes a few minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${OUT:-.}"
mkdir -p "$OUT"

echo "== build the addon (CUDA where nvcc exists)"
npm run install
node -e "const i = require('./build/Release/percept_native.node').backendInfo(); console.log(JSON.stringify(i)); if (!i.cudaAvailable) console.error('warning: CUDA not available: ' + i.reason)"

echo "== agreement tests (TS reference, CPU, CUDA)"
npx vitest run native

echo "== native benchmarks"
npx tsc -p tsconfig.build.json
node dist/bench/run.js --only native --out "$OUT/bench-gpu.json"
