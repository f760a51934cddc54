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
            "Terima kasih, jawaban Anda sudah kami catat. Ketik 'demo' kalau ingin melihat "
            "demonya, atau 'ulang' untuk mengubah jawaban."
        ),
        "en": (
            "Thank you, your answers are noted. Type 'demo' if you'd like to see a demo, or "
            "'restart' to change your answers."
        ),
    },
    "completed_handed_off": {
        "id": "Pesan Anda sudah kami teruskan. Tim sales kami akan menghubungi Anda {when}.",
        "en": "I've passed your message on. Our sales team will contact you {when}.",
    },
    "closed_again": {
        "id": "Terima kasih! Kalau suatu saat butuh, ketik 'mulai' kapan saja 🙏",
        "en": "Thank you! If you ever need us, just type 'start' 🙏",
    },
    "opted_out_again": {
        "id": "Anda sudah berhenti. Ketik 'mulai' jika ingin lanjut lagi.",
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
            "Harganya tergantung jumlah pengguna dan fitur yang dipakai. Jawab beberapa "
            "pertanyaan singkat ini supaya kami bisa menyarankan paket yang pas."
        ),
        "en": (
            "The price depends on the number of users and the features you need. Answer a "
            "few quick questions so we can suggest the right plan."
        ),
    },
    "bot": {
        "id": (
            "Ya, saya asisten virtual (bot) tim sales kami. Kalau lebih nyaman bicara dengan "
            "orang, tekan tombol di bawah."
        ),
        "en": (
            "Yes, I'm our sales team's virtual assistant (a bot). If you'd rather talk to a "
            "person, tap the button below."
        ),
    },
    "human_button": {"id": "Bicara dengan tim sales", "en": "Talk to a person"},
    "demo_button": {"id": "Minta demo", "en": "Book a demo"},
    "handoff_human": {
        "id": "Baik, saya teruskan ke tim sales kami.",
        "en": "Sure, I'm passing you to our sales team.",
    },
    "handoff_demo": {
        "id": "Baik, permintaan demo Anda saya teruskan ke tim sales kami.",
        "en": "Sure, I'm passing your demo request to our sales team.",
    },
    "handoff_contact": {
        "id": "Supaya mereka bisa menghubungi Anda, boleh nomor WhatsApp atau email Anda?",
        "en": "So they can reach you, may I have your WhatsApp number or email?",
    },
    "contact_after": {
        "id": "Sambil menunggu, boleh nomor WhatsApp atau email Anda? (boleh dilewati)",
        "en": "While you wait, may I have your WhatsApp number or email? (optional)",
    },
    "contact_thanks": {
        "id": "Terima kasih, sudah saya teruskan ke tim sales kami.",
        "en": "Thank you, I've passed it on to our sales team.",
    },
    "skip": {"id": "Lewati", "en": "Skip"},
    "no_problem": {"id": "Baik, tidak apa-apa 🙏", "en": "No problem 🙏"},
    "other": {"id": "Lainnya", "en": "Something else"},
    "confirm": {"id": "Maksudnya {value}, benar?", "en": "Just to check: {value}, right?"},
    "referral_ask": {
        "id": "Boleh minta nama dan nomor WhatsApp atau email beliau? (boleh dilewati)",
        "en": "Could you share their name and WhatsApp number or email? (optional)",
    },
    "closing_handoff": {
        "id": "Terima kasih{name}! Tim sales kami akan menghubungi Anda {when}.",
        "en": "Thank you{name}! Someone from our sales team will contact you {when}.",
    },
    "nudge": {
        "id": "Masih di sana? Tinggal beberapa pertanyaan lagi. {question}",
        "en": "Still there? Just a few questions left. {question}",
    },
    "assigned": {
        "id": "{sdr} dari tim sales kami yang akan menghubungi Anda.",
        "en": "{sdr} from our sales team will be the one to contact you.",
    },
    "closing_mql": {
        "id": (
            "Terima kasih{name}, jawaban Anda sudah kami catat. Kalau ingin melihat cara "
            'kerjanya, tekan "Minta demo" kapan saja.{resources}'
        ),
        "en": (
            "Thank you{name}, your answers are noted. If you'd like to see how it works, tap "
            '"Book a demo" any time.{resources}'
        ),
    },
    "closing_not_qualified": {
        "id": "Baik, terima kasih atas waktunya{name} 🙏{resources}",
        "en": "Understood, thank you for your time{name} 🙏{resources}",
    },
    "resources": {"id": " Info lengkap: {url}", "en": " More about us: {url}"},
    "resumed": {
        "id": "Selamat datang kembali! Kita lanjutkan ya.",
        "en": "Welcome back! Let's continue.",
    },
    "language": {
        "id": "Baik, kita lanjut dalam Bahasa Indonesia.",
        "en": "Sure, let's continue in English.",
    },
    "welcome_back": {"id": "Selamat datang kembali!", "en": "Welcome back!"},
    "unknown": {"id": "tidak diketahui", "en": "unknown"},
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
