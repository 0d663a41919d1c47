#!/usr/bin/env bash
# Runs every Fleet test on a fresh Debian machine with only the .NET SDK.
# Installs what the tests need (Chromium for Playwright, Mosquitto, swtpm + tpm2-tools, Ignition, the native agent's
# toolchains and qemu-user) when it is missing and we may (root),
# builds with warnings as errors, runs all test projects, and prints "N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/.."

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v curl >/dev/null 2>&1 || need+=(curl)   # scripts/api-example.sh is tested with it
command -v ss >/dev/null 2>&1 || need+=(iproute2)  # the broker's listen backlog is read with ss
command -v mosquitto >/dev/null 2>&1 || need+=(mosquitto)               # external-broker baseline
command -v mosquitto_sub >/dev/null 2>&1 || need+=(mosquitto-clients)   # plain MQTT clients against the broker's ACLs
command -v swtpm >/dev/null 2>&1 || need+=(swtpm swtpm-tools)           # a software TPM 2.0 for attestation tests
command -v swtpm_setup >/dev/null 2>&1 || need+=(swtpm-tools)           # swtpm_setup/swtpm_localca: EK certificates
command -v tpm2_createek >/dev/null 2>&1 || need+=(tpm2-tools)
command -v ignition-validate >/dev/null 2>&1 || need+=(ignition)        # the real ignition and ignition-validate
# The native (AOT) agent: clang links both builds; aarch64 is cross-compiled and runs under qemu-user.
command -v clang >/dev/null 2>&1 || need+=(clang)
command -v aarch64-linux-gnu-gcc >/dev/null 2>&1 || need+=(gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu)
[ -e /usr/aarch64-linux-gnu/lib/libc.so ] || need+=(libc6-dev-arm64-cross)
command -v qemu-aarch64-static >/dev/null 2>&1 || need+=(qemu-user-static)
[ -e /usr/include/zlib.h ] || need+=(zlib1g-dev)
# Debian's arm64 libssl3 for the aarch64 agent under qemu-user (../shared/interop/README.md), unpacked into
# artifacts/arm64-libs where NativeAgentProcess looks. apt-get download installs nothing; the arm64 architecture is
# added for the one apt-get update and removed again after the download.
arm64_libs=artifacts/arm64-libs
arm64_ssl=no
[ -e "$arm64_libs/usr/lib/aarch64-linux-gnu/libssl.so.3" ] || arm64_ssl=yes
if [ ${#need[@]} -gt 0 ] || { [ $arm64_ssl = yes ] && [ "$(id -u)" = 0 ]; }; then
  if [ "$(id -u)" = 0 ]; then
    [ $arm64_ssl = yes ] && dpkg --add-architecture arm64
    apt-get update -qq || { echo "apt-get update failed"; exit 1; }
    if [ ${#need[@]} -gt 0 ]; then
      echo "Installing ${need[*]}"
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null \
        || { echo "apt-get install ${need[*]} failed"; exit 1; }
    fi
    if [ $arm64_ssl = yes ]; then
      echo "Unpacking arm64 libssl3 into $arm64_libs"
      debs=$(mktemp -d) && chmod 755 "$debs"   # apt-get download runs as _apt
      (cd "$debs" && apt-get download -qq libssl3:arm64) && mkdir -p "$arm64_libs" \
        && dpkg -x "$debs"/libssl3_*_arm64.deb "$arm64_libs" \
        || echo "Could not unpack arm64 libssl3: the aarch64 agent tests will skip"
      rm -rf "$debs"
      dpkg --remove-architecture arm64
    fi
  else
    echo "Missing ${need[*]}: install with 'sudo apt-get install ${need[*]}' and run again"; exit 1
  fi
fi

results=artifacts/test-results
rm -rf "$results"
mkdir -p "$results"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build Fleet.sln -c Release -warnaserror -nologo -clp:ErrorsOnly || { echo "0 passed, 1 failed"; exit 1; }
# One project at a time, each into its own folder: test modules started together can name their TRX files alike
# (the name is the start time), and one would overwrite the other's results.
status=0
for project in tests/*/*.Tests.csproj; do
  name=$(basename "$project" .csproj)
  dotnet test --project "$project" -c Release --no-build --results-directory "$PWD/$results/$name" \
    -- --report-xunit-trx || status=$?
done

# CI reads only the last line; count outcomes from the TRX files rather than trusting console output.
passed=0; failed=0; skipped=0
for trx in "$results"/*/*.trx; do
  [ -e "$trx" ] || continue
  p=$(grep -o '<UnitTestResult [^>]*outcome="Passed"' "$trx" | wc -l)
  f=$(grep -o '<UnitTestResult [^>]*outcome="Failed"' "$trx" | wc -l)
  s=$(grep -o '<UnitTestResult [^>]*outcome="NotExecuted"' "$trx" | wc -l)
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
done
if [ "$failed" -gt 0 ]; then
  # CI shows only the tail of the output: name each failed test and the start of its message here.
  echo "Failed tests:"
  for trx in "$results"/*/*.trx; do
    [ -e "$trx" ] || continue
    perl -0777 -ne 'while (/<UnitTestResult testName="([^"]*)" outcome="Failed".*?<Message>(.*?)<\/Message>/gs) {
      my ($name, $message) = ($1, $2); $message =~ s/\s+/ /g; print "  $name: ", substr($message, 0, 300), "\n" }' "$trx"
  done
fi
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  failed=1   # the runner failed without a failing test (crash, no TRX): never report green
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
