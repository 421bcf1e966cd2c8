#!/usr/bin/env bash
# Set up the "Wine test lane": the Windows build of Deno running under Wine on
# Debian bookworm, so that the kernel32 code path of the agent can be tested
# on Linux. See /work/shared/notes/windows-under-wine.md for the facts used here.
#
# Everything is created under .wine-lane/ at the repository root (git-ignored):
#   .wine-lane/deno/deno.exe        patched TEST copy of deno.exe (never ship it)
#   .wine-lane/deno/deno.orig.exe   unmodified deno.exe from npm
#   .wine-lane/dll/bcryptprimitives.dll
#   .wine-lane/prefix/              private WINEPREFIX
#   .wine-lane/env.sh               exports WINEPREFIX, WINEDEBUG, WINE, WINE_DENO
#   .wine-lane/stamp                what the lane was built from (fast second run)
#
# Idempotent: a second run with the same inputs only runs the smoke check.
# Works without a TTY and without stdin (CI). Needs root (or sudo) for apt-get.
#
# Environment:
#   DENO_VERSION   version of @deno/win32-x64 to fetch (default 2.9.6)
set -euo pipefail

DENO_VERSION="${DENO_VERSION:-2.9.6}"
# 13-byte replacement for "VirtualAlloc2" (see patch step below).
PATCH_FROM="VirtualAlloc2"
PATCH_TO="NoSuchExport1"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SRC_DIR="$ROOT/scripts/wine"
LANE="$ROOT/.wine-lane"
DENO_DIR="$LANE/deno"
DLL_DIR="$LANE/dll"
PREFIX="$LANE/prefix"
STAMP="$LANE/stamp"
ENV_FILE="$LANE/env.sh"

log() { printf '[setup_wine] %s\n' "$*" >&2; }
die() { printf '[setup_wine] ERROR: %s\n' "$*" >&2; exit 1; }

exec </dev/null # never wait for input (CI has no stdin)

# ---------------------------------------------------------------- .gitignore
ensure_gitignore() {
  local gi="$ROOT/.gitignore"
  if [[ -f "$gi" ]] && grep -qxF '.wine-lane/' "$gi"; then
    return
  fi
  log "adding .wine-lane/ to .gitignore"
  if [[ -s "$gi" && -n "$(tail -c1 "$gi")" ]]; then
    printf '\n' >>"$gi"
  fi
  printf '.wine-lane/\n' >>"$gi"
}

# ---------------------------------------------------------------- packages
pkg_installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

