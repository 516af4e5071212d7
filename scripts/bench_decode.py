#!/usr/bin/env python3
"""Decoding against zbar and ZXing-C++ on the generated hard set, in one run.

Reads the set's manifest (written by linker-scan's `gen_hard_set` example) and Linker's results
(JSON lines from the `measure_hard_set` example), runs ZXing-C++ (PyPI `zxing-cpp`, in-process)
and zbar (`zbarimg`, one process per picture) on every picture, and prints the per-category table:
pictures decoded fully, pictures with a wrong or false decode, and median CPU ms per picture.
Called by scripts/bench-decode.sh; `--json FILE` also writes every figure as JSON.

Every tool is asked for QR codes and Code 128 only (what Linker reads). Times are CPU time of the
decoding thread (Linker, ZXing-C++: image already loaded) or of the whole zbarimg process (start,
image loading and decoding: its start-up alone is measured on a 1x1 picture and printed).
`linker:frames` is Linker's camera stream (`FrameScanner`): each picture shown as N consecutive
frames, "full" when its codes were all read within those N frames, times per frame (median and
p90 over every frame of the category; over all pictures also p99, max and how many took more
than 10 ms).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict

import zxingcpp
from PIL import Image

RUNS = 3
ZBAR_ARGS = ["-q", "-Sdisable", "-Sqrcode.enable", "-Scode128.enable", "-Stest-inverted"]
ZBAR_NAMES = {"QR-Code": "qr", "CODE-128": "code128"}


def load_manifest(directory):
    entries = []
    with open(os.path.join(directory, "manifest.tsv"), encoding="utf-8") as manifest:
        for line in manifest:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            fields = line.split("\t")
            codes = [tuple(code.split(":", 1)) for code in fields[3:]]
            entries.append({"file": fields[0], "description": fields[2], "codes": codes})
    return entries


def run_zxing(path):
    image = Image.open(path).convert("L")
    formats = [zxingcpp.BarcodeFormat.QRCode, zxingcpp.BarcodeFormat.Code128]
    times, found = [], []
    for _ in range(RUNS):
        start = time.thread_time()
        barcodes = zxingcpp.read_barcodes(image, formats=formats)
        times.append((time.thread_time() - start) * 1e3)
        found = []
        for barcode in barcodes:
            name = "qr" if barcode.format.name.startswith("QR") else "code128"
            found.append((name, barcode.text))
    return found, statistics.median(times)


def run_zbar(path):
    times, found = [], []
    for _ in range(RUNS):
        process = subprocess.Popen(
            ["zbarimg", *ZBAR_ARGS, path], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )
        out = process.stdout.read().decode("utf-8", "replace")
        _, _, usage = os.wait4(process.pid, 0)
        process.returncode = 0
        times.append((usage.ru_utime + usage.ru_stime) * 1e3)
        found = []
        for line in out.splitlines():
            kind, sep, text = line.partition(":")
            if sep:
                found.append((ZBAR_NAMES.get(kind, kind), text))
    return found, statistics.median(times)


def zbar_startup_ms():
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "blank.png")
        Image.new("L", (1, 1), 255).save(path)
        return run_zbar(path)[1]


def verdict(entry, found):
    expected = {tuple(code) for code in entry["codes"]}
    got = {tuple(code) for code in found}
    return {"full": bool(expected) and expected <= got, "wrong": bool(got - expected)}


def category(entry):
    return entry["file"].split("/", 1)[0]


def tabulate(entries, results, tools):
    rows, order = defaultdict(dict), []
    for entry in entries:
        cat = category(entry)
        if cat not in order:
            order.append(cat)
    for cat in order + ["all"]:
        group = [e for e in entries if cat == "all" or category(e) == cat]
        with_code = [e for e in group if e["codes"]]
        rows[cat]["pictures"] = len(group)
        rows[cat]["with_code"] = len(with_code)
        for tool in tools:
            got = [results[tool][e["file"]] for e in group]
            # Per picture, or per frame for a camera stream.
            times = sorted(ms for r in got for ms in r.get("frame_ms", [r["ms"]]))
            rows[cat][tool] = {
                "full": sum(r["full"] for r in got),
                "wrong": sum(r["wrong"] for r in got),
                "median_ms": round(statistics.median(times), 2),
                "p90_ms": round(times[int(0.9 * (len(times) - 1))], 2),
                "p99_ms": round(times[int(0.99 * (len(times) - 1))], 2),
                "max_ms": round(times[-1], 2),
                "over_10_ms": sum(ms > 10 for ms in times),
                "timed": len(times),
            }
    return order + ["all"], rows


def print_table(order, rows, tools, labels):
    head = "| category | pictures (with a code) |"
    rule = "|---|---|"
    for tool in tools:
        head += f" {labels[tool]}: full / wrong / median ms |"
        rule += "---|"
    head += " Linker >= better of zbar, ZXing-C++ |"
    rule += "---|"
    print(head)
    print(rule)
    for cat in order:
        row = rows[cat]
        line = f"| {cat} | {row['pictures']} ({row['with_code']}) |"
        for tool in tools:
            cell = row[tool]
            line += f" {cell['full']} / {cell['wrong']} / {cell['median_ms']:.1f} |"
        best = max(row["zxing-cpp"]["full"], row["zbar"]["full"])
        linker = row[tools[0]]
        ok = linker["full"] >= best and linker["wrong"] == 0
        line += f" {'yes' if ok else '**no**'} ({linker['full']} vs {best}) |"
        print(line)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir", help="the generated set (with manifest.tsv)")
    parser.add_argument("linker", help="JSON lines from measure_hard_set")
    parser.add_argument("--json", help="also write every figure to this file")
    parser.add_argument("--misses", action="store_true", help="list each tool's misses")
    args = parser.parse_args()

    entries = load_manifest(args.dir)
    results = defaultdict(dict)
    with open(args.linker, encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            tool = record["tool"]
            entry = next(e for e in entries if e["file"] == record["file"])
            found = [tuple(code) for code in record["found"]]
            results[tool][record["file"]] = {
                **verdict(entry, found), "ms": record["cpu_ms"], "found": found}
            if "frame_cpu_ms" in record:
                results[tool][record["file"]]["frame_ms"] = record["frame_cpu_ms"]
    linker_tools = list(results)  # in the order measured: the first is the one compared
    for entry in entries:
        path = os.path.join(args.dir, entry["file"])
        for tool, run in (("zxing-cpp", run_zxing), ("zbar", run_zbar)):
            found, ms = run(path)
            results[tool][entry["file"]] = {**verdict(entry, found), "ms": ms, "found": found}
    tools = linker_tools + ["zxing-cpp", "zbar"]
    labels = {t: t.replace("linker:", "Linker ") for t in tools}
    for tool in linker_tools:
        frames = next((len(r["frame_ms"]) for r in results[tool].values() if "frame_ms" in r), 0)
        if frames:
            labels[tool] = f"Linker camera stream ({frames} frames; ms per frame)"
    labels["zxing-cpp"] = f"ZXing-C++ {zxingcpp.__version__ if hasattr(zxingcpp, '__version__') else ''}".strip()
    labels["zbar"] = "zbar"
    order, rows = tabulate(entries, results, tools)
    startup = zbar_startup_ms()
    load = os.getloadavg()
    print_table(order, rows, tools, labels)
    print()
    print("p90 CPU ms over all pictures (per frame for a camera stream): " + ", ".join(
        f"{labels[t]} {rows['all'][t]['p90_ms']:.1f}" for t in tools))
    print("p99 / max CPU ms, and pictures (frames) over 10 ms: " + ", ".join(
        f"{labels[t]} {rows['all'][t]['p99_ms']:.1f} / {rows['all'][t]['max_ms']:.1f}, "
        f"{rows['all'][t]['over_10_ms']} of {rows['all'][t]['timed']}" for t in tools))
    print(f"zbarimg start-up alone (1x1 picture): {startup:.1f} ms CPU; "
          f"load average during the run: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; "
          f"{os.cpu_count()} CPUs")
    if args.misses:
        for tool in tools:
            for entry in entries:
                r = results[tool][entry["file"]]
                if (entry["codes"] and not r["full"]) or r["wrong"]:
                    print(f"{tool}\t{entry['file']}\t{'WRONG ' if r['wrong'] else ''}"
                          f"found {r['found']}\t{entry['description']}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump({"tools": tools, "rows": rows, "zbar_startup_ms": startup,
                       "load_average": load, "pictures": {
                           t: results[t] for t in tools}}, out, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
