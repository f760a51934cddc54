"""The conversation policy: consent first, sure/unsure/unclear answers, intents at any point,
closings by outcome, one language, and no promise of contact without a handoff."""

import re
from datetime import datetime
from pathlib import Path

import pytest

from dialogs import Channel, Flow, load_flow
from dialogs.closing import PROMISE_KEYS, outcome_of
from dialogs.texts import DEFAULT_TEXTS
from scoring import Stage
from tests.factories import Conversation

# what a sentence promising contact looks like, in both languages
PROMISE = re.compile(
    r"(?<!tidak )akan (?:segera )?(?:menghubungi|menelepon)|(?<!not )will (?:contact|call|"
    r"reach out|get in touch|be in touch)",
    re.IGNORECASE,
)
FLOWS = Path(__file__).resolve().parents[3] / "dialogs" / "flows"


def consent(c: Conversation) -> None:
    c.say("Halo")
    c.say(choice="yes")


def qualified(c: Conversation) -> None:
    consent(c)
    c.say("Budi Santoso")
    c.say("PT Maju Jaya")
    c.say("saya owner, saya yang memutuskan")
    c.say(choice="s51_200")
    c.say("butuh banget, tim sales kewalahan follow up leads")
    c.say("sekitar 100jt")
    c.say("bulan depan")


# -- consent first --------------------------------------------------------------------------


def test_what_is_said_before_consent_is_kept_and_not_asked_again(
    flow: Flow, now: datetime
) -> None:
    c = Conversation(flow, now)
    c.say("Halo, saya Dewi, HR manager di PT Sinar Abadi. Mau tanya soal CRM")
    assert c.state.slots == {}  # nothing is the lead's before they agree
    assert c.texts[0].startswith("Halo! 👋")

    c.say("boleh")

    assert c.slot("name") == "Dewi"
    assert c.slot("company") == "PT Sinar Abadi"
    assert c.texts[0].startswith("Dicatat: nama Dewi, perusahaan PT Sinar Abadi")
    assert c.state.current_question not in ("name", "company")


def test_what_is_said_before_a_declined_consent_is_dropped(flow: Flow, now: datetime) -> None:
    c = Conversation(flow, now)
    c.say("Halo, saya Dewi dari PT Sinar Abadi, budget 50jt")

    c.say("tidak, makasih")

    assert c.state.slots.keys() == {"consent"}
    assert c.state.held == {}
    assert c.state.status == "closed"


def test_answering_the_consent_question_with_facts_is_a_yes(flow: Flow, now: datetime) -> None:
    c = Conversation(flow, now)
    c.say("Halo")

    c.say("saya Dewi dari PT Sinar Abadi")

    assert c.slot("consent") is True
    assert c.slot("name") == "Dewi"
    assert c.state.current_question == "role"


# -- how sure an answer is ------------------------------------------------------------------


def test_an_unsure_answer_is_confirmed_with_yes_no_buttons(flow: Flow, now: datetime) -> None:
    c = Conversation(flow, now)
    qualified_until_role(c)

    c.say("saya yg urus")  # read as a decision maker, but not surely

    assert c.texts[-1] == "Maksudnya peran pengambil keputusan, benar?"
    assert c.choices == ["pending:yes", "pending:no"]
    c.say(choice="pending:yes")
    assert c.state.slots["authority"].confidence == 1.0
    assert c.state.current_question == "company_size"


def test_a_no_to_the_confirmation_asks_again_with_the_likely_answers(
    flow: Flow, now: datetime
) -> None:
    c = Conversation(flow, now)
    qualified_until_role(c)
    c.say("saya yg urus")

    c.say("bukan")

    assert "authority" not in c.state.slots
    assert c.state.status == "active"  # "bukan" is an answer, not a lost interest
    assert "clarify:role:decision_maker" in c.choices
    c.say(choice="clarify:role:influencer")
    authority = c.slot("authority")
    assert isinstance(authority, dict)
    assert authority["role"] == "influencer"


def qualified_until_role(c: Conversation) -> None:
    consent(c)
    c.say("Budi Santoso")
    c.say("PT Maju Jaya")


def test_a_question_is_asked_at_most_twice(flow: Flow, now: datetime) -> None:
    c = Conversation(flow, now)
    qualified_until_role(c)

    c.say("hmm")
    c.say("???")

    assert c.state.slots["authority"].status == "unknown"
    assert c.state.current_question == "company_size"
    asked = [t for t in c.all_texts if "jabatan" in t or t.startswith("Misalnya")]
    assert len(asked) == 2


