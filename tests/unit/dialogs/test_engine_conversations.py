"""Whole conversations through the pure engine, in both languages."""

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from dialogs import Flow, new_state, step
from scoring import Stage
from tests.factories import Conversation, make_inbound


def through_role(c: Conversation, *, greeting: str = "Halo") -> None:
    c.say(greeting)
    c.say(choice="yes")
    c.say("Budi Santoso")
    c.say("PT Maju Jaya")


def test_first_message_gets_greeting_with_consent_buttons(flow: Flow, now: datetime) -> None:
    c = Conversation(flow, now)

    c.say("Halo kak, mau tanya dong")

    assert c.texts[0].startswith("Halo! 👋")
    assert c.choices == ["yes", "no"]


def test_indonesian_conversation_straight_through_reaches_sql(flow: Flow, now: datetime) -> None:
    c = Conversation(flow, now)
    through_role(c)
    c.say("saya owner, saya yang memutuskan")
    c.say(choice="s51_200")
    c.say("butuh banget, tim sales kewalahan follow up leads")
    c.say("sekitar 100jt")

    result = c.say("bulan depan")

    assert result.stage_change is Stage.SQL
    assert result.handoff == "sql"
    assert "Tim sales kami akan menghubungi Anda hari ini sebelum pukul" in " ".join(c.texts)
    # qualified: no more qualifying questions, only the optional contact
    assert c.texts[-1] == "Sambil menunggu, boleh nomor WhatsApp atau email Anda? (boleh dilewati)"
    assert c.choices == ["skip"]
    assert c.slot("name") == "Budi Santoso"
    assert c.slot("company") == "PT Maju Jaya"
    assert result.score.value >= 80


def test_english_conversation_straight_through_ends_with_closing(
    flow: Flow, now: datetime
) -> None:
    c = Conversation(flow, now)
    c.say("Hi, I'd like some info please")
    c.say("yes")
    c.say("My name is Sarah Lee")
    c.say("Acme Logistics")
    c.say("I'm the CTO and I decide on tools like this")
    c.say("about 120 people")
    c.say("We need to automate follow-ups, our reps forget leads")
    c.say("around 50 million rupiah per month")
    c.say("next month")
    assert c.texts[-1] == "While you wait, may I have your WhatsApp number or email? (optional)"

    c.say("sarah@acme-logistics.com")

    assert c.texts == ["Thank you, I've passed it on to our sales team."]
    assert c.state.status == "completed"
    email = c.slot("email")
    assert isinstance(email, dict)
    assert email["address"] == "sarah@acme-logistics.com"
    assert c.slot("company_size") == "s51_200"
    assert c.state.stage is Stage.SQL


def test_one_message_fills_several_slots_and_skips_their_questions(
    flow: Flow, now: datetime
) -> None:
    c = Conversation(flow, now)
    through_role(c)

    c.say("saya owner, budget sekitar 50jt, mau jalan Q3")

    assert c.texts[0].startswith("Dicatat: ")
    assert "Rp 50 jt" in c.texts[0]
    assert c.state.current_question == "company_size"
    c.say(choice="s201_1000")
    c.say("butuh banget, leads dari iklan banyak yang hilang karena telat dibalas")
    # every BANT answer is in: qualified, handed off, only the contact is left to ask
    assert c.state.handoff == "sql"
    assert c.state.current_question == "@contact"


def test_unusable_answers_are_reasked_then_recorded_unknown(flow: Flow, now: datetime) -> None:
    c = Conversation(flow, now)
    through_role(c)
    c.say("owner")
    c.say(choice="s11_50")
    c.say("otomasi follow up")

    first = c.say("hmm")
    c.say("entahlah")

    assert first.replies[0].text.startswith("Kisaran anggarannya berapa?")
    assert [b.label for b in first.replies[0].choices][:2] == ["< Rp 5 jt", "Rp 5-25 jt"]
    assert c.state.slots["budget"].status == "unknown"
    assert c.state.current_question == "timeline"
    assert c.texts == ["Tidak apa-apa, kita lanjut ya.", "Kapan rencananya mulai jalan?"]


def test_stop_mid_flow_ends_politely_and_opts_out(flow: Flow, now: datetime) -> None:
    c = Conversation(flow, now)
    through_role(c)

    result = c.say("stop")

    assert c.texts == [
        "Baik, kami tidak akan menghubungi Anda lagi. Terima kasih atas waktunya 🙏"
    ]
    assert result.stage_change is Stage.OPTED_OUT
    assert c.state.status == "opted_out"


def test_message_after_opt_out_gets_no_questions(flow: Flow, now: datetime) -> None:
    c = Conversation(flow, now)
    through_role(c)
    c.say("berhenti")

    c.say("halo?")

    assert c.choices == []
    assert "berhenti" in c.texts[0]


