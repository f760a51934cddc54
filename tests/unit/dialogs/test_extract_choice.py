"""Choice matching: payloads, positions, labels, synonyms, typos, ties and numeric ranges."""

from dialogs.extract import ChoiceCandidate, ChoiceMatch, match_choice

NEEDS = (
    ChoiceCandidate("sales", ("Otomatisasi penjualan", "Sales automation", "jualan")),
    ChoiceCandidate("support", ("Layanan pelanggan", "Customer service", "CS", "komplain")),
    ChoiceCandidate("marketing", ("Pemasaran", "Marketing", "broadcast")),
    ChoiceCandidate("other", ("Lainnya", "Other")),
)
SIZES = (
    ChoiceCandidate("xs", ("1-10",)),
    ChoiceCandidate("s", ("11-50",)),
    ChoiceCandidate("m", ("51-200",)),
    ChoiceCandidate("l", ("> 200", "lebih dari 200")),
)


def test_button_payload_is_the_option_id() -> None:
    assert match_choice("support", NEEDS) == ChoiceMatch("support", score=100.0)


def test_option_number_is_one_based() -> None:
    assert match_choice("2", NEEDS).option_id == "support"


def test_option_number_with_a_prefix() -> None:
    assert match_choice("no 3", NEEDS).option_id == "marketing"


def test_ordinal_word() -> None:
    assert match_choice("yang pertama", NEEDS).option_id == "sales"


def test_number_out_of_range_is_not_a_choice() -> None:
    assert match_choice("9", NEEDS).option_id is None


def test_label_in_either_language() -> None:
    assert match_choice("Customer service", NEEDS).option_id == "support"
    assert match_choice("pemasaran", NEEDS).option_id == "marketing"


def test_synonym() -> None:
    assert match_choice("komplain", NEEDS).option_id == "support"


def test_typo_in_a_label() -> None:
    assert match_choice("customer servis", NEEDS).option_id == "support"


def test_label_inside_a_sentence() -> None:
    assert match_choice("yang marketing aja kak", NEEDS).option_id == "marketing"


def test_unrelated_text_matches_nothing() -> None:
    assert match_choice("halo selamat pagi", NEEDS) == ChoiceMatch(None)


def test_close_scores_are_a_tie_and_nothing_is_chosen() -> None:
    options = (
        ChoiceCandidate("monthly", ("Paket Basic Bulanan",)),
        ChoiceCandidate("yearly", ("Paket Basic Tahunan",)),
        ChoiceCandidate("pro", ("Paket Pro",)),
    )

    match = match_choice("paket basic", options)

    assert (match.option_id, match.tied) == (None, ("monthly", "yearly"))


def test_the_word_that_differs_breaks_the_tie() -> None:
    options = (
        ChoiceCandidate("monthly", ("Paket Basic Bulanan",)),
        ChoiceCandidate("yearly", ("Paket Basic Tahunan",)),
    )

    assert match_choice("paket basik tahunan", options).option_id == "yearly"


def test_same_label_on_two_options_is_a_tie() -> None:
    options = (ChoiceCandidate("a", ("Lainnya",)), ChoiceCandidate("b", ("lainnya",)))

    assert match_choice("lainnya", options) == ChoiceMatch(None, tied=("a", "b"), score=100.0)


def test_quantity_picks_the_range_that_holds_it() -> None:
    assert match_choice("sekitar 30 orang", SIZES).option_id == "s"


def test_bare_number_with_range_labels_is_a_quantity_not_a_position() -> None:
    assert match_choice("2", SIZES).option_id == "xs"


def test_open_range_label() -> None:
    assert match_choice("500 karyawan", SIZES).option_id == "l"


def test_position_with_a_prefix_still_works_with_range_labels() -> None:
    assert match_choice("opsi 2", SIZES).option_id == "s"
