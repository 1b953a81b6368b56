#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""make bench: exittrace and its peers, side by side in one run, as ratios.

Overhead: the load generator's throughput with no tracer and with each
tracer attached, in alternating rounds; the median of the per-round ratios.
Latency: a child's last instruction to a consumer's read of its report.
Start-up: launch to attached. Scale: per-exit cost with 1, 1 000 and
100 000 targets. Writes build/bench/results.csv, build/bench/bench.png and
a table on stdout. Peers need tracefs: mounted for them, unmounted after if
it was not mounted before. kernel.pid_max and kernel.bpf_stats_enabled are
raised for the run and put back.
"""
import copy
import csv
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "build", "bench")
ET = os.path.join(ROOT, "build", "exittrace")
LOADGEN = os.path.join(OUT, "loadgen")
LATENCY = os.path.join(OUT, "latency")
FILL = os.path.join(OUT, "fill")

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "11"))
# more rounds for exittrace's own cases, whose targets are a few per cent
# apart while this VM's speed moves by 10-20% between runs
EXTRA_ROUNDS = int(os.environ.get("BENCH_EXTRA_ROUNDS", "20"))
N_EXITS = int(os.environ.get("BENCH_EXITS", "40000"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
MODE = os.environ.get("BENCH_MODE", "vfork")
# 1: workers pinned to CPUs (loadgen -c): the load keeps every CPU busy,
# and runs repeat within a few per cent instead of 25%, but a tracer in
# another session then waits for a CPU for up to half a second at times
# and loses records (every tracer here); 0: left to the scheduler, the
# default. Rounds on the other kind of load follow, for fewer tracers.
PIN = os.environ.get("BENCH_PIN", "0") == "1"
OTHER_ROUNDS = max(0, int(os.environ.get("BENCH_OTHER_ROUNDS", "11")))
# a "tracer" that does nothing, started and stopped like the others: what
# the method itself reads when nothing traces (its noise and bias)
NULL_ARGV = ["sh", "-c", "echo ready; exec sleep infinity"]
LAT_N = int(os.environ.get("BENCH_LATENCY_EXITS", "300"))
LAT_CHUNKS = 5
# the second latency series: children that exit with this much memory
LAT_MB = int(os.environ.get("BENCH_LATENCY_MB", "64"))

BPFTRACE_PROG = ('tracepoint:sched:sched_process_exit '
                 '{ printf("%d %s %d\\n", pid, comm, curtask->exit_code); }')


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def sysctl(name, value=None):
    path = "/proc/sys/" + name.replace(".", "/")
    with open(path) as f:
        old = f.read().strip()
    if value is not None:
        with open(path, "w") as f:
            f.write(str(value))
    return old


def tracefs_mounted():
    with open("/proc/self/mountinfo") as f:
        return any(" - tracefs " in line for line in f)


class Tracer:
    """A tracer writing to a file; ready once it has reported an exit."""

    def __init__(self, name, argv, pid_field, comm_counts=True, first_line_ready=False,
                 reports=True):
        self.name, self.argv, self.pid_field = name, argv, pid_field
        self.comm_counts = comm_counts
        # exittrace writes its header / start record once attached
        self.first_line_ready = first_line_ready
        # it writes records of the load (no tracer and -p filtering do not)
        self.reports = reports
        self.proc = None

    def renamed(self, suffix):
        """The same tracer, under its name and suffix (for other rounds)"""
        t = copy.copy(self)
        t.name, t.proc = f"{self.name} {suffix}", None
        return t

    def start(self, path):
        self.path = path
        self.out = open(path, "w")
        self.proc = subprocess.Popen(self.argv, stdout=self.out, stderr=subprocess.DEVNULL,
                                     start_new_session=True)
        deadline = time.time() + 30
        while self.first_line_ready and time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}")
            with open(path) as f:
                if f.readline().endswith("\n"):
                    return
            time.sleep(0.005)
        while time.time() < deadline:
            # canaries until one shows: buffered tools flush after a few dozen
            pids = [canary() for _ in range(20)]
            time.sleep(0.02)
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}")
            if self.seen(pids):
                return
        raise RuntimeError(f"{self.name}: never reported an exit")

    def seen(self, pids):
        want = set(pids)
        with open(self.path, errors="replace") as f:
            for line in f:
                if self.pid_of(line) in want:
                    return True
        return False

    def pid_of(self, line):
        if self.pid_field == "json":
            m = re.search(r'"pid":(\d+)', line)
            return int(m.group(1)) if m else None
        parts = line.split()
        try:
            return int(parts[self.pid_field - 1])
        except (IndexError, ValueError):
            return None

    def cpu_ticks(self):
        """user + system clock ticks the tracer process has used"""
        try:
            with open(f"/proc/{self.proc.pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            return int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            return 0

    def stop(self):
        os.killpg(self.proc.pid, signal.SIGINT)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.out.close()

    def count(self, lo, hi):
        """Records of the load: by comm where the tool prints it, else by
        pid range (pid_max is raised for the run: no wrap)."""
        n = 0
        with open(self.path, errors="replace") as f:
            for line in f:
                if self.comm_counts:
                    n += "etchild" in line
                else:
                    p = self.pid_of(line)
                    n += p is not None and lo < p < hi and " exit " in line
        return n


def canary():
    p = subprocess.Popen(["true"])
    p.wait()
    return p.pid


def run_load(pin=PIN):
    r = subprocess.run([LOADGEN, "-n", str(N_EXITS), "-P", str(WORKERS), "-m", MODE] +
                       (["-c"] if pin else []), capture_output=True, text=True, check=True)
    return float(re.search(r"exits_per_sec ([\d.]+)", r.stdout).group(1))


def percentile(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def overhead(tracers, extra, pin=PIN, rounds=ROUNDS, extra_rounds=EXTRA_ROUNDS):
    """Rounds of B T1 B T2 ... B: each traced run against the mean of the
    untraced runs on either side of it (this VM's speed drifts, by 20% and
    more within seconds), tracers in a rotating order; then extra_rounds
    more of the tracers in extra only."""
    ratios = {t.name: [] for t in tracers}
    lost = {t.name: [] for t in tracers}
    cpu = {t.name: [] for t in tracers}
    bpf = {t.name: [] for t in tracers}	# exittrace's BPF programs, us per exit of the load
    tick = os.sysconf("SC_CLK_TCK")
    base_all = []
    for r in range(rounds + extra_rounds):
        these = tracers if r < rounds else extra
        order = these[r % len(these):] + these[:r % len(these)]
        before = run_load(pin)
        base_all.append(before)
        for t in order:
            t.start(os.path.join(OUT, f"out-{t.name.replace(' ', '-')}.txt"))
            lo = canary()
            c0 = t.cpu_ticks()
            p0 = bpf_prog_stats(t.proc.pid, True) if t.name.startswith("exittrace") else None
            rate = run_load(pin)
            p1 = bpf_prog_stats(t.proc.pid, True) if p0 else None
            c1 = t.cpu_ticks()
            hi = canary()
            if p0 and p1 and p1[1] > p0[1]:
                # all its programs' time, per exit of the load
                bpf[t.name].append((p1[0] - p0[0]) / N_EXITS / 1000)
            t.stop()
            after = run_load(pin)
            base_all.append(after)
            ratios[t.name].append(rate / ((before + after) / 2))
            lost[t.name].append(N_EXITS - t.count(lo, hi))
            cpu[t.name].append((c1 - c0) / tick * 1e6 / N_EXITS)
            before = after
        log(f"  round {r + 1}/{rounds + extra_rounds}: untraced "
            f"{statistics.median(base_all[-len(order):]):.0f}/s, " +
            ", ".join(f"{t.name} {ratios[t.name][-1]:.2f}x" +
                      (f" ({lost[t.name][-1]} lost)" if lost[t.name][-1] and t.reports
                       else "")
                      for t in these))
    return base_all, ratios, lost, cpu, bpf


def latency(name, argv, field, mb=0, n=LAT_N):
    """n samples; argv None: poll() on a pidfd; "lib": libexittrace in-process"""
    cmd = [LATENCY, "-n", str(n), "-m", str(mb)]
    if argv is None:
        cmd.append("--pidfd")
    elif argv == "lib":
        cmd.append("--lib")
    else:
        cmd += ["-k", str(field), "--"] + argv
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=1200)
    xs = [float(x) for x in r.stdout.split()]
    if r.returncode or len(xs) < n:
        log(f"  latency {name}: {len(xs)}/{n} samples: {r.stderr.strip()}")
    return xs


def startup(argv, rounds=10):
    r = subprocess.run([LATENCY, "-s", str(rounds), "--"] + argv, capture_output=True,
                       text=True, timeout=600)
    return [float(x) / 1000 for x in r.stdout.split()]


def fdinfos(pid):
    """The fdinfo of each of process pid's fds, as {key: value} (strings)"""
    fddir = f"/proc/{pid}/fdinfo"
    for fd in os.listdir(fddir):
        try:
            with open(os.path.join(fddir, fd)) as f:
                yield {k.strip(): v.strip() for k, v in
                       (line.split(":", 1) for line in f if ":" in line)}
        except OSError:
            continue


