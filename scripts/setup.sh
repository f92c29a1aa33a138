#!/usr/bin/env bash
# Installs the Debian 12 packages ganc needs and builds it.
#   scripts/setup.sh [release|werror|sanitize]   (default: release; build folder build/, build-werror/, build-asan/)
#   werror also builds the optional MPI backend (-DGANC_MPI=ON, Debian's libopenmpi-dev/openmpi-bin) for its tests,
#   and the CUDA backend where nvcc is installed (GANC_CUDA=ON scripts/setup.sh: the same for release and sanitize)
# As root the missing packages are installed with apt-get; otherwise the exact command is printed and we stop.
set -euo pipefail
cd "$(dirname "$0")/.."

PKGS=(gcc make cmake libc6-dev libopenblas-dev zlib1g-dev libpng-dev libjpeg-dev dataset-fashion-mnist
      libfreetype-dev fonts-dejavu-core fonts-liberation2)
mode=${1:-release}
# the test build (werror) also builds the MPI backend and runs its test under mpirun, and the HTML pages' test runs
# in headless Chromium through Selenium
if [ "$mode" = werror ]; then PKGS+=(libopenmpi-dev openmpi-bin chromium chromium-driver python3-selenium python3-pil); fi
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  cmd="apt-get install -y --no-install-recommends ${missing[*]}"
  if [ "$(id -u)" -eq 0 ]; then
    echo "setup: installing ${missing[*]}"
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive $cmd >/dev/null
  else
    echo "setup: missing Debian packages. Run as root:"
    echo "  apt-get update && $cmd"
    exit 1
  fi
fi

jobs=$(nproc 2>/dev/null || echo 2)
case "$mode" in
  release)  dir=build;        flags=(-DCMAKE_BUILD_TYPE=Release) ;;
  werror)   dir=build-werror; flags=(-DCMAKE_BUILD_TYPE=Release -DGANC_WERROR=ON -DGANC_MPI=ON) ;;
  sanitize) dir=build-asan;   flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DGANC_SANITIZE=ON -DGANC_WERROR=ON) ;;
  *) echo "setup: unknown mode $mode (release, werror, sanitize)"; exit 2 ;;
esac
# The CUDA backend (--device cuda) is built where CUDA's toolkit is installed: always for the test build (its GPU
# tests skip without a GPU), and for the others when GANC_CUDA=ON is set.
nvcc=$(command -v nvcc || { [ -x /usr/local/cuda/bin/nvcc ] && echo /usr/local/cuda/bin/nvcc; } || true)
if [ -n "$nvcc" ] && { [ "$mode" = werror ] || [ "${GANC_CUDA:-OFF}" = ON ]; }; then
  flags+=(-DGANC_CUDA=ON -DCMAKE_CUDA_COMPILER="$nvcc")
  echo "setup: $dir with the CUDA backend ($nvcc)"
elif [ "${GANC_CUDA:-OFF}" = ON ]; then
  echo "setup: GANC_CUDA=ON but no nvcc found (install CUDA's toolkit, or put nvcc on PATH)"; exit 1
fi
cmake -S . -B "$dir" "${flags[@]}" >/dev/null
cmake --build "$dir" -j "$jobs" >/dev/null
echo "setup: built $dir/ganc"
# the test build's data that Debian ships as a package we unpack rather than install (the text encoder's tests
# check the committed held-out list against it; they skip with a message where it is missing)
if [ "$mode" = werror ]; then scripts/get_emoji.sh >/dev/null || echo "setup: emoji not unpacked (see above)"; fi