def test_no_text_is_sent_more_than_twice(flow: Flow, now: datetime) -> None:
    c = Conversation(flow, now)
    qualified_until_role(c)

    for _ in range(5):
        c.say("berapa harganya?")

    texts = c.all_texts
    assert max(texts.count(t) for t in texts) <= 2


# -- intents at any point -------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["just connect me to a human please", "bisa ngobrol sama sales aja?", "minta ditelpon"]
)
def test_asking_for_a_person_is_a_handoff_now(flow: Flow, now: datetime, text: str) -> None:
    c = Conversation(flow, now)
    consent(c)

    result = c.say(text)

    assert result.handoff == "human"
    assert outcome_of(c.state) == "handed_off"
    assert c.choices == ["skip"]  # on web chat: how to reach them, skippable
    c.say(choice="skip")
    assert PROMISE.search(c.texts[-1])
    assert "WIB" in c.texts[-1]
    assert c.state.status == "completed"


def test_on_whatsapp_the_handoff_needs_no_contact_question(flow: Flow, now: datetime) -> None:
    c = Conversation(flow, now, channel=Channel.WHATSAPP)
    consent(c)

    result = c.say("butuh demo minggu ini bisa?")

    assert result.handoff == "demo"
    assert PROMISE.search(c.texts[-1])
    assert c.state.status == "completed"


def test_a_price_question_gets_the_flows_pricing_answer_then_the_question_again(
    flow: Flow, now: datetime
) -> None:
    c = Conversation(flow, now)
    qualified_until_role(c)

    c.say("harganya berapa ya?")

    assert c.texts[0].startswith("Paket kami mulai Rp 350 ribu")
    assert c.state.current_question == "role"


@pytest.mark.parametrize(
    "text",
    [
        "berhenti. nanti sy hubungi sendiri",
        "STOP pls, ga jadi, thanks",
        "please don't contact me again",
        "jangan chat saya lagi ya",
        "unsubscribe",
    ],
)
def test_opt_out_in_any_wording_stops_and_is_never_an_answer(
    flow: Flow, now: datetime, text: str
) -> None:
    c = Conversation(flow, now)
    qualified_until_role(c)

    result = c.say(text)

    assert c.state.status == "opted_out"
    assert result.stage_change is Stage.OPTED_OUT
    assert result.slot_changes == ()
    assert c.texts == [
        "Baik, kami tidak akan menghubungi Anda lagi. Terima kasih atas waktunya 🙏"
    ]


def test_start_after_an_opt_out_resumes_where_it_was(flow: Flow, now: datetime) -> None:
    c = Conversation(flow, now)
    qualified_until_role(c)
    c.say("stop")

    c.say("START")

    assert c.state.status == "active"
    assert c.slot("name") == "Budi Santoso"  # nothing was forgotten
    assert c.texts[-1] == (
        "Apa jabatan Anda, dan siapa yang memutuskan pembelian solusi seperti ini?"
    )


def test_not_interested_closes_politely_as_not_qualified(flow: Flow, now: datetime) -> None:
    c = Conversation(flow, now)
    qualified_until_role(c)

    result = c.say("udah pakai aplikasi lain kak, makasih")

    assert c.state.status == "closed"
    assert result.stage_change is Stage.NOT_QUALIFIED
    assert outcome_of(c.state) == "not_qualified"
    assert c.choices == []
    assert not any(PROMISE.search(t) for t in c.texts)


def test_is_this_a_bot_gets_an_honest_answer_and_a_person_offered(
    flow: Flow, now: datetime
) -> None:
    c = Conversation(flow, now)
    qualified_until_role(c)

    c.say("ini bot ya?")

    assert c.texts[0].startswith("Ya, saya asisten virtual (bot)")
    assert "human" in c.choices
    result = c.say(choice="human")
    assert result.handoff == "human"


def test_speaking_for_someone_else_asks_for_their_contact_once(flow: Flow, now: datetime) -> None:
    c = Conversation(flow, now)
    qualified_until_role(c)

    c.say("saya cuma disuruh cari info, nanti yang putusin bos saya")

    assert c.texts[-1].startswith("Boleh minta nama dan nomor WhatsApp atau email beliau?")
    c.say("Pak Hendra, 0812 1111 2222")
    referral = c.slot("referral")
    assert isinstance(referral, dict)
    assert referral["phone"] == "+6281211112222"
    assert "phone" not in c.state.slots  # theirs, not the prospect's
    assert c.state.current_question == "company_size"


