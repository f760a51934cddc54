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
    assert "Tim sales kami akan menghubungi Anda" in " ".join(c.texts)
    assert c.texts[-1] == "Tim kami sebaiknya menghubungi Anda lewat apa?"
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
    c.say(choice="email")

    c.say("sarah@acme-logistics.com")

    assert (
        c.texts[-1]
        == "Thank you, Sarah Lee! We have everything we need. Our team will be in touch soon."
    )
    assert c.state.status == "completed"
    assert c.slot("company_size") == "s51_200"
    assert c.state.stage is Stage.SQL


def test_one_message_fills_several_slots_and_skips_their_questions(
    flow: Flow, now: datetime
) -> None:
    c = Conversation(flow, now)
    through_role(c)

    c.say("saya head of procurement, budget sekitar 50jt, mau jalan Q3")

    assert c.texts[0].startswith("Dicatat: ")
    assert "Rp 50 jt" in c.texts[0]
    assert c.state.current_question == "company_size"
    c.say(choice="s201_1000")
    c.say("butuh banget, leads dari iklan banyak yang hilang karena telat dibalas")
    assert c.state.current_question == "contact_method"


def test_unusable_answers_are_reasked_then_recorded_unknown(flow: Flow, now: datetime) -> None:
    c = Conversation(flow, now)
    through_role(c)
    c.say("owner")
    c.say(choice="s11_50")
    c.say("otomasi follow up")

    first = c.say("hmm")
    c.say("entahlah")
    c.say("zzz")

    assert first.replies[0].text.startswith("Kisaran anggarannya berapa?")
    assert c.state.slots["budget"].status == "unknown"
    assert c.state.current_question == "timeline"
    assert "kita lanjut" in c.texts[0]


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
    assert (
        c.texts[-1] == "Apa jabatan Anda, dan siapa yang memutuskan pembelian solusi seperti ini?"
    )


def test_restart_starts_over_with_empty_slots(flow: Flow, now: datetime) -> None:
    c = Conversation(flow, now)
    through_role(c)

    c.say("ulang dari awal")

    assert c.state.slots == {}
    assert c.state.current_question == "consent"


def test_demo_request_jumps_to_contact(flow: Flow, now: datetime) -> None:
    c = Conversation(flow, now)
    through_role(c)
    c.say("saya direktur")

    c.say("bisa minta demo minggu ini?")

    assert c.state.demo_requested
    assert c.state.current_question == "contact_method"


def test_reply_after_completion_does_not_restart_the_flow(flow: Flow, now: datetime) -> None:
    c = Conversation(flow, now)
    c.say("Halo")
    c.say(choice="no")
    assert c.state.status == "completed"

    c.say("oke makasih")

    assert c.state.status == "completed"
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
    c.say("butuh banget")
    c.say("100jt")
    c.say("bulan depan")

    c.say(choice="phone")
    c.say("0812 3456 7890")

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
