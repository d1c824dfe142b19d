"""The statistics of a backtest, in the standard library only.

Each function takes plain sequences and returns plain numbers, so the tests
can hold them against scikit-learn and scipy. An undefined value (a rate of
no leads, an AUC without both outcomes) is None, never NaN or an exception.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import attrs

# The 97.5th percentile of the standard normal: a two-sided 95% interval.
Z_95 = 1.959963984540054


def rate(positives: int, leads: int) -> float | None:
    return positives / leads if leads else None


def wilson(positives: int, leads: int, z: float = Z_95) -> tuple[float | None, float | None]:
    """Wilson score interval for a conversion rate (Wilson 1927), without
    continuity correction: good at small counts and rates near 0 or 1, where
    the normal approximation gives intervals outside [0, 1]."""
    if leads <= 0:
        return None, None
    p = positives / leads
    z2 = z * z
    denominator = 1 + z2 / leads
    centre = (p + z2 / (2 * leads)) / denominator
    half = z * math.sqrt(p * (1 - p) / leads + z2 / (4 * leads * leads)) / denominator
    # At 0 or n positives the bound is exactly 0 or 1; floats would miss by an ulp.
    low = 0.0 if positives == 0 else max(0.0, centre - half)
    high = 1.0 if positives == leads else min(1.0, centre + half)
    return low, high


def roc_auc(scores: Sequence[float], labels: Sequence[bool]) -> float | None:
    """Area under the ROC curve as the Mann-Whitney U statistic: the chance that
    a random converted lead outscores a random other one, ties counting half."""
    positives = sum(1 for label in labels if label)
    negatives = len(labels) - positives
    if positives == 0 or negatives == 0:
        return None
    order = sorted(range(len(scores)), key=lambda i: scores[i])
    rank_sum = 0.0  # of the positives, with tied scores sharing their mean rank
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and scores[order[end + 1]] == scores[order[start]]:
            end += 1
        mean_rank = (start + end) / 2 + 1
        rank_sum += mean_rank * sum(1 for i in order[start:end + 1] if labels[i])
        start = end + 1
    u = rank_sum - positives * (positives + 1) / 2
    return u / (positives * negatives)


def roc_curve(scores: Sequence[float], labels: Sequence[bool]) -> list[tuple[float, float]]:
    """(false positive rate, true positive rate) points, from (0, 0) to (1, 1),
    one per distinct score taken as the threshold, highest first."""
    positives = sum(1 for label in labels if label)
    negatives = len(labels) - positives
    points = [(0.0, 0.0)]
    if positives == 0 or negatives == 0:
        return points + [(1.0, 1.0)]
    pairs = sorted(zip(scores, labels), key=lambda pair: -pair[0])
    tp = fp = 0
    for index, (score, label) in enumerate(pairs):
        if label:
            tp += 1
        else:
            fp += 1
        if index + 1 == len(pairs) or pairs[index + 1][0] != score:
            points.append((fp / negatives, tp / positives))
    return points


@attrs.frozen
class Decile:
    """One tenth of the leads by score, best first: does a higher score convert more?"""

    decile: int  # 1 = the highest scores
    leads: int
    positives: int
    rate: float | None
    score_min: float
    score_max: float

    def to_dict(self) -> dict[str, object]:
        return {"decile": self.decile, "leads": self.leads, "positives": self.positives,
                "rate": self.rate, "score_min": self.score_min, "score_max": self.score_max}


def deciles(scores: Sequence[float], labels: Sequence[bool]) -> list[Decile]:
    """Leads sorted by score (highest first) cut into ten groups of equal size
    (sizes differ by at most one; fewer than ten leads give fewer groups).
    Equal scores keep input order, so a tie may straddle two deciles."""
    order = sorted(range(len(scores)), key=lambda i: -scores[i])
    result: list[Decile] = []
    count = len(order)
    for group in range(10):
        chosen = order[group * count // 10:(group + 1) * count // 10]
        if not chosen:
            continue
        hits = sum(1 for i in chosen if labels[i])
        values = [scores[i] for i in chosen]
        result.append(Decile(group + 1, len(chosen), hits, rate(hits, len(chosen)), min(values), max(values)))
    return result


@attrs.frozen
class Cut:
    """What a threshold would do: leads at or above it, and how many converted."""

    threshold: float
    volume: int  # leads with a value >= threshold
    volume_share: float  # of all leads measured
    positives: int
    precision: float | None  # conversion of the leads above the threshold
    recall: float | None  # share of all conversions above the threshold
    f1: float | None

    def to_dict(self) -> dict[str, object]:
        return {"threshold": self.threshold, "volume": self.volume, "volume_share": self.volume_share,
                "positives": self.positives, "precision": self.precision, "recall": self.recall,
                "f1": self.f1}


def sweep(values: Sequence[float], labels: Sequence[bool], candidates: Sequence[float]) -> list[Cut]:
    """For each candidate threshold t (sorted ascending): volume, precision,
    recall and F1 of "value >= t" taken as the prediction "converts"."""
    total = len(values)
    all_positives = sum(1 for label in labels if label)
    pairs = sorted(zip(values, labels), key=lambda pair: pair[0])
    # Walk the thresholds upwards, dropping leads below each one.
    cuts: list[Cut] = []
    index = 0
    volume, positives = total, all_positives
    for threshold in sorted(set(candidates)):
        while index < total and pairs[index][0] < threshold:
            volume -= 1
            positives -= 1 if pairs[index][1] else 0
            index += 1
        precision = rate(positives, volume)
        recall = rate(positives, all_positives)
        f1 = (2 * precision * recall / (precision + recall)
              if precision is not None and recall is not None and precision + recall > 0 else None)
        cuts.append(Cut(threshold, volume, volume / total if total else 0.0, positives, precision, recall, f1))
    return cuts


def best_f1(cuts: Sequence[Cut]) -> Cut | None:
    """The cut with the highest F1 (ties: the higher threshold, fewer leads to work)."""
    scored = [cut for cut in cuts if cut.f1 is not None]
    return max(scored, key=lambda cut: (cut.f1, cut.threshold)) if scored else None


def for_volume(cuts: Sequence[Cut], share: float) -> Cut | None:
    """The cut whose volume share is closest to `share` (0-1; ties: the higher threshold)."""
    if not cuts:
        return None
    return min(cuts, key=lambda cut: (abs(cut.volume_share - share), -cut.threshold))
