#!/usr/bin/python3
"""Writes the fixture run directories used by tests/test_reports_*.c:
forecast/ (4 datasets, 2 protocols, several horizons, 3 seeds, one failed cell
and one failed seed), hcsc/ (embeddings, curves) and detect/ (per-class AP,
example images).  Deterministic: a seeded numpy RandomState; rerun from the
repository root with  /usr/bin/python3 tests/data/reports/make_fixtures.py
The values are synthetic (shaped like real results), not measurements."""
import csv
import hashlib
import json
import os
import struct
import zlib

import numpy as np

ROOT = os.path.dirname(os.path.abspath(__file__))
rng = np.random.RandomState(7)
HEADER = ["cell_id", "task", "dataset", "protocol", "model", "variant", "horizon", "seed", "metric", "value", "status"]


def cell_id(*parts):
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:12]


def write_csv(path, header, rows):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def fmt(v):
    return "%.6g" % v


def write_run_json(path, task, seeds, errors, extra):
    """Shaped like bench/run.c's run.json: config {datasets, models, seeds}, errors {cell_id: message}."""
    config = dict(extra)
    config["seeds"] = seeds
    run = {"config_path": "configs/fixture-%s.ini" % task, "git_commit": "fixture", "config": config,
           "versions": {"xgboost": "1.7.4", "openblas": "OpenBLAS 0.3.21", "jansson": "2.14"},
           "host": {"name": "fixture-host", "system": "Linux", "machine": "x86_64", "cpus": 2},
           "wall_seconds": 12.5, "cells": [dict(e, status="error") for e in errors],
           "errors": {e["cell_id"]: e["message"] for e in errors}}
    with open(path, "w") as f:
        json.dump(run, f, indent=2)
        f.write("\n")