def bpf_prog_stats(pid, every=False):
    """run_time_ns and run_cnt of the exit program (exit_raw, exit_btf or
    exit_tp) that process pid holds, not another process's; every: summed
    over all its programs (the signal program runs for each SIGCHLD too)"""
    tot = None
    for pid_id in sorted({int(i["prog_id"]) for i in fdinfos(pid) if "prog_id" in i}):
        out = subprocess.run(["bpftool", "prog", "show", "id", str(pid_id), "--json"],
                             capture_output=True, text=True).stdout
        try:
            p = json.loads(out)
        except ValueError:
            continue
        if every:
            t = (p.get("run_time_ns", 0), p.get("run_cnt", 0))
            tot = t if tot is None else (tot[0] + t[0], tot[1] + t[1])
        elif p.get("name", "").startswith("exit_"):
            return p.get("run_time_ns", 0), p.get("run_cnt", 0)
    return tot


def bpf_map_memory(pid):
    """memlock bytes of the BPF maps process pid holds (from its fds' fdinfo:
    no other process's maps, whatever else runs)"""
    maps = {int(i["map_id"]): int(i["memlock"]) for i in fdinfos(pid)
            if "map_id" in i and "memlock" in i}
    return sum(maps.values())


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def scale(sleeper_pid, rounds=3):
    """Per-exit BPF cost with 1, 1 000 and 100 000 targets: rounds in a
    rotating order, the median of each (one run is at the VM's mercy)."""
    sizes = (1, 1000, 100000)
    ns = {n: [] for n in sizes}
    rss = {n: [] for n in sizes}
    mem = {n: [] for n in sizes}
    for r in range(rounds):
        for n in sizes[r % 3:] + sizes[:r % 3]:
            t = Tracer(f"exittrace -p, {n} targets",
                       [ET, "-p", str(sleeper_pid), "--max-targets", "131072"], 2,
                       first_line_ready=True)
            t.start(os.path.join(OUT, "out-scale.txt"))
            try:
                if n > 1:
                    subprocess.run([FILL, str(t.proc.pid), str(n - 1)], check=True,
                                   capture_output=True)
                before = bpf_prog_stats(t.proc.pid)
                run_load()
                after = bpf_prog_stats(t.proc.pid)
                rss[n].append(rss_kib(t.proc.pid))
                mem[n].append(bpf_map_memory(t.proc.pid))
            finally:
                t.stop()
            if before and after and after[1] > before[1]:
                ns[n].append((after[0] - before[0]) / (after[1] - before[1]))
    rows = []
    for n in sizes:
        med = statistics.median(ns[n]) if ns[n] else float("nan")
        rows.append((n, med, max(rss[n]), max(mem[n])))
        log(f"  {n} targets: {med:.0f} ns per exit in BPF (rounds: " +
            ", ".join(f"{x:.0f}" for x in ns[n]) + f"), RSS {max(rss[n])} KiB, "
            f"BPF maps {max(mem[n]) // 1024} KiB")
    return rows


