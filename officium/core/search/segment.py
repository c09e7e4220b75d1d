"""Splitting Chinese text into the tokens the full-text index stores, and queries into the same tokens.

Chinese has no spaces between words, so the index stores every pair of neighbouring characters (bigrams)
of each run of Chinese characters: 检验检疫局 → 检验 验检 检疫 疫局.  A query of two or more characters is
split the same way; all its bigrams must occur (next to each other for a quoted phrase or a 文号-like
chunk), which finds the words wherever they stand.  Each field also carries its distinct single characters, after the bigrams, so that a
one-character query (局) can be answered from the index too.  Letters and digits form whole tokens, lower-
cased (H7N9 → h7n9, 2026); every other character (punctuation, brackets 〔〕[]（）, spaces) only separates
tokens, so 检发〔2026〕12 and 检发[2026]12 are the same tokens: 检发 2026 12.  Full-width letters and digits
are folded to ASCII first (NFKC).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

#: Characters counted as Chinese: the CJK unified ideographs, extension A and the compatibility block.
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUN = re.compile(f"[{_CJK}]+|[a-z0-9]+")
_IS_CJK = re.compile(f"[{_CJK}]")

#: Text beyond this many characters per field is not indexed (PostgreSQL caps a tsvector at 1 MB).
MAX_FIELD_CHARS = 200_000


def normalise(text: str) -> str:
    """NFKC-fold and lower-case ``text`` (full-width ＡＢ１２ → ab12)."""
    return unicodedata.normalize("NFKC", text or "").lower()


def runs(text: str) -> list[str]:
    """The runs of Chinese characters and of letters/digits in ``text``, in order."""
    return _RUN.findall(normalise(text)[:MAX_FIELD_CHARS])


def is_cjk(run: str) -> bool:
    return bool(_IS_CJK.match(run))


def run_tokens(run: str) -> list[str]:
    """Tokens of one run: its bigrams for Chinese (a lone character stands alone), the run for Latin/digits."""
    if not is_cjk(run) or len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


def field_tokens(text: str) -> list[str]:
    """What the index stores for one field: the bigram/word tokens in order, then the distinct characters."""
    tokens: list[str] = []
    chars: dict[str, None] = {}
    for run in runs(text):
        if is_cjk(run):
            if len(run) > 1:
                tokens.extend(run_tokens(run))
            chars.update(dict.fromkeys(run))
        else:
            tokens.append(run)
    # A set: checking each character against the token list was quadratic (16 s for a 100,000-character
    # attachment text with 3,000 distinct characters).
    seen = set(tokens)
    return tokens + [c for c in chars if c not in seen]


@dataclass(frozen=True)
class Term:
    """One part of a parsed query: tokens that must all occur, next to each other when ``phrase`` is set."""

    tokens: tuple[str, ...]
    #: The pieces of the original text this term came from, for highlighting snippets.
    words: tuple[str, ...]
    #: The tokens must stand together in this order (a quoted phrase, or a chunk mixing Chinese, letters and
    #: digits such as 检发〔2026〕12).  A word of Chinese characters alone (检验检疫) only needs all its bigrams:
    #: overlapping bigrams rarely occur apart, and the index answers that without reading word positions.
    phrase: bool = False


def _chunk_terms(chunk: str, quoted: bool) -> list[Term]:
    """Terms of one whitespace-free chunk (or one quoted phrase).

    A lone Chinese character between other runs (号 in 〔2026〕12号) cannot be part of a bigram phrase, so it
    becomes a term of its own that must also occur.
    """
    parts = runs(chunk)
    tokens: list[str] = []
    words: list[str] = []
    singles: list[Term] = []
    for run in parts:
        if is_cjk(run) and len(run) == 1 and len(parts) > 1:
            singles.append(Term((run,), (run,)))
            continue
        tokens.extend(run_tokens(run))
        words.append(run)
    phrase = len(tokens) > 1 and (quoted or len(words) > 1)
    terms = [Term(tuple(tokens), tuple(words), phrase)] if tokens else []
    return terms + singles


_QUOTED = re.compile(r'"([^"]*)"|“([^”]*)”|(\S+)')


def parse_query(text: str) -> list[Term]:
    """Split a user's query into terms that must all match.

    ``"..."`` (or “...”) keeps a phrase together across spaces; otherwise each space-separated chunk is one
    term: a phrase when it mixes runs (检发〔2026〕12 → the tokens 检发 2026 12 next to each other), all
    its bigrams for a Chinese word (检验检疫 → 检验, 验检, 检疫).  Repeated terms are dropped.
    """
    terms: list[Term] = []
    for quoted, quoted_cn, bare in _QUOTED.findall(text or ""):
        chunk = quoted or quoted_cn or bare
        for term in _chunk_terms(chunk, quoted=bool(quoted or quoted_cn)):
            if term not in terms:
                terms.append(term)
    return terms
