"""Intents anywhere in the flow, without false alarms."""

import pytest

from dialogs.extract import detect_intents
from dialogs.slots import Intent


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("berapa harganya?", Intent.PRICE),
        ("harga?", Intent.PRICE),
        ("how much is it", Intent.PRICE),
        ("minta demo", Intent.DEMO),
        ("bisa demo?", Intent.DEMO),
        ("ada free trial?", Intent.DEMO),
        ("mau ngobrol sama sales", Intent.HUMAN),
        ("talk to a human", Intent.HUMAN),
        ("stop", Intent.STOP),
        ("berhenti", Intent.STOP),
        ("unsubscribe", Intent.STOP),
        ("jangan hubungi saya lagi", Intent.STOP),
        ("hapus data saya", Intent.ERASE),
        ("delete my data", Intent.ERASE),
        ("ulang dari awal", Intent.RESTART),
        ("restart", Intent.RESTART),
        ("help", Intent.HELP),
        ("?", Intent.HELP),
        ("English please", Intent.LANGUAGE_EN),
        ("bahasa inggris aja", Intent.LANGUAGE_EN),
        ("bahasa indonesia", Intent.LANGUAGE_ID),
        ("pakai bahasa aja", Intent.LANGUAGE_ID),
    ],
)
def test_intent_is_detected(text: str, intent: Intent) -> None:
    assert detect_intents(text) == frozenset({intent})


@pytest.mark.parametrize(
    "text",
    [
        "bus stop depan kantor",
        "kami kerja non-stop",
        "tidak perlu demo",
        "tergantung harga",
        "tidak berhenti berhenti komplain pelanggan kami, bikin pusing semua orang",
        "budget 50jt",
        "saya dari Indonesia, perusahaan kami bergerak di bidang logistik",
    ],
)
def test_ordinary_sentences_raise_no_intent(text: str) -> None:
    assert detect_intents(text) == frozenset()


def test_several_intents_in_one_message() -> None:
    assert detect_intents("berapa harganya? bisa demo?") == {Intent.PRICE, Intent.DEMO}


def test_asking_not_to_be_contacted_is_not_asking_for_a_human() -> None:
    assert detect_intents("tolong jangan telpon saya lagi") == {Intent.STOP}
