#!/usr/bin/env bash
# Builds the Fleet device agent as a native (AOT) single file.
#   scripts/build-agent.sh [--version V] [--arch x86_64|aarch64|all] [--out DIR]
# writes DIR/V/ARCH/fleet-agent (default DIR artifacts/agent, V from git describe, ARCH all) and prints each path.
set -euo pipefail
cd "$(dirname "$0")/.."

version=""; arch=all; out=artifacts/agent
while [ $# -gt 0 ]; do
  case "$1" in
    --version) version="$2"; shift 2 ;;
    --arch) arch="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    *) echo "build-agent.sh: unknown argument $1 (use --version V, --arch x86_64|aarch64|all, --out DIR)" >&2; exit 2 ;;
  esac
done
if [ -z "$version" ]; then
  version=$(git describe --tags --always 2>/dev/null | sed 's/^v//') || true
  version=${version:-0.0.0-dev}
fi
case "$arch" in
  all) arches=(x86_64 aarch64) ;;
  x86_64|aarch64) arches=("$arch") ;;
  *) echo "build-agent.sh: --arch must be x86_64, aarch64 or all, not $arch" >&2; exit 2 ;;
esac

for a in "${arches[@]}"; do
  case "$a" in x86_64) rid=linux-x64 ;; aarch64) rid=linux-arm64 ;; esac
  target="$out/$version/$a"
  work=$(mktemp -d)
  dotnet publish src/DeviceAgent/Fleet.DeviceAgent.csproj -c Release -r "$rid" -p:PublishAot=true \
    -p:Version="$version" -o "$work" -nologo -clp:ErrorsOnly >&2
  mkdir -p "$target"
  cp "$work/Fleet.DeviceAgent" "$target/fleet-agent.tmp" && mv "$target/fleet-agent.tmp" "$target/fleet-agent"
  rm -rf "$work"
  echo "$target/fleet-agent"
done
