#!/usr/bin/python3
"""Expected values for tests/test_reports_stats.c, generated once with Debian's
python3-scipy (1.10.1 on Debian 12) and committed as stats_vectors.json.

Run from the repository root:  /usr/bin/python3 tests/reference/reports/gen_stats_vectors.py
The inputs are fixed arrays (a seeded numpy RandomState, written into the JSON),
so the C test reads inputs and expected outputs from one file.

scipy functions used: rankdata (method="average"), friedmanchisquare (tie
corrected), wilcoxon (defaults: zero_method="wilcox", correction=False,
two-sided; mode="auto" for untied samples, mode="approx" for tied ones, see
reports/stats.h), t / f / chi2 / norm distributions.  Diebold-Mariano has no
scipy function; it is computed here with numpy from its textbook definition,
independently of the C code."""
import json
import sys

import numpy as np
import scipy
from scipy import stats

rng = np.random.RandomState(20060101)
out = {"scipy_version": scipy.__version__, "numpy_version": np.__version__}

# --- rankdata ---------------------------------------------------------------
rank_inputs = [
    [3.0, 1.0, 2.0],
    [1.0, 1.0, 1.0, 1.0],
    [0.5, 0.2, 0.5, 0.9, 0.2, 0.5],
    list(np.round(rng.normal(size=25), 1)),
]
out["rankdata"] = [{"x": x, "ranks": list(stats.rankdata(x))} for x in rank_inputs]

# --- mean / sd / 95 % CI over seeds -------------------------------------------
summaries = []
for x in ([0.41, 0.39, 0.44], [1.0, 2.0, 3.0, 4.0, 10.0], list(rng.gamma(2.0, size=7))):
    a = np.array(x)
    sd = a.std(ddof=1)
    summaries.append({"x": x, "mean": a.mean(), "sd": sd,
                      "ci95": stats.t.ppf(0.975, len(a) - 1) * sd / np.sqrt(len(a))})
out["summary"] = summaries

# --- Friedman ------------------------------------------------------------------
def friedman_case(matrix, higher_is_better):
    m = np.array(matrix, dtype=float)
    chi2, p = stats.friedmanchisquare(*m.T)
    signed = -m if higher_is_better else m
    ranks = np.array([stats.rankdata(row) for row in signed])
    n, k = m.shape
    avg = ranks.mean(axis=0)
    chi2_plain = 12.0 * n / (k * (k + 1)) * (np.sum(avg ** 2) - k * (k + 1) ** 2 / 4.0)
    ff = (n - 1) * chi2_plain / (n * (k - 1) - chi2_plain)
    return {"scores": m.tolist(), "higher_is_better": higher_is_better,
            "avg_ranks": avg.tolist(), "chi2_ties": chi2, "p_chi2_ties": p,
            "chi2": chi2_plain, "p_chi2": stats.chi2.sf(chi2_plain, k - 1),
            "iman_davenport": ff, "p_iman_davenport": stats.f.sf(ff, k - 1, (k - 1) * (n - 1))}

demsar = [[0.763, 0.768, 0.771, 0.798], [0.599, 0.591, 0.590, 0.569],
          [0.954, 0.971, 0.968, 0.967], [0.628, 0.661, 0.654, 0.657],
          [0.882, 0.888, 0.886, 0.898], [0.936, 0.931, 0.916, 0.931],
          [0.661, 0.668, 0.609, 0.685], [0.583, 0.583, 0.563, 0.625],
          [0.775, 0.838, 0.866, 0.875], [1.000, 1.000, 1.000, 1.000],
          [0.940, 0.962, 0.965, 0.962], [0.619, 0.666, 0.614, 0.669],
          [0.972, 0.981, 0.975, 0.975], [0.957, 0.978, 0.946, 0.970]]
untied = (rng.normal(size=(9, 5)) + np.arange(5) * 0.4).tolist()
tied = np.round(rng.normal(size=(12, 6)), 0).tolist()
out["friedman"] = [friedman_case(demsar, True), friedman_case(untied, False), friedman_case(tied, False)]

# --- Wilcoxon signed-rank ------------------------------------------------------
def wilcoxon_case(x, y, mode):
    res = stats.wilcoxon(x, y, mode=mode)
    d = np.array(x) - np.array(y)
    return {"x": list(map(float, x)), "y": list(map(float, y)), "mode": mode,
            "statistic": float(res.statistic), "p": float(res.pvalue), "zeros": int(np.sum(d == 0))}

a = rng.normal(size=12); b = a + rng.normal(0.3, 0.5, size=12)
c = rng.normal(size=60); e = c + rng.normal(0.1, 1.0, size=60)
f = np.round(rng.normal(size=20), 1); g = np.round(f + rng.normal(0.2, 0.4, size=20), 1)
demsar_m = np.array(demsar)
out["wilcoxon"] = [
    wilcoxon_case(a, b, "auto"),                      # exact, n = 12
    wilcoxon_case([1, 2, 3, 4, 5], [2, 4, 6, 8, 10], "auto"),  # exact, all one sign
    wilcoxon_case(c, e, "auto"),                      # n = 60: normal approximation
    wilcoxon_case(f, g, "approx"),                    # ties and zeros: approximation
    # Demšar §3.1.3: C4.5+m vs C4.5 over the 14 data sets (a tie and a zero)
    wilcoxon_case(demsar_m[:, 1], demsar_m[:, 0], "approx"),
]

# zero_method="zsplit": Demšar's §3.1.3 pairing (C4.5+m vs C4.5, differences as printed, two zeros)
# and the tied/zero sample above.
demsar_d = np.round(demsar_m[:, 1] - demsar_m[:, 0], 3)
out["wilcoxon_zsplit"] = []
for x, y in ((demsar_d, np.zeros_like(demsar_d)), (f, g)):
    res = stats.wilcoxon(x, y, zero_method="zsplit", mode="approx")
    out["wilcoxon_zsplit"].append({"x": list(map(float, x)), "y": list(map(float, y)),
                                   "statistic": float(res.statistic), "p": float(res.pvalue)})

# --- Diebold-Mariano -----------------------------------------------------------
def dm_case(l1, l2, h, harvey):
    d = np.array(l1) - np.array(l2)
    T = len(d)
    dbar = d.mean()
    gamma = [np.sum((d[k:] - dbar) * (d[:T - k] - dbar)) / T for k in range(h)]
    var = (gamma[0] + 2 * sum(gamma[1:])) / T
    dm = dbar / np.sqrt(var)
    if harvey:
        dm *= np.sqrt((T + 1 - 2 * h + h * (h - 1) / T) / T)
        p = 2 * stats.t.sf(abs(dm), T - 1)
    else:
        p = 2 * stats.norm.sf(abs(dm))
    return {"loss1": list(map(float, l1)), "loss2": list(map(float, l2)), "h": h, "harvey": harvey,
            "mean_difference": dbar, "variance": var, "statistic": dm, "p": p}

e1 = rng.normal(size=80); e2 = 0.6 * e1 + rng.normal(0, 0.9, size=80)
out["diebold_mariano"] = [dm_case(e1 ** 2, e2 ** 2, 1, False), dm_case(e1 ** 2, e2 ** 2, 1, True),
                          dm_case(np.abs(e1), np.abs(e2), 3, False), dm_case(np.abs(e1), np.abs(e2), 3, True)]

json.dump(out, sys.stdout, indent=1, default=float)
sys.stdout.write("\n")
