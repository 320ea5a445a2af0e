#!/usr/bin/env python3
"""Writes rules/src/dtsen/latin_fold.rs: for each precomposed Latin letter, its base letter
(canonical decomposition without the combining marks), so the search folds accents without
linking a whole Unicode normalization table into the phone's library. The Rust test
`latin_fold_agrees_with_nfd` checks the table against unicode-normalization (a dev-dependency).
"""
import pathlib
import unicodedata

RANGES = [(0x00C0, 0x024F), (0x1E00, 0x1EFF)]


def base(c: str) -> str:
    d = unicodedata.normalize("NFD", c)
    return "".join(x for x in d if not 0x300 <= ord(x) <= 0x36F)


def rust_char(c: str) -> str:
    return "'\\u{%04x}'" % ord(c) if not c.isascii() else "'%s'" % c


out = [
    "// Written by tools/gen_latin_fold.py from Python's unicodedata; do not edit by hand.",
    "//! Base letters of the precomposed Latin letters (U+00C0-U+024F, U+1E00-U+1EFF): each",
    "//! letter's canonical decomposition without its combining marks, or the letter itself.",
    "",
]
for lo, hi in RANGES:
    chars = []
    for cp in range(lo, hi + 1):
        b = base(chr(cp))
        chars.append(chr(cp) if len(b) != 1 else b)
    out.append("#[rustfmt::skip]")
    out.append(f"pub const FROM_{lo:04X}: [char; {hi - lo + 1}] = [")
    for i in range(0, len(chars), 12):
        out.append("    " + ", ".join(rust_char(c) for c in chars[i : i + 12]) + ",")
    out.append("];")
    out.append("")
path = pathlib.Path(__file__).resolve().parent.parent / "rules/src/dtsen/latin_fold.rs"
path.write_text("\n".join(out))
print(f"wrote {path}")