def test_help_explains_and_asks_the_same_question_again(flow: Flow, now: datetime) -> None:
    c = Conversation(flow, now)
    through_role(c)

    c.say("help")

    assert c.texts[0].startswith("Saya asisten")
    # the question again, with examples and the likely answers as buttons
    assert c.texts[-1].startswith("Misalnya")
    assert "clarify:role:decision_maker" in c.choices


def test_restart_starts_over_with_empty_slots(flow: Flow, now: datetime) -> None:
    c = Conversation(flow, now)
    through_role(c)

    c.say("ulang dari awal")

    assert c.state.slots == {}
    assert c.state.current_question == "consent"


def test_demo_request_is_a_handoff_now(flow: Flow, now: datetime) -> None:
    c = Conversation(flow, now)
    through_role(c)
    c.say("saya direktur")

    result = c.say("bisa minta demo minggu ini?")

    assert c.state.demo_requested
    assert result.handoff == "demo"
    assert c.texts == [
        "Baik, permintaan demo Anda saya teruskan ke tim sales kami.",
        "Supaya mereka bisa menghubungi Anda, boleh nomor WhatsApp atau email Anda?",
    ]


def test_reply_after_completion_does_not_restart_the_flow(flow: Flow, now: datetime) -> None:
    c = Conversation(flow, now)
    c.say("Halo")
    c.say(choice="no")
    assert c.state.status == "closed"

    c.say("oke makasih")

    assert c.state.status == "closed"
    assert c.choices == []
    assert c.texts


def test_declining_consent_ends_politely(flow: Flow, now: datetime) -> None:
    c = Conversation(flow, now)
    c.say("Halo")

    c.say("tidak")

    assert c.texts == ["Baik, tidak masalah. Kalau nanti butuh bantuan, kirim pesan saja ya 🙏"]


def test_correction_overwrites_the_budget(flow: Flow, now: datetime) -> None:
    c = Conversation(flow, now)
    through_role(c)
    c.say("owner")
    c.say(choice="s11_50")
    c.say("otomasi follow up")
    c.say("100jt")

    c.say("bukan, 50jt")

    budget = c.slot("budget")
    assert isinstance(budget, dict)
    assert budget["max"] == 50_000_000


def test_ambiguous_amount_is_asked_back_before_it_is_scored(flow: Flow, now: datetime) -> None:
    c = Conversation(flow, now)
    through_role(c)
    c.say("owner")
    c.say(choice="s11_50")
    c.say("otomasi follow up")

    c.say("1.5M")

    assert "budget" not in c.state.slots
    assert c.texts == ["Maksudnya Rp 1,5 M atau Rp 1,5 jt?"]
    assert c.choices == ["pending:0", "pending:1"]
    c.say(choice="pending:1")
    budget = c.slot("budget")
    assert isinstance(budget, dict)
    assert budget["max"] == 1_500_000
    assert c.state.current_question == "timeline"


def test_language_switch_mid_flow(flow: Flow, now: datetime) -> None:
    c = Conversation(flow, now)
    through_role(c)

    c.say("English please")

    assert c.state.language == "en"
    assert c.texts[-1] == "What's your role, and who decides on buying a solution like this?"


def test_language_hint_picks_the_first_language(flow: Flow, now: datetime) -> None:
    c = Conversation(flow, now, language_hint="en-US")

    c.say("👋")

    assert c.texts[0].startswith("Hi! 👋")


def test_sticker_gets_a_polite_please_type(flow: Flow, now: datetime) -> None:
    c = Conversation(flow, now)
    through_role(c)

    c.say(unsupported="sticker")

    assert c.texts[0].startswith("Maaf, saya hanya bisa membaca teks")
    assert c.state.current_question == "role"


def test_profile_name_fills_the_name_question(flow: Flow, now: datetime) -> None:
    c = Conversation(flow, now, profile_name="Dewi")
    c.say("Halo")

    c.say(choice="yes")

    assert c.slot("name") == "Dewi"
    assert c.state.current_question == "company"


def test_stage_change_is_emitted_only_once(flow: Flow, now: datetime) -> None:
    c = Conversation(flow, now)
    through_role(c)
    c.say("saya owner")
    c.say(choice="s51_200")
    c.say("butuh banget, tim sales kewalahan follow up leads")
    c.say("100jt")
    c.say("bulan depan")

    c.say("0812 3456 7890")
    c.say("oh ya satu lagi, tim kami 60 orang")

    changes = [r.stage_change for r in c.results if r.stage_change is not None]
    assert changes.count(Stage.SQL) == 1


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300))
def test_engine_never_raises_on_any_text(text: str) -> None:
    from dialogs import load_flow

    flow = load_flow()
    now = datetime(2026, 5, 13, 3, 0, tzinfo=UTC)
    state = new_state(flow)
    for offset in range(2):
        at = now + timedelta(minutes=offset)
        state = step(state, flow, make_inbound(text, at=at), at).state


def test_ten_thousand_characters_are_handled(flow: Flow, now: datetime) -> None:
    c = Conversation(flow, now)
    c.say("Halo")

    c.say("a" * 10_000)

    assert c.texts
