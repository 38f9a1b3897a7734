# Shared steps of the guest builds that work from Debian packages (sourced, not run):
# hil-tests/guest/linux/build.sh (the Linux test guest) and hil-tests/guest/xen/build.sh (the Xen
# machine). `apt-get download` fetches .debs into build/debs, `dpkg-deb -x` unpacks them without
# installing; nothing is compiled. The caller sets `debs` (the .deb cache) and defines `die`.

# kernel_for SERIES: sets kernel_pkg and kernel_version, the versioned kernel package behind the
# newest linux-image-amd64 of that series (the archive may hold several suites, e.g. backports).
kernel_for() {
  local meta_version
  meta_version="$(apt-cache madison linux-image-amd64 | awk -v s="$1." '$3 ~ "^"s {print $3}' | sort -V | tail -1)"
  [ -n "$meta_version" ] || die "no linux-image-amd64 $1.* in the package lists (run apt-get update)"
  kernel_pkg="$(apt-cache show "linux-image-amd64=$meta_version" | sed -n 's/^Depends: *\(linux-image-[^ ,]*\).*/\1/p' | head -1)"
  kernel_version="$(apt-cache show "linux-image-amd64=$meta_version" | sed -n "s/^Depends: .*$kernel_pkg (= \([^)]*\)).*/\1/p" | head -1)"
  [ -n "$kernel_pkg" ] && [ -n "$kernel_version" ] || die "linux-image-amd64=$meta_version names no kernel package"
}

# candidate PACKAGE: the version apt would install, or die.
candidate() {
  local v
  v="$(apt-cache policy "$1" | sed -n 's/^ *Candidate: *//p')"
  [ -n "$v" ] && [ "$v" != "(none)" ] || die "$1 is not in the package lists (run apt-get update)"
  echo "$v"
}

# fetch PACKAGE VERSION: the path of its .deb in $debs, downloaded once.
fetch() {
  local pattern="$debs/${1}_*${2#*:}_amd64.deb"
  mkdir -p "$debs"
  # shellcheck disable=SC2086
  if ! ls $pattern >/dev/null 2>&1; then
    rm -f "$debs/${1}_"*.deb
    (cd "$debs" && apt-get download -qq "$1=$2" 2>/dev/null) || die "apt-get download $1=$2 failed"
  fi
  # shellcheck disable=SC2086
  ls $pattern | head -1
}

# module_order MODDIR MODULE...: sets `order`, the .ko files of the modules and their dependencies
# in load order, from each module's own `depends=` (.modinfo; the package ships no modules.dep).
module_order() {
  local moddir="$1" ko name
  shift
  declare -gA path_of=() loaded=()
  order=()
  while IFS= read -r ko; do
    name="$(basename "$ko" .ko)"
    path_of[$name]="$ko"
    path_of[${name//-/_}]="$ko"
  done < <(find "$moddir/kernel" -name '*.ko')
  for name in "$@"; do add_module "$name"; done
}

add_module() { # name
  local name="${1//-/_}" ko deps dep
  [ -n "${loaded[$name]:-}" ] && return
  ko="${path_of[$name]:-}"
  [ -n "$ko" ] || die "module $1 is not in $kernel_pkg"
  loaded[$name]=1
  deps="$(tr '\0' '\n' < "$ko" | sed -n 's/^depends=//p' | head -1)"
  for dep in ${deps//,/ }; do add_module "$dep"; done
  order+=("$ko")
}

# initramfs_base ROOT BUSYBOX_DIR: busybox and its applets in ROOT/bin, the modules of `order` in
# ROOT/lib/modules and their load order in ROOT/etc/stratos/modules.
initramfs_base() {
  local root="$1" applet ko
  mkdir -p "$root"/{bin,dev,proc,sys,run,tmp,etc/stratos,lib/modules}
  cp "$2/bin/busybox" "$root/bin/busybox"
  for applet in $("$root/bin/busybox" --list); do
    [ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
  done
  : > "$root/etc/stratos/modules"
  for ko in "${order[@]}"; do
    cp "$ko" "$root/lib/modules/"
    echo "/lib/modules/$(basename "$ko")" >> "$root/etc/stratos/modules"
  done
}

# unpack_bzimage BZIMAGE OUT: the ELF kernel (vmlinux) inside an x86 bzImage whose payload is xz
# (Debian's kernels). The boot protocol's header locates it: setup_sects (byte 0x1f1) + 1 sectors of
# real-mode set-up, then the protected-mode part, where payload_offset (0x248) and payload_length
# (0x24c) delimit the compressed kernel; xz stops at the end of its stream (the build appends the
# uncompressed size behind it).
unpack_bzimage() {
  local setup payload_offset payload_length
  setup="$(od -An -tu1 -j$((0x1f1)) -N1 "$1" | tr -d ' ')"
  payload_offset="$(od -An -tu4 -j$((0x248)) -N4 "$1" | tr -d ' ')"
  payload_length="$(od -An -tu4 -j$((0x24c)) -N4 "$1" | tr -d ' ')"
  [ "$(od -An -tx1 -j$(( (setup + 1) * 512 + payload_offset )) -N6 "$1" | tr -d ' ')" = fd377a585a00 ] \
    || die "$1: the kernel payload is not xz"
  dd if="$1" iflag=skip_bytes,count_bytes skip=$(( (setup + 1) * 512 + payload_offset )) count="$payload_length" bs=1M status=none \
    | xz -dc --single-stream > "$2" \
    || die "$1: cannot unpack its kernel"
  [ "$(od -An -tx1 -N4 "$2" | tr -d ' ')" = 7f454c46 ] || die "$1: its payload is not an ELF kernel"
}

# pack_initramfs ROOT OUT: a newc cpio of ROOT (owner root), gzipped.
pack_initramfs() {
  (cd "$1" && find . | LC_ALL=C sort | "$1/bin/busybox" cpio -o -H newc -R 0:0 2>/dev/null) | gzip -6 > "$2"
}
