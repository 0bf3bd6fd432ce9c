"""The session core: turns, exchanges, feedback once per judgement, the privacy notice once."""

from __future__ import annotations

from assistant.interfaces.session import Session
from assistant.types import Answer, Mode, PersonalData, Role


def answer(question: str, left_out=()) -> Answer:
    return Answer(question, True, Mode.PASSAGES, "Gemeenten helpen [1].", [], personal_data=left_out)


def test_the_session_keeps_the_question_the_answer_was_given_to():
    session = Session()
    session.add(answer("Mevrouw [NAAM] heeft schulden.", (PersonalData.NAME,)))
    assert session.turns[0].role == Role.USER and session.turns[0].content == "Mevrouw [NAAM] heeft schulden."
    assert session.exchange_at(0) is None and session.exchange_at(1).question == "Mevrouw [NAAM] heeft schulden."
    assert session.exchange_at(2) is None and session.exchange_at("1") is None


def test_a_judgement_is_recorded_once_and_a_change_of_mind_again():
    session = Session()
    session.add(answer("Wat is de Wmo?"))
    assert session.feedback(1, True).rating == "up"
    assert session.feedback(1, True) is None
    assert session.feedback(1, False).rating == "down"
    assert session.feedback(0, True) is None and session.feedback(1, "ja") is None


def test_the_personal_data_notice_is_given_once():
    session = Session()
    assert not session.personal_data_notice_due(answer("Wat is de Wmo?"))
    left_out = answer("BSN [BSN]", (PersonalData.BSN,))
    assert session.personal_data_notice_due(left_out)
    assert not session.personal_data_notice_due(left_out)
