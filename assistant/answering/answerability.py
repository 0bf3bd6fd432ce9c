"""Whether a question is answerable, as one calibrated decision learned from labelled questions.

The relevance stage (relevance.py) measures the evidence: how close the best passages are, whether
the asked-for fact stands beside the question's focus, whether a looked-up phrase stands in a
passage, names and words no document holds, and more. Each measure was once a rule that could veto
an answer on its own; on questions from writers the rules were not written against, they vetoed each
other. Here a logistic regression weighs them together instead: no single measure decides.

The model is a few numbers in `data/answerability.json` (the weights and the scaling of each
measure), trained by `python scripts/train_answerability.py` on the labelled question sets and
read here without scikit-learn. `fit` is the one place it is trained, for that script and for the
leave-one-writer-out protocol of `benchmarks/bank.py`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

DEFAULT_MODEL = Path(__file__).with_name("data") / "answerability.json"
# The probability from which a question counts as answerable (FOUND_THRESHOLD, config.py). Both classes
# weigh equally in training, so 0.5 treats a wrong refusal as harmful as a wrong answer
ANSWER_THRESHOLD = 0.5
REGULARISATION = 0.3  # scikit-learn's C: smaller trusts the data less (about 450 questions)
REASONS_SHOWN = 4  # the measures that weighed most, kept in the trace


class ModelError(ValueError):
    """The model file cannot be used (missing, malformed, or for other measures than the code's)."""


@dataclass(frozen=True)
class AnswerabilityModel:
    features: tuple[str, ...]
    weights: tuple[float, ...]
    bias: float
    means: tuple[float, ...]  # each measure is scaled as (value - mean) / scale before weighing
    scales: tuple[float, ...]
    trained_on: dict = field(default_factory=dict, compare=False)

    def contributions(self, values: Mapping[str, float]) -> dict[str, float]:
        """What each measure adds to the log-odds of answerable."""
        return {name: weight * (values[name] - mean) / scale
                for name, weight, mean, scale in zip(self.features, self.weights, self.means, self.scales, strict=True)}

    def probability(self, values: Mapping[str, float]) -> float:
        log_odds = self.bias + sum(self.contributions(values).values())
        return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, log_odds))))

    def weighed_most(self, values: Mapping[str, float], count: int = REASONS_SHOWN) -> list[tuple[str, float]]:
        """The measures that moved this decision most, with their share of the log-odds."""
        ranked = sorted(self.contributions(values).items(), key=lambda item: -abs(item[1]))
        return ranked[:count]

    @classmethod
    def untrained(cls, features: Sequence[str]) -> AnswerabilityModel:
        """Weighs nothing (probability 0.5 for every question): what training measures evidence with."""
        count = len(features)
        return cls(tuple(features), (0.0,) * count, 0.0, (0.0,) * count, (1.0,) * count)

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path = DEFAULT_MODEL, features: Sequence[str] | None = None) -> AnswerabilityModel:
        """The saved model; `features`: the measures the code computes, which it must weigh, in order."""
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            model = cls(tuple(raw["features"]), tuple(map(float, raw["weights"])), float(raw["bias"]),
                        tuple(map(float, raw["means"])), tuple(map(float, raw["scales"])),
                        dict(raw.get("trained_on", {})))
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise ModelError(f"Cannot read the answerability model {path}: {error}") from None
        lengths = {len(model.features), len(model.weights), len(model.means), len(model.scales)}
        if len(lengths) != 1 or any(scale <= 0 for scale in model.scales):
            raise ModelError(f"The answerability model {path} is malformed: retrain it")
        if features is not None and tuple(features) != model.features:
            raise ModelError(f"The answerability model {path} weighs other measures than the code computes: "
                             "retrain it (python scripts/train_answerability.py)")
        return model


def fit(rows: Sequence[Mapping[str, float]], labels: Sequence[bool], features: Sequence[str],
        regularisation: float = REGULARISATION, trained_on: dict | None = None) -> AnswerabilityModel:
    """A logistic regression over the scaled measures, both classes weighed equally (a wrong
    refusal costs a front desk as much as a wrong answer)."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    matrix = np.array([[row[name] for name in features] for row in rows], dtype=float)
    means, scales = matrix.mean(axis=0), matrix.std(axis=0)
    scales[scales == 0] = 1.0  # a measure that never varied in training weighs nothing
    regression = LogisticRegression(C=regularisation, class_weight="balanced", max_iter=5000)
    regression.fit((matrix - means) / scales, np.array(labels, dtype=int))
    return AnswerabilityModel(tuple(features), tuple(float(w) for w in regression.coef_[0]),
                              float(regression.intercept_[0]), tuple(float(m) for m in means),
                              tuple(float(s) for s in scales), dict(trained_on or {}))
