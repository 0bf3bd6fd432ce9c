"""The answerability model (fast): it is read from its file, refuses a file it cannot use, learns
the direction of the evidence, and no single measure decides; the shipped model on hand-made
passages, each class of near miss both ways."""

import json

import pytest

from assistant.answering.answer import what_is_missing
from assistant.answering.answerability import ANSWER_THRESHOLD, DEFAULT_MODEL, AnswerabilityModel, ModelError, fit
from assistant.answering.relevance import FEATURES
from assistant.config import Settings
from assistant.types import Role, Turn

from handmade import READER, RELEVANCE, result_for


def test_the_shipped_model_weighs_the_measures_the_code_computes():
    model = AnswerabilityModel.load(DEFAULT_MODEL, tuple(FEATURES))
    assert model.features == tuple(FEATURES)
    assert model.trained_on["questions"] >= 400 and "command" in model.trained_on


def test_the_settings_default_is_the_models_threshold():
    assert Settings().found_threshold == ANSWER_THRESHOLD


def test_a_model_for_other_measures_or_a_broken_file_is_refused_with_a_clear_error(tmp_path):
    with pytest.raises(ModelError, match="other measures"):
        AnswerabilityModel.load(DEFAULT_MODEL, ("similarity",))
    broken = tmp_path / "model.json"
    broken.write_text("{not json")
    with pytest.raises(ModelError, match="Cannot read"):
        AnswerabilityModel.load(broken)
    raw = json.loads(DEFAULT_MODEL.read_text())
    broken.write_text(json.dumps({**raw, "scales": [0.0] * len(raw["scales"])}))
    with pytest.raises(ModelError, match="malformed"):
        AnswerabilityModel.load(broken)


def test_a_fitted_model_saves_and_loads_the_same(tmp_path):
    rows = [{"near": near, "noise": noise} for near in (0.0, 1.0) for noise in (0.0, 1.0, 2.0)] * 3
    model = fit(rows, [row["near"] > 0.5 for row in rows], ("near", "noise"))
    path = tmp_path / "model.json"
    model.save(path)
    assert AnswerabilityModel.load(path, ("near", "noise")) == model


def test_fitting_learns_the_direction_of_the_evidence_and_weighs_the_rest_less():
    rows = [{"held": held, "other": other} for held in (0.0, 1.0) for other in (0.0, 1.0)] * 5
    model = fit(rows, [row["held"] == 1.0 for row in rows], ("held", "other"))
    assert model.probability({"held": 1.0, "other": 0.0}) > 0.5 > model.probability({"held": 0.0, "other": 1.0})
    assert [name for name, _ in model.weighed_most({"held": 1.0, "other": 1.0}, 1)] == ["held"]


def test_no_single_measure_decides():
    """Each measure alone moves a typical question's log-odds, none by more than the rest together."""
    values = RELEVANCE.evidence(result_for("Wat doen gemeenten aan schulden?", "schuldhulp"))[0]
    shares = RELEVANCE.model.contributions(values)
    largest = max(abs(share) for share in shares.values())
    assert largest < sum(abs(share) for share in shares.values()) - largest


@pytest.mark.parametrize("present, absent, passage", [
    # what happened after the documents were written: a reaction, an outcome
    ("Wat vragen gemeenten van het rijk voor de jeugdhulp?",
     "Is de vraag om 2% van de zorgbegroting voor de jeugdhulp inmiddels overgenomen in het regeerakkoord?",
     "2% van de zorgbegroting"),
    # another attribute of a topic the documents cover: a phone number
    ("Wat doet de gemeente bij schulden?", "Welk telefoonnummer heeft de schuldhulp van de gemeente?", "schuldhulp"),
])
def test_a_near_miss_is_refused_and_the_question_it_is_close_to_answered(present, absent, passage):
    assert RELEVANCE.judge(result_for(present, passage)).found
    refused = RELEVANCE.judge(result_for(absent, passage))
    assert not refused.found, refused.reasons


def test_a_follow_up_that_starts_a_new_topic_is_judged_on_its_own_words():
    history = (Turn(Role.USER, "Wat doen gemeenten aan schulden?"), Turn(Role.ASSISTANT, "Schuldhulp [1]."))
    verdict = RELEVANCE.judge(result_for("Hoe hoog is de hondenbelasting in Utrecht?", "schuldhulp", history=history))
    assert not verdict.found, verdict.reasons


@pytest.mark.parametrize("question, passage, similarity, missing", [
    # the documents speak about the topic, not about what is asked: said first, then the closest passage
    ("Hoeveel euro is die 2% van de zorgbegroting?", "2% van de zorgbegroting", 0.88,
     "De documenten noemen geen bedrag."),
    ("Welk telefoonnummer heeft de schuldhulp?", "schuldhulp", 0.88, "De documenten noemen geen contactgegevens."),
    ("Is de 2% van de zorgbegroting inmiddels overgenomen door het kabinet?", "2% van de zorgbegroting", 0.88,
     "De documenten zeggen niet wat er na hun verschijnen is gebeurd."),
    # not the documents' topic at all, or a phrase looked up: the plain refusal
    ("Hoeveel euro kost een pannenkoek?", "sociale basis", 0.78, ""),
    ("Waar staat 'elke euro in de sociale basis levert zeven euro op'?", "sociale basis", 0.85, ""),
    ("Wat kost het om je hond te laten chippen?", "schuldhulp", 0.88, ""),
])
def test_a_refusal_says_what_is_missing_when_the_documents_speak_about_the_topic(question, passage, similarity,
                                                                                 missing):
    verdict = RELEVANCE.judge(result_for(question, passage, similarity=similarity))
    assert not verdict.found
    assert what_is_missing(READER.read(question), verdict.evidence) == missing