ensure_packages() {
  local wanted=(wine64 gcc-mingw-w64-x86-64 bsdutils) missing=() p
  for p in "${wanted[@]}"; do
    pkg_installed "$p" || missing+=("$p")
  done
  ((${#missing[@]} == 0)) && return
  local sudo=()
  if ((EUID != 0)); then
    command -v sudo >/dev/null || die "need root (or sudo) to install: ${missing[*]}"
    sudo=(sudo -n)
  fi
  log "installing Debian packages: ${missing[*]} (apt-get update first)"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
}

find_wine() {
  local c
  for c in wine wine64 /usr/lib/wine/wine64; do
    if command -v "$c" >/dev/null 2>&1; then
      command -v "$c"
      return
    fi
  done
  die "no wine binary found after installing wine64"
}

find_wineserver() {
  local c
  for c in wineserver /usr/lib/wine/wineserver64 /usr/lib/wine/wineserver; do
    if command -v "$c" >/dev/null 2>&1; then
      command -v "$c"
      return
    fi
  done
  die "no wineserver binary found"
}

# ---------------------------------------------------------------- deno.exe
fetch_deno() {
  local orig="$DENO_DIR/deno.orig.exe"
  if [[ -f "$orig" && -f "$DENO_DIR/VERSION" && "$(cat "$DENO_DIR/VERSION")" == "$DENO_VERSION" ]]; then
    return
  fi
  log "fetching @deno/win32-x64@$DENO_VERSION from the npm registry"
  rm -rf "$DENO_DIR"
  mkdir -p "$DENO_DIR/pkg"
  local tgz
  tgz="$(cd "$DENO_DIR" && npm pack --silent --ignore-scripts "@deno/win32-x64@$DENO_VERSION" </dev/null | tail -n1)"
  [[ -f "$DENO_DIR/$tgz" ]] || die "npm pack did not produce a tarball (got '$tgz')"
  tar -xzf "$DENO_DIR/$tgz" -C "$DENO_DIR/pkg"
  rm -f "$DENO_DIR/$tgz"
  local exe
  exe="$(find "$DENO_DIR/pkg" -type f -name deno.exe | head -n1)"
  [[ -n "$exe" ]] || die "deno.exe not found in @deno/win32-x64@$DENO_VERSION"
  mv "$exe" "$orig"
  rm -rf "$DENO_DIR/pkg" "$DENO_DIR/deno.exe"
  printf '%s\n' "$DENO_VERSION" >"$DENO_DIR/VERSION"
}

# Wine 8.0 exports VirtualAlloc2 but does not implement placeholder
# reservations; V8 uses them only if GetProcAddress(kernelbase, "VirtualAlloc2")
# succeeds. Renaming the looked-up string in a TEST copy makes V8 take its
# fallback path. Exactly one ASCII occurrence (followed closely by the UTF-16
# text "kernelbase.dll") must exist; anything else is an error.
patch_deno() {
  local orig="$DENO_DIR/deno.orig.exe" out="$DENO_DIR/deno.exe"
  [[ -f "$out" ]] && return
  log "making patched test copy deno.exe ($PATCH_FROM -> $PATCH_TO)"
  node - "$orig" "$out.tmp" "$PATCH_FROM" "$PATCH_TO" <<'EOF'
const fs = require("fs");
const [src, dst, from, to] = process.argv.slice(2);
if (from.length !== to.length) throw new Error("replacement must have the same length");
const buf = fs.readFileSync(src);
const needle = Buffer.from(from, "latin1");
const kernelbase = Buffer.from("kernelbase.dll", "utf16le");
const hits = [];
for (let i = buf.indexOf(needle); i !== -1; i = buf.indexOf(needle, i + 1)) hits.push(i);
if (hits.length !== 1) {
  console.error(`expected exactly 1 occurrence of ${from}, found ${hits.length} at ${hits}`);
  process.exit(2);
}
const at = hits[0];
const near = buf.indexOf(kernelbase, at + needle.length);
if (near === -1 || near - at > 64) {
  console.error(`${from} at 0x${at.toString(16)} is not followed by UTF-16 kernelbase.dll`);
  process.exit(3);
}
if (buf.indexOf(Buffer.from(to, "latin1")) !== -1) {
  console.error(`${to} already occurs in the binary`);
  process.exit(4);
}
buf.write(to, at, "latin1");
const after = [];
for (let i = buf.indexOf(needle); i !== -1; i = buf.indexOf(needle, i + 1)) after.push(i);
if (after.length !== 0) { console.error("patch did not apply"); process.exit(5); }
fs.writeFileSync(dst, buf);
console.error(`[setup_wine] patched 1 occurrence at file offset 0x${at.toString(16)}`);
EOF
  mv "$out.tmp" "$out"
}

check_patch_name_unexported() {
  # The replacement name must not be an export of Wine's kernelbase.dll.
  local kb
  kb="$(find /usr/lib/wine /usr/lib/x86_64-linux-gnu/wine -name kernelbase.dll -path '*x86_64-windows*' 2>/dev/null | head -n1 || true)"
  if [[ -n "$kb" ]] && grep -qaF "$PATCH_TO" "$kb"; then
    die "$PATCH_TO occurs in $kb; choose another replacement name"
  fi
}

# ---------------------------------------------------------------- DLL
build_dll() {
  local out="$DLL_DIR/bcryptprimitives.dll"
  if [[ -f "$out" && "$out" -nt "$SRC_DIR/process_prng.c" && "$out" -nt "$SRC_DIR/process_prng.def" ]]; then
    return
  fi
  log "building bcryptprimitives.dll with x86_64-w64-mingw32-gcc"
  mkdir -p "$DLL_DIR"
  x86_64-w64-mingw32-gcc -O2 -Wall -shared -s \
    -o "$out.tmp" "$SRC_DIR/process_prng.c" "$SRC_DIR/process_prng.def" -lbcrypt
  mv "$out.tmp" "$out"
}

# ---------------------------------------------------------------- prefix
make_prefix() {
  export WINEPREFIX="$PREFIX" WINEDEBUG=-all
  if [[ ! -f "$PREFIX/system.reg" ]]; then
    log "creating WINEPREFIX $PREFIX (wineboot --init, ~10 s)"
    mkdir -p "$PREFIX"
    # No Mono/Gecko install prompts; no display needed.
    WINEDLLOVERRIDES="mscoree,mshtml=" DISPLAY= "$WINE" wineboot --init >&2 || die "wineboot --init failed"
    "$WINESERVER" -w
  fi
  local sys32="$PREFIX/drive_c/windows/system32"
  [[ -d "$sys32" ]] || die "$sys32 missing after wineboot"
  if ! cmp -s "$DLL_DIR/bcryptprimitives.dll" "$sys32/bcryptprimitives.dll"; then
    log "installing bcryptprimitives.dll into the prefix"
    cp "$DLL_DIR/bcryptprimitives.dll" "$sys32/bcryptprimitives.dll"
  fi
}

write_env() {
  local tmp="$ENV_FILE.tmp"
  {
    printf '# Generated by scripts/setup_wine.sh; source it to use the Wine test lane.\n'
    printf 'export WINEPREFIX=%q\n' "$PREFIX"
    printf 'export WINEDEBUG=-all\n'
    printf 'export WINE=%q\n' "$WINE"
    printf 'export WINESERVER=%q\n' "$WINESERVER"
    printf 'export WINE_DENO=%q\n' "$DENO_DIR/deno.exe"
    printf 'export WINE_DENO_VERSION=%q\n' "$DENO_VERSION"
  } >"$tmp"
  mv "$tmp" "$ENV_FILE"
}

stamp_value() {
  {
    printf 'deno=%s patch=%s->%s\n' "$DENO_VERSION" "$PATCH_FROM" "$PATCH_TO"
    cat "$SRC_DIR/process_prng.c" "$SRC_DIR/process_prng.def"
  } | sha256sum | cut -d' ' -f1
}

lane_complete() {
  [[ -f "$STAMP" && "$(cat "$STAMP")" == "$(stamp_value)" ]] &&
    [[ -f "$ENV_FILE" && -f "$DENO_DIR/deno.exe" && -f "$PREFIX/system.reg" ]] &&
    [[ -f "$PREFIX/drive_c/windows/system32/bcryptprimitives.dll" ]]
}

smoke_check() {
  # shellcheck source=/dev/null
  source "$ENV_FILE"
  log "smoke check: wine deno.exe eval Deno.build.os"
  local os
  os="$("$WINE" "$WINE_DENO" eval 'console.log(Deno.build.os)' 2>&1 | tr -d '\r')" ||
    die "wine deno.exe failed: $os"
  [[ "$os" == "windows" ]] || die "smoke check expected 'windows', got: $os"
  log "OK: Wine test lane ready (source $ENV_FILE, or use scripts/wine_deno.sh)"
}

# The hidden-window tests need Wine's null display driver: without an X
# server Wine refuses to create windows ("no driver could be loaded"). The
# driver is chosen when the prefix's desktop starts, so after changing it wait
# for the running wineserver (if any) to finish.
headless_windows() {
  if ! WINEPREFIX="$PREFIX" WINEDEBUG=-all "$WINE" reg query 'HKCU\Software\Wine\Drivers' /v Graphics 2>/dev/null |
    grep -q 'null'; then
    log "setting Wine's Graphics driver to 'null' (headless windows)"
    WINEPREFIX="$PREFIX" WINEDEBUG=-all "$WINE" reg add 'HKCU\Software\Wine\Drivers' /v Graphics /d null /f >/dev/null
    WINEPREFIX="$PREFIX" "$WINESERVER" -w
  fi
}

main() {
  ensure_gitignore
  ensure_packages
  WINE="$(find_wine)"
  WINESERVER="$(find_wineserver)"
  if lane_complete; then
    log "lane already set up ($LANE); nothing to do"
    headless_windows
    smoke_check
    return
  fi
  mkdir -p "$LANE"
  rm -f "$STAMP"
  # Inputs may have changed: always redo the (cheap) patched copy.
  rm -f "$DENO_DIR/deno.exe"
  check_patch_name_unexported
  fetch_deno
  patch_deno
  build_dll
  make_prefix
  write_env
  headless_windows
  smoke_check
  stamp_value >"$STAMP"
}

main "$@"
