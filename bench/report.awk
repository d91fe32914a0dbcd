# Markdown tables from benchmark results (used by bench/host-cost and
# bench/cache-modes).  Reads two files: the result kinds (lines
# "NAME|description|unit|up-or-down", see bench/lib.sh) and the results
# ("TARGET REP NAME VALUE" lines).  Repetition `discard` (a warm-up) is
# left out.  Variables:
#   targets  targets in column order ("native on off twin")
#   labels   their column headings, separated by "|"
#   ratios   ratios to show, "A/B" each, space-separated
#   goal     "A/B:THRESHOLD": add a column saying whether the median of
#            that ratio reaches THRESHOLD (optional)
#   discard  the repetition to leave out (default 0; -1 keeps all)
# Prints a table of medians (min to max) per target, then a table of
# ratios of speed (above 1: the first is faster), each the median (min
# to max) of the ratios taken within each repetition.
BEGIN {
	FS = "|"
	if (discard == "")
		discard = 0
	ntargets = split(targets, target, " ")
	split(labels, label, "|")
	nratios = split(ratios, ratio, " ")
	if (goal != "") {
		split(goal, g, ":")
		goal_ratio = g[1]
		goal_value = g[2] + 0
	}
}
FNR == NR {
	kinds++
	kind[kinds] = $1
	what[$1] = $2
	unit[$1] = $3
	up[$1] = $4 == "up"
	next
}
{
	split($0, f, " ")
	if (f[2] + 0 == discard + 0)
		next
	value[f[1], f[2], f[3]] = f[4]
	rep[f[2]] = 1
	seen[f[3]] = 1
}
function sort(a, n,    i, j, t) {
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && a[j - 1] > a[j]; j--) {
			t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
		}
}
function median(a, n) {
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
function number(x) {
	if (x >= 1000) return sprintf("%.0f", x)
	if (x >= 100) return sprintf("%.1f", x)
	if (x >= 10) return sprintf("%.2f", x)
	return sprintf("%.3f", x)
}
# Median (min to max) of target t's values of result k; sets last_median.
function cell(t, k,    n, r, a) {
	n = 0
	for (r in rep)
		if ((t, r, k) in value)
			a[++n] = value[t, r, k] + 0
	if (n == 0) {
		last_median = ""
		return "-"
	}
	sort(a, n)
	last_median = median(a, n)
	return sprintf("%s (%s to %s)", number(last_median), number(a[1]), number(a[n]))
}
function ratio_cell(spec, k,    parts, n, r, a, x, y) {
	split(spec, parts, "/")
	n = 0
	for (r in rep)
		if ((parts[1], r, k) in value && (parts[2], r, k) in value) {
			x = value[parts[1], r, k] + 0
			y = value[parts[2], r, k] + 0
			if (x <= 0 || y <= 0)
				continue
			a[++n] = up[k] ? x / y : y / x
		}
	if (n == 0) {
		last_median = ""
		return "-"
	}
	sort(a, n)
	last_median = median(a, n)
	return sprintf("%.3f (%.3f to %.3f)", last_median, a[1], a[n])
}
function name_of(t,    i) {
	for (i = 1; i <= ntargets; i++)
		if (target[i] == t)
			return label[i]
	return t
}
END {
	printf "| workload | unit |"
	for (i = 1; i <= ntargets; i++)
		printf " %s |", label[i]
	printf "\n| --- | --- |"
	for (i = 1; i <= ntargets; i++)
		printf " ---: |"
	printf "\n"
	for (k = 1; k <= kinds; k++) {
		if (!(kind[k] in seen))
			continue
		printf "| %s | %s%s |", what[kind[k]], unit[kind[k]],
			up[kind[k]] ? "" : " (less is better)"
		for (i = 1; i <= ntargets; i++)
			printf " %s |", cell(target[i], kind[k])
		printf "\n"
	}

	printf "\nRatios of speed (median of the ratios taken within each repetition that ran both, min to max; above 1: faster than the reference):\n\n"
	printf "| workload |"
	for (i = 1; i <= nratios; i++) {
		split(ratio[i], parts, "/")
		printf " %s / %s |", name_of(parts[1]), name_of(parts[2])
	}
	if (goal != "")
		printf " %s / %s >= %s |", name_of(substr(goal_ratio, 1, index(goal_ratio, "/") - 1)),
			name_of(substr(goal_ratio, index(goal_ratio, "/") + 1)), goal_value
	printf "\n| --- |"
	for (i = 1; i <= nratios; i++)
		printf " --- |"
	if (goal != "")
		printf " --- |"
	printf "\n"
	for (k = 1; k <= kinds; k++) {
		if (!(kind[k] in seen))
			continue
		printf "| %s |", kind[k]
		for (i = 1; i <= nratios; i++)
			printf " %s |", ratio_cell(ratio[i], kind[k])
		if (goal != "") {
			ratio_cell(goal_ratio, kind[k])
			if (last_median == "")
				printf " - |"
			else if (last_median >= goal_value)
				printf " met (%.3f) |", last_median
			else {
				# Cut, not rounded: a miss never shows as the goal.
				printf " **missed** (%.4f) |",
					int(last_median * 10000) / 10000
				missed++
			}
		}
		printf "\n"
	}
	if (goal != "")
		printf "\nGoal %s >= %s: %s.\n", goal_ratio, goal_value,
			missed ? "missed on " missed " workload(s)" : "met on every workload"
}