# --- forecast ------------------------------------------------------------------
def forecast():
    d = os.path.join(ROOT, "forecast")
    seeds = [1, 2, 3]
    variants = [("naive", "naive", 1.30), ("seasonal_naive", "seasonal_naive", 1.12), ("ridge", "ridge", 0.92),
                ("gbrt", "gbrt_cov", 0.85), ("gbrt", "gbrt_nocov", 0.86)]
    datasets = [("ETTh1", "ltsf", [96, 192, 336, 720], ["mse", "mae"], 0.40),
                ("exchange_rate", "ltsf", [96, 192], ["mse", "mae"], 0.09),
                ("national_illness", "ltsf", [24, 36], ["mse", "mae"], 2.10),
                ("m4_hourly", "m4", [48], ["smape", "mase", "owa"], 18.0)]
    rows, timings, errors = [], [], []
    for ds, proto, horizons, metrics, base in datasets:
        for h in horizons:
            for model, variant, factor in variants:
                for seed in seeds:
                    cid = cell_id(ds, proto, variant, h, seed)
                    failed = (variant == "gbrt_nocov" and ds == "national_illness" and h == 36) or \
                             (variant == "ridge" and ds == "exchange_rate" and h == 192 and seed == 3)
                    if failed:
                        errors.append({"cell_id": cid, "dataset": ds, "variant": variant, "horizon": h, "seed": seed,
                                       "message": "fit: design matrix is singular (fixture)"})
                    deterministic = model in ("naive", "seasonal_naive")
                    for m in metrics:
                        if failed:
                            rows.append([cid, "forecast", ds, proto, model, variant, h, seed, m, "", "error"])
                            continue
                        scale = {"mse": 1.0, "mae": 0.7, "smape": 1.0, "mase": 0.13, "owa": 0.055}[m]
                        growth = 1.0 + 0.15 * np.log(h / horizons[0] + 1.0)
                        noise = 0.0 if deterministic else rng.normal(0, 0.025)
                        v = base * scale * factor * growth * (1.0 + noise)
                        if m == "owa" and variant == "naive":
                            v = base * scale * 1.30 * growth
                        rows.append([cid, "forecast", ds, proto, model, variant, h, seed, m, fmt(v), "ok"])
                    timings.append([cid, variant, ds, h, seed, "%.3f" % rng.uniform(0.1, 3.0)])
    write_csv(os.path.join(d, "results.csv"), HEADER, rows)
    write_csv(os.path.join(d, "timings.csv"), ["cell_id", "variant", "dataset", "horizon", "seed", "seconds"], timings)
    write_run_json(os.path.join(d, "run.json"), "forecast", seeds, errors,
                   {"datasets": [{"label": ds, "protocol": proto, "horizons": hs,
                                  "settings": {"lookback": "36" if ds == "national_illness" else "96"}}
                                 for ds, proto, hs, _, _ in datasets],
                    "models": [{"variant": v, "model": m, "params": {}, "threads": 1} for m, v, _ in variants]})
    # Predictions: one window of series OT with 96 look-back rows (pred empty) and 96 forecast rows.
    t0 = 10000
    hist = 10 + np.cumsum(rng.normal(0, 0.3, size=192)) + 2 * np.sin(np.arange(192) * 2 * np.pi / 24)
    for variant, spread, interval in (("ridge", 0.5, True), ("naive", 0.0, False), ("gbrt_cov", 0.35, True)):
        prow = []
        for i in range(192):
            t = t0 + i
            if i < 96:
                prow.append(["ETTh1", variant, 96, 1, "OT", 0, t, fmt(hist[i]), "", "", "", ""])
                continue
            if variant == "naive":
                pred = hist[95]
            else:
                pred = hist[i] + rng.normal(0, spread)
            width = 1.2 * spread * np.sqrt(1 + (i - 96) / 24.0)
            prow.append(["ETTh1", variant, 96, 1, "OT", 0, t, fmt(hist[i]), fmt(pred),
                         fmt(pred - width) if interval else "", fmt(pred + width) if interval else "",
                         "0.8" if interval else ""])
        write_csv(os.path.join(d, "predictions", "ETTh1_h96_s1_%s.csv" % variant),
                  ["dataset", "variant", "horizon", "seed", "series", "window", "t", "truth", "pred", "lower", "upper",
                   "level"], prow)


    # The run harness's own per-cell format (bench/run.c): predictions/<cell_id>.csv.
    srow = [[0, "OT", t0 + 96, k + 1, fmt(hist[96 + k]), fmt(hist[96 + k - 24] if k < 24 else hist[96 + (k % 24) - 24])]
            for k in range(96)]
    write_csv(os.path.join(d, "predictions", cell_id("ETTh1", "ltsf", "seasonal_naive", 96, 1) + ".csv"),
              ["window", "series", "origin", "step", "truth", "prediction"], srow)

    # Many windows for the Diebold-Mariano test: national_illness H = 24, seed 1, 40 windows whose
    # origins are 4 steps apart (overlapping), harness layout; expected statistics from numpy/scipy.
    ili = 5 + np.cumsum(rng.normal(0, 0.2, size=400)) + np.sin(np.arange(400) * 2 * np.pi / 52)
    losses = {}
    for variant, bias, noise in (("ridge", 0.0, 0.30), ("gbrt_cov", 0.0, 0.25), ("naive", 0.4, 0.5)):
        rows_ = []
        per_window = []
        for w in range(40):
            origin = 100 + 4 * w
            err = []
            for k in range(24):
                truth = ili[origin + k - 1]
                pred = truth + bias + noise * np.sin(0.3 * (origin + k)) + rng.normal(0, noise)
                truth_s, pred_s = fmt(truth), fmt(pred)
                err.append((float(pred_s) - float(truth_s)) ** 2)
                rows_.append([w, "OT", origin, k + 1, truth_s, pred_s])
            per_window.append(np.mean(err))
        losses[variant] = np.array(per_window)
        write_csv(os.path.join(d, "predictions", cell_id("national_illness", "ltsf", variant, 24, 1) + ".csv"),
                  ["window", "series", "origin", "step", "truth", "prediction"], rows_)
    from scipy import stats as st
    expected = []
    for variant in ("gbrt_cov", "naive"):
        dd = losses[variant] - losses["ridge"]
        T, h = len(dd), 6  # ceil(24 / 4)
        dbar = dd.mean()
        gamma = [np.sum((dd[k:] - dbar) * (dd[:T - k] - dbar)) / T for k in range(h)]
        var = (gamma[0] + 2 * sum(gamma[1:])) / T
        dm = dbar / np.sqrt(var) * np.sqrt((T + 1 - 2 * h + h * (h - 1) / T) / T)
        expected.append({"variant": variant, "windows": T, "h": h, "mean_difference": dbar, "dm": dm,
                         "p": 2 * st.t.sf(abs(dm), T - 1)})
    with open(os.path.join(ROOT, "..", "..", "reference", "reports", "dm_predictions_expected.json"), "w") as f:
        json.dump({"reference": "ridge", "dataset": "national_illness", "horizon": 24, "seed": 1,
                   "comparisons": expected}, f, indent=1, default=float)
        f.write("\n")


