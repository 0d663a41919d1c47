#!/usr/bin/env bash
# Builds the Fleet device agent as a native (AOT) single file for x86_64 and aarch64 (cross-compiled).
#   scripts/build-agent.sh [--version V] [--arch x86_64|aarch64|all] [--out DIR] [--archive]
# writes DIR/V/ARCH/fleet-agent (default DIR artifacts/agent, V from git describe, ARCH all) and prints each path.
# --archive (with --arch all) also writes artifacts/fleet-agent-V.tar.gz: V/x86_64/fleet-agent, V/aarch64/fleet-agent,
# the systemd units and V/SHA512SUMS. Unpacked into the portal's bundled-builds folder (agents/ under its content
# root) the portal serves both builds; docs/operations.md has the install by hand.
# Needs clang (both), and for aarch64 Debian's cross toolchain: apt-get install clang gcc-aarch64-linux-gnu
# binutils-aarch64-linux-gnu libc6-dev-arm64-cross (scripts/test.sh installs them when run as root).
set -euo pipefail
cd "$(dirname "$0")/.."

# One function, so bash has read the whole script before it runs (tests run it while it may be edited).
main() {
  version=""; arch=all; out=artifacts/agent; archive=no
  while [ $# -gt 0 ]; do
    case "$1" in
      --version) version="$2"; shift 2 ;;
      --arch) arch="$2"; shift 2 ;;
      --out) out="$2"; shift 2 ;;
      --archive) archive=yes; shift ;;
      *) echo "build-agent.sh: unknown argument $1" \
           "(use --version V, --arch x86_64|aarch64|all, --out DIR, --archive)" >&2
         exit 2 ;;
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
  if [ $archive = yes ] && [ "$arch" != all ]; then
    echo "build-agent.sh: --archive holds both architectures: leave out --arch or use --arch all" >&2; exit 2
  fi

  missing=()
  command -v clang >/dev/null 2>&1 || missing+=(clang)
  if [[ " ${arches[*]} " == *" aarch64 "* ]]; then
    command -v aarch64-linux-gnu-ld >/dev/null 2>&1 || missing+=(binutils-aarch64-linux-gnu)
    [ -e /usr/lib/gcc-cross/aarch64-linux-gnu ] || missing+=(gcc-aarch64-linux-gnu)
    [ -e /usr/aarch64-linux-gnu/lib/libc.so ] || missing+=(libc6-dev-arm64-cross)
  fi
  if [ ${#missing[@]} -gt 0 ]; then
    echo "build-agent.sh: missing ${missing[*]}: apt-get install ${missing[*]}" >&2; exit 1
  fi

  for a in "${arches[@]}"; do
    # clang links both; for linux-arm64 the SDK passes --target=aarch64-linux-gnu and clang finds Debian's cross
    # libraries in /usr/aarch64-linux-gnu and /usr/lib/gcc-cross by itself (no --sysroot), linking with
    # aarch64-linux-gnu-ld; the cross objcopy strips the symbols into a separate file, which is not kept.
    case "$a" in
      x86_64) rid=linux-x64; cross=() ;;
      aarch64) rid=linux-arm64; cross=(-p:ObjCopyName=aarch64-linux-gnu-objcopy) ;;
    esac
    target="$out/$version/$a"
    work=$(mktemp -d)
    dotnet publish src/DeviceAgent/Fleet.DeviceAgent.csproj -c Release -r "$rid" -p:PublishAot=true \
      -p:Version="$version" "${cross[@]}" -o "$work" -nologo -clp:ErrorsOnly >&2
    mkdir -p "$target"
    cp "$work/Fleet.DeviceAgent" "$target/fleet-agent.tmp" && mv "$target/fleet-agent.tmp" "$target/fleet-agent"
    rm -rf "$work"
    echo "$target/fleet-agent"
  done

  if [ $archive = yes ]; then
    stage=$(mktemp -d)
    mkdir -p "$stage/$version"
    cp -r "$out/$version/x86_64" "$out/$version/aarch64" src/DeviceAgent/*.service "$stage/$version/"
    (cd "$stage/$version" && find . -type f ! -name SHA512SUMS | sed 's|^\./||' | sort | xargs sha512sum > SHA512SUMS)
    mkdir -p artifacts
    tar -czf "artifacts/fleet-agent-$version.tar.gz" --owner=0 --group=0 -C "$stage" "$version"
    rm -rf "$stage"
    echo "artifacts/fleet-agent-$version.tar.gz"
  fi
}

main "$@"
