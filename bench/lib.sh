# Shared helpers of the benchmark scripts (sourced by bench/host-cost and
# bench/scale, never run): a private work directory holding its own tmpfs,
# a cleanup trap that kills every process a script started and unmounts
# everything below the work directory even when the script fails, timing,
# dropping caches, waiting for mounts, and the workloads themselves.
# Needs bash (sourced with `set -eu` in force).
# shellcheck shell=bash
# The callers set can_drop, fio_* and the rest listed at bench_workload.
# shellcheck disable=SC2154

# bench_init SIZE: $work, a fresh directory with a tmpfs of SIZE at
# $work/tmpfs; installs the cleanup trap.
bench_init() {
	work=$(mktemp -d /tmp/fusehost-bench-XXXXXX)
	bench_pids=""
	trap bench_cleanup EXIT
	trap 'exit 130' INT TERM HUP
	mkdir "$work/tmpfs" "$work/mnt"
	mount -t tmpfs -o "size=$1" fusehost-bench "$work/tmpfs"
}

# bench_track PID...: kill these at cleanup.
bench_track() {
	bench_pids="$bench_pids $*"
}

# Mountpoints at or below DIR, deepest first.
bench_mounts_under() {
	awk -v dir="$1" '$5 == dir || index($5, dir "/") == 1 { print $5 }' \
		/proc/self/mountinfo | sort -r
}

# bench_stop PID...: SIGTERM, then SIGKILL whatever still runs after 10 s.
bench_stop() {
	local pid _ alive
	for pid in "$@"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for _ in $(seq 100); do
		alive=""
		for pid in "$@"; do
			kill -0 "$pid" 2>/dev/null && alive="$alive $pid"
		done
		[ -z "$alive" ] && break
		sleep 0.1
	done
	for pid in $alive; do
		kill -KILL "$pid" 2>/dev/null || true
	done
	for pid in "$@"; do
		wait "$pid" 2>/dev/null || true
	done
}

# bench_unmount_all DIR: every mount at or below DIR, FUSE or not.
bench_unmount_all() {
	local m
	for m in $(bench_mounts_under "$1"); do
		fusermount3 -u "$m" 2>/dev/null || umount "$m" 2>/dev/null ||
			umount -l "$m" 2>/dev/null || true
	done
}

bench_cleanup() {
	set +e
	# shellcheck disable=SC2086
	[ -n "${bench_pids:-}" ] && bench_stop $bench_pids
	if [ -n "${work:-}" ] && [ -d "$work" ]; then
		bench_unmount_all "$work"
		if [ -z "$(bench_mounts_under "$work")" ]; then
			rm -rf --one-file-system "$work"
		else
			echo "bench: could not unmount below $work" >&2
		fi
	fi
}

now() {
	date +%s.%N
}

# since START: seconds from START (a `now`) until now.
since() {
	awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.4f\n", b - a }'
}