# --- hcsc ------------------------------------------------------------------------
def hcsc():
    d = os.path.join(ROOT, "hcsc")
    seeds = [1, 2, 3]
    variants = [("hcsc", "hcsc", 0.86), ("simclr", "simclr", 0.81), ("supervised", "supervised_ce", 0.865),
                ("kmeans", "raw_kmeans", 0.55)]
    rows, errors = [], []
    for ds, proto in (("fashion_mnist", "knn"), ("fashion_mnist", "linear"), ("fashion_mnist", "cluster")):
        metrics = ["acc"] if proto != "cluster" else ["nmi", "ami", "ari"]
        for model, variant, q in variants:
            for seed in seeds:
                cid = cell_id(ds, proto, variant, seed)
                for m in metrics:
                    off = {"acc": 0.0, "nmi": -0.12, "ami": -0.13, "ari": -0.25}[m]
                    v = q + off + rng.normal(0, 0.01)
                    rows.append([cid, "hcsc", ds, proto, model, variant, "", seed, m, fmt(v), "ok"])
    write_csv(os.path.join(d, "results.csv"), HEADER, rows)
    write_csv(os.path.join(d, "timings.csv"), ["cell_id", "seconds"], [[r[0], "1.0"] for r in rows[::3]])
    write_run_json(os.path.join(d, "run.json"), "hcsc", seeds, errors,
                   {"datasets": [{"label": "fashion_mnist", "protocols": ["knn", "linear", "cluster"]}],
                    "models": [{"variant": v, "model": m, "params": {}} for m, v, _ in variants]})
    # Embeddings: 10 classes × 30 test points, 16 features, clustered.
    centres = rng.normal(0, 3.0, size=(10, 16))
    erow = []
    for label in range(10):
        for _ in range(30):
            x = centres[label] + rng.normal(0, 1.0, size=16)
            erow.append(["fashion_mnist", "hcsc", 1, label] + [fmt(v) for v in x])
    write_csv(os.path.join(d, "embeddings", "fashion_mnist_hcsc_s1.csv"),
              ["dataset", "variant", "seed", "label"] + ["f%d" % i for i in range(16)], erow)
    crow = []
    for model, variant, q in variants[:2]:
        for seed in seeds:
            for epoch in range(1, 21):
                train = 2.5 * np.exp(-epoch / 6.0) + 0.4 + rng.normal(0, 0.02)
                val = train + 0.1 + 0.004 * epoch + rng.normal(0, 0.02)
                acc = q * (1 - np.exp(-epoch / 4.0)) + rng.normal(0, 0.005)
                crow.append([model, variant, seed, epoch, "train", "loss", fmt(train)])
                crow.append([model, variant, seed, epoch, "val", "loss", fmt(val)])
                crow.append([model, variant, seed, epoch, "val", "knn_acc", fmt(acc)])
    write_csv(os.path.join(d, "curves", "training.csv"), ["model", "variant", "seed", "epoch", "split", "metric", "value"],
              crow)


# --- detect ---------------------------------------------------------------------
def png(path, width, height, boxes):
    """Grey image with coloured rectangle outlines: a stand-in for a detector's example output."""
    img = np.full((height, width, 3), 200, dtype=np.uint8)
    img[height // 2:, :, :] = 150
    for (x0, y0, x1, y1, colour) in boxes:
        for t in range(2):
            img[y0 + t, x0:x1] = colour
            img[y1 - t, x0:x1] = colour
            img[y0:y1, x0 + t] = colour
            img[y0:y1, x1 - t] = colour
    raw = b"".join(b"\x00" + img[y].tobytes() for y in range(height))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)

    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)) +
                chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def detect():
    d = os.path.join(ROOT, "detect")
    seeds = [1, 2]
    classes = ["car", "person", "bicycle", "bus"]
    variants = [("faster_rcnn", "source_only", 0.0), ("faster_rcnn", "da_faster", 0.06), ("faster_rcnn", "oracle", 0.15)]
    rows = []
    for ds, proto in (("cityscapes_foggy", "shift"), ("kitti_cityscapes", "shift")):
        for model, variant, gain in variants:
            for seed in seeds:
                cid = cell_id(ds, proto, variant, seed)
                aps = []
                for k, c in enumerate(classes):
                    ap = min(0.95, 0.25 + 0.1 * k % 0.3 + gain + rng.normal(0, 0.01))
                    if ds == "kitti_cityscapes" and c != "car":
                        continue  # KITTI->Cityscapes evaluates car only
                    aps.append(ap)
                    rows.append([cid, "detect", ds, proto, model, variant, "", seed, "ap_" + c, fmt(ap), "ok"])
                rows.append([cid, "detect", ds, proto, model, variant, "", seed, "map", fmt(np.mean(aps)), "ok"])
    write_csv(os.path.join(d, "results.csv"), HEADER, rows)
    write_csv(os.path.join(d, "timings.csv"), ["cell_id", "seconds"], [[r[0], "2.0"] for r in rows[::5]])
    write_run_json(os.path.join(d, "run.json"), "detect", seeds, [], {"classes": classes})
    ex = os.path.join(d, "figures", "examples")
    os.makedirs(ex, exist_ok=True)
    png(os.path.join(ex, "cityscapes_foggy_da_faster_0001.png"), 160, 90,
        [(10, 40, 60, 80, (0, 114, 178)), (90, 30, 110, 80, (213, 94, 0))])
    png(os.path.join(ex, "cityscapes_foggy_source_only_0001.png"), 160, 90, [(12, 42, 58, 78, (0, 114, 178))])


forecast()
hcsc()
detect()
