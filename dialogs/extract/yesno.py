"""Yes/no answers in Indonesian and English, slang and emoji included."""

import re
from typing import Final

from dialogs.extract.text import normalize

# Normalisation has already turned gak/ga/nggak/engga/tdk into "tidak".
_NO_FIRST: Final = re.compile(
    r"^(?:tidak|belum|bukan|jangan|no|nope|nah|nay|not|never|ogah|moh|skip|cancel|batal|"
    r"don'?t|👎|❌|🙅)(?!\w)"
)
# Answers that start with a "no" word but mean yes: "tidak apa-apa", "no problem".
_YES_DESPITE_NO: Final = re.compile(
    r"^(?:tidak (?:apa|masalah|keberatan)|no problem|no worries|not a problem|why not)(?!\w)"
)
_YES_FIRST: Final = re.compile(
    r"^(?:ya+|iya+|iyes|iyap|yup|yap|yes+|yess|yeah|yea|yep|y|boleh|ok+|oke+|okey|okay|okee|"
    r"siap|gas+|sure|betul|benar|bener|setuju|mau|tentu|pasti|sip+|baik|lanjut|bisa|"
    r"absolutely|of course|correct|right|definitely|yoi|hayuk|ayo|yuk|monggo|silakan|"
    r"silahkan|please|sudah|pernah|yaudah|udah|gpp|go ahead|fine|sounds good|👍|✅|👌|🙏|💯)"
    r"(?!\w)"
)
# A greeting or a filler word before the answer: "waalaikumsalam, boleh", "oh oke".
_LEAD_IN: Final = re.compile(
    r"^(?:w[a']?alaikum ?(?:salam|sallam)|assalamu\S*(?: \S+)?|halo+|hai+|hi+|hello|"
    r"(?:selamat )?(?:pagi|siang|sore|malam)|eh|oh|hmm+|well|nah|wah)[\s,.!]+"
)


def yesno_in(norm: str) -> bool | None:
    """Yes/no from already-normalised text."""
    text = _LEAD_IN.sub("", norm.strip(" .,!~-"))
    if not text:
        return None
    if _YES_DESPITE_NO.match(text):
        return True
    if _NO_FIRST.match(text):
        return False
    if _YES_FIRST.match(text):
        return True
    return None


def parse_yesno(text: str) -> bool | None:
    """True for a yes, False for a no, None when the reply is neither."""
    return yesno_in(normalize(text))
