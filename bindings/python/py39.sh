#!/usr/bin/env bash
# CPython 3.9 for `just python-test-39`, the proof that bindings/python still
# builds and passes its tests on the oldest CPython it supports.
#
# No registry this project uses ships a CPython 3.9 for Debian 12 (bookworm
# has 3.11 only; the PyPI and npm installers of standalone builds download
# from elsewhere at install time). Debian 11 (bullseye) does: its python3.9
# packages and the four libraries bookworm lacks are downloaded with
# apt-get from Debian's archive into a private apt state, unpacked with
# dpkg-deb into .venv-py39/root (nothing is installed system-wide), and a
# venv (.venv-py39/venv) gets the pinned tools of tools/requirements-py39.txt.
# The interpreter needs LD_LIBRARY_PATH=.venv-py39/root/usr/lib/x86_64-linux-gnu
# (ssl, ctypes and decimal link libssl1.1, libffi7, libmpdec3).
set -euo pipefail
cd "$(dirname "$0")/../.."
dir=.venv-py39
req=tools/requirements-py39.txt
packages="python3.9 python3.9-minimal libpython3.9-minimal libpython3.9-stdlib
python3-distutils python3-lib2to3 libssl1.1 libffi7 libmpdec3"
if [ -x "$dir/venv/bin/python" ] && cmp -s "$req" "$dir/.requirements"; then
    echo "present"
    exit 0
fi
rm -rf "$dir"
mkdir -p "$dir/apt/lists/partial" "$dir/apt/cache/archives/partial" "$dir/debs" "$dir/root"
cat > "$dir/apt/sources.list" <<SOURCES
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bullseye main
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian-security bullseye-security main
SOURCES
apt_opts=(
    -o "Dir::Etc::SourceList=$PWD/$dir/apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
    -o "Dir::State::Lists=$PWD/$dir/apt/lists" -o "Dir::Cache=$PWD/$dir/apt/cache"
    -o Dir::State::status=/dev/null -o Debug::NoLocking=1 -o APT::Sandbox::User=root
)
apt-get "${apt_opts[@]}" update
# shellcheck disable=SC2086 # the package list is split on purpose
(cd "$dir/debs" && apt-get "${apt_opts[@]}" download $packages)
for deb in "$dir"/debs/*.deb; do
    dpkg-deb -x "$deb" "$dir/root"
done
export LD_LIBRARY_PATH="$PWD/$dir/root/usr/lib/x86_64-linux-gnu"
"$dir/root/usr/bin/python3.9" -m venv --without-pip "$dir/venv"
# The project venv's pip installs into the 3.9 venv (it has no pip of its own).
.venv/bin/python -m pip --python "$dir/venv/bin/python" install --disable-pip-version-check -r "$req"
cp "$req" "$dir/.requirements"
echo "installed CPython $("$dir/venv/bin/python" -c 'import platform; print(platform.python_version())')"
