"""What the bot itself says (not flow questions), in both languages; a flow may override any."""

from typing import Final

DEFAULT_TEXTS: Final[dict[str, dict[str, str]]] = {
    "unsupported": {
        "id": "Maaf, saya hanya bisa membaca teks. Silakan ketik jawaban Anda ya 🙏",
        "en": "Sorry, I can only read text. Please type your answer 🙏",
    },
    "help": {
        "id": (
            "Saya asisten yang membantu tim sales kami memahami kebutuhan Anda. Jawab saja "
            "pertanyaannya dengan bebas atau pilih tombol. Ketik 'ulang' untuk mulai lagi, "
            "'stop' untuk berhenti, 'English please' untuk ganti bahasa."
        ),
        "en": (
            "I'm an assistant that helps our sales team understand your needs. Answer in your "
            "own words or tap a button. Type 'restart' to start over, 'stop' to stop, or "
            "'bahasa indonesia' to switch language."
        ),
    },
    "stop": {
        "id": "Baik, kami tidak akan menghubungi Anda lagi. Terima kasih atas waktunya 🙏",
        "en": "Understood, we won't contact you again. Thank you for your time 🙏",
    },
    "erased": {
        "id": "Data Anda sudah kami hapus. Terima kasih.",
        "en": "Your data has been erased. Thank you.",
    },
    "restart": {"id": "Oke, kita mulai dari awal ya.", "en": "Okay, let's start over."},
    "completed_again": {
        "id": (
            "Terima kasih, data Anda sudah kami terima dan tim kami akan segera menghubungi "
            "Anda. Ketik 'ulang' jika ingin mengubah jawaban."
        ),
        "en": (
            "Thank you, we have your details and our team will be in touch soon. "
            "Type 'restart' if you want to change your answers."
        ),
    },
    "opted_out_again": {
        "id": "Anda sudah berhenti berlangganan. Ketik 'mulai' jika ingin lanjut lagi.",
        "en": "You have opted out. Type 'start' if you want to continue.",
    },
    "noted": {"id": "Dicatat: {items}.", "en": "Noted: {items}."},
    "ask_back_money": {
        "id": "Maksudnya {a} atau {b}?",
        "en": "Do you mean {a} or {b}?",
    },
    "tie": {"id": "Maksud Anda {a} atau {b}?", "en": "Did you mean {a} or {b}?"},
    "move_on": {
        "id": "Tidak apa-apa, kita lanjut ya.",
        "en": "No problem, let's move on.",
    },
    "price": {
        "id": (
            "Harga tergantung kebutuhan dan skala tim Anda; tim sales kami akan memberi "
            "penawaran yang pas setelah beberapa pertanyaan singkat."
        ),
        "en": (
            "Pricing depends on your needs and team size; our sales team will send a fitting "
            "quote after a few quick questions."
        ),
    },
    "demo": {
        "id": "Tentu, kami siapkan demo untuk Anda. Sedikit info lagi supaya tim kami bisa "
        "menghubungi Anda.",
        "en": "Sure, we'll set up a demo for you. Just a little more so our team can reach you.",
    },
    "human": {
        "id": "Baik, tim sales kami akan menghubungi Anda.",
        "en": "Sure, our sales team will get in touch with you.",
    },
    "handoff": {
        "id": "Terima kasih! Tim sales kami akan menghubungi Anda dalam waktu dekat.",
        "en": "Thank you! Our sales team will contact you shortly.",
    },
    "language": {
        "id": "Baik, kita lanjut dalam Bahasa Indonesia.",
        "en": "Sure, let's continue in English.",
    },
    "welcome_back": {"id": "Selamat datang kembali!", "en": "Welcome back!"},
    "unknown": {"id": "tidak diketahui", "en": "unknown"},
    "closing": {
        "id": "Terima kasih, {name}! Tim kami akan segera menghubungi Anda.",
        "en": "Thank you, {name}! Our team will be in touch soon.",
    },
    "yes": {"id": "Ya", "en": "Yes"},
    "no": {"id": "Tidak", "en": "No"},
}


def render_text(
    key: str, language: str, overrides: dict[str, dict[str, str]], **fields: str
) -> str:
    """The text for `key` in `language`, from the flow's overrides or the defaults."""
    texts = overrides.get(key) or DEFAULT_TEXTS[key]
    template = texts.get(language) or texts.get("en") or next(iter(texts.values()))
    return template.format(**fields) if fields else template
