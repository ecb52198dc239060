#!/usr/bin/env python3
"""Reference clustering scores for tests/test_hcsc_metrics.c, derived from the
definitions by brute force (no scikit-learn needed):
  MI from the contingency table; EMI as the average MI over every permutation of
  the predicted labelling (the permutation model AMI is defined under); ARI by
  counting agreeing pairs; accuracy by trying every one-to-one label mapping.
NMI and AMI use the arithmetic mean of the two entropies (sklearn's default).
Run: python3 tests/data/hcsc/metrics_reference.py  (prints C initialisers)."""
import itertools
import math
from collections import Counter


def mutual_information(truth, predicted):
    n = len(truth)
    joint = Counter(zip(truth, predicted))
    a, b = Counter(truth), Counter(predicted)
    return sum(c / n * math.log(n * c / (a[t] * b[p])) for (t, p), c in joint.items())


def entropy(labels):
    n = len(labels)
    return -sum(c / n * math.log(c / n) for c in Counter(labels).values())


def scores(truth, predicted):
    n = len(truth)
    mi = mutual_information(truth, predicted)
    mean_h = (entropy(truth) + entropy(predicted)) / 2
    perms = list(itertools.permutations(predicted))
    emi = sum(mutual_information(truth, p) for p in perms) / len(perms)
    nmi = mi / mean_h
    ami = (mi - emi) / (mean_h - emi)
    pairs = list(itertools.combinations(range(n), 2))
    same_t = [truth[i] == truth[j] for i, j in pairs]
    same_p = [predicted[i] == predicted[j] for i, j in pairs]
    index = sum(t and p for t, p in zip(same_t, same_p))
    st, sp, total = sum(same_t), sum(same_p), len(pairs)
    expected = st * sp / total
    ari = (index - expected) / ((st + sp) / 2 - expected)
    classes = sorted(set(truth))
    clusters = sorted(set(predicted))
    side = max(len(classes), len(clusters))
    best = 0
    for mapping in itertools.permutations(range(side), len(clusters)):
        m = dict(zip(clusters, mapping))
        best = max(best, sum(1 for t, p in zip(truth, predicted) if m[p] < len(classes) and classes[m[p]] == t))
    return nmi, ami, ari, best / n


CASES = [
    ([0, 0, 1, 1], [0, 0, 1, 2]),
    ([0, 0, 0, 1, 1, 1], [0, 0, 1, 1, 2, 2]),
    ([0, 0, 0, 1, 1, 2, 2, 2], [1, 1, 0, 0, 0, 2, 2, 1]),
    ([2, 2, 0, 0, 1, 1, 1], [5, 5, 5, 7, 7, 9, 9]),
]

for truth, predicted in CASES:
    nmi, ami, ari, acc = scores(truth, predicted)
    print("{{%s}, {%s}, %d, %.15f, %.15f, %.15f, %.15f}," % (
        ", ".join(map(str, truth)), ", ".join(map(str, predicted)), len(truth), nmi, ami, ari, acc))
