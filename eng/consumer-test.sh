#!/usr/bin/env bash
# Consumer test: packs the solution to a local folder, checks every package's .nuspec, then builds fresh console apps
# for net8.0 and net10.0 that reference the PACKAGES (not the projects) and runs the README's ML.NET snippet with the
# HTML report on PNG files, and installs the onnx-xai tool from its package. The net8.0 app is published
# self-contained (the .NET 8 runtime pack comes from NuGet), so only the .NET 10 SDK is needed. Expects a Release build of the solution (pass --build to build first).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
build_flag="--no-build"
[ "${1:-}" = "--build" ] && build_flag=""

prop() { sed -n "s:.*<$1>\(.*\)</$1>.*:\1:p" "$root/Directory.Build.props" | head -1; }
pkg() { sed -n "s:.*Include=\"$1\" Version=\"\([^\"]*\)\".*:\1:p" "$root/Directory.Packages.props" | head -1; }
version="$(prop Version)"
work="$(mktemp -d /tmp/xai-consumer.XXXXXX)"    # outside the repository: no Directory.Build.props applies
packages="$work/feed"
global="$(dotnet nuget locals global-packages --list | sed 's/^global-packages: //')"
rid="$(dotnet --info | sed -n 's/^ *RID: *//p' | head -1)"
start=$SECONDS

dotnet pack "$root/Microsoft.ML.Explainability.sln" -c Release $build_flag -o "$packages" -v quiet -nologo
cp "$root/eng/consumer/CheckPackages.cs" "$work/"
dotnet run "$work/CheckPackages.cs" -- "$packages" "$version"

cat > "$work/nuget.config" <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <add key="local-build" value="$packages" />
  </packageSources>
</configuration>
XML
cp "$root/test/assets/models/fmnist_cnn.onnx" "$root/test/assets/data/fashion-mnist-t10k-1000-images-idx3-ubyte.gz" "$work/"

status=0
for tfm in net8.0 net10.0; do
  app="$work/app-$tfm"
  mkdir -p "$app"
  cp "$root/eng/consumer/Program.cs" "$app/"
  cat > "$app/Consumer.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>$tfm</TargetFramework>
    <Nullable>enable</Nullable>
    <ImplicitUsings>enable</ImplicitUsings>
    <!-- Our packages are restored into a folder of their own; everything else comes from the machine's cache. -->
    <RestorePackagesPath>$work/packages</RestorePackagesPath>
    <RestoreAdditionalProjectFallbackFolders>$global</RestoreAdditionalProjectFallbackFolders>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="Microsoft.ML.Explainability.ML" Version="$version" />
    <PackageReference Include="Microsoft.ML.Explainability.Reports" Version="$version" />
    <PackageReference Include="Microsoft.ML.ImageAnalytics" Version="$(pkg Microsoft.ML.ImageAnalytics)" />
    <PackageReference Include="Microsoft.ML.OnnxRuntime" Version="$(pkg Microsoft.ML.OnnxRuntime)" />
  </ItemGroup>
</Project>
XML
  if [ "$tfm" = "net8.0" ]; then
    dotnet publish "$app" -c Release -r "$rid" --self-contained -o "$app/out" -v quiet -nologo
    runner=("$app/out/Consumer")
  else
    dotnet build "$app" -c Release -o "$app/out" -v quiet -nologo
    runner=(dotnet "$app/out/Consumer.dll")
  fi
  if ! "${runner[@]}" "$work/fmnist_cnn.onnx" "$work/fashion-mnist-t10k-1000-images-idx3-ubyte.gz" "$app/run"; then
    echo "consumer app $tfm failed"; status=1
  fi
done

# The onnx-xai tool from its package: one net8.0 build, rolled forward to the installed .NET 10 runtime.
dotnet tool install Microsoft.ML.Explainability.Cli --version "$version" --tool-path "$work/tool" --add-source "$packages" >/dev/null
if ! "$work/tool/onnx-xai" methods | grep -q "grad-cam"; then
  echo "the onnx-xai tool from the package did not list its methods"; status=1
fi

echo "consumer test: $((SECONDS - start)) s, packages in $packages"
exit $status