# -- closings by outcome --------------------------------------------------------------------


def test_an_mql_is_promised_nothing_and_offered_a_demo(flow: Flow, now: datetime) -> None:
    c = Conversation(flow, now)
    qualified_until_role(c)
    c.say("saya staff, cuma cari info dulu")
    c.say(choice="s1_10")
    c.say("belum tahu, lihat-lihat dulu")
    c.say("belum ada budget")
    c.say("belum ada rencana")
    c.say(choice="email")

    c.say("budi@majujaya.co.id")

    assert c.state.handoff is None
    assert not any(PROMISE.search(t) for t in c.all_texts)
    assert c.choices == ["demo"]
    result = c.say(choice="demo")  # the offer is real: it hands off
    assert result.handoff == "demo"


def test_a_lead_that_turns_sql_is_handed_off_at_once(flow: Flow, now: datetime) -> None:
    c = Conversation(flow, now)

    qualified(c)

    assert [r.handoff for r in c.results].count("sql") == 1
    assert PROMISE.search(" ".join(c.texts))
    # nothing but the optional contact after the promise
    assert c.texts[-1].startswith("Sambil menunggu")


def test_every_text_that_promises_contact_is_a_handoff_text() -> None:
    promising = {
        key
        for key, texts in DEFAULT_TEXTS.items()
        if any(PROMISE.search(t) for t in texts.values())
    }
    assert promising == set(PROMISE_KEYS)
    for path in FLOWS.glob("*.yaml"):
        flow = load_flow(path)
        for key, texts in flow.document.texts.items():
            if key not in PROMISE_KEYS:
                assert not any(PROMISE.search(t) for t in texts.values()), (path, key)
        for question in flow.document.questions:
            shown = [*question.prompt.values(), *(question.reask or {}).values()]
            shown += [t for b in question.branches if b.say for t in b.say.values()]
            assert not any(PROMISE.search(t) for t in shown), (path, question.id)


# -- language ---------------------------------------------------------------------------------


def test_an_english_prospect_gets_no_indonesian(flow: Flow, now: datetime) -> None:
    c = Conversation(flow, now)
    c.say("Hi, I'd like to know more about your CRM")
    c.say("yes")
    c.say("Sarah")
    c.say("Acme Logistics")
    c.say("I'm the CTO")
    c.say("about 40 people")

    indonesian = re.compile(r"\b(?:yang|dan|untuk|Anda|kami|berapa|Dicatat)\b")
    assert not [t for t in c.all_texts if indonesian.search(t)]


def test_switching_language_works_both_ways(flow: Flow, now: datetime) -> None:
    c = Conversation(flow, now)
    qualified_until_role(c)

    c.say("English please")
    assert c.texts[-1] == "What's your role, and who decides on buying a solution like this?"
    c.say("bahasa indonesia aja")
    assert c.texts[-1] == (
        "Apa jabatan Anda, dan siapa yang memutuskan pembelian solusi seperti ini?"
    )


# -- asking back an amount --------------------------------------------------------------------


@pytest.mark.parametrize(("typed", "amount"), [("1 juta", 1_000_000), ("jt", 1_000_000)])
def test_a_typed_unit_picks_that_amount(
    flow: Flow, now: datetime, typed: str, amount: int
) -> None:
    c = Conversation(flow, now)
    qualified_until_role(c)
    c.say("owner")
    c.say(choice="s11_50")
    c.say("otomasi follow up")
    c.say("1")
    assert c.choices == ["pending:0", "pending:1"]

    c.say(typed)

    budget = c.slot("budget")
    assert isinstance(budget, dict)
    assert budget["max"] == amount


def test_a_new_amount_typed_at_the_ask_back_is_taken(flow: Flow, now: datetime) -> None:
    c = Conversation(flow, now)
    qualified_until_role(c)
    c.say("owner")
    c.say(choice="s11_50")
    c.say("otomasi follow up")
    c.say("1")

    c.say("50 juta")

    budget = c.slot("budget")
    assert isinstance(budget, dict)
    assert budget["max"] == 50_000_000


def test_opting_out_after_a_handoff_withdraws_it(flow: Flow, now: datetime) -> None:
    c = Conversation(flow, now)
    qualified(c)

    result = c.say("maaf, tidak jadi. jangan hubungi saya lagi")

    assert result.withdrawn
    assert c.state.status == "opted_out"