def main():
    os.makedirs(OUT, exist_ok=True)
    peers = {p: shutil.which(p) for p in ("exitsnoop", "bpftrace", "forkstat", "stdbuf")}
    missing = [p for p, w in peers.items() if not w]
    if missing:
        log(f"bench: missing {', '.join(missing)}: run scripts/deps.sh bench")
        return 1
    mounted_here = False
    old_pid_max = sysctl("kernel.pid_max", 4194304)
    old_stats = sysctl("kernel.bpf_stats_enabled", 1)
    sleeper = subprocess.Popen(["sleep", "infinity"])
    try:
        if not tracefs_mounted():
            subprocess.run(["mount", "-t", "tracefs", "nodev", "/sys/kernel/tracing"],
                           check=True)
            mounted_here = True
        return bench(sleeper.pid)
    finally:
        sleeper.kill()
        sleeper.wait()
        if mounted_here:
            subprocess.run(["umount", "/sys/kernel/tracing"])
        sysctl("kernel.pid_max", old_pid_max)
        sysctl("kernel.bpf_stats_enabled", old_stats)


def bench(sleeper_pid):
    uname = os.uname()
    cpus = os.cpu_count()
    load = "pinned" if PIN else "unpinned"
    other = "unpinned" if PIN else "pinned"
    log(f"bench: {uname.release} on {cpus} CPUs; load: {N_EXITS} exits, {WORKERS} {load} "
        f"workers, {MODE}; {ROUNDS} rounds, {EXTRA_ROUNDS} more for exittrace; "
        f"{OTHER_ROUNDS} on the {other} load")
    tracers = [
        Tracer("no tracer", NULL_ARGV, 2, first_line_ready=True, reports=False),
        Tracer("exittrace filter", [ET, "-p", str(sleeper_pid)], 2, first_line_ready=True,
               reports=False),
        Tracer("exittrace text", [ET], 2, first_line_ready=True),
        Tracer("exittrace json", [ET, "-j"], "json", first_line_ready=True),
        Tracer("exittrace text, no coalescing", [ET, "--coalesce-us", "0"], 2,
               first_line_ready=True),
        Tracer("exitsnoop", ["exitsnoop"], 2),
        Tracer("bpftrace", ["bpftrace", "-e", BPFTRACE_PROG], 1),
        Tracer("forkstat", ["forkstat", "-e", "exit"], 3, comm_counts=False),
    ]
    log(f"overhead, {load} load:")
    base, ratios, lost, cpu, bpf = overhead(tracers, tracers[:4])
    others = []
    if OTHER_ROUNDS:
        log(f"overhead, {other} load:")
        others = [t.renamed(f"({other})") for t in tracers[:4]]
        base2, r2, l2, c2, b2 = overhead(others, [], not PIN, OTHER_ROUNDS, 0)
        for d, d2 in ((ratios, r2), (lost, l2), (cpu, c2), (bpf, b2)):
            d.update(d2)

    # Each mode's samples in LAT_CHUNKS runs, modes in a rotating order:
    # a noisy spell of this VM (they last seconds) falls on all of them,
    # not on whichever mode's block it hits.
    modes = [
        ("pidfd poll", None, 0),
        ("libexittrace", "lib", 0),
        ("exittrace text", [ET], 2),
        ("exittrace json", [ET, "-j"], "json"),
        ("exittrace text --realtime", [ET, "--realtime"], 2),
        ("exitsnoop", ["stdbuf", "-oL", "exitsnoop"], 2),
        ("bpftrace", ["stdbuf", "-oL", "bpftrace", "-e", BPFTRACE_PROG], 1),
        ("forkstat", ["stdbuf", "-oL", "forkstat", "-e", "exit"], 3),
    ]
    lat = {}
    for mb in sorted({0, LAT_MB}):
        log(f"latency, children with {mb} MB:")
        sfx = f", {mb} MB" if mb else ""
        for name, _, _ in modes:
            lat[name + sfx] = []
        for c in range(LAT_CHUNKS):
            n = LAT_N // LAT_CHUNKS + (1 if c < LAT_N % LAT_CHUNKS else 0)
            for name, argv, field in modes[c % len(modes):] + modes[:c % len(modes)]:
                lat[name + sfx] += latency(name, argv, field, mb, n)
    log("start-up:")
    start = {"exittrace": startup([ET]),
             "exitsnoop": startup(["stdbuf", "-oL", "exitsnoop"])}
    log("scale:")
    sc = scale(sleeper_pid)

    silent = {t.name for t in tracers + others if not t.reports}
    rows = [("metric", "tool", "value", "unit", "target")]
    for name in ratios:
        target = {"exittrace filter": ">= 0.98", "exittrace text": ">= 0.85"}.get(name, "")
        rows.append(("throughput vs untraced", name,
                     f"{statistics.median(ratios[name]):.3f}", "x", target))
        rows.append(("throughput, middle half of rounds", name,
                     f"{percentile(ratios[name], .25):.2f}-{percentile(ratios[name], .75):.2f}",
                     "x", ""))
        rows.append(("tracer process CPU per exit", name,
                     f"{statistics.median(cpu[name]):.2f}", "us", ""))
        if bpf[name]:
            # A steadier figure than the throughput ratio, which this VM's
            # drift blurs, but an upper bound: what tracing adds per exit
            # directly (its BPF programs in the exiting task, the tracer's
            # own CPU, in 10 ms ticks) against what an exit costs untraced
            # (CPUs / rate: the load keeps every CPU busy). Interrupts,
            # IPIs and scheduling are left out (without coalescing, they
            # are most of the cost).
            added = statistics.median(bpf[name]) + statistics.median(cpu[name])
            budget = os.cpu_count() * 1e6 / statistics.median(
                base2 if name.endswith(f"({other})") else base)
            rows.append(("BPF programs per exit", name,
                         f"{statistics.median(bpf[name]):.2f}", "us", ""))
            rows.append(("throughput kept, bound from direct costs", name,
                         f"{budget / (budget + added):.3f}", "x", ""))
        if name not in silent:  # none of the load, by design
            rows.append(("records lost (worst round)", name, str(max(lost[name])),
                         "of %d" % N_EXITS, "0" if name == "exittrace text" else ""))
    rows.append((f"untraced throughput, {load} load", "-", f"{statistics.median(base):.0f}",
                 "exits/s", ""))
    if OTHER_ROUNDS:
        rows.append((f"untraced throughput, {other} load", "-",
                     f"{statistics.median(base2):.0f}", "exits/s", ""))
    for name, xs in lat.items():
        if not xs:
            continue
        for q, label in ((0.5, "p50"), (0.9, "p90"), (0.99, "p99"), (1.0, "max")):
            rows.append((f"latency {label}", name, f"{percentile(xs, q):.0f}", "us",
                         "< pidfd" if ("exittrace" in name) and label in ("p50", "p99")
                         else ""))
    for name, xs in start.items():
        if xs:
            rows.append(("start-up median", name, f"{statistics.median(xs):.1f}", "ms",
                         "< 30" if name == "exittrace" else ""))
    for n, ns, rss, mem in sc:
        rows.append((f"per-exit BPF cost, {n} targets", "exittrace", f"{ns:.0f}", "ns",
                     "flat"))
        rows.append((f"RSS, {n} targets", "exittrace", str(rss), "KiB", ""))
        rows.append((f"BPF map memory, {n} targets", "exittrace", str(mem // 1024), "KiB", ""))

    with open(os.path.join(OUT, "results.csv"), "w", newline="") as f:
        csv.writer(f).writerows(rows)
    print(f"exittrace bench: Linux {uname.release}, {cpus} CPUs, load {N_EXITS} exits from "
          f"{WORKERS} {load} {MODE} workers, {ROUNDS} rounds ({ROUNDS + EXTRA_ROUNDS} for "
          f"no tracer and exittrace filter, text, json; {OTHER_ROUNDS} on the {other} load), "
          f"{LAT_N} latency samples "
          + (f"(children with 0 and {LAT_MB} MB)" if LAT_MB else "(minimal children)"))
    print("| metric | tool | value | unit | target |")
    print("|---|---|---|---|---|")
    for r in rows[1:]:
        print("| " + " | ".join(r) + " |")
    chart(ratios, lat)
    return 0


def chart(ratios, lat):
    if not shutil.which("gnuplot"):
        log("bench: no gnuplot, no chart")
        return
    dat = os.path.join(OUT, "chart.dat")
    with open(dat, "w") as f:
        f.write("# tool ratio\n")
        for name, xs in ratios.items():
            f.write(f'"{name}" {statistics.median(xs):.3f}\n')
    dat2 = os.path.join(OUT, "latency.dat")
    with open(dat2, "w") as f:
        for name, xs in lat.items():
            if xs:
                f.write(f'"{name}" {percentile(xs, .5):.0f} {percentile(xs, .99):.0f}\n')
    script = f"""
set terminal pngcairo size 1200,500 font ",10"
set output "{os.path.join(OUT, 'bench.png')}"
set multiplot layout 1,2
set style data histograms
set style fill solid 0.8 border -1
set boxwidth 0.8
set xtics rotate by -30 scale 0
set grid ytics
set title "throughput kept under tracing (x untraced)"
set yrange [0:1.1]
plot "{dat}" using 2:xtic(1) notitle lc rgb "#4477aa"
set title "exit-to-report latency (us)"
set rmargin 10
set yrange [0:*]
set style histogram clustered
plot "{dat2}" using 2:xtic(1) title "p50" lc rgb "#4477aa", "" using 3 title "p99" lc rgb "#ee6677"
unset multiplot
"""
    subprocess.run(["gnuplot"], input=script, text=True)


if __name__ == "__main__":
    sys.exit(main())