# rotate N WORD...: the words rotated left by N.
rotate() {
	local n=$1
	shift
	n=$((n % $#))
	set -- "${@:n+1}" "${@:1:n}"
	echo "$@"
}

# bench_wait_mounts DIR COUNT SECONDS: wait until COUNT FUSE mounts are
# below DIR (from /proc/self/mountinfo, never touching them).
bench_wait_mounts() {
	local _
	for _ in $(seq $(($3 * 100))); do
		[ "$(bench_fuse_count "$1")" -ge "$2" ] && return 0
		sleep 0.01
	done
	echo "bench: $2 mounts below $1 not up after $3 s" >&2
	return 1
}

bench_fuse_count() {
	awk -v dir="$1/" 'index($5, dir) == 1 {
		for (i = 7; $i != "-"; i++) ;
		if ($(i + 1) ~ /^fuse/) n++
	} END { print n + 0 }' /proc/self/mountinfo
}

# Whether `echo 3 > /proc/sys/vm/drop_caches` is allowed here.
bench_can_drop_caches() {
	sync && echo 3 2>/dev/null >/proc/sys/vm/drop_caches
}

bench_drop_caches() {
	if [ "$can_drop" = yes ]; then
		sync
		echo 3 >/proc/sys/vm/drop_caches
	fi
}

# ---- Workloads ---------------------------------------------------------
# bench_workload NAME DIR prints "RESULT VALUE" lines for one directory.
# Set before use: $build, $fio_size (e.g. 256M), $fio_runtime (seconds of
# each random-read run), $fio_loops (passes of each sequential run),
# $meta_files, $readdir_passes, $tarball, $can_drop.
#
#   seqwrite   fio, 1 MiB writes, $fio_loops passes over a new file, fsync
#              at the end                                     -> MiB/s
#   seqread    fio, 1 MiB reads of that file, $fio_loops passes; fio drops
#              the file's cached pages first (invalidate=1)   -> MiB/s
#   randread1  fio, 4 KiB random reads, O_DIRECT, 1 job       -> IOPS
#   randread2  the same with 2 jobs on the same file          -> IOPS
#   fioclean   removes the file
#   meta       bench/metaops with $meta_files files           -> ops/s
#   tar        extracts $tarball into DIR/tree                -> seconds
#   lscold     drops caches, then ls -lR DIR/tree             -> seconds
#   lswarm     ls -lR DIR/tree again                          -> seconds
#   treeclean  removes DIR/tree
# bench_fio DIR FILE FIO-OPTION...: one fio job on DIR/FILE, terse output.
bench_fio() {
	fio --output-format=terse --terse-version=3 --ioengine=psync \
		--filename="$1/$2" --size="$fio_size" \
		--name=bench "${@:3}"
}

bench_workload() {
	local dir=$2 start
	case $1 in
	seqwrite)
		rm -f "$dir/bench.fio"
		bench_fio "$dir" bench.fio --rw=write --bs=1M \
			--loops="$fio_loops" --end_fsync=1 |
			awk -F';' '{ printf "seqwrite %.1f\n", $48 / 1024 }'
		;;
	# The reads are of read.fio, which the caller provides (see
	# bench/host-cost: one file for all targets that can share it).
	seqread)
		bench_fio "$dir" read.fio --rw=read --bs=1M --loops="$fio_loops" |
			awk -F';' '{ printf "seqread %.1f\n", $7 / 1024 }'
		;;
	randread1 | randread2)
		bench_fio "$dir" read.fio --rw=randread --bs=4k --direct=1 \
			--numjobs="${1#randread}" --group_reporting \
			--time_based --runtime="$fio_runtime" |
			awk -F';' -v name="$1" '{ printf "%s %d\n", name, $8 }'
		;;
	fioclean)
		rm -f "$dir/bench.fio"
		;;
	meta)
		mkdir "$dir/meta"
		"$build/bench/metaops" "$dir/meta" "$meta_files" \
			"$readdir_passes"
		rmdir "$dir/meta"
		;;
	tar)
		mkdir "$dir/tree"
		start=$(now)
		tar -xf "$tarball" -C "$dir/tree"
		echo "tar $(since "$start")"
		;;
	lscold)
		bench_drop_caches
		start=$(now)
		ls -lR "$dir/tree" >/dev/null
		echo "lscold $(since "$start")"
		;;
	lswarm)
		start=$(now)
		ls -lR "$dir/tree" >/dev/null
		echo "lswarm $(since "$start")"
		;;
	treeclean)
		rm -rf "$dir/tree"
		;;
	*)
		echo "bench: no workload $1" >&2
		return 1
		;;
	esac
}

# What each result is: "NAME|what it measures|unit|up" (up: higher is
# better) or "...|down" (lower is better).  Ratios are always of speed,
# above 1 meaning faster than the reference.
bench_result_kinds() {
	local n
	n=$(printf "%d" "$meta_files" | sed -e ':a' -e 's/\([0-9]\)\([0-9]\{3\}\)\($\|,\)/\1,\2\3/' -e 'ta')
	cat <<KINDS
seqwrite|sequential write, 1 MiB blocks, $fio_loops x $fio_size|MiB/s|up
seqread|sequential read, 1 MiB blocks, $fio_loops x $fio_size|MiB/s|up
randread1|random read, 4 KiB O_DIRECT, 1 job, ${fio_runtime} s|IOPS|up
randread2|random read, 4 KiB O_DIRECT, 2 jobs, ${fio_runtime} s|IOPS|up
create|create $n files (open O_CREAT, write 100 B, close)|ops/s|up
stat|stat $n files|ops/s|up
open-read-close|open, read, close $n files|ops/s|up
readdir|readdir of the $n-entry directory, $readdir_passes passes|entries/s|up
unlink|unlink $n files|ops/s|up
tar|tar -x of /usr/include ($tree_files entries, $tree_size)|s|down
lscold|ls -lR of that tree, cold ($cold_note)|s|down
lswarm|ls -lR of that tree, warm|s|down
KINDS
}
