#!/usr/bin/env bash
# Packs PeerKit (and PeerKit.Hosting) and checks the package as a user gets it:
#   1. the .nupkg holds the library, its XML docs, the README, the generator under analyzers/dotnet/cs
#      and the native shim under runtimes/<rid>/native;
#   2. packaging/consumer, copied to a temporary folder outside the repository (so no Directory.Build.props
#      or Directory.Packages.props of ours applies), restores PeerKit from a folder feed holding only the
#      packed packages (offline: no other source), into a fresh packages folder (no stale cached copy),
#      builds, runs, and prints "consumer: ok".
# Usage: packaging/check-consumer.sh [output-folder-for-the-nupkgs]. Exit code 0 when everything holds.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
feed="${1:-$work/feed}"
mkdir -p "$feed"

version="$(dotnet msbuild "$root/src/Sdk/PeerKit.csproj" -getProperty:Version)"
echo "check-consumer: packing PeerKit $version into $feed"
dotnet pack "$root/src/Sdk/PeerKit.csproj" -c Release -o "$feed" -nologo
if [[ -f "$root/src/Hosting/PeerKit.Hosting.csproj" ]]; then
    dotnet pack "$root/src/Hosting/PeerKit.Hosting.csproj" -c Release -o "$feed" -nologo
fi
nupkg="$feed/PeerKit.$version.nupkg"
[[ -f "$nupkg" ]] || { echo "check-consumer: $nupkg was not made" >&2; exit 1; }

rid="$(dotnet msbuild "$root/src/Sdk/PeerKit.csproj" -getProperty:NETCoreSdkRuntimeIdentifier)"
listing="$(unzip -Z1 "$nupkg")"
for entry in lib/net10.0/PeerKit.dll lib/net10.0/PeerKit.xml README.md analyzers/dotnet/cs/PeerKit.Generators.dll "runtimes/$rid/native/libpeerkit_native.so"; do
    grep -qxF "$entry" <<<"$listing" || { echo "check-consumer: $nupkg lacks $entry" >&2; exit 1; }
done
# The generator must not also be a compile reference, nor the library a dependency-less stub.
if grep -q '^lib/.*PeerKit.Generators.dll$' <<<"$listing"; then echo "check-consumer: the generator is packed as a library" >&2; exit 1; fi
unzip -p "$nupkg" PeerKit.nuspec | grep -q "<repository type=\"git\"" || { echo "check-consumer: no repository metadata in the nuspec" >&2; exit 1; }
echo "check-consumer: package layout ok ($(wc -l <<<"$listing") entries)"
if [[ -f "$feed/PeerKit.Hosting.$version.nupkg" ]]; then
    unzip -p "$feed/PeerKit.Hosting.$version.nupkg" PeerKit.Hosting.nuspec | grep -q "<dependency id=\"PeerKit\" version=\"$version\"" \
        || { echo "check-consumer: PeerKit.Hosting does not depend on PeerKit $version" >&2; exit 1; }
    echo "check-consumer: PeerKit.Hosting $version depends on PeerKit $version"
fi

cp -r "$root/packaging/consumer" "$work/consumer"
rm -rf "$work/consumer/bin" "$work/consumer/obj"
cat >"$work/consumer/nuget.config" <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="local" value="$feed" />
  </packageSources>
</configuration>
XML
export NUGET_PACKAGES="$work/packages"
echo "check-consumer: building the consumer in $work/consumer against the local feed only"
dotnet build "$work/consumer/Consumer.csproj" -c Release -nologo -p:PeerKitVersion="$version"
output="$(dotnet "$work/consumer/bin/Release/net10.0/Consumer.dll")"
echo "$output"
grep -qx "consumer: ok" <<<"$output" || { echo "check-consumer: the consumer did not print 'consumer: ok'" >&2; exit 1; }
echo "check-consumer: passed"
