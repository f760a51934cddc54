"""Authority: titles (with typos), who decides, and the approval limit."""

import pytest

from dialogs.extract import extract_authority
from dialogs.slots import Authority, Role


@pytest.mark.parametrize(
    ("text", "title", "role"),
    [
        ("owner", "owner", "decision_maker"),
        ("pemilik", "owner", "decision_maker"),
        ("founder", "founder", "decision_maker"),
        ("CEO", "ceo", "decision_maker"),
        ("direktur", "director", "decision_maker"),
        ("direktor", "director", "decision_maker"),
        ("dirut", "president director", "decision_maker"),
        ("GM", "general manager", "decision_maker"),
        ("manajer pembelian", "procurement manager", "co_decision_maker"),
        ("manajer pembeliaan", "procurement manager", "co_decision_maker"),
        ("head of procurment", "head of procurement", "decision_maker"),
        ("purchasing", "purchasing", "influencer"),
        ("PIC", "pic", "influencer"),
        ("staff", "staff", "influencer"),
        ("admin", "admin", "gatekeeper"),
        ("mahasiswa", "student", "not_a_buyer"),
    ],
)
def test_titles_in_both_languages_and_with_typos(text: str, title: str, role: Role) -> None:
    assert extract_authority(text, expecting=True) == Authority(role=role, title=title)


def test_title_said_about_oneself_counts_without_the_question() -> None:
    authority = extract_authority("halo, saya owner toko bangunan di Medan")

    assert authority == Authority(role="decision_maker", title="owner")


def test_someone_elses_title_is_the_approver_not_the_speaker() -> None:
    authority = extract_authority("harus izin direktur saya dulu")

    assert authority == Authority(
        role="influencer", decision_process="needs_approval", approver="direktur"
    )


def test_as_title_i_is_the_speaker_even_with_saya_after() -> None:
    authority = extract_authority("sebagai direktur saya setuju")

    assert authority == Authority(role="decision_maker", title="director")


def test_deciding_alone_makes_a_decision_maker() -> None:
    assert extract_authority("saya yang memutuskan") == Authority(
        role="decision_maker", decision_process="solo"
    )


def test_asking_the_boss_makes_an_influencer() -> None:
    assert extract_authority("harus tanya atasan dulu") == Authority(
        role="influencer", decision_process="needs_approval", approver="atasan"
    )


def test_management_deciding_is_a_committee() -> None:
    assert extract_authority("nanti diputuskan manajemen") == Authority(
        role="influencer", decision_process="committee", approver="manajemen"
    )


def test_tender() -> None:
    assert extract_authority("kami lewat tender") == Authority(
        role="influencer", decision_process="tender"
    )


def test_decision_maker_who_needs_approval_co_decides() -> None:
    authority = extract_authority("saya owner tapi harus diskusi dengan partner")

    assert authority == Authority(
        role="co_decision_maker",
        decision_process="needs_approval",
        approver="partner",
        title="owner",
    )


def test_approval_limit_is_read_as_money() -> None:
    authority = extract_authority("kalau < 5 juta saya bisa approve sendiri")

    assert authority == Authority(
        role="co_decision_maker", decision_process="solo_below_limit", approval_limit=5_000_000
    )


@pytest.mark.parametrize("text", ["50 orang", "budget 50jt", "ya", "nanti saya kabari"])
def test_messages_without_a_role_give_nothing(text: str) -> None:
    assert extract_authority(text) is None
